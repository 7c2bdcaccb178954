// The daemon's scheduler on a hand-moved clock: advance() runs what is due as the timerfd would,
// nothing waits. For Instance unit tests and the start-up rehearsal (instance/rehearsal.ts).
import { createScheduler, type Scheduler, type Wakeup } from './scheduler.js';

export interface VirtualTimers {
  readonly clock: { now: number };
  readonly scheduler: Scheduler;
  /**
   * Run every wakeup up to `to`, each `lateBy` ms after its deadline (never back in time), then set
   * the clock to `to`. A wakeup is one-shot, as the timerfd: one for an entry cancelled since finds
   * nothing due.
   */
  advance(to: number, lateBy?: number): void;
}

export function virtualTimers(): VirtualTimers {
  const clock = { now: 0 };
  let run: () => void = () => undefined;
  let armed: number | undefined;
  const scheduler = createScheduler('virtual', () => clock.now, (r): Wakeup => {
    run = r;
    return { set: (d) => (armed = d), waitUntil: (d) => (clock.now = d), clear: () => (armed = undefined), close: () => undefined };
  });
  const advance = (to: number, lateBy = 0.05): void => {
    while (armed !== undefined && armed <= to) {
      clock.now = Math.max(clock.now, armed + lateBy);
      armed = undefined;
      run();
    }
    clock.now = to;
  };
  return { clock, scheduler, advance };
}
