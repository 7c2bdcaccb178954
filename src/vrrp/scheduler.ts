// The daemon's protocol timers: every instance's Adver_Timer, Master_Down_Timer and GARP timers are
// entries in ONE min-heap of absolute deadlines, and ONE wakeup (a timerfd, src/net/clock.ts, or a
// setTimeout when the addon is missing) is armed for the earliest. 1000 instances are then one fd
// and one wakeup per due batch instead of 2000 libuv timers, and a deadline keeps its sub-ms part
// (libuv's timers are whole ms on a cached loop time: up to ~1 ms late).
//
// The heap and the batch logic are pure (time comes in as `now`); the clock and the wakeup are
// handed in, so unit tests drive it without waiting.
import type { Millis } from '../types.js';

/** A scheduled callback; pass it to cancel(). */
export interface TimerEntry {
  readonly deadline: Millis;
  /** Arming order: entries due at the same time run in the order they were armed. */
  readonly seq: number;
  readonly fire: () => void;
  /** Position in the heap, -1 once fired or cancelled. */
  index: number;
}

/** Binary min-heap on (deadline, seq) whose entries know their index, so a cancel is O(log n). */
export class DeadlineHeap {
  private readonly items: TimerEntry[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.items.length;
  }

  /** The earliest entry, undefined when empty. */
  peek(): TimerEntry | undefined {
    return this.items[0];
  }

  push(deadline: Millis, fire: () => void): TimerEntry {
    const entry: TimerEntry = { deadline, seq: this.nextSeq++, fire, index: this.items.length };
    this.items.push(entry);
    this.up(entry.index);
    return entry;
  }

  /** Remove an entry; a no-op for one already fired or removed. */
  remove(entry: TimerEntry): void {
    const i = entry.index;
    if (i < 0 || this.items[i] !== entry) return;
    const last = this.items.pop() as TimerEntry;
    entry.index = -1;
    if (last === entry) return;
    this.items[i] = last;
    last.index = i;
    this.down(i);
    this.up(last.index);
  }

  /** Take every entry due at `now` (deadline <= now), earliest first (tests, and a caller that will not cancel). */
  popDue(now: Millis): TimerEntry[] {
    const due: TimerEntry[] = [];
    for (let top = this.items[0]; top !== undefined && top.deadline <= now; top = this.items[0]) {
      this.remove(top);
      due.push(top);
    }
    return due;
  }

  private less(a: TimerEntry, b: TimerEntry): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const a = this.items[i] as TimerEntry;
    const b = this.items[j] as TimerEntry;
    this.items[i] = b;
    this.items[j] = a;
    a.index = j;
    b.index = i;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.items[i] as TimerEntry, this.items[parent] as TimerEntry)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let least = i;
      if (l < n && this.less(this.items[l] as TimerEntry, this.items[least] as TimerEntry)) least = l;
      if (r < n && this.less(this.items[r] as TimerEntry, this.items[least] as TimerEntry)) least = r;
      if (least === i) return;
      this.swap(i, least);
      i = least;
    }
  }
}

/** What wakes the scheduler: one pending alarm at an absolute deadline (the scheduler's clock). */
export interface Wakeup {
  /** Replace the pending alarm; a past deadline fires as soon as the loop can. */
  set(deadline: Millis): void;
  clear(): void;
  close(): void;
}

export interface Scheduler {
  /** Which wakeup runs it, for the start-up log line and the bench. */
  readonly kind: string;
  /** The clock deadlines are in (monotonic ms). */
  now(): Millis;
  /** Run `fire` once at `deadline` (or at once, in the next due batch, when it is already past). */
  at(deadline: Millis, fire: () => void): TimerEntry;
  /** `fire` after `ms` from now. */
  after(ms: Millis, fire: () => void): TimerEntry;
  cancel(entry: TimerEntry): void;
  /** Pending entries (tests, dumps). */
  readonly pending: number;
  /** Drop the wakeup; pending entries never fire. */
  close(): void;
}

/**
 * A scheduler over `clock` and a wakeup made by `makeWakeup(run)`. `run` fires every entry due at
 * its start in one batch (a callback arming one already due gets it in the same batch), then arms the
 * wakeup once for the new earliest deadline. A throwing callback does not stop the batch; the
 * error is rethrown afterwards as an uncaught exception (the daemon logs those and runs on).
 */
export function createScheduler(kind: string, clock: () => Millis, makeWakeup: (run: () => void) => Wakeup): Scheduler {
  const heap = new DeadlineHeap();
  let armedFor: Millis | undefined;
  let running = false;
  let closed = false;

  const rearm = (): void => {
    if (running || closed) return;
    const next = heap.peek()?.deadline;
    if (next === armedFor) return;
    armedFor = next;
    if (next === undefined) wakeup.clear();
    else wakeup.set(next);
  };

  const run = (): void => {
    if (closed) return;
    armedFor = undefined;
    running = true;
    const errors: unknown[] = [];
    try {
      // One entry at a time, so a callback that cancels another due entry (a sync group member
      // moved by this one) stops it; bounded, so entries re-arming in the past cannot spin here.
      const now = clock();
      for (let budget = heap.size + 1024; budget > 0; budget--) {
        const top = heap.peek();
        if (top === undefined || top.deadline > now) break;
        heap.remove(top);
        try {
          top.fire();
        } catch (e) {
          errors.push(e);
        }
      }
    } finally {
      running = false;
    }
    rearm();
    for (const e of errors) queueMicrotask(() => { throw e; });
  };

  const wakeup = makeWakeup(run);

  const at = (deadline: Millis, fire: () => void): TimerEntry => {
    const entry = heap.push(deadline, fire);
    rearm();
    return entry;
  };

  return {
    kind,
    now: clock,
    at,
    after: (ms, fire) => at((clock() + ms) as Millis, fire),
    cancel(entry) {
      heap.remove(entry);
      rearm();
    },
    get pending() {
      return heap.size;
    },
    close() {
      closed = true;
      wakeup.close();
    },
  };
}
