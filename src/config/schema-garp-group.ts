// garp_group { garp_interval S; gna_interval S; interface IF; interfaces { IF ... } }: GARP/NA
// pacing per interface or per group of interfaces (vrrp_parser.c garp_group_*_handler).
import type { GarpGroupConfig } from './config.js';
import { applyKeywords, listEntries, rows, seconds } from './keywords.js';
import type { KeywordSpec, KeywordTable, Sink } from './keywords.js';
import type { ConfigNode } from './parser.js';
import type { Millis, SourcePos } from '../types.js';

export interface GarpGroupDraft {
  readonly pos: SourcePos;
  garpIntervalMs: Millis | undefined;
  gnaIntervalMs: Millis | undefined;
  readonly interfaces: Array<{ readonly name: string; readonly pos: SourcePos }>;
}

// keepalived reads these as µs in [0, INT_MAX].
const INTERVAL_MAX_MS = 2147483647 / 1000;

function interval(field: 'garpIntervalMs' | 'gnaIntervalMs'): KeywordSpec<GarpGroupDraft> {
  return {
    block: 'forbidden',
    minArgs: 1,
    maxArgs: 1,
    handle: (node, draft, sink) => {
      const ms = seconds(0, INTERVAL_MAX_MS)(node.args[0] as string, node, sink);
      if (ms !== undefined) draft[field] = ms;
    },
  };
}

const oneInterface: KeywordSpec<GarpGroupDraft> = {
  block: 'forbidden',
  minArgs: 1,
  maxArgs: 1,
  handle: (node, draft) => {
    draft.interfaces.push({ name: node.args[0] as string, pos: node.pos });
  },
};

const interfaceList: KeywordSpec<GarpGroupDraft> = {
  block: 'required',
  minArgs: 0,
  maxArgs: 0,
  handle: (node, draft, sink) => {
    const entries = listEntries(node, sink);
    if (entries.length === 0) sink.warn(node.pos, 'Warning - empty garp_group interfaces block');
    for (const entry of entries) {
      for (const name of [entry.keyword, ...entry.args]) draft.interfaces.push({ name, pos: entry.pos });
    }
  },
};

const garpGroupKeywords: KeywordTable<GarpGroupDraft> = rows<GarpGroupDraft>([
  ['garp_interval', interval('garpIntervalMs')],
  ['gna_interval', interval('gnaIntervalMs')],
  ['interface', oneInterface],
  ['interfaces', interfaceList],
]);

export function readGarpGroupBlock(node: ConfigNode, sink: Sink): GarpGroupDraft {
  const draft: GarpGroupDraft = { pos: node.pos, garpIntervalMs: undefined, gnaIntervalMs: undefined, interfaces: [] };
  applyKeywords(garpGroupKeywords, node.children ?? [], draft, sink);
  return draft;
}

/**
 * A group without any delay is dropped, as keepalived does; an interface may belong to one group
 * only (the first wins, as in keepalived).
 */
export function completeGarpGroups(drafts: readonly GarpGroupDraft[], sink: Sink): GarpGroupConfig[] {
  const owner = new Map<string, SourcePos>();
  const groups: GarpGroupConfig[] = [];
  for (const d of drafts) {
    if (d.garpIntervalMs === undefined && d.gnaIntervalMs === undefined) {
      sink.warn(d.pos, 'garp_group does not have any delay set (garp_interval or gna_interval) - removing');
      continue;
    }
    const interfaces: string[] = [];
    for (const { name, pos } of d.interfaces) {
      const first = owner.get(name);
      if (first !== undefined) {
        sink.warn(pos, `garp_group already specified for ${name} (line ${first.line}) - ignoring`);
        continue;
      }
      owner.set(name, pos);
      interfaces.push(name);
    }
    groups.push({ pos: d.pos, garpIntervalMs: d.garpIntervalMs, gnaIntervalMs: d.gnaIntervalMs, interfaces });
  }
  return groups;
}
