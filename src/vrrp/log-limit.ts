// Log lines a received packet causes, one per packet: keepalived writes every one, so a LAN host
// sending a flood (spoofed priority-0 or lower-priority adverts, malformed ones) drowns the log
// and the CPU in writes (3,000 lines/s took 93 % of a CPU on a BACKUP with -D). Per kind of line:
// at most `lines` per `intervalMs` window; the first line of a later window says how many were
// held back. Time is an argument; the keys are a fixed set (a kind, never a sender), so a spoofer
// cannot grow the table.
import type { Millis } from '../types.js';

interface Window {
  start: Millis;
  said: number;
  held: number;
}

export class LogLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly intervalMs: Millis;
  private readonly lines: number;

  constructor(intervalMs: Millis, lines: number) {
    this.intervalMs = intervalMs;
    this.lines = lines;
  }

  /** The line to write now (with the count held back before it), or undefined: held back. */
  pass(key: string, message: string, now: Millis): string | undefined {
    const w = this.windows.get(key);
    if (w === undefined || now - w.start >= this.intervalMs) {
      this.windows.set(key, { start: now, said: 1, held: 0 });
      return w !== undefined && w.held > 0 ? `${message} (${w.held} more since last report)` : message;
    }
    if (w.said < this.lines) {
      w.said++;
      return message;
    }
    w.held++;
    return undefined;
  }
}
