// What `vrrpd status` shows: per instance who is MASTER and why, from the running daemon's state
// read at request time (a reload replaces the config and the tracker, so nothing is cached).
// Plain JSON: the --json output, the control socket's reply and the human table's input are one.
import { performance } from 'node:perf_hooks';
import type { Config } from '../config/config.js';
import type { InstanceStats } from '../instance/stats.js';
import type { TrackedObjectStatus, Tracker } from '../track/tracker.js';
import type { Instance } from '../instance/instance.js';

/** What the status reads; the daemon hands the current ones over at each request. */
export interface StatusSources {
  readonly config: Config;
  readonly instances: readonly Instance[];
  readonly tracker: Tracker;
  /** Drops no instance could be found for (unknown VRID, too short to read one). */
  readonly unmatched: InstanceStats;
  /** Poll errors of the addon's timerfds since start (each moved those timers to a fallback). */
  readonly timerErrors: number;
}

export interface TrackedStatus {
  readonly kind: TrackedObjectStatus['kind'];
  readonly name: string;
  /** 'up' | 'down' | 'unknown' for scripts and interfaces; the value read for a file. */
  readonly result: string;
  /** Scripts: last exit status, runs so far, when it last ran (ISO). */
  readonly detail?: string;
  readonly weight?: number;
}

export interface PeerStatus {
  readonly address: string;
  readonly cause: string;
  readonly message: string;
  readonly count: number;
  readonly active: boolean;
  readonly firstSeen: string;
  readonly lastSeen: string;
}

export interface InstanceStatus {
  readonly name: string;
  readonly vrid: number;
  readonly interface: string;
  readonly state: string;
  readonly wantState: string;
  readonly basePriority: number;
  readonly effectivePriority: number;
  /** The current master as this instance knows it: itself as MASTER, the accepted one as BACKUP. */
  readonly master: { readonly address: string; readonly priority: number; readonly self: boolean } | null;
  readonly ownAddress: string;
  readonly vips: readonly string[];
  readonly vipsSet: boolean;
  readonly lastTransition: { readonly at: string; readonly from: string; readonly to: string; readonly reason: string } | null;
  /** FAULT's causes from tracking, one line each. */
  readonly faultReasons: readonly string[];
  readonly tracked: readonly TrackedStatus[];
  readonly counters: {
    readonly advertReceived: number;
    readonly advertSent: number;
    readonly becameMaster: number;
    readonly releasedMaster: number;
    readonly priorityZeroReceived: number;
    readonly priorityZeroSent: number;
    /** Non-zero drop counters only, by reason. */
    readonly drops: Readonly<Record<string, number>>;
  };
  /** Peers whose adverts are (or were) ignored for a configuration mismatch, with the fix. */
  readonly peers: readonly PeerStatus[];
}

export interface StatusReport {
  readonly version: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly takenAt: string;
  readonly instances: readonly InstanceStatus[];
  /** Drops that reached no instance (unknown VRID and the like), by reason. */
  readonly unmatchedDrops: Readonly<Record<string, number>>;
}

/** Monotonic ms → wall-clock ISO time. */
const wall = (monotonicMs: number): string => new Date(performance.timeOrigin + monotonicMs).toISOString();

const nonZero = (drops: Readonly<Record<string, number>>): Record<string, number> =>
  Object.fromEntries(Object.entries(drops).filter(([, n]) => n > 0));

function trackedStatus(t: TrackedObjectStatus, weight: number | undefined): TrackedStatus {
  const w = weight === undefined ? {} : { weight };
  switch (t.kind) {
    case 'script': {
      const when = t.lastStartedAt === undefined ? 'never run' : `last run ${new Date(t.lastStartedAt).toISOString()}`;
      return { kind: t.kind, name: t.name, result: t.state, detail: `exit ${t.lastExitStatus}, ${t.runs} runs, ${when}`, ...w };
    }
    case 'interface':
      return { kind: t.kind, name: t.name, result: t.state, ...w };
    case 'file':
      return { kind: t.kind, name: t.name, result: t.value === undefined ? 'unknown' : String(t.value), ...(t.note === undefined ? {} : { detail: t.note }), ...w };
  }
}

/** The weight this instance gives a tracked object (its track_* entry), if it tracks it. */
function weightOf(instance: Instance, t: TrackedObjectStatus): number | undefined {
  const c = instance.config;
  const list = t.kind === 'script' ? c.trackScripts : t.kind === 'interface' ? c.trackInterfaces : c.trackFiles;
  return list.find((r) => r.name === t.name)?.weight;
}

export function collectStatus(sources: StatusSources, meta: { version: string; startedAtMs: number }): StatusReport {
  const tracked = sources.tracker.status();
  const instances = sources.instances.map((instance): InstanceStatus => {
    const s = instance.snapshot();
    const last = instance.lastTransition;
    const master =
      s.state === 'MASTER'
        ? { address: s.ownAddress, priority: s.effectivePriority, self: true }
        : s.state === 'BACKUP' && s.master !== undefined
          ? { address: s.master.address, priority: s.master.priority, self: false }
          : null;
    return {
      name: s.name,
      vrid: instance.config.vrid,
      interface: s.ifname,
      state: s.state,
      wantState: s.wantState,
      basePriority: s.basePriority,
      effectivePriority: s.effectivePriority,
      master,
      ownAddress: s.ownAddress,
      vips: instance.config.vips.map((v) => `${v.address}/${v.prefixLength}${v.dev === undefined ? '' : ` dev ${v.dev}`}`),
      vipsSet: s.vipSet,
      lastTransition: last === undefined ? null : { at: wall(last.at), from: last.from, to: last.to, reason: last.reason },
      faultReasons: sources.tracker.outcome(s.name)?.faultReasons ?? [],
      tracked: tracked.filter((t) => t.trackedBy.includes(s.name)).map((t) => trackedStatus(t, weightOf(instance, t))),
      counters: {
        advertReceived: s.stats.advertReceived,
        advertSent: s.stats.advertSent,
        becameMaster: s.stats.becameMaster,
        releasedMaster: s.stats.releasedMaster,
        priorityZeroReceived: s.stats.priorityZeroReceived,
        priorityZeroSent: s.stats.priorityZeroSent,
        drops: nonZero(instance.stats.drops),
      },
      peers: s.peers.map((p) => ({
        address: p.peer,
        cause: p.cause,
        message: p.message,
        count: p.count,
        active: p.active,
        firstSeen: wall(p.firstSeen),
        lastSeen: wall(p.lastSeen),
      })),
    };
  });
  return {
    version: meta.version,
    pid: process.pid,
    startedAt: wall(meta.startedAtMs),
    takenAt: wall(performance.now()),
    instances,
    unmatchedDrops: nonZero(sources.unmatched.drops),
  };
}
