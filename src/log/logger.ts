// pino logging with keepalived's message text. The sinks: syslog (ident `vrrpd`, facility daemon
// unless -S (parsed in cli-values.ts), the plain message so `grep "Entering MASTER STATE"` works on
// /var/log/messages and journald alike; -G turns it off); in the foreground (-n) structured JSON
// lines on stdout (journald under systemd, log shippers, the lab), each with the instance, its VRID,
// the state entered and the peer named where the message has them; with `-l` keepalived's console
// text on stderr; with `-g FILE` keepalived's timestamped text lines appended to FILE (reopened on
// SIGUSR1 for logrotate's create mode; copytruncate needs nothing, the file is opened O_APPEND).
// `-D` (log detail) enables the `debug` level, which carries keepalived's -D-only lines.
// Where journald runs, its native protocol replaces syslog, and the JSON lines when stdout is the
// journal: each event once, with the fields (src/log/journal.ts).
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { pino, type DestinationStream, type Logger } from 'pino';
import { openSyslog, syslog, syslogSeverity } from '../native/addon.js';
import { LOG_DAEMON } from './facility.js';
import { err, ok, type Result } from '../types.js';
import { journalWriter, type JournalTarget } from './journal.js';

export type { Logger };

// ---------------------------------------------------------------------------------------------
// -g: the log file

/**
 * keepalived's log-file timestamp (lib/logger.c: strftime "%a %b %d %T", nanoseconds, " %Y"),
 * local time: `Wed Nov 25 12:36:54.123000000 2026`. Our clock has millisecond resolution.
 */
export function fileTimestamp(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number): string => String(n).padStart(2, '0');
  const nanos = String((((ms % 1000) + 1000) % 1000) * 1_000_000).padStart(9, '0');
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${nanos} ${d.getFullYear()}`;
}

/** One line of the -g file: `TIMESTAMP: message`, as keepalived writes it. */
export function fileLine(ms: number, message: string): string {
  return `${fileTimestamp(ms)}: ${message}\n`;
}

// ---------------------------------------------------------------------------------------------
// "Stopped - used ..." (-D)

export interface CpuUsage {
  /** Microseconds. */
  readonly userUs: number;
  readonly systemUs: number;
  /** Waited-for children (scripts), microseconds. */
  readonly childUserUs: number;
  readonly childSystemUs: number;
}

const secUs = (us: number): string => `${Math.floor(us / 1e6)}.${String(Math.round(us % 1e6)).padStart(6, '0')}`;

/**
 * keepalived's log_stopping() (lib/utils.c): plain "Stopped" without -D; with -D the CPU time
 * used, with the children's too when they used any.
 */
export function stoppedLine(detail: boolean, u: CpuUsage): string {
  if (!detail) return 'Stopped';
  if (u.childUserUs > 0) {
    return `Stopped - used (self/children) ${secUs(u.userUs)}/${secUs(u.childUserUs)} user time, ${secUs(u.systemUs)}/${secUs(u.childSystemUs)} system time`;
  }
  return `Stopped - used ${secUs(u.userUs)} user time, ${secUs(u.systemUs)} system time`;
}

/** This process's CPU time; the children's from /proc/self/stat (cutime, cstime; USER_HZ 100). */
export function cpuUsage(): CpuUsage {
  const self = process.resourceUsage();
  let childUserUs = 0;
  let childSystemUs = 0;
  try {
    // The fields after the command name, which is in parentheses and may contain blanks.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // cutime and cstime are fields 16 and 17 of proc(5); the slice starts at field 3.
    childUserUs = Number(fields[13]) * 10_000;
    childSystemUs = Number(fields[14]) * 10_000;
  } catch {
    // Without /proc, report our own time only.
  }
  return {
    userUs: self.userCPUTime,
    systemUs: self.systemCPUTime,
    childUserUs: Number.isFinite(childUserUs) ? childUserUs : 0,
    childSystemUs: Number.isFinite(childSystemUs) ? childSystemUs : 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Structured fields

export interface LogFields {
  readonly instance?: string;
  readonly vrid?: number;
  readonly state?: 'MASTER' | 'BACKUP' | 'FAULT';
  readonly peer?: string;
  /** The priority the message reports: the advert's, or the new effective one ("Changing ... to N"). */
  readonly priority?: number;
}

/**
 * What a keepalived-worded message says in fields: `(VI_1) ...` names the instance, `Entering
 * MASTER STATE` the state, an address after `from`/`peer` the other router. The text stays the
 * message (what users grep); the fields are for the JSON stream only.
 */
export function logFields(message: string, vridOf: (instance: string) => number | undefined = () => undefined): LogFields {
  const instance = /^\(([^)\s]+)\) /.exec(message)?.[1];
  const state = /\bEntering (MASTER|BACKUP|FAULT) STATE\b/.exec(message)?.[1] as LogFields['state'];
  const peer = /\b(?:from|peer) (\d{1,3}(?:\.\d{1,3}){3})\b/.exec(message)?.[1];
  const priority = /\bpriority (?:\(|from \d+ to )?(\d+)\b/.exec(message)?.[1];
  const vrid = instance === undefined ? undefined : vridOf(instance);
  return {
    ...(instance === undefined ? {} : { instance }),
    ...(vrid === undefined ? {} : { vrid }),
    ...(state === undefined ? {} : { state }),
    ...(peer === undefined ? {} : { peer }),
    ...(priority === undefined ? {} : { priority: Number(priority) }),
  };
}

/** keepalived's console prefix (-l): `Wed Nov 25 09:50:32 2026: `, local time. */
export function consoleLine(ms: number, message: string): string {
  const stamp = fileTimestamp(ms);
  return `${stamp.slice(0, 19)}${stamp.slice(29)}: ${message}\n`;
}

// ---------------------------------------------------------------------------------------------
// The logger

export interface LogOptions {
  readonly detail: boolean;
  /** Foreground (-n): structured JSON lines on stdout. */
  readonly json?: boolean;
  /** -l: keepalived's console text on stderr. */
  readonly console: boolean;
  /** The VRID of an instance name, for the JSON fields (a reload changes it). */
  readonly vridOf?: (instance: string) => number | undefined;
  readonly syslog: boolean;
  /** -S; LOG_DAEMON by default. */
  readonly facility?: number;
  /** -g FILE: keepalived's text lines appended to this file. */
  readonly file?: string;
  /** Where the JSON lines go; stdout by default. Tests pass their own stream. */
  readonly jsonStream?: DestinationStream;
  /** journald's native socket (journal.ts detectJournal): replaces syslog, and the JSON lines when stdout is the journal. */
  readonly journal?: JournalTarget;
}

const pinoLevelToSeverity: Record<number, number> = {
  10: syslogSeverity.debug,
  20: syslogSeverity.debug,
  30: syslogSeverity.info,
  40: syslogSeverity.warning,
  50: syslogSeverity.err,
  60: syslogSeverity.crit,
};

/**
 * A text sink: syslog, the -g file, the -l console. They take the message as the logger call gave
 * it, not a JSON record to parse back: a GARP burst of 1000 instances logs thousands of -D lines.
 */
interface TextSink {
  write(level: number, time: number, message: string): void;
}

/** Where glibc's syslog(3) connects; without it every call retries the connect and drops the line. */
const SYSLOG_SOCKET = '/dev/log';
const SYSLOG_RECHECK_MS = 5000;

/**
 * syslog(3) with the message as is. While there is no /dev/log (a container, a chroot, before
 * journald) the line is dropped here, as glibc would drop it, without glibc's socket and connect per
 * line; checked again every few seconds.
 */
function syslogSink(): TextSink {
  let present = true;
  let checkedAt = 0;
  return {
    write(level, time, message) {
      if (time - checkedAt >= SYSLOG_RECHECK_MS || time < checkedAt) {
        checkedAt = time;
        present = existsSync(SYSLOG_SOCKET);
      }
      if (present) syslog(pinoLevelToSeverity[level] ?? syslogSeverity.info, message);
    },
  };
}

/**
 * keepalived's log file: appended, one write per line (so --flush-log-file is what always
 * happens), created 0600 under the default umask. A failed write (disk full) drops the line
 * rather than the daemon. reopen() follows logrotate's `create` (the old file moved away).
 */
function fileSink(path: string, fd: number): TextSink & { reopen(): void } {
  let current = fd;
  return {
    write(_level, time, message) {
      try {
        writeSync(current, fileLine(time, message));
      } catch {
        // nothing better to do with a log line that cannot be written
      }
    },
    reopen(): void {
      try {
        const next = openSync(path, 'a', 0o666);
        closeSync(current);
        current = next;
      } catch {
        // keep writing to the file we have
      }
    },
  };
}

/** Every open -g file of this process (one logger per process, but tests make several). */
const logFiles = new Set<{ reopen(): void }>();

/** SIGUSR1: reopen the -g files (logrotate `create`; also sent by keepalived runbooks for the data dump). */
export function reopenLogFiles(): void {
  for (const f of logFiles) f.reopen();
}

/** keepalived's console text (-l) on stderr. */
function consoleSink(): TextSink {
  return {
    write(_level, time, message) {
      try {
        writeSync(2, consoleLine(time, message));
      } catch {
        // a closed stderr is no reason to stop
      }
    },
  };
}

/**
 * The journal as a text sink, where it replaces syslog (-G still logs there when stdout is the
 * journal: those lines went to the journal as JSON before). Undefined where there is no journal or
 * the addon cannot write to it: syslog and the JSON lines then stay as they are.
 */
function journalSinkFor(opts: LogOptions): TextSink | undefined {
  const target = opts.journal;
  if (target === undefined || !(opts.syslog || target.stdout)) return undefined;
  const writer = journalWriter(target.socket, opts.facility ?? LOG_DAEMON);
  if (!writer.ok) return undefined;
  const vridOf = opts.vridOf;
  return {
    write(level, _time, message) {
      writer.value.write(pinoLevelToSeverity[level] ?? syslogSeverity.info, message, { ...logFields(message, vridOf) });
    },
  };
}

/** The logger, or why it cannot log where it was told to (the -g file cannot be opened). */
export function createLogger(opts: LogOptions): Result<Logger, string> {
  const level = opts.detail ? 'debug' : 'info';
  const sinks: TextSink[] = [];
  if (opts.file !== undefined) {
    let fd: number;
    try {
      fd = openSync(opts.file, 'a', 0o666);
    } catch (e) {
      return err(`cannot open log file ${opts.file}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const file = fileSink(opts.file, fd);
    logFiles.add(file);
    sinks.push(file);
  }
  if (opts.console) sinks.push(consoleSink());
  const vridOf = opts.vridOf;
  const journal = journalSinkFor(opts);
  if (journal !== undefined) sinks.push(journal);
  else if (opts.syslog && openSyslog('vrrpd', opts.facility ?? LOG_DAEMON).ok) sinks.push(syslogSink());
  const jsonWanted = opts.json === true && !(journal !== undefined && opts.journal?.stdout === true);
  const json = jsonWanted ? (opts.jsonStream ?? pino.destination({ dest: 1, sync: true })) : undefined;
  return ok(
    pino(
      {
        level,
        base: { pid: process.pid },
        hooks: {
          // pino only calls this for an enabled level. The text sinks get the message directly; the
          // JSON stream gets log.info('(VI_1) Entering MASTER STATE') with its fields beside it.
          logMethod(args, method, levelNumber) {
            const [first, second, ...rest] = args;
            const message = typeof first === 'string' ? first : typeof second === 'string' ? second : undefined;
            if (message !== undefined && sinks.length > 0) {
              const time = Date.now();
              for (const sink of sinks) sink.write(levelNumber, time, message);
            }
            if (json === undefined) return;
            if (typeof first === 'string' && second === undefined && rest.length === 0) {
              const fields = logFields(first, vridOf);
              if (Object.keys(fields).length > 0) return method.apply(this, [fields, first]);
            }
            return method.apply(this, args);
          },
        },
      },
      json ?? { write: () => undefined },
    ),
  );
}
