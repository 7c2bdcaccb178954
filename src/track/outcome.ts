// What tracking does to one instance, as keepalived 2.2.8 computes it (vrrp_track.c
// initialise_*_tracking_priorities / process_script_update_priority / vrrp_set_effective_priority,
// keepalived_netlink.c process_if_status_change, track_file.c process_update_vrrp_track_file_status).
// keepalived keeps a running total and adds or subtracts deltas as objects change; here the total
// is recomputed from the current state of every object, which gives the same numbers without the
// drift keepalived's incremental bookkeeping can accumulate.
import { toPriority, type Priority } from '../types.js';

/** A script's or interface's state; 'unknown' = no result yet (script) or not read yet (link). */
export type UpDown = 'unknown' | 'up' | 'down';

export type TrackedObjectState =
  | {
      readonly kind: 'script' | 'interface';
      readonly name: string;
      /** Resolved weight (TrackRef.weight): 0 = a failure is a FAULT. */
      readonly weight: number;
      readonly reverse: boolean;
      readonly status: UpDown;
    }
  | {
      readonly kind: 'file';
      readonly name: string;
      readonly weight: number;
      readonly reverse: boolean;
      /** The number last read from the file; undefined = not read yet. */
      readonly value: number | undefined;
    };

export interface TrackingOutcome {
  readonly fault: boolean;
  /** One line per object holding the instance in FAULT, in tracking order. */
  readonly faultReasons: readonly string[];
  /** Effective priority: base + Σ contributions clamped to 1..254; 255 (owner) never moves. */
  readonly priority: Priority;
  /**
   * Some object the instance waits for has no first result: a weight-0 script that has not
   * finished once (keepalived's num_script_init; weighted scripts do not hold the instance), or a
   * link or file not read yet (keepalived reads those synchronously before it starts, we read
   * them asynchronously, so they hold the instance for the few milliseconds that takes).
   */
  readonly pending: boolean;
}

/** One object's share of the outcome. */
export interface Contribution {
  readonly delta: number;
  readonly fault: string | undefined;
  readonly pending: boolean;
}

const OWNER = 255;
/** keepalived's "fault" status for a tracked file (track_file.c: status <= -254 is FAULT). */
const FILE_FAULT = -254;
const FILE_MAX = 253;

/**
 * Scripts and interfaces alike (and track_process/bfd in keepalived): with weight 0 the instance
 * is in FAULT when the object is down, or up when tracked `reverse`. Otherwise a positive weight
 * is added while the object is up and a negative one while it is down; `reverse` negates what is
 * added (weight 10 reverse: -10 while up; weight -10 reverse: +10 while down).
 */
function upDownContribution(o: { kind: 'script' | 'interface'; name: string; weight: number; reverse: boolean; status: UpDown }): Contribution {
  if (o.status === 'unknown') {
    // A weighted script without a result adds nothing and does not hold the instance
    // (process_script_update_priority's SCRIPT_INIT_STATE_INIT branch).
    return { delta: 0, fault: undefined, pending: o.kind === 'interface' || o.weight === 0 };
  }
  const up = o.status === 'up';
  if (o.weight === 0) {
    if (up !== o.reverse) return { delta: 0, fault: undefined, pending: false };
    return { delta: 0, fault: faultText(o.kind, o.name, up), pending: false };
  }
  const multiplier = o.reverse ? -1 : 1;
  const applies = up ? o.weight > 0 : o.weight < 0;
  return { delta: applies ? o.weight * multiplier : 0, fault: undefined, pending: false };
}

function faultText(kind: 'script' | 'interface', name: string, up: boolean): string {
  if (kind === 'script') return up ? `script ${name} succeeded (tracked reverse)` : `script ${name} failed`;
  return up ? `interface ${name} up (tracked reverse)` : `interface ${name} down`;
}

/**
 * track_file: with weight 0 a non-zero value is a FAULT (a zero one when `reverse`). Otherwise
 * value × weight (× -1 when reverse) is added, capped at 253; at -254 or below the instance is in
 * FAULT and the file adds nothing.
 */
function fileContribution(o: { name: string; weight: number; reverse: boolean; value: number | undefined }): Contribution {
  if (o.value === undefined) return { delta: 0, fault: undefined, pending: true };
  if (o.weight === 0) {
    const failed = (o.value !== 0) !== o.reverse;
    return { delta: 0, fault: failed ? `tracked file ${o.name} has value ${o.value}` : undefined, pending: false };
  }
  const status = o.value * o.weight * (o.reverse ? -1 : 1);
  if (status <= FILE_FAULT) return { delta: 0, fault: `tracked file ${o.name} has status ${status}`, pending: false };
  return { delta: Math.min(status, FILE_MAX), fault: undefined, pending: false };
}

export function contribution(o: TrackedObjectState): Contribution {
  return o.kind === 'file' ? fileContribution(o) : upDownContribution(o);
}

/** keepalived's vrrp_set_effective_priority(): the owner never moves, everyone else stays in 1..254. */
export function effectivePriority(base: Priority, total: number): Priority {
  if (base === OWNER) return base;
  const clamped = Math.min(OWNER - 1, Math.max(1, base + total));
  return toPriority(clamped) ?? base;
}

export function computeOutcome(base: Priority, objects: readonly TrackedObjectState[]): TrackingOutcome {
  let total = 0;
  let pending = false;
  const faultReasons: string[] = [];
  for (const o of objects) {
    const c = contribution(o);
    total += c.delta;
    pending ||= c.pending;
    if (c.fault !== undefined) faultReasons.push(c.fault);
  }
  return { fault: faultReasons.length > 0, faultReasons, priority: effectivePriority(base, total), pending };
}

export function sameOutcome(a: TrackingOutcome, b: TrackingOutcome): boolean {
  return (
    a.fault === b.fault &&
    a.priority === b.priority &&
    a.pending === b.pending &&
    a.faultReasons.length === b.faultReasons.length &&
    a.faultReasons.every((r, i) => r === b.faultReasons[i])
  );
}
