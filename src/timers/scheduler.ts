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

/**
 * Binary min-heap on (wakeAt, seq) whose entries know their index, so a cancel is O(log n). The
 * keys also sit in two flat arrays beside the entries: a sift compares numbers in one row of memory
 * instead of following a pointer to an entry per comparison (with 1000 instances' entries scattered
 * over the JS heap and a wakeup every few ms, those entries were cold in the CPU's cache).
 */
export class DeadlineHeap {
  private readonly items: TimerEntry[] = [];
  private wake = new Float64Array(64);
  private order = new Float64Array(64);
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
    const i = this.items.length;
    if (i === this.wake.length) this.grow();
    this.items.push(entry);
    this.siftUp(i, entry, entry.wakeAt, entry.seq);
  }

  /** Remove an entry; a no-op for one already fired or removed. */
  remove(entry: TimerEntry): void {
    const i = entry.index;
    if (i < 0 || this.items[i] !== entry) return;
    entry.index = -1;
    const n = this.items.length - 1;
    const last = this.items.pop() as TimerEntry;
    if (i === n) return;
    const w = this.wake[n] as number;
    const s = this.order[n] as number;
    if (!this.siftDown(i, last, w, s)) this.siftUp(i, last, w, s);
  }

  /** Take every entry whose wakeup is due at `now` (wakeAt <= now), in (deadline, seq) order. */
  popDue(now: Millis): TimerEntry[] {
    const due: TimerEntry[] = [];
    let precise = false;
    while (this.items.length > 0 && (this.wake[0] as number) <= now) {
      const top = this.items[0] as TimerEntry;
      this.remove(top);
      due.push(top);
      precise ||= top.precise;
    }
    // A precise entry woken early may be due after a plain one woken in the same batch; without
    // one, wakeup order is deadline order already.
    return precise ? due.sort(byDeadline) : due;
  }

  private grow(): void {
    const wake = new Float64Array(this.wake.length * 2);
    const order = new Float64Array(this.order.length * 2);
    wake.set(this.wake);
    order.set(this.order);
    this.wake = wake;
    this.order = order;
  }

  /** Put `entry` (keys w, s) at index i. */
  private place(i: number, entry: TimerEntry, w: number, s: number): void {
    this.items[i] = entry;
    this.wake[i] = w;
    this.order[i] = s;
    entry.index = i;
  }

  /** The hole at i moves up past every parent later than (w, s); the entry goes where it stops. */
  private siftUp(i: number, entry: TimerEntry, w: number, s: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pw = this.wake[parent] as number;
      if (!(w < pw || (w === pw && s < (this.order[parent] as number)))) break;
      this.place(i, this.items[parent] as TimerEntry, pw, this.order[parent] as number);
      i = parent;
    }
    this.place(i, entry, w, s);
  }

  /** The hole at i moves down past every earlier child; false when the entry stays at i. */
  private siftDown(i: number, entry: TimerEntry, w: number, s: number): boolean {
    const n = this.items.length;
    const start = i;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let child = l;
      let cw = this.wake[l] as number;
      let cs = this.order[l] as number;
      if (r < n) {
        const rw = this.wake[r] as number;
        const rs = this.order[r] as number;
        if (rw < cw || (rw === cw && rs < cs)) {
          child = r;
          cw = rw;
          cs = rs;
        }
      }
      if (!(cw < w || (cw === w && cs < s))) break;
      this.place(i, this.items[child] as TimerEntry, cw, cs);
      i = child;
    }
    this.place(i, entry, w, s);
    return i !== start;
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
