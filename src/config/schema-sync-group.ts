// vrrp_sync_group NAME { group { INSTANCES }; track_*; notify_*; smtp_alert; global_tracking;
// sync_group_tracking_weight; notify_priority_changes } (vrrp_parser.c vrrp_group_*_handler) and
// its rules (vrrp_sync.c vrrp_sync_set_group, vrrp.c sync_group_tracking_init /
// vrrp_complete_init): members must exist and belong to one group only; a member's own tracking
// weights are 0 unless sync_group_tracking_weight; a group where some member wants MASTER and
// some do not starts every member as BACKUP.
import type { GlobalDefs, InstanceConfig, SyncGroupConfig, TrackRef } from './config.js';
import {
  applyKeywords,
  assign,
  notSupportedYet,
  presenceFlag,
  readFlag,
  rows,
  valueBlockWords,
} from './keywords.js';
import type { HasSettings, KeywordSpec, KeywordTable, Sink } from './keywords.js';
import { completeNotify, notifySpec, syncGroupNotifyKeywords } from './schema-notify.js';
import type { HasNotify, NotifyDraft } from './schema-notify.js';
import { TRACK_KINDS, newTrackLists, resolveTracks, trackListSpec } from './schema-track.js';
import type { ResolvedTracks, TrackKind, TrackTargets, Tracks } from './schema-track.js';
import type { ConfigNode } from './parser.js';
import type { SourcePos } from '../types.js';

interface SyncGroupScalars {
  smtpAlert: boolean;
  trackingWeight: boolean;
  notifyPriorityChanges: boolean;
}

export interface SyncGroupDraft extends Tracks, HasNotify, HasSettings<SyncGroupScalars> {
  readonly pos: SourcePos;
  members: { readonly names: readonly string[]; readonly pos: SourcePos } | undefined;
}

const group: KeywordSpec<SyncGroupDraft> = {
  block: 'required',
  minArgs: 0,
  maxArgs: 0,
  handle: (node, draft, sink) => {
    if (draft.members !== undefined) {
      sink.warn(node.pos, `Group list already specified for sync group ${draft.name} (line ${draft.members.pos.line}) - ignoring this one`);
      return;
    }
    const names = valueBlockWords(node, sink);
    if (names.length === 0) sink.warn(node.pos, `Warning - sync group ${draft.name} has empty group block`);
    draft.members = { names, pos: node.pos };
  },
};

/** `smtp_alert [BOOL]` / `notify_priority_changes [BOOL]`. */
function optionalBool(field: 'smtpAlert' | 'notifyPriorityChanges'): KeywordSpec<SyncGroupDraft> {
  return {
    block: 'forbidden',
    minArgs: 0,
    maxArgs: 1,
    handle: (node, draft, sink) => {
      const on = readFlag(node, sink);
      if (on !== undefined) assign(draft.settings, field, { value: on, pos: node.pos }, node, sink);
    },
  };
}

const globalTracking: KeywordSpec<SyncGroupDraft> = {
  block: 'forbidden',
  minArgs: 0,
  maxArgs: 0,
  handle: (node, draft, sink) => {
    sink.warn(node.pos, `(${draft.name}) global_tracking is deprecated. Use track_interface/script/file on the sync group (read as sync_group_tracking_weight)`);
    assign(draft.settings, 'trackingWeight', { value: true, pos: node.pos }, node, sink);
  },
};

const syncGroupKeywords: KeywordTable<SyncGroupDraft> = rows<SyncGroupDraft>(
  [
    ['group', group],
    ['smtp_alert', optionalBool('smtpAlert')],
    ['global_tracking', globalTracking],
    ['sync_group_tracking_weight', presenceFlag('trackingWeight', true)],
    ['notify_priority_changes', optionalBool('notifyPriorityChanges')],
  ],
  TRACK_KINDS.map((kind) => [kind, trackListSpec<SyncGroupDraft>(kind)] as const),
  syncGroupNotifyKeywords.map(([keyword, key]) => [keyword, notifySpec<SyncGroupDraft>(key)] as const),
);

export function readSyncGroupBlock(node: ConfigNode, name: string, sink: Sink): SyncGroupDraft {
  const notify: NotifyDraft = { scripts: {} };
  const draft: SyncGroupDraft = { name, pos: node.pos, settings: {}, track: newTrackLists(), notify, members: undefined };
  applyKeywords(syncGroupKeywords, node.children ?? [], draft, sink);
  return draft;
}

/** Which group each instance is in, after keepalived's membership checks. */
export interface Membership {
  readonly groupOf: ReadonlyMap<string, SyncGroupDraft>;
  readonly membersOf: ReadonlyMap<SyncGroupDraft, readonly string[]>;
}

export function resolveMembership(groups: readonly SyncGroupDraft[], instanceNames: ReadonlySet<string>, sink: Sink): Membership {
  const groupOf = new Map<string, SyncGroupDraft>();
  const membersOf = new Map<SyncGroupDraft, string[]>();
  for (const g of groups) {
    if (g.members === undefined || g.members.names.length === 0) {
      // Members written straight into the block (`vrrp_sync_group G { VI_1 VI_2 }`) were reported as
      // unknown keywords: keepalived wants them in `group { ... }`.
      sink.warn(g.pos, `Sync group ${g.name} has no members - removing (members go inside 'group { ... }')`);
      continue;
    }
    const members: string[] = [];
    for (const name of g.members.names) {
      if (!instanceNames.has(name)) {
        sink.error(g.members.pos, `sync group ${g.name}: member ${name} is not a vrrp_instance defined in the configuration`);
        continue;
      }
      const other = groupOf.get(name);
      if (other !== undefined) {
        sink.error(g.members.pos, `vrrp_instance ${name} cannot be in more than one sync group: it is already in ${other.name} (line ${other.pos.line})`);
        continue;
      }
      groupOf.set(name, g);
      members.push(name);
    }
    if (members.length === 0) {
      sink.warn(g.pos, `Sync group ${g.name}, no matching virtual router found in group declaration - removing`);
    } else if (members.length === 1) {
      sink.warn(g.pos, `Sync group ${g.name} has only 1 virtual router(s) - this probably isn't what you want`);
    }
    if (members.length > 0) membersOf.set(g, members);
  }
  return { groupOf, membersOf };
}

/**
 * keepalived sync_group_tracking_init: a group whose member is an address owner cannot track
 * with weights (the owner's priority never moves), so the group's weights become 0.
 */
function groupTrackWeights(g: SyncGroupDraft, tracks: ResolvedTracks, hasOwner: boolean, sink: Sink): ResolvedTracks {
  if (!hasOwner) return tracks;
  const out = { ...tracks };
  for (const kind of TRACK_KINDS) {
    out[kind] = tracks[kind].map((t): TrackRef => {
      if (t.weight === 0) return t;
      sink.warn(t.pos, `(${g.name}) Cannot have weighted ${kind} '${t.name}' with member having priority 255 - setting weight 0`);
      return { ...t, weight: 0 };
    });
  }
  return out;
}

/** Complete a group once its members are complete; also says which members must start as BACKUP. */
export function completeSyncGroup(
  g: SyncGroupDraft,
  members: readonly InstanceConfig[],
  targets: TrackTargets,
  global: GlobalDefs,
  sink: Sink,
): { readonly group: SyncGroupConfig; readonly forceBackup: boolean } {
  const owners = members.filter((m) => m.priority === 255);
  if (owners.length > 0 && owners.length < members.length) {
    sink.warn(g.pos, `Sync group ${g.name} has some member(s) as address owner and some not as address owner. This won't work.`);
  }
  // vrrp_complete_init: keepalived derives an unset state from the priority; if one member wants
  // MASTER and another wants BACKUP or is no owner, every member starts as BACKUP.
  const effectiveWant = (m: InstanceConfig): 'MASTER' | 'BACKUP' => m.wantState ?? (m.priority === 255 ? 'MASTER' : 'BACKUP');
  const wantsMaster = members.filter((m) => effectiveWant(m) === 'MASTER');
  const forceBackup = wantsMaster.length > 0 && members.some((m) => effectiveWant(m) === 'BACKUP' || m.priority !== 255);
  if (forceBackup) {
    sink.warn(
      g.pos,
      `(${g.name}) ${wantsMaster.map((m) => m.name).join(', ')} want${wantsMaster.length === 1 ? 's' : ''} to start as MASTER but not every member ` +
        'can (only address owners with state MASTER start as MASTER): every member of the group starts as BACKUP, as in keepalived',
    );
  }
  const tracks = groupTrackWeights(g, resolveTracks(g.name, g.track, targets, sink), owners.length > 0, sink);
  reportGroupNotActedOn(g, tracks, sink);
  const s = g.settings;
  return {
    forceBackup,
    group: {
      name: g.name,
      pos: g.pos,
      members: members.map((m) => m.name),
      trackInterfaces: tracks.track_interface,
      trackScripts: tracks.track_script,
      trackFiles: tracks.track_file,
      trackProcesses: tracks.track_process,
      trackBfds: tracks.track_bfd,
      notify: completeNotify(g.notify),
      smtpAlert: s.smtpAlert?.value ?? global.smtpAlertVrrp ?? global.smtpAlert ?? false,
      trackingWeight: s.trackingWeight?.value ?? false,
      notifyPriorityChanges: s.notifyPriorityChanges?.value,
    },
  };
}

/** What is not tracked yet (track_interface, track_script and track_file are: src/track/). */
const trackConsequence: Partial<Record<TrackKind, string>> = {
  track_process: 'the process is not watched and never changes the priority or state',
  track_bfd: 'BFD sessions are not watched',
};

/** One warning per kind not tracked yet, per config, at its first use. */
export function reportTracksNotActedOn(tracks: ResolvedTracks, sink: Sink): void {
  for (const kind of TRACK_KINDS) {
    const first = tracks[kind][0];
    const consequence = trackConsequence[kind];
    if (first !== undefined && consequence !== undefined) notSupportedYet(sink, kind, first.pos, consequence);
  }
}

function reportGroupNotActedOn(g: SyncGroupDraft, tracks: ResolvedTracks, sink: Sink): void {
  reportTracksNotActedOn(tracks, sink);
  if (g.settings.smtpAlert?.value === true) notSupportedYet(sink, 'smtp_alert', g.settings.smtpAlert.pos, 'no e-mail is sent');
  if (g.settings.notifyPriorityChanges?.value === true) {
    notSupportedYet(sink, 'notify_priority_changes', g.settings.notifyPriorityChanges.pos, 'nothing is written to the FIFO');
  }
}
