// vrrp_track_process NAME { process NAME [ARGS...]; param_match [initial|partial]; weight N
// [reverse]; quorum N; quorum_max N; delay S; terminate_delay S; fork_delay S; full_command }
// (vrrp_parser.c vrrp_tprocess_*_handler; defaults from alloc_vrrp_process: quorum 1, no maximum).
import type { TrackProcessConfig } from './config.js';
import { applyKeywords, integer, ownWeightKeyword, rows, seconds } from './keywords.js';
import type { KeywordSpec, KeywordTable, OwnWeight, Sink } from './keywords.js';
import type { ConfigNode } from './parser.js';
import type { Millis, SourcePos } from '../types.js';

export interface TrackProcessDraft {
  readonly name: string;
  readonly pos: SourcePos;
  process: { readonly path: string; readonly params: readonly string[] | undefined; readonly pos: SourcePos } | undefined;
  paramMatch: TrackProcessConfig['paramMatch'];
  fullCommand: boolean;
  weight: OwnWeight | undefined;
  quorum: number | undefined;
  quorumMax: number | undefined;
  terminateDelayMs: Millis;
  forkDelayMs: Millis;
}

const process: KeywordSpec<TrackProcessDraft> = {
  block: 'forbidden',
  minArgs: 1,
  maxArgs: Number.POSITIVE_INFINITY,
  handle: (node, draft, sink) => {
    const [path, ...params] = node.args as [string, ...string[]];
    if (draft.process !== undefined) {
      sink.warn(node.pos, `Process already set for track process ${draft.name} (line ${draft.process.pos.line}) - ignoring ${path}`);
      return;
    }
    draft.process = { path, params: params.length > 0 ? params : undefined, pos: node.pos };
    // Parameters mean matching the whole command line, exactly unless param_match says otherwise.
    if (params.length > 0) {
      if (draft.paramMatch === 'none') draft.paramMatch = 'exact';
      draft.fullCommand = true;
    }
  },
};

const paramMatch: KeywordSpec<TrackProcessDraft> = {
  block: 'forbidden',
  minArgs: 0,
  maxArgs: 1,
  handle: (node, draft, sink) => {
    const mode = node.args[0];
    if (mode !== undefined && mode !== 'initial' && mode !== 'partial') {
      sink.error(node.pos, `Invalid param_match type ${mode}: initial or partial`);
      return;
    }
    draft.paramMatch = mode ?? 'exact';
    draft.fullCommand = true;
  },
};

const weight = ownWeightKeyword<TrackProcessDraft>('vrrp_track_process', 'track process');

const quorum: KeywordSpec<TrackProcessDraft> = {
  block: 'forbidden',
  minArgs: 1,
  maxArgs: 1,
  handle: (node, draft, sink) => {
    const n = integer(1, 65535)(node.args[0] as string, node, sink);
    if (n === undefined) return;
    if (draft.quorumMax !== undefined && n > draft.quorumMax) {
      sink.error(node.pos, `Quorum ${n} is greater than quorum_max ${draft.quorumMax} for vrrp_track_process ${draft.name} - ignoring`);
      return;
    }
    draft.quorum = n;
  },
};

const quorumMax: KeywordSpec<TrackProcessDraft> = {
  block: 'forbidden',
  minArgs: 1,
  maxArgs: 1,
  handle: (node, draft, sink) => {
    const n = integer(0, 65535)(node.args[0] as string, node, sink);
    if (n === undefined) return;
    if ((n > 0 || (draft.quorum ?? 1) > 1) && n < (draft.quorum ?? 1)) {
      sink.error(node.pos, `quorum_max ${n} is less than quorum ${draft.quorum ?? 1} for vrrp_track_process ${draft.name} - ignoring`);
      return;
    }
    draft.quorumMax = n;
    // quorum_max 0 means "the process must not be running" (keepalived sets quorum 0).
    if (n === 0) draft.quorum = 0;
  },
};

/** delay sets both terminate_delay and fork_delay; 0.000001..3600 s. */
function delay(which: 'both' | 'terminate' | 'fork'): KeywordSpec<TrackProcessDraft> {
  return {
    block: 'forbidden',
    minArgs: 1,
    maxArgs: 1,
    handle: (node, draft, sink) => {
      const ms = seconds(0.001, 3_600_000)(node.args[0] as string, node, sink);
      if (ms === undefined) return;
      if (which !== 'fork') draft.terminateDelayMs = ms;
      if (which !== 'terminate') draft.forkDelayMs = ms;
    },
  };
}

const trackProcessKeywords: KeywordTable<TrackProcessDraft> = rows<TrackProcessDraft>([
  ['process', process],
  ['param_match', paramMatch],
  ['weight', weight],
  ['quorum', quorum],
  ['quorum_max', quorumMax],
  ['delay', delay('both')],
  ['terminate_delay', delay('terminate')],
  ['fork_delay', delay('fork')],
  ['full_command', {
    block: 'forbidden',
    minArgs: 0,
    maxArgs: 0,
    handle: (_node, draft) => {
      draft.fullCommand = true;
    },
  }],
]);

export function readTrackProcessBlock(node: ConfigNode, name: string, sink: Sink): TrackProcessDraft {
  const draft: TrackProcessDraft = {
    name, pos: node.pos, process: undefined, paramMatch: 'none', fullCommand: false, weight: undefined,
    quorum: undefined, quorumMax: undefined, terminateDelayMs: 0, forkDelayMs: 0,
  };
  applyKeywords(trackProcessKeywords, node.children ?? [], draft, sink);
  return draft;
}

/** Undefined (with an error) without `process`: keepalived drops such a block. */
export function completeTrackProcess(d: TrackProcessDraft, sink: Sink): TrackProcessConfig | undefined {
  if (d.process === undefined) {
    sink.error(d.pos, `track process '${d.name}' process name not specified`);
    return undefined;
  }
  return {
    name: d.name,
    pos: d.pos,
    process: d.process.path,
    params: d.process.params,
    paramMatch: d.paramMatch,
    fullCommand: d.fullCommand,
    weight: d.weight?.weight ?? 0,
    reverse: d.weight?.reverse ?? false,
    quorum: d.quorum ?? 1,
    quorumMax: d.quorumMax,
    terminateDelayMs: d.terminateDelayMs,
    forkDelayMs: d.forkDelayMs,
  };
}
