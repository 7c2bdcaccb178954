// track_interface / track_script / track_file / track_process / track_bfd lists, in an instance or
// a sync group: `NAME [weight N [reverse|noreverse]]` per line (vrrp_track.c alloc_track_if,
// alloc_track_script, alloc_track_process; track_file.c vrrp_alloc_track_file). Entries are
// recorded as written and resolved once the whole file is read, so a vrrp_script defined below the
// instance that tracks it works (keepalived silently drops such a track_script, reference
// keepalived-behaviour.md#unknown-and-unusable-configuration), and a name that is never defined is
// an error (keepalived only warns and runs without it).
import type { TrackRef } from './config.js';
import { ownerPrefix } from './command-line.js';
import { findNamed, listEntries } from './keywords.js';
import type { KeywordSpec, Sink } from './keywords.js';
import type { ConfigNode } from './parser.js';
import type { SourcePos } from '../types.js';

export const TRACK_KINDS = ['track_interface', 'track_script', 'track_file', 'track_process', 'track_bfd'] as const;
export type TrackKind = (typeof TRACK_KINDS)[number];

/** One line as written; weight/reverse undefined when not given (the tracked object's then apply). */
export interface TrackEntry {
  readonly name: string;
  readonly weight: number | undefined;
  readonly reverse: boolean | undefined;
  readonly pos: SourcePos;
}

export type TrackLists = Record<TrackKind, TrackEntry[]>;
export type ResolvedTracks = Record<TrackKind, TrackRef[]>;

export function newTrackLists(): TrackLists {
  return { track_interface: [], track_script: [], track_file: [], track_process: [], track_bfd: [] };
}

/** A draft with tracking lists and a name for messages. */
export interface Tracks {
  readonly name: string;
  readonly track: TrackLists;
}

interface KindRules {
  /** keepalived reads weights in [-limit, limit]. */
  readonly limit: number;
  /** ±254 is read but set to ±253 (track_interface, track_script: "cannot be +/-254"). */
  readonly clampTo253: boolean;
  /** `noreverse` accepted (all but track_interface). */
  readonly noreverse: boolean;
}

const rules: Record<TrackKind, KindRules> = {
  track_interface: { limit: 254, clampTo253: true, noreverse: false },
  track_script: { limit: 254, clampTo253: true, noreverse: true },
  track_file: { limit: 254, clampTo253: false, noreverse: true },
  track_process: { limit: 254, clampTo253: false, noreverse: true },
  track_bfd: { limit: 253, clampTo253: false, noreverse: true },
};

/** Read `NAME [weight N [reverse|noreverse]]`; undefined (with an error) when keepalived drops the entry. */
function readEntry(kind: TrackKind, entry: ConfigNode, owner: string, sink: Sink): TrackEntry | undefined {
  const prefix = ownerPrefix(owner);
  const name = entry.keyword;
  const [option, weightText, reverseText, ...extra] = entry.args;
  if (option === undefined) return { name, weight: undefined, reverse: undefined, pos: entry.pos };
  if (option !== 'weight') {
    sink.error(entry.pos, `${prefix}unknown ${kind} option '${option}' for ${name} - only 'weight N' may follow the name`);
    return undefined;
  }
  if (weightText === undefined) {
    sink.error(entry.pos, `${prefix}weight without value specified for ${kind} ${name}`);
    return undefined;
  }
  const { limit, clampTo253, noreverse } = rules[kind];
  const shown = clampTo253 ? 253 : limit;
  let weight = /^[-+]?\d+$/.test(weightText) ? Number(weightText) : Number.NaN;
  if (!(Number.isSafeInteger(weight) && Math.abs(weight) <= limit)) {
    sink.error(entry.pos, `${prefix}${kind} ${name}: weight '${weightText}' must be between -${shown} and ${shown}`);
    return undefined;
  }
  if (clampTo253 && Math.abs(weight) === 254) {
    sink.warn(entry.pos, `${prefix}weight for ${name} cannot be +/-254. Setting to +/-253`);
    weight = Math.sign(weight) * 253;
  }
  let reverse: boolean | undefined;
  if (reverseText === 'reverse') reverse = true;
  else if (reverseText === 'noreverse' && noreverse) reverse = false;
  else if (reverseText === 'no_reverse' && noreverse) {
    // The man page documents no_reverse; keepalived 2.2's code only knows noreverse.
    sink.warn(entry.pos, `${prefix}${kind} ${name}: keepalived 2.2 only understands 'noreverse' (it ignores 'no_reverse' with an error); read as noreverse`);
    reverse = false;
  } else if (reverseText !== undefined) {
    sink.error(entry.pos, `${prefix}unknown ${kind} ${name} weight option '${reverseText}': must be reverse${noreverse ? ' or noreverse' : ''}`);
    return undefined;
  }
  if (extra.length > 0) sink.warn(entry.pos, `${prefix}${kind} ${name}: ignoring extra '${extra.join(' ')}'`);
  return { name, weight, reverse, pos: entry.pos };
}

/** A `track_* { ... }` list block; repeated blocks accumulate, a repeated name is ignored. */
export function trackListSpec<D extends Tracks>(kind: TrackKind): KeywordSpec<D> {
  return {
    block: 'required',
    minArgs: 0,
    maxArgs: 0,
    handle: (node, draft, sink) => {
      const list = draft.track[kind];
      for (const line of listEntries(node, sink)) {
        const entry = readEntry(kind, line, draft.name, sink);
        if (entry === undefined) continue;
        const twin = findNamed(list, entry.name);
        if (twin !== undefined) {
          sink.warn(line.pos, `${ownerPrefix(draft.name)}duplicate ${kind} ${entry.name} (first at line ${twin.pos.line}) - ignoring`);
          continue;
        }
        list.push(entry);
      }
    },
  };
}

/** What a tracked name resolves to: its default weight and direction. */
export interface TrackTarget {
  readonly weight: number;
  readonly reverse: boolean;
}

/** Name -> target; a name mapped to undefined is defined but unusable (already reported there). */
export interface TrackTargets {
  readonly track_script: ReadonlyMap<string, TrackTarget | undefined>;
  readonly track_file: ReadonlyMap<string, TrackTarget | undefined>;
  readonly track_process: ReadonlyMap<string, TrackTarget | undefined>;
  readonly track_bfd: ReadonlyMap<string, TrackTarget | undefined>;
}

const definedBy: Record<Exclude<TrackKind, 'track_interface'>, string> = {
  track_script: 'vrrp_script',
  track_file: 'track_file',
  track_process: 'vrrp_track_process',
  track_bfd: 'bfd_instance',
};

/**
 * Resolve names to their objects, anywhere in the file, and the weights: the entry's own, else the
 * object's (track_interface: 0, no reverse). A name defined nowhere is an error.
 */
export function resolveTracks(owner: string, lists: TrackLists, targets: TrackTargets, sink: Sink): ResolvedTracks {
  const resolved: ResolvedTracks = { track_interface: [], track_script: [], track_file: [], track_process: [], track_bfd: [] };
  for (const kind of TRACK_KINDS) {
    for (const entry of lists[kind]) {
      let target: TrackTarget = { weight: 0, reverse: false };
      if (kind !== 'track_interface') {
        const found = targets[kind].get(entry.name);
        if (found === undefined && targets[kind].has(entry.name)) continue;
        if (found === undefined) {
          sink.error(
            entry.pos,
            `${ownerPrefix(owner)}${kind} ${entry.name}: no ${definedBy[kind]} ${entry.name} is defined anywhere in the configuration ` +
              `(keepalived would only log '${kind.replace('_', ' ')} ${entry.name} not found, ignoring...' and run without this check)`,
          );
          continue;
        }
        target = found;
      }
      resolved[kind].push({ name: entry.name, weight: entry.weight ?? target.weight, reverse: entry.reverse ?? target.reverse, pos: entry.pos });
    }
  }
  return resolved;
}
