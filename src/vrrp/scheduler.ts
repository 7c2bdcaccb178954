// The daemon's protocol timers: every instance's Adver_Timer, Master_Down_Timer and GARP timers are
// entries in ONE min-heap of absolute deadlines, and ONE wakeup (a timerfd, src/net/clock.ts, or a
// setTimeout when the addon is missing) is armed for the earliest. 1000 instances are then one fd
// and one wakeup per due batch instead of 2000 libuv timers, and a deadline keeps its sub-ms part
// (libuv's timers are whole ms on a cached loop time: up to ~1 ms late).
//
// A precise entry (the Master_Down_Timer: the takeover) is woken PRECISE_LEAD_MS early and the
// rest is waited out on the clock: an idle VM takes 0.1 .. 0.6 ms to get a sleeping process from a
// timerfd expiry to JS, more than the 0.2 ms we allow. It costs at most that lead in CPU per
// precise firing, and a Master_Down_Timer fires once per takeover (it is re-armed by every advert).
//
// The heap and the batch logic are pure (time comes in as `now`); the clock and the wakeup are
// handed in, so unit tests drive it without waiting.
import type { Millis } from '../types.js';

/**
 * A scheduled callback; pass it to cancel() or reset(). The scheduler writes the timing fields:
 * an entry is reused by reset() (an instance re-arms the same five timers for its whole life), so
 * a periodic timer allocates nothing per period that would live until its next firing.
 */
export interface TimerEntry {
  deadline: Millis;
  /** When the wakeup must come: the deadline, or PRECISE_LEAD_MS before it for a precise entry. */
  wakeAt: Millis;
  /** Arming order: entries due at the same time run in the order they were armed. */
  seq: number;
  readonly precise: boolean;
  readonly fire: () => void;
  /** Position in the heap, -1 while out of it (due, fired or cancelled). */
  index: number;
  /** Cancelled, possibly after it was taken out in a due batch: it must not fire. */
  cancelled: boolean;
  /** The clock when the scheduler called `fire` (the timer's own lateness, before the callback's). */
  firedAt: Millis;
}

/** How early a precise entry's wakeup comes; what the wakeup did not use is spun on the clock. */
export const PRECISE_LEAD_MS = 1;

/** Binary min-heap on (wakeAt, seq) whose entries know their index, so a cancel is O(log n). */
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

  push(deadline: Millis, fire: () => void, precise = false): TimerEntry {
    const entry: TimerEntry = { deadline, wakeAt: deadline, seq: 0, precise, fire, index: -1, cancelled: false, firedAt: Number.NaN };
    this.insert(entry, deadline);
    return entry;
  }

  /** (Re)insert `entry` at `deadline`: taken out first if it is in; it then counts as armed last. */
  insert(entry: TimerEntry, deadline: Millis): void {
    this.remove(entry);
    entry.deadline = deadline;
    entry.wakeAt = entry.precise ? deadline - PRECISE_LEAD_MS : deadline;
    entry.seq = this.nextSeq++;
    entry.index = this.items.length;
    this.items.push(entry);
    this.up(entry.index);
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

  /** Take every entry whose wakeup is due at `now` (wakeAt <= now), in (deadline, seq) order. */
  popDue(now: Millis): TimerEntry[] {
    const due: TimerEntry[] = [];
    for (let top = this.items[0]; top !== undefined && top.wakeAt <= now; top = this.items[0]) {
      this.remove(top);
      due.push(top);
    }
    // A precise entry woken early may be due after a plain one woken in the same batch.
    return due.sort(byDeadline);
  }

  private less(a: TimerEntry, b: TimerEntry): boolean {
    return a.wakeAt < b.wakeAt || (a.wakeAt === b.wakeAt && a.seq < b.seq);
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

const byDeadline = (a: TimerEntry, b: TimerEntry): number => a.deadline - b.deadline || a.seq - b.seq;

/** What wakes the scheduler: one pending alarm at an absolute deadline (the scheduler's clock). */
export interface Wakeup {
  /** Replace the pending alarm; a past deadline fires as soon as the loop can. */
  set(deadline: Millis): void;
  /** Wait until the clock reaches `deadline` (a precise entry's last stretch); a JS loop if absent. */
  waitUntil?(deadline: Millis): Millis;
  clear(): void;
  close(): void;
}

export interface Scheduler {
  /** Which wakeup runs it, for the start-up log line and the bench. */
  readonly kind: string;
  /** The clock deadlines are in (monotonic ms). */
  now(): Millis;
  /**
   * Run `fire` once at `deadline` (or at once, in the next due batch, when it is already past).
   * `precise`: woken early and spun to the deadline (see PRECISE_LEAD_MS), for rare timers only.
   */
  at(deadline: Millis, fire: () => void, precise?: boolean): TimerEntry;
  /** `fire` after `ms` from now. */
  after(ms: Millis, fire: () => void, precise?: boolean): TimerEntry;
  /**
   * Arm `entry` again for `deadline`, the same object and callback: whether it was pending (moved),
   * fired or cancelled, it fires once at the new deadline.
   */
  reset(entry: TimerEntry, deadline: Millis): void;
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
    const next = heap.peek()?.wakeAt;
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
      // A callback may cancel another entry of the batch (a sync group member moved by this one):
      // cancel() marks it and it is skipped. Bounded, so entries re-armed in the past cannot spin here.
      for (let round = 0; round < 64; round++) {
        const due = heap.popDue(clock());
        if (due.length === 0) break;
        for (const entry of due) {
          // Cancelled, or reset() since it was taken out: back in the heap for its new deadline.
          if (entry.cancelled || entry.index >= 0) continue;
          // Only a precise entry can be woken before its deadline: wait out the rest on the clock.
          let now = clock();
          if (now < entry.deadline) now = wait(entry.deadline);
          entry.firedAt = now;
          try {
            entry.fire();
          } catch (e) {
            errors.push(e);
          }
        }
      }
    } finally {
      running = false;
    }
    rearm();
    for (const e of errors) queueMicrotask(() => { throw e; });
  };

  const wakeup = makeWakeup(run);
  const wait = (deadline: Millis): Millis => {
    if (wakeup.waitUntil !== undefined) return wakeup.waitUntil(deadline);
    let now = clock();
    while (now < deadline) now = clock();
    return now;
  };

  const at = (deadline: Millis, fire: () => void, precise = false): TimerEntry => {
    const entry = heap.push(deadline, fire, precise);
    rearm();
    return entry;
  };

  return {
    kind,
    now: clock,
    at,
    after: (ms, fire, precise) => at((clock() + ms) as Millis, fire, precise),
    reset(entry, deadline) {
      entry.cancelled = false;
      heap.insert(entry, deadline);
      rearm();
    },
    cancel(entry) {
      entry.cancelled = true;
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
