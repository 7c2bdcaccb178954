// Tracking's outcomes (track/tracker.ts) as the instances' events: the first results an instance
// waits for before it starts (keepalived-behaviour.md#start-up), its start in BACKUP or FAULT with
// the priority tracking gives it, and every later change as an FSM event.
import { performance } from 'node:perf_hooks';
import type { Config } from '../config/config.js';
import type { Instance } from '../instance/instance.js';
import type { LineLog } from '../log/lines.js';
import type { Tracker } from '../track/tracker.js';

/** A timed-out script gets SIGTERM, then SIGKILL this much later (keepalived-behaviour.md#tracking-and-priority). */
const SCRIPT_KILL_GRACE_MS = 2000;

/**
 * Waits until tracking has a first result for every instance (keepalived-behaviour.md#start-up: an
 * instance waits for its weight-0 scripts). A script that hangs is killed at its timeout and counts
 * as failed, so this always ends. Woken by tracking's own change, not a poll: the first results
 * (the links' first dump) come back within a millisecond or two, and every instance's start waits
 * on them.
 */
export function firstTrackingResults(config: Config, tracker: Tracker, names: readonly string[], log: Pick<LineLog, 'warn'>, stopping: () => boolean): Promise<void> {
  const pending = (): string[] => names.filter((name) => tracker.outcome(name)?.pending !== false);
  if (pending().length === 0 || stopping()) return Promise.resolve();
  const waitMs = Math.max(0, ...config.scripts.map((s) => s.timeoutMs)) + SCRIPT_KILL_GRACE_MS + 1000;
  return new Promise((resolve) => {
    const finish = (): void => {
      clearTimeout(deadline);
      clearInterval(stopCheck);
      unsubscribe();
      resolve();
    };
    const unsubscribe = tracker.onChange(() => {
      if (pending().length === 0) finish();
    });
    const deadline = setTimeout(() => {
      const left = pending();
      if (left.length > 0) log.warn(`tracking has no first result for ${left.join(', ')} after ${waitMs} ms - starting them in FAULT`);
      finish();
    }, waitMs);
    // A stop is a flag, not an event: looked at every 20 ms.
    const stopCheck = setInterval(() => {
      if (stopping()) finish();
    }, 20);
  });
}

export function startInstance(instance: Instance, tracker: Tracker): void {
  const outcome = tracker.outcome(instance.name);
  instance.start(outcome === undefined ? undefined : { fault: outcome.fault || outcome.pending, priority: outcome.priority });
}

/** Tracking changes become FSM events; `find` looks the instance up at each change (a reload edits the list). */
export function followTracking(tracker: Tracker, find: (name: string) => Instance | undefined, stopping: () => boolean): () => void {
  return tracker.onChange((name, outcome, previous) => {
    const instance = find(name);
    if (!instance || stopping()) return;
    if (outcome.priority !== previous.priority) instance.feed({ type: 'priorityChanged', priority: outcome.priority });
    if (outcome.fault !== previous.fault) instance.feed({ type: outcome.fault ? 'fault' : 'faultCleared' }, outcome.fault ? `fault: ${outcome.faultReasons.join('; ')}` : undefined);
  });
}

/** Resolves true as soon as `done()` holds, false after `ms` (checked every 20 ms). */
export async function waitUntil(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
