// Which objects each instance tracks, with which weight, as keepalived wires them up
// (vrrp.c vrrp_complete_instance / add_vrrp_to_interface / add_vrrp_to_track_script /
// sync_group_tracking_init, track_file.c add_obj_to_track_file):
// - its own interface with weight 0, unless dont_track_primary;
// - its track_interface / track_script / track_file entries (weights already resolved by the
//   config: instance override, else the object's default; 0 in a sync group without
//   sync_group_tracking_weight);
// - every entry of its sync group's track_* lists.
// An object tracked both by the instance and by its group is tracked once: the group's weight and
// reverse replace the instance's, unless the instance's weight is 0 (then it stays unweighted).
// The group's entry also revives the own interface dont_track_primary left untracked.
import type { Config, InstanceConfig, TrackRef } from '../config/config.js';

export type TrackKind = 'script' | 'interface' | 'file';

export interface PlannedTrack {
  readonly kind: TrackKind;
  readonly name: string;
  readonly weight: number;
  readonly reverse: boolean;
}

export interface TrackPlan {
  /** Instance name -> what it tracks, in keepalived's order (own interface, instance's, group's). */
  readonly instances: ReadonlyMap<string, readonly PlannedTrack[]>;
  /** vrrp_script names that at least one instance tracks (only those run). */
  readonly scripts: readonly string[];
  /** track_file names that at least one instance tracks. */
  readonly files: readonly string[];
  /** Interface names tracked with a weight or FAULT by at least one instance. */
  readonly interfaces: readonly string[];
  /**
   * Interfaces whose up/down keepalived reports ("Netlink reports eth0 down"): the tracked ones
   * and every instance's own interface, also under dont_track_primary.
   */
  readonly reportedInterfaces: readonly string[];
}

type Entry = PlannedTrack & { readonly untracked?: true };

function refsOf(kind: TrackKind, holder: { trackScripts: readonly TrackRef[]; trackInterfaces: readonly TrackRef[]; trackFiles: readonly TrackRef[] }): readonly TrackRef[] {
  switch (kind) {
    case 'script':
      return holder.trackScripts;
    case 'interface':
      return holder.trackInterfaces;
    case 'file':
      return holder.trackFiles;
  }
}

const KINDS: readonly TrackKind[] = ['interface', 'script', 'file'];

function planInstance(inst: InstanceConfig, config: Config): Entry[] {
  const entries: Entry[] = [];
  const find = (kind: TrackKind, name: string): number => entries.findIndex((e) => e.kind === kind && e.name === name);
  entries.push(
    inst.dontTrackPrimary
      ? { kind: 'interface', name: inst.interface, weight: 0, reverse: false, untracked: true }
      : { kind: 'interface', name: inst.interface, weight: 0, reverse: false },
  );
  for (const kind of KINDS) {
    for (const t of refsOf(kind, inst)) {
      // The config refuses duplicates and drops the own interface; keep the first anyway.
      if (find(kind, t.name) === -1) entries.push({ kind, name: t.name, weight: t.weight, reverse: t.reverse });
    }
  }
  const group = inst.syncGroup === undefined ? undefined : config.syncGroups.find((g) => g.name === inst.syncGroup);
  if (group !== undefined) {
    for (const kind of KINDS) {
      for (const t of refsOf(kind, group)) {
        const at = find(kind, t.name);
        const planned: Entry = { kind, name: t.name, weight: t.weight, reverse: t.reverse };
        if (at === -1) entries.push(planned);
        else if (entries[at]?.untracked === true || entries[at]?.weight !== 0) entries[at] = planned;
      }
    }
  }
  return entries;
}

export function planTracking(config: Config): TrackPlan {
  const instances = new Map<string, readonly PlannedTrack[]>();
  const scripts = new Set<string>();
  const files = new Set<string>();
  const interfaces = new Set<string>();
  const reported = new Set<string>();
  for (const inst of config.instances) {
    const entries = planInstance(inst, config);
    const tracked = entries.filter((e) => e.untracked !== true).map(({ kind, name, weight, reverse }) => ({ kind, name, weight, reverse }));
    instances.set(inst.name, tracked);
    reported.add(inst.interface);
    for (const t of tracked) {
      if (t.kind === 'script') scripts.add(t.name);
      else if (t.kind === 'file') files.add(t.name);
      else {
        interfaces.add(t.name);
        reported.add(t.name);
      }
    }
  }
  return { instances, scripts: [...scripts], files: [...files], interfaces: [...interfaces], reportedInterfaces: [...reported] };
}
