// syslog facilities: <syslog.h>'s numbers and keepalived's -S spelling of them. Pure and light
// (no pino, no addon): the command line checks -S with it before anything else loads.
import { err, ok, type Result } from '../types.js';

/** <syslog.h>: LOG_USER, LOG_DAEMON, LOG_LOCAL0..7 (facility number << 3). */
export const LOG_USER = 1 << 3;
export const LOG_DAEMON = 3 << 3;
const LOG_LOCAL0 = 16 << 3;

/**
 * -S / --log-facility as keepalived's parse_cmdline() reads it: a number 0-7 or local0-7 (both
 * LOG_LOCALn; leading blanks and zeros as strtoul takes them), or `user` or `daemon`. Anything
 * else: keepalived says "Invalid log facility 'x'" and keeps daemon; the caller does the same.
 * (keepalived 2.2.7's -t also exits 5 on a *valid* local3/user/daemon - a read_unsigned side
 * effect - which vrrpd does not copy.)
 */
export function parseFacility(text: string): Result<number, string> {
  if (text === 'daemon') return ok(LOG_DAEMON);
  if (text === 'user') return ok(LOG_USER);
  const digits = text.startsWith('local') ? text.slice(5) : text;
  const m = /^\s*\+?(\d+)$/.exec(digits);
  const n = m === null ? NaN : Number(m[1]);
  if (Number.isInteger(n) && n >= 0 && n <= 7) return ok(LOG_LOCAL0 + (n << 3));
  return err(`Invalid log facility '${text}'`);
}
