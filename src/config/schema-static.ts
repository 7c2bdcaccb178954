// Top-level VRRP-process blocks that are not instances: static_ipaddress / static_routes /
// static_rules (addresses, routes and rules keepalived sets once at start, whatever the VRRP
// state), track_group (instances that track a static address), linkbeat_interfaces and
// interface_up_down_delays (vrrp_parser.c init_vrrp_keywords). Typed, not applied yet.
import type { ExcludedIpConfig, RawEntry, StaticConfig } from './config.js';
import { applyKeywords, findNamed, listEntries, notSupportedYet, rawEntries, rows, valueBlockWords } from './keywords.js';
import type { KeywordSpec, KeywordTable, Sink } from './keywords.js';
import type { ConfigNode } from './parser.js';
import { parseExcludedEntry } from './vip.js';
import type { SourcePos } from '../types.js';

export interface StaticDraft {
  readonly addresses: ExcludedIpConfig[];
  readonly routes: RawEntry[];
  readonly rules: RawEntry[];
  readonly trackGroups: Array<{ readonly name: string; readonly instances: readonly string[]; readonly pos: SourcePos }>;
  readonly linkbeatInterfaces: RawEntry[];
  readonly upDownDelays: RawEntry[];
}

export function newStaticDraft(): StaticDraft {
  return { addresses: [], routes: [], rules: [], trackGroups: [], linkbeatInterfaces: [], upDownDelays: [] };
}

export interface HasStatics {
  readonly statics: StaticDraft;
}

function listBlock<D extends HasStatics>(read: (node: ConfigNode, statics: StaticDraft, sink: Sink) => void, consequence: string): KeywordSpec<D> {
  return {
    block: 'required',
    minArgs: 0,
    maxArgs: 0,
    handle: (node, draft, sink) => {
      read(node, draft.statics, sink);
      notSupportedYet(sink, node.keyword, node.pos, consequence);
    },
  };
}

interface TrackGroupDraft {
  readonly name: string;
  instances: { readonly names: readonly string[]; readonly pos: SourcePos } | undefined;
}

const trackGroupKeywords: KeywordTable<TrackGroupDraft> = rows<TrackGroupDraft>([
  ['group', {
    block: 'required',
    minArgs: 0,
    maxArgs: 0,
    handle: (node, draft, sink) => {
      if (draft.instances !== undefined) {
        sink.warn(node.pos, `Group list already specified for track_group ${draft.name} (line ${draft.instances.pos.line}) - ignoring this one`);
        return;
      }
      draft.instances = { names: valueBlockWords(node, sink), pos: node.pos };
    },
  }],
]);

function trackGroup<D extends HasStatics>(): KeywordSpec<D> {
  return {
    block: 'required',
    minArgs: 1,
    maxArgs: 1,
    handle: (node, draft, sink) => {
      const name = node.args[0] as string;
      const twin = findNamed(draft.statics.trackGroups, name);
      if (twin !== undefined) {
        sink.error(node.pos, `track_group ${name} already defined at line ${twin.pos.line} - block skipped`);
        return;
      }
      const group: TrackGroupDraft = { name, instances: undefined };
      applyKeywords(trackGroupKeywords, node.children ?? [], group, sink);
      if (group.instances === undefined || group.instances.names.length === 0) {
        sink.warn(node.pos, `Static track group ${name} has no members - removing`);
        return;
      }
      draft.statics.trackGroups.push({ name, instances: group.instances.names, pos: node.pos });
      notSupportedYet(sink, 'track_group', node.pos, 'static addresses are not set, so nothing tracks them');
    },
  };
}

export function staticRows<D extends HasStatics>(): Array<readonly [string, KeywordSpec<D>]> {
  return [
    ['static_ipaddress', listBlock<D>((node, statics, sink) => {
      for (const entry of listEntries(node, sink)) {
        const address = parseExcludedEntry(entry, 'static_ipaddress', sink);
        if (address !== undefined) statics.addresses.push(address);
      }
    }, 'these addresses are not added')],
    ['static_routes', listBlock<D>((node, statics, sink) => statics.routes.push(...rawEntries(node, sink)), 'these routes are not added')],
    ['static_rules', listBlock<D>((node, statics, sink) => statics.rules.push(...rawEntries(node, sink)), 'these rules are not added')],
    ['track_group', trackGroup<D>()],
    ['linkbeat_interfaces', listBlock<D>((node, statics, sink) => statics.linkbeatInterfaces.push(...rawEntries(node, sink)), 'the link state is not polled')],
    ['interface_up_down_delays', listBlock<D>((node, statics, sink) => statics.upDownDelays.push(...rawEntries(node, sink)), 'link changes are not debounced')],
  ];
}

export function completeStatics(d: StaticDraft): StaticConfig {
  return {
    addresses: d.addresses,
    routes: d.routes,
    rules: d.rules,
    trackGroups: d.trackGroups,
    linkbeatInterfaces: d.linkbeatInterfaces,
    interfaceUpDownDelays: d.upDownDelays,
  };
}
