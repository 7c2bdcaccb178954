// pino logging with keepalived's message text. Two sinks, as keepalived has: syslog (ident
// `vrrpd`, facility daemon, the plain message so `grep "Entering MASTER STATE"` works on
// /var/log/messages and journald alike) and, with `-l`/`-n`, JSON lines on stdout for tooling.
// `-D` (log detail) enables the `debug` level, which carries keepalived's -D-only lines.
import { pino, type DestinationStream, type Logger, type StreamEntry } from 'pino';
import { openSyslog, syslog, syslogFacility, syslogSeverity } from './native.js';

export type { Logger };

export interface LogOptions {
  readonly detail: boolean;
  readonly console: boolean;
  readonly syslog: boolean;
  readonly facility?: number;
  /** Where console lines go; stdout by default. Tests pass their own stream. */
  readonly consoleStream?: DestinationStream;
}

const pinoLevelToSeverity: Record<number, number> = {
  10: syslogSeverity.debug,
  20: syslogSeverity.debug,
  30: syslogSeverity.info,
  40: syslogSeverity.warning,
  50: syslogSeverity.err,
  60: syslogSeverity.crit,
};

/** A pino destination that forwards each record's message to syslog(3). */
function syslogStream(): DestinationStream {
  return {
    write(line: string): void {
      try {
        const record = JSON.parse(line) as { level?: number; msg?: string };
        if (typeof record.msg !== 'string') return;
        syslog(pinoLevelToSeverity[record.level ?? 30] ?? syslogSeverity.info, record.msg);
      } catch {
        // A line we cannot parse is not worth crashing the daemon over.
      }
    },
  };
}

export function createLogger(opts: LogOptions): Logger {
  const level = opts.detail ? 'debug' : 'info';
  const streams: StreamEntry[] = [];
  if (opts.console) {
    streams.push({ level, stream: opts.consoleStream ?? pino.destination({ dest: 1, sync: true }) });
  }
  if (opts.syslog && openSyslog('vrrpd', opts.facility ?? syslogFacility.daemon).ok) {
    streams.push({ level, stream: syslogStream() });
  }
  return pino({ level, base: { pid: process.pid } }, pino.multistream(streams));
}
