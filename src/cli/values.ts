// The values of keepalived's flags that are not plain strings: -u's umask and --signum's signal
// numbers (-S's facility: log/facility.ts). Pure and light (no pino, no addon: `vrrpd -t` loads
// this), so the unit tests can check them against keepalived 2.2.7.
import { constants as osConstants } from 'node:os';
import { err, ok, type Result } from '../types.js';

/** keepalived's default umask (lib/utils.c umask_val = S_IXUSR|S_IRWXG|S_IRWXO): files are 0600. */
export const DEFAULT_UMASK = 0o177;

/**
 * -u MASK as keepalived's set_umask() reads it: strtoll base 0 (0NNN octal, 0xNN hex, else
 * decimal), the whole text, 0..0777. keepalived prints "Invalid --umask option X" and keeps its
 * default; the caller does the same with this error text.
 */
export function parseUmask(text: string): Result<number, string> {
  const t = text.trimStart();
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(t);
  const bad = err(`Invalid --umask option ${text}`);
  if (m === null) return bad;
  const digits = m[2] as string;
  const magnitude = /^0[xX]/.test(digits) ? parseInt(digits.slice(2), 16) : digits.startsWith('0') ? parseInt(digits, 8) : parseInt(digits, 10);
  const value = m[1] === '-' ? -magnitude : magnitude;
  if (value < 0 || value > 0o777) return bad;
  return ok(value);
}

/** The sigfuncs keepalived 2.2.7 (built with JSON, without THREAD_DUMP) knows, in its order. */
export const SIGFUNCS = ['STOP', 'RELOAD', 'DATA', 'STATS', 'STATS_CLEAR', 'JSON'] as const;

/** The C library's real-time signal range: glibc keeps 32 and 33 for its threads, musl 32-34. */
export interface RtSignals {
  readonly min: number;
  readonly max: number;
}

/** SIGRTMIN/SIGRTMAX of the libc Node runs on (Node does not export them). */
export function rtSignals(): RtSignals {
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  return { min: report.header?.glibcVersionRuntime === undefined ? 35 : 34, max: 64 };
}

/**
 * keepalived's get_signum() (lib/signals.c): the signal each function is sent with. STATS_CLEAR is
 * SIGRTMAX-1 and JSON SIGRTMIN+2 (lib/signals.h): 63 and 36 on glibc. Names are case-sensitive.
 */
export function signalNumber(sigfunc: string, rt: RtSignals): number | undefined {
  const s = osConstants.signals;
  switch (sigfunc) {
    case 'STOP':
      return s.SIGTERM;
    case 'RELOAD':
      return s.SIGHUP;
    case 'DATA':
      return s.SIGUSR1;
    case 'STATS':
      return s.SIGUSR2;
    case 'STATS_CLEAR':
      return rt.max - 1;
    case 'JSON':
      return rt.min + 2;
    default:
      return undefined;
  }
}
