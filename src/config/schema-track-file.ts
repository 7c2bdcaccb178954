// track_file NAME { file PATH; weight N [reverse]; init_file [VALUE] [overwrite] }, and its
// deprecated name vrrp_track_file (trackers/track_file.c: weight default 1, range -254..254; the
// number read from the file, times the weight, is added to the priority).
import type { TrackFileConfig } from './config.js';
import { applyKeywords, ownWeightKeyword, rows } from './keywords.js';
import type { KeywordSpec, KeywordTable, OwnWeight, Sink } from './keywords.js';
import type { ConfigNode } from './parser.js';
import type { SourcePos } from '../types.js';

export interface TrackFileDraft {
  readonly name: string;
  readonly pos: SourcePos;
  path: { readonly value: string; readonly pos: SourcePos } | undefined;
  weight: OwnWeight | undefined;
  init: { readonly value: number; readonly overwrite: boolean } | undefined;
}

const file: KeywordSpec<TrackFileDraft> = {
  block: 'forbidden',
  minArgs: 1,
  maxArgs: 1,
  handle: (node, draft, sink) => {
    if (draft.path !== undefined) {
      sink.warn(node.pos, `File already set for track file ${draft.name} (line ${draft.path.pos.line}) - ignoring ${node.args[0] as string}`);
      return;
    }
    draft.path = { value: node.args[0] as string, pos: node.pos };
  },
};

const weight = ownWeightKeyword<TrackFileDraft>('track_file', 'track file');

const initFile: KeywordSpec<TrackFileDraft> = {
  block: 'forbidden',
  minArgs: 0,
  maxArgs: 2,
  handle: (node, draft, sink) => {
    let value = 0;
    let overwrite = false;
    for (const arg of node.args) {
      if (arg === 'overwrite') overwrite = true;
      else if (/^-?\d+$/.test(arg) && Number.isSafeInteger(Number(arg))) {
        value = Number(arg);
        if (Math.abs(value) > 254) sink.warn(node.pos, `Track file ${draft.name} init value ${value} is outside sensible range [-254, 254]`);
      } else {
        sink.error(node.pos, `Unknown track file init option ${arg}: a number or 'overwrite'`);
        return;
      }
    }
    draft.init = { value, overwrite };
  },
};

const trackFileKeywords: KeywordTable<TrackFileDraft> = rows<TrackFileDraft>([
  ['file', file],
  ['weight', weight],
  ['init_file', initFile],
]);

export function readTrackFileBlock(node: ConfigNode, name: string, sink: Sink): TrackFileDraft {
  if (node.keyword === 'vrrp_track_file') sink.warn(node.pos, '"vrrp_track_file" is deprecated, please use "track_file"');
  const draft: TrackFileDraft = { name, pos: node.pos, path: undefined, weight: undefined, init: undefined };
  applyKeywords(trackFileKeywords, node.children ?? [], draft, sink);
  return draft;
}

/** Undefined (with an error) without `file`: keepalived drops such a track_file. */
export function completeTrackFile(d: TrackFileDraft, sink: Sink): TrackFileConfig | undefined {
  if (d.path === undefined) {
    sink.error(d.pos, `No file set for track_file ${d.name} - ignoring`);
    return undefined;
  }
  return {
    name: d.name,
    pos: d.pos,
    path: d.path.value,
    weight: d.weight?.weight ?? 1,
    reverse: d.weight?.reverse ?? false,
    init: d.init,
  };
}
