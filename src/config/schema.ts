// Config schema: keyword tree -> typed Config, with keepalived 2.2 defaults and rules.
//
// Table-driven: every block has a keyword table (name -> shape + handler) in its own module
// (schema-global, schema-instance, schema-script, schema-track-file, schema-track-process,
// schema-sync-group, schema-garp-group, schema-static). A handler records what it read into a
// draft (each value with the line it came from). Once the whole file is read, this module
// completes the drafts in keepalived's order (vrrp.c vrrp_complete_init): global defaults, the
// tracked objects, sync-group membership, every instance (instance-complete.ts, keepalived's
// vrrp_complete_instance), the sync groups, then the checks across instances (duplicate VRIDs,
// unused scripts, script security). Because names are resolved only then, a vrrp_script may be
// defined after the instance that tracks it.
//
// Severity policy: a value keepalived cannot read, or an instance keepalived refuses, is an error,
// and an error means no Config (the daemon refuses to start). A correction keepalived makes and
// runs on is a warning with keepalived's text. Unknown keywords and known-but-not-yet-implemented
// ones are warnings (the latter once per config), never silence
// (docs/reference/keepalived-behaviour.md#unknown-and-unusable-configuration), except the few whose
// absence would make us speak a different protocol than the peer expects or put the VIPs elsewhere:
// those are errors that say what running without them would do.
import type { Config, ConfigDiagnostic, InstanceConfig, SyncGroupConfig, VrrpScriptConfig } from './config.js';
import type { CommandConfig } from './config.js';
import { completeInstance } from './instance-complete.js';
import type { InstanceContext } from './instance-complete.js';
import {
  applyKeywords,
  collectingSink,
  findNamed,
  namesAs,
  notSupportedRefused,
  notSupportedYet,
  notYet,
  outOfScope,
  rawStatement,
  rows,
} from './keywords.js';
import type { KeepsRecognised, KeywordSpec, KeywordTable, Sink } from './keywords.js';
import type { ConfigNode } from './parser.js';
import { MAX_INSTANCES } from './limits.js';
import { isOpenTest } from './script-check.js';
import { completeGarpGroups, readGarpGroupBlock } from './schema-garp-group.js';
import type { GarpGroupDraft } from './schema-garp-group.js';
import { applyGlobalDefs, completeGlobal, newGlobalDraft } from './schema-global.js';
import type { GlobalDraft } from './schema-global.js';
import { newInstanceDraft, readInstanceBlock } from './schema-instance.js';
import type { InstanceDraft } from './schema-instance.js';
import { completeScript, readScriptBlock } from './schema-script.js';
import type { ScriptDraft } from './schema-script.js';
import { completeStatics, newStaticDraft, staticRows } from './schema-static.js';
import type { HasStatics } from './schema-static.js';
import { completeSyncGroup, readSyncGroupBlock, resolveMembership } from './schema-sync-group.js';
import type { SyncGroupDraft } from './schema-sync-group.js';
import { completeTrackFile, readTrackFileBlock } from './schema-track-file.js';
import type { TrackFileDraft } from './schema-track-file.js';
import { completeTrackProcess, readTrackProcessBlock } from './schema-track-process.js';
import type { TrackProcessDraft } from './schema-track-process.js';
import type { TrackTarget, TrackTargets } from './schema-track.js';
import { formatPos } from '../types.js';
import type { SourcePos } from '../types.js';

// ---------------------------------------------------------------------------------------------
// Top level

interface FileDraft extends KeepsRecognised, HasStatics {
  readonly global: GlobalDraft;
  readonly instances: InstanceDraft[];
  /** The instances by name (a ~SEQ config may have tens of thousands). */
  readonly instanceByName: Map<string, InstanceDraft>;
  readonly syncGroups: SyncGroupDraft[];
  readonly scripts: ScriptDraft[];
  readonly trackFiles: TrackFileDraft[];
  readonly trackProcesses: TrackProcessDraft[];
  readonly garpGroups: GarpGroupDraft[];
  /** bfd_instance names (the blocks themselves are skipped), for track_bfd. */
  readonly bfdInstances: Map<string, SourcePos>;
  /** vrrp_instance blocks past MAX_INSTANCES (reported at the first, not read). */
  instancesOverLimit: number;
}

/** `KEYWORD NAME { ... }`: exactly one name, as keepalived's handlers check (`vector_count != 2`). */
function namedBlock(what: string, read: (node: ConfigNode, name: string, draft: FileDraft, sink: Sink) => void): KeywordSpec<FileDraft> {
  return {
    block: 'required',
    minArgs: 1,
    maxArgs: Number.POSITIVE_INFINITY,
    handle: (node, draft, sink) => {
      if (node.args.length !== 1) {
        sink.error(node.pos, `${what} must have exactly one name, got '${node.args.join(' ')}' - block skipped`);
        return;
      }
      read(node, node.args[0] as string, draft, sink);
    },
  };
}

/**
 * A second definition under one name: keepalived finds the first one by name, so that one is used;
 * the second is still read (its own mistakes are reported) but left out of the Config.
 */
function firstWins<T extends { readonly name: string; readonly pos: SourcePos }>(list: T[], item: T, what: string, sink: Sink): void {
  const twin = findNamed(list, item.name);
  if (twin !== undefined) {
    sink.warn(item.pos, `${what} ${item.name} is already defined at line ${twin.pos.line} - this one is never used (keepalived uses the first)`);
    return;
  }
  list.push(item);
}

const topKeywords: KeywordTable<FileDraft> = rows<FileDraft>(
  [
    ['global_defs', {
      block: 'required',
      minArgs: 0,
      maxArgs: 0,
      // Several global_defs blocks merge into one, as in keepalived.
      handle: (node, draft, sink) => applyGlobalDefs(node.children ?? [], draft.global, sink),
    }],
    ['vrrp_instance', namedBlock('vrrp_instance', (node, name, draft, sink) => {
      const twin = draft.instanceByName.get(name);
      if (twin !== undefined) {
        sink.error(node.pos, `vrrp_instance ${name} already defined at line ${twin.pos.line} - block skipped`);
        return;
      }
      if (draft.instances.length >= MAX_INSTANCES) {
        if (draft.instancesOverLimit++ === 0) sink.error(node.pos, `more than ${MAX_INSTANCES} vrrp_instances: ${name} and the ones after it are not read`);
        return;
      }
      const instance = newInstanceDraft(name, node.pos, draft.recognised);
      draft.instances.push(instance);
      draft.instanceByName.set(name, instance);
      readInstanceBlock(node, instance, sink);
    })],
    ['vrrp_sync_group', namedBlock('vrrp_sync_group', (node, name, draft, sink) => {
      const twin = findNamed(draft.syncGroups, name);
      if (twin !== undefined) {
        sink.error(node.pos, `vrrp sync group ${name} already defined at line ${twin.pos.line} - block skipped`);
        return;
      }
      draft.syncGroups.push(readSyncGroupBlock(node, name, sink));
    })],
    ['vrrp_script', namedBlock('vrrp_script', (node, name, draft, sink) => {
      firstWins(draft.scripts, readScriptBlock(node, name, sink), 'vrrp_script', sink);
    })],
    ...(['track_file', 'vrrp_track_file'] as const).map((keyword) => [keyword, namedBlock(keyword, (node, name, draft, sink) => {
      firstWins(draft.trackFiles, readTrackFileBlock(node, name, sink), 'track_file', sink);
    })] as const),
    ['vrrp_track_process', namedBlock('vrrp_track_process', (node, name, draft, sink) => {
      firstWins(draft.trackProcesses, readTrackProcessBlock(node, name, sink), 'vrrp_track_process', sink);
    })],
    ['garp_group', {
      block: 'required',
      minArgs: 0,
      maxArgs: 0,
      handle: (node, draft, sink) => draft.garpGroups.push(readGarpGroupBlock(node, sink)),
    }],
    // Ignoring it would put the VIPs into the wrong network namespace: refuse instead.
    ['net_namespace', {
      block: 'forbidden',
      minArgs: 1,
      maxArgs: 1,
      handle: (node, draft, sink) => {
        draft.recognised.push(rawStatement(node));
        notSupportedRefused(sink, 'net_namespace', node.pos, `run in the current network namespace instead of ${node.args[0] as string}`);
      },
    }],
    ['bfd_instance', {
      ...outOfScope<FileDraft>(),
      handle: (node, draft, sink) => {
        outOfScope<FileDraft>().handle(node, draft, sink);
        const name = node.args[0];
        if (name !== undefined && !draft.bfdInstances.has(name)) draft.bfdInstances.set(name, node.pos);
      },
    }],
  ],
  staticRows<FileDraft>(),
  namesAs(['namespace_with_ipsets', 'use_pid_dir', 'instance', 'child_wait_time', 'linkbeat_use_polling'], notYet<FileDraft>()),
  namesAs(['virtual_server', 'virtual_server_group', 'SSL', 'net_namespace_ipvs'], outOfScope<FileDraft>()),
);

// ---------------------------------------------------------------------------------------------
// Completion

interface Tracked {
  readonly scripts: VrrpScriptConfig[];
  readonly targets: TrackTargets;
}

/** The objects track_* entries may name, complete, by name (the first of a name wins). */
function completeTracked(draft: FileDraft, sink: Sink): Tracked & { trackFiles: Config['trackFiles']; trackProcesses: Config['trackProcesses'] } {
  const scripts = draft.scripts.map((d) => completeScript(d, sink)).filter((x): x is VrrpScriptConfig => x !== undefined);
  const trackFiles = draft.trackFiles.map((d) => completeTrackFile(d, sink)).filter((x) => x !== undefined);
  const trackProcesses = draft.trackProcesses.map((d) => completeTrackProcess(d, sink)).filter((x) => x !== undefined);
  // Defined but unusable (an error was given at the definition): known, with no target.
  const byName = (drafts: ReadonlyArray<{ name: string }>, items: ReadonlyArray<{ name: string } & TrackTarget>): Map<string, TrackTarget | undefined> => {
    const map = new Map<string, TrackTarget | undefined>();
    for (const item of items) if (!map.has(item.name)) map.set(item.name, { weight: item.weight, reverse: item.reverse });
    for (const d of drafts) if (!map.has(d.name)) map.set(d.name, undefined);
    return map;
  };
  const bfds = new Map<string, TrackTarget | undefined>([...draft.bfdInstances.keys()].map((name) => [name, { weight: 0, reverse: false }]));
  return {
    scripts,
    trackFiles,
    trackProcesses,
    targets: {
      track_script: byName(draft.scripts, scripts),
      track_file: byName(draft.trackFiles, trackFiles),
      track_process: byName(draft.trackProcesses, trackProcesses),
      track_bfd: bfds,
    },
  };
}

/**
 * Two instances with one VRID on one interface would answer each other's adverts (RFC 3768
 * §5.3.3). keepalived's check_vrid_conflicts: same family (IPv4 here), VRID and interface; multicast
 * instances conflict when they use the same group; unicast ones are a separate VRID space and
 * conflict only with the same source address and a peer in common.
 */
function checkDuplicateVrids(instances: readonly InstanceConfig[], drafts: readonly InstanceDraft[], sink: Sink): void {
  const vridPos = new Map(drafts.map((d) => [d.name, d.settings.vrid?.pos]));
  // What an instance occupies on its interface and VRID: its multicast group, or each (source
  // address, peer) of its unicast peers. Two instances conflict when they share one; the first
  // instance to take a key owns it. Looked up, not compared pairwise: a ~SEQ config may put
  // thousands of instances with thousands of peers on one VRID.
  const owner = new Map<string, { readonly instance: InstanceConfig; readonly order: number }>();
  instances.forEach((instance, order) => {
    const space = `${instance.interface}\u0000${instance.vrid}`;
    const keys =
      instance.unicastPeers.length === 0
        ? [`${space}\u0000m\u0000${instance.multicastGroup}`]
        : instance.unicastPeers.map((p) => `${space}\u0000u\u0000${instance.sourceAddress ?? ''}\u0000${p.address}`);
    let first: { readonly instance: InstanceConfig; readonly order: number } | undefined;
    for (const key of keys) {
      const taken = owner.get(key);
      if (taken === undefined) owner.set(key, { instance, order });
      else if (taken.order !== order && (first === undefined || taken.order < first.order)) first = taken;
    }
    if (first === undefined) return;
    const how = instance.unicastPeers.length > 0 ? ' with a unicast peer in common' : '';
    sink.error(
      vridPos.get(instance.name) ?? instance.pos,
      `(${instance.name}) virtual_router_id ${instance.vrid} is already used on ${instance.interface} by ${first.instance.name} (${formatPos(first.instance.pos)})${how}`,
    );
  });
}

function checkUnusedScripts(scripts: readonly VrrpScriptConfig[], instances: readonly InstanceConfig[], groups: readonly SyncGroupConfig[], sink: Sink): void {
  const used = new Set([...instances.flatMap((i) => i.trackScripts), ...groups.flatMap((g) => g.trackScripts)].map((t) => t.name));
  for (const script of scripts) {
    if (!used.has(script.name)) sink.warn(script.pos, `Warning - script ${script.name} is not used by any vrrp_instance or vrrp_sync_group`);
  }
}

/**
 * keepalived check_vrrp_script_security: scripts without enable_script_security are run but are a
 * "SECURITY VIOLATION" (-t exit 6). File checks (missing, not executable, writable) need the file
 * system: see script-check.ts.
 */
function checkScriptSecurity(config: Omit<Config, 'recognised'>, sink: Sink): void {
  if (config.global.enableScriptSecurity) return;
  const notifies = (n: InstanceConfig['notify']): Array<CommandConfig | undefined> => Object.values(n);
  const scripts: CommandConfig[] = [
    ...config.scripts.map((s) => s.command).filter((c) => !isOpenTest(c.argv[0] ?? '')),
    ...config.instances.flatMap((i) => notifies(i.notify)),
    ...config.syncGroups.flatMap((g) => notifies(g.notify)),
    ...[config.global.notifyFifo?.script, config.global.vrrpNotifyFifo?.script],
  ].filter((c): c is CommandConfig => c !== undefined);
  const first = scripts.sort((a, b) => a.pos.line - b.pos.line)[0];
  if (first !== undefined) {
    sink.security(
      first.pos,
      'SECURITY VIOLATION - scripts are being executed but script_security not enabled. ' +
        "(add 'enable_script_security' to global_defs, and make sure no user but root can change the scripts)",
    );
  }
  const startStop = [config.global.startupScript, config.global.shutdownScript].filter((c): c is CommandConfig => c !== undefined)[0];
  if (startStop !== undefined) {
    sink.security(startStop.pos, 'SECURITY VIOLATION - start/shutdown scripts are being executed but script_security not enabled.');
  }
}

export interface SchemaResult {
  /** Undefined when any diagnostic (of this stage) is an error. */
  readonly config: Config | undefined;
  readonly diagnostics: readonly ConfigDiagnostic[];
}

/** Keyword tree -> typed Config. `file` labels whole-file diagnostics. Never throws. */
export function buildConfig(nodes: readonly ConfigNode[], file: string): SchemaResult {
  const diagnostics: ConfigDiagnostic[] = [];
  const sink = collectingSink(diagnostics);
  const recognised: FileDraft['recognised'] = [];
  const draft: FileDraft = {
    global: newGlobalDraft(recognised),
    instances: [],
    instanceByName: new Map(),
    syncGroups: [],
    scripts: [],
    trackFiles: [],
    trackProcesses: [],
    garpGroups: [],
    bfdInstances: new Map(),
    instancesOverLimit: 0,
    statics: newStaticDraft(),
    recognised,
  };
  applyKeywords(topKeywords, nodes, draft, sink);

  const global = completeGlobal(draft.global, sink);
  const tracked = completeTracked(draft, sink);
  const membership = resolveMembership(draft.syncGroups, new Set(draft.instanceByName.keys()), sink);
  const gs = draft.global.settings;
  const source = (keyword: string, setting: { readonly pos: SourcePos } | undefined) => (setting === undefined ? undefined : { keyword, pos: setting.pos });
  const globalSource: InstanceContext['globalSource'] = {
    garpMasterRefreshMs: source('vrrp_garp_master_refresh', gs.garpMasterRefreshMs),
    lowerPrioNoAdvert: source('vrrp_lower_prio_no_advert', gs.lowerPrioNoAdvert),
    higherPrioSendAdvert: source('vrrp_higher_prio_send_advert', gs.higherPrioSendAdvert),
    // keepalived: smtp_alert_vrrp wins over smtp_alert.
    smtpAlert: source('smtp_alert_vrrp', gs.smtpAlertVrrp) ?? source('smtp_alert', gs.smtpAlert),
    garpExtraIf: source('vrrp_garp_extra_if', gs.garpExtraIf),
    notifyPriorityChanges: source('vrrp_notify_priority_changes', gs.notifyPriorityChanges),
  };

  let instances: InstanceConfig[] = [];
  for (const d of draft.instances) {
    const group = membership.groupOf.get(d.name);
    const ctx: InstanceContext = {
      global,
      globalStrictPos: gs.vrrpStrict?.pos,
      globalVrrpVersion: gs.vrrpVersion?.value ?? 2,
      globalSource,
      targets: tracked.targets,
      syncGroup: group === undefined ? undefined : {
        name: group.name,
        trackingWeight: group.settings.trackingWeight?.value ?? false,
        notifyPriorityChanges: group.settings.notifyPriorityChanges?.value,
      },
    };
    const instance = completeInstance(d, ctx, sink);
    if (instance !== undefined) instances.push(instance);
  }

  const syncGroups: SyncGroupConfig[] = [];
  const byName = new Map(instances.map((i) => [i.name, i]));
  for (const [group, names] of membership.membersOf) {
    const members = names.map((n) => byName.get(n)).filter((i): i is InstanceConfig => i !== undefined);
    const completed = completeSyncGroup(group, members, tracked.targets, global, sink);
    syncGroups.push(completed.group);
    if (completed.forceBackup) {
      const members = new Set(names);
      instances = instances.map((i) => (members.has(i.name) && i.wantState !== 'BACKUP' ? { ...i, wantState: 'BACKUP' } : i));
    }
  }

  checkDuplicateVrids(instances, draft.instances, sink);
  checkUnusedScripts(tracked.scripts, instances, syncGroups, sink);
  const garpGroups = completeGarpGroups(draft.garpGroups, sink);
  const firstGarpGroup = garpGroups[0];
  if (firstGarpGroup !== undefined) notSupportedYet(sink, 'garp_group', firstGarpGroup.pos, 'GARPs are paced by vrrp_garp_interval only');
  if (draft.instances.length === 0) {
    // keepalived then runs no VRRP child at all; legal, but almost certainly not what was meant.
    // keepalived idles on such a config; a VRRP daemon with nothing to run is a mistake: refuse it.
    sink.error({ file, line: 0 }, 'no vrrp_instance defined: there is nothing to run');
  }

  const config: Config = {
    global,
    instances,
    syncGroups,
    scripts: tracked.scripts,
    trackFiles: tracked.trackFiles,
    trackProcesses: tracked.trackProcesses,
    garpGroups,
    statics: completeStatics(draft.statics),
    recognised,
  };
  checkScriptSecurity(config, sink);
  const failed = diagnostics.some((d) => d.severity === 'error');
  return { config: failed ? undefined : config, diagnostics };
}
