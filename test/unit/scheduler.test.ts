// The timer heap and its batches, driven by a hand-moved clock and a wakeup that only records what
// it was asked: no waiting, no timed assertions.
import { describe, expect, it } from 'vitest';
import { createScheduler, DeadlineHeap, PRECISE_LEAD_MS, type Scheduler, type Wakeup } from '../../src/timers/scheduler.js';

interface Rig {
  readonly scheduler: Scheduler;
  readonly clock: { now: number };
  /** Every set() deadline in order; undefined for a clear(). */
  readonly armed: (number | undefined)[];
  /** Move the clock and run the wakeup, as the timerfd would. */
  wake(at: number): void;
}

/** `tick`: how far each clock read moves the clock (a spin on a clock that never moves would hang). */
function rig(tick = 0): Rig {
  const clock = { now: 0 };
  const armed: (number | undefined)[] = [];
  let run: () => void = () => undefined;
  const read = (): number => {
    const t = clock.now;
    clock.now += tick;
    return t;
  };
  const scheduler = createScheduler('test', read, (r): Wakeup => {
    run = r;
    return { set: (d) => armed.push(d), clear: () => armed.push(undefined), close: () => undefined };
  });
  return {
    scheduler,
    clock,
    armed,
    wake(at) {
      clock.now = at;
      run();
    },
  };
}

describe('DeadlineHeap', () => {
  it('pops in deadline order, equal deadlines in arming order', () => {
    const heap = new DeadlineHeap();
    const order: string[] = [];
    const deadlines: [string, number][] = [['c', 30], ['a', 10], ['d', 30], ['b', 20], ['e', 5.5], ['f', 30]];
    for (const [name, d] of deadlines) heap.push(d, () => order.push(name));
    for (const e of heap.popDue(100)) e.fire();
    expect(order).toEqual(['e', 'a', 'b', 'c', 'd', 'f']);
    expect(heap.size).toBe(0);
  });

  it('popDue takes only what is due and keeps the fraction of a millisecond', () => {
    const heap = new DeadlineHeap();
    heap.push(3609.375, () => undefined);
    heap.push(3609.376, () => undefined);
    expect(heap.popDue(3609.374)).toHaveLength(0);
    expect(heap.popDue(3609.375).map((e) => e.deadline)).toEqual([3609.375]);
    expect(heap.peek()?.deadline).toBe(3609.376);
  });

  it('removes from anywhere, and twice is harmless', () => {
    const heap = new DeadlineHeap();
    const entries = [50, 10, 40, 20, 30, 60, 5].map((d) => heap.push(d, () => undefined));
    heap.remove(entries[2]!);
    heap.remove(entries[6]!);
    heap.remove(entries[6]!);
    expect(heap.popDue(1000).map((e) => e.deadline)).toEqual([10, 20, 30, 50, 60]);
    heap.remove(entries[0]!); // already popped
    expect(heap.size).toBe(0);
  });

  it('stays ordered through many random pushes and removes', () => {
    const heap = new DeadlineHeap();
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const live = new Set<ReturnType<DeadlineHeap['push']>>();
    for (let i = 0; i < 2000; i++) {
      if (live.size > 0 && random() < 0.4) {
        const victim = [...live][Math.floor(random() * live.size)]!;
        heap.remove(victim);
        live.delete(victim);
      } else {
        live.add(heap.push(Math.floor(random() * 100) / 4, () => undefined));
      }
    }
    const popped = heap.popDue(Number.POSITIVE_INFINITY);
    expect(popped).toHaveLength(live.size);
    expect(new Set(popped)).toEqual(live);
    for (let i = 1; i < popped.length; i++) {
      const [a, b] = [popped[i - 1]!, popped[i]!];
      expect(a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq)).toBe(true);
    }
  });
});

describe('createScheduler', () => {
  it('arms the one wakeup for the earliest deadline only', () => {
    const r = rig();
    r.scheduler.at(1000, () => undefined);
    r.scheduler.at(3609.375, () => undefined);
    r.scheduler.at(500.5, () => undefined);
    expect(r.armed).toEqual([1000, 500.5]);
    expect(r.scheduler.pending).toBe(3);
  });

  it('fires a same-deadline batch in one wakeup, in arming order, and re-arms once', () => {
    const r = rig();
    const fired: number[] = [];
    for (let i = 0; i < 250; i++) r.scheduler.at(1000, () => fired.push(i));
    r.scheduler.at(2000, () => fired.push(-1));
    r.armed.length = 0;
    r.wake(1000.05);
    expect(fired).toEqual([...Array(250).keys()]);
    expect(r.armed).toEqual([2000]);
  });

  it('a cancelled entry never fires; cancelling the earliest re-arms for the next', () => {
    const r = rig();
    const fired: string[] = [];
    const a = r.scheduler.at(10, () => fired.push('a'));
    r.scheduler.at(20, () => fired.push('b'));
    r.scheduler.cancel(a);
    expect(r.armed).toEqual([10, 20]);
    r.wake(25);
    expect(fired).toEqual(['b']);
    // The wakeup that ran is spent: with nothing left, nothing is armed or cleared.
    expect(r.armed).toEqual([10, 20]);
  });

  it('an early wakeup fires nothing and re-arms for the same deadline', () => {
    const r = rig();
    let fired = false;
    r.scheduler.at(100, () => (fired = true));
    r.wake(99.9);
    expect(fired).toBe(false);
    expect(r.armed).toEqual([100, 100]);
  });

  it('re-arming from a callback (the Adver_Timer) schedules the next period, anchored by the caller', () => {
    const r = rig();
    const ticks: number[] = [];
    let due = 1000;
    const tick = (): void => {
      ticks.push(r.clock.now);
      due += 1000;
      r.scheduler.at(due, tick);
    };
    r.scheduler.at(due, tick);
    r.wake(1000.1);
    r.wake(2000.3);
    r.wake(3000.05);
    expect(ticks).toEqual([1000.1, 2000.3, 3000.05]);
    expect(r.armed.at(-1)).toBe(4000);
  });

  it('an entry armed already due from inside a batch runs in the same batch', () => {
    const r = rig();
    const fired: string[] = [];
    r.scheduler.at(10, () => {
      fired.push('first');
      r.scheduler.after(0, () => fired.push('zero-delay'));
    });
    r.wake(10);
    expect(fired).toEqual(['first', 'zero-delay']);
    expect(r.scheduler.pending).toBe(0);
  });

  it('cancelling a later entry from inside the batch keeps it from firing', () => {
    const r = rig();
    const fired: string[] = [];
    const later = r.scheduler.at(10, () => fired.push('later'));
    r.scheduler.at(5, () => {
      fired.push('first');
      r.scheduler.cancel(later);
    });
    r.wake(20);
    expect(fired).toEqual(['first']);
  });

  it('reset() re-arms the same entry: moved while pending, again after firing or cancel', () => {
    const r = rig();
    const fired: number[] = [];
    const entry = r.scheduler.at(10, () => fired.push(r.clock.now));
    r.scheduler.reset(entry, 30);
    expect(r.scheduler.pending).toBe(1);
    r.wake(20);
    expect(fired).toEqual([]);
    r.wake(30);
    expect(fired).toEqual([30]);
    r.scheduler.reset(entry, 40);
    r.scheduler.cancel(entry);
    r.wake(40);
    expect(fired).toEqual([30]);
    r.scheduler.reset(entry, 50);
    r.wake(50);
    expect(fired).toEqual([30, 50]);
    expect(r.scheduler.pending).toBe(0);
  });

  it('an entry of the due batch reset to a later deadline by an earlier callback fires then, not now', () => {
    const r = rig();
    const fired: string[] = [];
    const moved = r.scheduler.at(10, () => fired.push(`moved@${r.clock.now}`));
    r.scheduler.at(5, () => {
      fired.push('first');
      r.scheduler.reset(moved, 100);
    });
    r.wake(20);
    expect(fired).toEqual(['first']);
    expect(r.armed.at(-1)).toBe(100);
    r.wake(100);
    expect(fired).toEqual(['first', 'moved@100']);
  });

  it('cancelling the last entry clears the armed wakeup', () => {
    const r = rig();
    const only = r.scheduler.at(10, () => undefined);
    r.scheduler.cancel(only);
    expect(r.armed).toEqual([10, undefined]);
  });

  it('a throwing callback does not stop the batch', async () => {
    const r = rig();
    const fired: string[] = [];
    const uncaught: unknown[] = [];
    const original = globalThis.queueMicrotask;
    globalThis.queueMicrotask = (f) => original(() => {
      try {
        f();
      } catch (e) {
        uncaught.push(e);
      }
    });
    try {
      r.scheduler.at(10, () => {
        throw new Error('boom');
      });
      r.scheduler.at(10, () => fired.push('second'));
      r.wake(10);
      await Promise.resolve();
    } finally {
      globalThis.queueMicrotask = original;
    }
    expect(fired).toEqual(['second']);
    expect(uncaught.map((e) => (e as Error).message)).toEqual(['boom']);
  });

  it('a precise entry is woken PRECISE_LEAD_MS early and fires at its deadline, not before', () => {
    const r = rig(0.01);
    let firedAt: number | undefined;
    const entry = r.scheduler.at(3609.375, () => (firedAt = r.clock.now), true);
    expect(r.armed).toEqual([3609.375 - PRECISE_LEAD_MS]);
    r.wake(3609.375 - PRECISE_LEAD_MS + 0.2);
    expect(firedAt).toBeGreaterThanOrEqual(3609.375);
    expect(entry.firedAt).toBeGreaterThanOrEqual(3609.375);
  });

  it('a batch fires in deadline order even when a precise entry was woken before a plain one', () => {
    const r = rig(0.01);
    const fired: string[] = [];
    r.scheduler.at(100.5, () => fired.push('precise'), true);
    r.scheduler.at(100, () => fired.push('plain'));
    expect(r.armed).toEqual([100.5 - PRECISE_LEAD_MS]);
    r.wake(100);
    expect(fired).toEqual(['plain', 'precise']);
  });

  it('a precise entry cancelled by an earlier one of the same batch does not fire', () => {
    const r = rig(0.01);
    const fired: string[] = [];
    const precise = r.scheduler.at(50.5, () => fired.push('precise'), true);
    r.scheduler.at(50, () => {
      fired.push('plain');
      r.scheduler.cancel(precise);
    });
    r.wake(50);
    expect(fired).toEqual(['plain']);
  });

  it('after close nothing fires and nothing is armed', () => {
    const r = rig();
    let fired = false;
    r.scheduler.at(10, () => (fired = true));
    r.scheduler.close();
    r.wake(20);
    r.scheduler.at(30, () => (fired = true));
    expect(fired).toBe(false);
    expect(r.armed).toEqual([10]);
  });
});
