// vrrp_script NAME { script, interval, timeout, weight N [reverse], rise, fall, user U [G],
// init_fail } (vrrp_parser.c vrrp_vscript_*_handler; defaults from vrrp_data.c alloc_vrrp_script:
// interval 1 s, timeout 0 = the interval, weight 0, rise 1, fall 1).
import type { VrrpScriptConfig } from './config.js';
import { readScriptCommand } from './command-line.js';
import { applyKeywords, assign, integer, presenceFlag, rows, scalar } from './keywords.js';
import type { HasSettings, KeywordSpec, KeywordTable, Sink } from './keywords.js';
import type { ConfigNode } from './parser.js';
import type { Millis, SourcePos } from '../types.js';

interface ScriptScalars {
  argv: readonly string[];
  user: { user: string; group: string | undefined };
  intervalSec: number;
  timeoutSec: number;
  weight: { weight: number; reverse: boolean };
  rise: number;
  fall: number;
  initFail: boolean;
}

export interface ScriptDraft extends HasSettings<ScriptScalars> {
  readonly name: string;
  readonly pos: SourcePos;
}

const INT_MAX = 2147483647;
const SECONDS_MAX = Math.floor(4294967295 / 1e6); // keepalived keeps µs in an unsigned int

/** interval / timeout: whole seconds; 0 is read but set to 1 with a config error (keepalived). */
function positiveSeconds(field: 'intervalSec' | 'timeoutSec', what: string): KeywordSpec<ScriptDraft> {
  return {
    block: 'forbidden',
    minArgs: 1,
    maxArgs: 1,
    handle: (node, draft, sink) => {
      let n = integer(0, SECONDS_MAX)(node.args[0] as string, node, sink);
      if (n === undefined) return;
      if (n === 0) {
        sink.error(node.pos, `(${draft.name}): vrrp script ${what} must be greater than 0, setting to 1`);
        n = 1;
      }
      assign(draft.settings, field, { value: n, pos: node.pos }, node, sink);
    },
  };
}

const script: KeywordSpec<ScriptDraft> = {
  block: 'forbidden',
  minArgs: 1,
  maxArgs: Number.POSITIVE_INFINITY,
  handle: (node, draft, sink) => {
    const argv = readScriptCommand(node, draft.name, sink);
    if (argv !== undefined) assign(draft.settings, 'argv', { value: argv, pos: node.pos }, node, sink);
  },
};

const weight: KeywordSpec<ScriptDraft> = {
  block: 'forbidden',
  minArgs: 1,
  maxArgs: 2,
  handle: (node, draft, sink) => {
    const text = node.args[0] as string;
    const n = /^[-+]?\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!(Number.isSafeInteger(n) && Math.abs(n) <= 253)) {
      sink.error(node.pos, `vrrp_script ${draft.name} weight ${text} must be in [-253, 253]`);
      return;
    }
    const option = node.args[1];
    if (option !== undefined && option !== 'reverse') {
      sink.error(node.pos, `vrrp_script ${draft.name} unknown weight option ${option}: only 'reverse'`);
      return;
    }
    assign(draft.settings, 'weight', { value: { weight: n, reverse: option === 'reverse' }, pos: node.pos }, node, sink);
  },
};

const user: KeywordSpec<ScriptDraft> = {
  block: 'forbidden',
  minArgs: 1,
  maxArgs: 2,
  handle: (node, draft, sink) => assign(draft.settings, 'user', { value: { user: node.args[0] as string, group: node.args[1] }, pos: node.pos }, node, sink),
};

const scriptKeywords: KeywordTable<ScriptDraft> = rows<ScriptDraft>([
  ['script', script],
  ['interval', positiveSeconds('intervalSec', 'interval')],
  ['timeout', positiveSeconds('timeoutSec', 'timeout')],
  ['weight', weight],
  ['rise', scalar('rise', integer(1, INT_MAX))],
  ['fall', scalar('fall', integer(1, INT_MAX))],
  ['user', user],
  ['init_fail', presenceFlag('initFail', true)],
]);

export function readScriptBlock(node: ConfigNode, name: string, sink: Sink): ScriptDraft {
  const draft: ScriptDraft = { name, pos: node.pos, settings: {} };
  applyKeywords(scriptKeywords, node.children ?? [], draft, sink);
  return draft;
}

const SECOND: Millis = 1000;

/** Undefined (with an error) when there is no command: keepalived removes such a script. */
export function completeScript(d: ScriptDraft, sink: Sink): VrrpScriptConfig | undefined {
  const s = d.settings;
  if (s.argv === undefined) {
    sink.error(d.pos, `No script set for vrrp_script ${d.name} - removing`);
    return undefined;
  }
  const intervalMs = (s.intervalSec?.value ?? 1) * SECOND;
  return {
    name: d.name,
    pos: d.pos,
    command: { argv: s.argv.value, user: s.user?.value.user, group: s.user?.value.group, pos: s.argv.pos },
    intervalMs,
    // keepalived's scheduler runs the script with the interval as timeout when none is set.
    timeoutMs: s.timeoutSec === undefined ? intervalMs : s.timeoutSec.value * SECOND,
    weight: s.weight?.value.weight ?? 0,
    reverse: s.weight?.value.reverse ?? false,
    rise: s.rise?.value ?? 1,
    fall: s.fall?.value ?? 1,
    initFail: s.initFail?.value ?? false,
  };
}
