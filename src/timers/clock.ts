// The wakeups behind src/vrrp/scheduler.ts. The daemon's clock is performance.now() (monotonic ms,
// fractional). The native wakeup is one timerfd armed at absolute CLOCK_MONOTONIC deadlines: it
// fires within tens of µs of the deadline, where a libuv timer (whole ms, on a loop time cached
// before the poll) fires up to ~1 ms late. Without the addon, one setTimeout stands in for it.
import { openTimerFd } from '../native/addon.js';
import { createScheduler, PRECISE_LEAD_MS, type Scheduler, type Wakeup } from './scheduler.js';
import type { Millis } from '../types.js';

const clock = (): Millis => performance.now();

/**
 * CLOCK_MONOTONIC minus `timeline` (default performance.now()): both run on the same clock
 * (libuv's uv_hrtime is CLOCK_MONOTONIC) from different origins. Read between two timeline calls,
 * keeping the tightest of a few tries; the result errs late by its uncertainty, never early, so a
 * deadline the timerfd reports as passed has also passed on our clock, and a receive stamp carried
 * onto the timeline (stamp - offset) is never later than it was.
 */
export function monotonicOffset(monotonicMs: () => number, timeline: () => Millis = clock): number {
  timeline(); // the first call may load perf_hooks: not inside a measurement
  let best = { width: Number.POSITIVE_INFINITY, offset: 0 };
  for (let i = 0; i < 5; i++) {
    const before = timeline();
    const mono = monotonicMs();
    const after = timeline();
    if (after - before < best.width) best = { width: after - before, offset: mono - before };
  }
  return best.offset + 0.001;
}

/** One setTimeout for the earliest deadline, rounded up to libuv's whole ms. */
function timeoutWakeup(run: () => void): Wakeup {
  let pending: NodeJS.Timeout | undefined;
  const clear = (): void => {
    if (pending !== undefined) clearTimeout(pending);
    pending = undefined;
  };
  return {
    set(deadline) {
      clear();
      pending = setTimeout(() => {
        pending = undefined;
        run();
      }, Math.max(0, Math.ceil(deadline - clock())));
    },
    clear,
    close: clear,
  };
}

/** The setTimeout scheduler: what an Instance uses when nobody gave it one (tests, tools). */
export function timeoutScheduler(): Scheduler {
  return createScheduler('setTimeout', clock, timeoutWakeup);
}

/**
 * The daemon's scheduler: the timerfd one, or the setTimeout one with the reason the timerfd could
 * not be used (for a warning: timers then run up to ~1 ms late, as libuv's do). With the timerfd
 * comes `offsetMs`, CLOCK_MONOTONIC minus the scheduler's clock, on which the advert repeater
 * (net/repeater.ts) runs; without it every advert is sent from JS.
 * `onError`: the timerfd failed (a poll error, which libuv answers by stopping the handle); the
 * pending wakeup and every later one are then a setTimeout's, so the timers run on, up to ~1 ms late.
 */
export function timerScheduler(onError: (message: string) => void = () => undefined): {
  scheduler: Scheduler;
  fallback?: string;
  offsetMs?: number;
  /** What a poll error on the timerfd does (tests). */
  failForTest?: (errno: number) => void;
} {
  let run: () => void = () => undefined;
  // A failed arm (EINVAL on an absurd deadline) must not lose the wakeup: one setTimeout takes over;
  // after a poll error it takes over for good, from the deadline then pending.
  let backup: Wakeup | undefined;
  let failed = false;
  let pending: Millis | undefined;
  const opened = openTimerFd(
    () => run(),
    (message) => {
      failed = true;
      backup ??= timeoutWakeup(run);
      if (pending !== undefined) backup.set(pending);
      onError(`${message}: protocol timers moved to setTimeout (up to ~1 ms late)`);
    },
  );
  if (!opened.ok) return { scheduler: timeoutScheduler(), fallback: opened.error };
  const { timer, monotonicMs, spinUntil } = opened.value;
  const offset = monotonicOffset(monotonicMs);
  const scheduler = createScheduler('timerfd', clock, (r) => {
    run = r;
    return {
      set(deadline) {
        pending = deadline;
        if (!failed) {
          const armed = timer.arm(deadline + offset);
          if (armed.ok) return backup?.clear();
        }
        backup ??= timeoutWakeup(r);
        backup.set(deadline);
      },
      // In C: a JS loop on performance.now() was seen held up ~1 ms mid-loop (V8 compiling it).
      waitUntil: (deadline) => spinUntil(deadline + offset) - offset,
      clear() {
        pending = undefined;
        if (!failed) timer.disarm();
        backup?.clear();
      },
      close() {
        timer.close();
        backup?.close();
      },
    };
  });
  // Run the wake, batch and spin path once now: a takeover is often the first Master_Down_Timer a
  // BACKUP ever fires, and compiling that path on first use made it ~0.15 ms late.
  scheduler.after(PRECISE_LEAD_MS, () => undefined, true);
  return { scheduler, offsetMs: offset, failForTest: (errno) => timer.failForTest(errno) };
}
