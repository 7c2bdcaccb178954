// One rate limit per kind of log line. keepalived writes a line for every packet or request that
// brings one, so a flood (spoofed adverts, hostile control clients) drowns the log and the CPU in
// writes. Per kind: at most `linesPerInterval` lines per `intervalMs` window; the first line of a
// later window says how many of its kind were held back, so a flood of one kind neither silences
// nor miscounts another. The kinds are a fixed set (never a sender's address), so a spoofer cannot
// grow the table.
import type { Millis } from '../types.js';

/** The line to log now (with "(N more since last report)" of its own kind), or undefined: held back. */
export type LogLimiter<K extends string = string> = (kind: K, line: string) => string | undefined;

interface Window {
  start: Millis;
  said: number;
  held: number;
}

export function createLogLimiter<K extends string = string>(intervalMs: Millis, now: () => Millis, linesPerInterval = 1): LogLimiter<K> {
  const windows = new Map<K, Window>();
  return (kind, line) => {
    const t = now();
    const w = windows.get(kind);
    if (w === undefined || t - w.start >= intervalMs) {
      windows.set(kind, { start: t, said: 1, held: 0 });
      return w !== undefined && w.held > 0 ? `${line} (${w.held} more since last report)` : line;
    }
    if (w.said < linesPerInterval) {
      w.said++;
      return line;
    }
    w.held++;
    return undefined;
  };
}
