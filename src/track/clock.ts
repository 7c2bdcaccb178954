// Time for the tracking shell: script intervals, timeouts, kill escalation, file polls. Injected
// so the scheduling rules run in tests on a virtual clock instead of real waiting.

export interface Clock {
  /** Milliseconds; the real clock's are epoch milliseconds (for "last run at" in status). */
  now(): number;
  /** Calls `fn` once after `ms`; returns a function that cancels it (harmless after it ran). */
  setTimer(ms: number, fn: () => void): () => void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  },
};

/** A clock that only moves when told to; timers fire in time order, ties in creation order. */
export interface VirtualClock extends Clock {
  /** Move time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void;
  /** Timers armed and not yet fired or cancelled. */
  pending(): number;
}

export function createVirtualClock(start = 0): VirtualClock {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { due: number; seq: number; fn: () => void }>();
  const next = (limit: number): { id: number; due: number; fn: () => void } | undefined => {
    let best: { id: number; due: number; seq: number; fn: () => void } | undefined;
    for (const [id, t] of timers) {
      if (t.due > limit) continue;
      if (best === undefined || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = { id, ...t };
    }
    return best;
  };
  return {
    now: () => now,
    setTimer(ms, fn) {
      const id = ++seq;
      timers.set(id, { due: now + Math.max(0, ms), seq: id, fn });
      return () => {
        timers.delete(id);
      };
    },
    advance(ms) {
      const target = now + ms;
      for (let t = next(target); t !== undefined; t = next(target)) {
        timers.delete(t.id);
        now = Math.max(now, t.due);
        t.fn();
      }
      now = target;
    },
    pending: () => timers.size,
  };
}
