// Work that may wait a little so the protocol's timers do not: the GARP repeats of
// garp_master_delay, garp_master_refresh and garp_lower_prio_delay. 1000 instances that became
// MASTER together repeat their GARPs together 5 s later: 5000 frames and 6000 -D log lines in one
// callback held every advert due meanwhile ~30 ms (bench: advert lateness p99 29 ms @1000). Here
// they run in loop turns of at most `budgetMs`, and between two turns the loop polls the timer fd,
// so an advert waits at most about one budget. A takeover's own GARP never comes here: it goes out
// in the Master_Down timer's callback, right after the advert.
import type { Millis } from '../types.js';

export type Background = (job: () => void) => void;

export function createBackground(budgetMs: Millis = 1 as Millis, now: () => number = () => performance.now(), nextTurn: (f: () => void) => void = (f) => void setImmediate(f)): Background {
  const queue: (() => void)[] = [];
  let head = 0;
  let scheduled = false;
  const turn = (): void => {
    scheduled = false;
    const until = now() + budgetMs;
    // At least one job per turn, however long it takes: the queue always moves.
    do {
      const job = queue[head];
      queue[head++] = noop;
      try {
        job?.();
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    } while (head < queue.length && now() < until);
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    } else schedule();
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    nextTurn(turn);
  };
  return (job) => {
    queue.push(job);
    schedule();
  };
}

const noop = (): void => undefined;
