// Logging to systemd's journal by its native protocol (systemd.io/JOURNAL_NATIVE_PROTOCOL): one
// datagram per event to /run/systemd/journal/socket, with keepalived's words as MESSAGE and the
// structured fields beside them, so `journalctl -u vrrpd VRRP_INSTANCE=VI_1` works. Under systemd
// this replaces both syslog (which journald also receives, as plain text) and the JSON lines on
// stdout (which journald also receives when JOURNAL_STREAM names our stdout): one entry per event.
// rsyslog's imjournal and journald's ForwardToSyslog still pass it on to /var/log/messages, as
// `vrrpd[PID]: message`, with the facility of -S.
import { fstatSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { journalSend, journalSender } from '../native/addon.js';
import { err, ok, type Result } from '../types.js';

/** Where journald reads native entries. */
export const JOURNAL_SOCKET = '/run/systemd/journal/socket';

/** A field of a journal entry: an upper-case name and any text (newlines included). */
export type JournalField = readonly [name: string, value: string];

/** A structured field of a log line, as the JSON lines name it (src/log.ts LogFields). */
export type FieldValues = Readonly<Record<string, string | number | undefined>>;

/**
 * The journal's name of a JSON-line field: `VRRP_` and the name in upper case (instance ->
 * VRRP_INSTANCE). The prefix keeps them apart from journald's own (PRIORITY is the log level)
 * and from other programs' fields of the same name in a query across units.
 */
export function journalFieldName(key: string): string {
  return `VRRP_${key.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`;
}

/** A value longer than this is cut: a datagram above the socket's send buffer (~208 KiB) is refused whole. */
export const MAX_VALUE_BYTES = 64 * 1024;

function capped(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  return bytes.length <= MAX_VALUE_BYTES ? bytes : bytes.subarray(0, MAX_VALUE_BYTES);
}

/**
 * The datagram of one entry: `NAME=value\n` for each field, or, for a value with a newline in it,
 * `NAME\n`, the value's length as a 64-bit little-endian integer, the value, `\n`.
 */
export function encodeJournalEntry(fields: readonly JournalField[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    const bytes = capped(value);
    if (bytes.includes(0x0a)) {
      const length = Buffer.alloc(8);
      length.writeBigUInt64LE(BigInt(bytes.length));
      parts.push(Buffer.from(`${name}\n`), length, bytes, Buffer.from('\n'));
    } else {
      parts.push(Buffer.from(`${name}=`), bytes, Buffer.from('\n'));
    }
  }
  return Buffer.concat(parts);
}

export interface JournalLine {
  readonly message: string;
  /** syslog severity, 0 (emerg) .. 7 (debug). */
  readonly severity: number;
  /** syslog facility as openlog() takes it (LOG_DAEMON = 3 << 3). */
  readonly facility: number;
  readonly pid: number;
  readonly fields: FieldValues;
}

/** The fields of one log line: journald's own, then the line's structured fields. */
export function journalFields(line: JournalLine): JournalField[] {
  const fields: JournalField[] = [
    ['MESSAGE', line.message],
    ['PRIORITY', String(line.severity)],
    ['SYSLOG_FACILITY', String(line.facility >> 3)],
    ['SYSLOG_IDENTIFIER', 'vrrpd'],
    ['SYSLOG_PID', String(line.pid)],
  ];
  for (const [key, value] of Object.entries(line.fields)) {
    if (value !== undefined) fields.push([journalFieldName(key), String(value)]);
  }
  return fields;
}

/** Where vrrpd's lines can go to the journal, and whether its stdout is the journal already. */
export interface JournalTarget {
  readonly socket: string;
  /** JOURNAL_STREAM names our stdout: whatever we print there is a journal entry too. */
  readonly stdout: boolean;
}

/** systemd sets JOURNAL_STREAM=DEV:INODE of the stream it connected stdout/stderr to (systemd.exec(5)). */
export function stdoutIsJournal(env: NodeJS.ProcessEnv, stdout: () => { dev: number; ino: number } = () => fstatSync(1)): boolean {
  const m = /^(\d+):(\d+)$/.exec(env['JOURNAL_STREAM'] ?? '');
  if (m === null) return false;
  try {
    const s = stdout();
    return String(s.dev) === m[1] && String(s.ino) === m[2];
  } catch {
    return false;
  }
}

/** The journal to log to: where journald's native socket exists; undefined elsewhere. */
export function detectJournal(env: NodeJS.ProcessEnv = process.env, socket: string = JOURNAL_SOCKET): JournalTarget | undefined {
  try {
    if (!statSync(socket).isSocket()) return undefined;
  } catch {
    return undefined;
  }
  return { socket, stdout: stdoutIsJournal(env) };
}

const errnoName = (n: number): string =>
  Object.entries(constants.errno).find(([, v]) => v === n)?.[0] ?? `errno ${n}`;

export interface JournalWriter {
  write(severity: number, message: string, fields: FieldValues): void;
}

/**
 * Writes entries to `socket`; an error value when the addon cannot be loaded.
 * A line journald does not take (its queue full, journald restarting) is dropped, never waited for;
 * the next line that gets through is preceded by one saying how many were lost and why.
 */
export function journalWriter(socket: string, facility: number, pid = process.pid): Result<JournalWriter, string> {
  const usable = journalSender();
  if (!usable.ok) return err(usable.error);
  let dropped = 0;
  let lastError = 0;
  const send = (severity: number, message: string, fields: FieldValues): number => {
    const sent = journalSend(socket, encodeJournalEntry(journalFields({ message, severity, facility, pid, fields })));
    return sent.ok ? sent.value : -1;
  };
  return ok({
    write(severity, message, fields) {
      if (dropped > 0) {
        const e = send(4, `${dropped} log line${dropped === 1 ? '' : 's'} not taken by the journal (${lastError < 0 ? 'addon error' : errnoName(lastError)})`, {});
        if (e !== 0) {
          dropped += 1;
          lastError = e;
          return;
        }
        dropped = 0;
      }
      const e = send(severity, message, fields);
      if (e !== 0) {
        dropped += 1;
        lastError = e;
      }
    },
  });
}
