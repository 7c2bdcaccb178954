// The real wakeups behind the scheduler: the native timerfd (when the addon is built) and the
// setTimeout fallback. Properties only, no timing bounds: an entry never fires before its deadline,
// fires in deadline order, a cancelled one never fires, and a closed scheduler lets the process go.
import { describe, expect, it } from 'vitest';
import { timerScheduler, timeoutScheduler } from '../../src/timers/clock.js';
import { nativeAvailable } from '../../src/native/addon.js';
import type { Scheduler } from '../../src/timers/scheduler.js';
import { describeUnless, itUnless } from '../helpers/unmet.js';

function exercise(scheduler: Scheduler): Promise<{ order: string[]; early: number[] }> {
  return new Promise((resolve) => {
    const order: string[] = [];
    const early: number[] = [];
    // Deadlines from one start, also b2's (armed inside b's callback): its place between b and c
    // then holds however late b ran (a loaded CI machine once ran b after c's deadline).
    const start = scheduler.now();
    const at = (name: string, ms: number, then?: () => void): void => {
      const entry = scheduler.at(start + ms, () => {
        if (scheduler.now() < entry.deadline) early.push(entry.deadline - scheduler.now());
        order.push(name);
        then?.();
      });
    };
    at('c', 12.75);
    at('a', 2.25);
    at('b', 7.5, () => at('b2', 8));
    const cancelled = scheduler.after(5, () => order.push('cancelled'));
    scheduler.cancel(cancelled);
    at('last', 20.125, () => resolve({ order, early }));
  });
}

describe.each([
  ['timerfd', () => timerScheduler()],
  ['setTimeout', () => ({ scheduler: timeoutScheduler() })],
] as const)('%s scheduler', (kind, make) => {
  itUnless(kind === 'timerfd' && !nativeAvailable().ok)('fires in deadline order, never early, never a cancelled entry', async () => {
    const { scheduler, fallback } = make() as { scheduler: Scheduler; fallback?: string };
    expect(fallback).toBeUndefined();
    expect(scheduler.kind).toBe(kind);
    try {
      const { order, early } = await exercise(scheduler);
      expect(order).toEqual(['a', 'b', 'b2', 'c', 'last']);
      expect(early).toEqual([]);
      expect(scheduler.pending).toBe(0);
    } finally {
      scheduler.close();
    }
  });
});

describeUnless(!nativeAvailable().ok)('timerfd scheduler after a poll error', () => {
  it('reports it once, and the pending entry and later ones still fire (on setTimeout), never early', async () => {
    const errors: string[] = [];
    const timers = timerScheduler((m) => errors.push(m));
    const { scheduler } = timers;
    try {
      const fired: string[] = [];
      const early: number[] = [];
      const done = new Promise<void>((resolve) => {
        const at = (name: string, ms: number, then?: () => void): void => {
          const entry = scheduler.after(ms, () => {
            if (scheduler.now() < entry.deadline) early.push(entry.deadline - scheduler.now());
            fired.push(name);
            then?.();
          });
        };
        at('pending', 30, () => at('later', 10, resolve));
      });
      // The path a real poll error takes (libuv stops the handle on EPOLLERR): epoll cannot be made to report one.
      timers.failForTest?.(5);
      expect(errors).toEqual(['poll(timerfd): Input/output error (EIO): protocol timers moved to setTimeout (up to ~1 ms late)']);
      await done;
      expect(fired).toEqual(['pending', 'later']);
      expect(early).toEqual([]);
      expect(errors).toHaveLength(1);
    } finally {
      scheduler.close();
    }
  });
});
