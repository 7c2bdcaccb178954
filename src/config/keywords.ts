// The keyword-table engine the schema is built from: a block is a table of rows
// (keyword -> shape + handler); applyKeywords() checks each statement's shape against its row
// (block or not, argument count) and hands it to the row's handler, which records what it read into
// a draft. Unknown keywords and blocks are warnings; an unknown block is skipped whole. Also the
// value parsers the rows share (integers, decimal seconds, booleans), with keepalived's ranges.
import { isIPv4, isIPv6 } from 'node:net';
import type { ConfigDiagnostic, GarpExtraIf, RawEntry, RawStatement } from './config.js';
import type { ConfigNode } from './parser.js';
import { parseIpv4 } from '../types.js';
import type { Ipv4, Millis, SourcePos } from '../types.js';

// ---------------------------------------------------------------------------------------------
// Diagnostics sink

export interface Sink {
  error(pos: SourcePos, message: string): void;
  warn(pos: SourcePos, message: string): void;
  /**
   * A warning given once per config, at its first occurrence: "'x' is not supported yet" would
   * otherwise repeat for every instance using x.
   */
  warnOnce(key: string, pos: SourcePos, message: string, kind?: ConfigDiagnostic['kind']): void;
  /** Script security (keepalived's CONFIG_SECURITY_ERROR): a warning that `-t` ranks as exit 6. */
  security(pos: SourcePos, message: string): void;
  /**
   * keepalived reports a config error and runs on with a corrected value ("resetting",
   * "ignoring", "rounding"): the daemon runs the same way, `-t` exits 5 as keepalived's does.
   */
  corrected(pos: SourcePos, message: string): void;
  /** An unknown keyword or block (skipped): a warning, and a failure for `-t` as in keepalived. */
  unknown(pos: SourcePos, message: string): void;
}

export function collectingSink(into: ConfigDiagnostic[]): Sink {
  // key -> index in `into`. Completion runs instances before sync groups, so the first call is not
  // always the first line: an earlier line of the same file takes the place over.
  const given = new Map<string, number>();
  return {
    error: (pos, message) => into.push({ severity: 'error', pos, message }),
    warn: (pos, message) => into.push({ severity: 'warning', pos, message }),
    warnOnce: (key, pos, message, kind) => {
      const diagnostic: ConfigDiagnostic = kind === undefined ? { severity: 'warning', pos, message } : { severity: 'warning', pos, message, kind };
      const index = given.get(key);
      if (index === undefined) {
        given.set(key, into.push(diagnostic) - 1);
        return;
      }
      const earlier = into[index];
      if (earlier !== undefined && earlier.pos.file === pos.file && pos.line < earlier.pos.line) into[index] = diagnostic;
    },
    security: (pos, message) => into.push({ severity: 'warning', pos, message, class: 'security' }),
    corrected: (pos, message) => into.push({ severity: 'warning', pos, message, kind: 'corrected' }),
    unknown: (pos, message) => into.push({ severity: 'warning', pos, message, kind: 'unknown' }),
  };
}

/** "'x' is not supported yet - what happens instead", once per config. */
export function notSupportedYet(sink: Sink, keyword: string, pos: SourcePos, consequence?: string): void {
  sink.warnOnce(`not-yet:${keyword}`, pos, `'${keyword}' is not supported yet${consequence === undefined ? '' : ` - ${consequence}`}`, 'notSupportedYet');
}

/**
 * For the few keywords whose absence would change what goes on the wire or where the VIPs go:
 * an error at every occurrence, saying what running without it would do.
 */
export function notSupportedRefused(sink: Sink, keyword: string, pos: SourcePos, consequence: string): void {
  sink.error(pos, `'${keyword}' is not supported yet; running without it would ${consequence}`);
}

// ---------------------------------------------------------------------------------------------
// Lookups by name

interface NameIndex<T> {
  readonly first: Map<string, T>;
  /** How much of the list the map has seen. */
  seen: number;
}
const nameIndexes = new WeakMap<readonly { readonly name: string }[], NameIndex<unknown>>();

/**
 * The first item of `list` named `name` (list.find by name) without searching the list: a config
 * made by ~SEQ repeats a block or a list entry tens of thousands of times, and a search per entry
 * made reading it quadratic (20,000 VIPs: 73 s). The index follows the list as it grows; the lists
 * given here are only ever appended to.
 */
export function findNamed<T extends { readonly name: string }>(list: readonly T[], name: string): T | undefined {
  let index = nameIndexes.get(list) as NameIndex<T> | undefined;
  if (index === undefined) {
    index = { first: new Map(), seen: 0 };
    nameIndexes.set(list, index as NameIndex<unknown>);
  }
  for (; index.seen < list.length; index.seen++) {
    const item = list[index.seen] as T;
    if (!index.first.has(item.name)) index.first.set(item.name, item);
  }
  return index.first.get(name);
}

// ---------------------------------------------------------------------------------------------
// The keyword-table engine

/** A value read from the file, with the line it came from (for later cross-keyword messages). */
export interface Setting<T> {
  readonly value: T;
  readonly pos: SourcePos;
}
export type Settings<S> = { [K in keyof S]?: Setting<S[K]> };
export interface HasSettings<S> {
  readonly settings: Settings<S>;
}

export interface KeywordSpec<D> {
  /** 'required': `kw { ... }`; 'forbidden': a one-line statement; 'any': either. */
  readonly block: 'required' | 'forbidden' | 'any';
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly handle: (node: ConfigNode, draft: D, sink: Sink) => void;
}
export type KeywordTable<D> = ReadonlyMap<string, KeywordSpec<D>>;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Dispatch each node to its table row, checking the row's shape first. */
export function applyKeywords<D>(table: KeywordTable<D>, nodes: readonly ConfigNode[], draft: D, sink: Sink): void {
  for (const node of nodes) {
    const spec = table.get(node.keyword);
    if (spec === undefined) {
      // A block is skipped whole: the parser matched its braces, so nothing inside it can leak into
      // the enclosing block (keepalived applies such lines to the enclosing block,
      // keepalived-behaviour.md#unknown-and-unusable-configuration).
      if (node.children !== undefined) sink.unknown(node.pos, `unknown block '${node.keyword}' - skipped`);
      else sink.unknown(node.pos, `unknown keyword '${node.keyword}'`);
      continue;
    }
    if (spec.block === 'required' && node.children === undefined) {
      sink.error(node.pos, `'${node.keyword}' needs a { ... } block`);
      continue;
    }
    if (spec.block === 'forbidden' && node.children !== undefined) {
      sink.error(node.pos, `'${node.keyword}' does not take a { ... } block - ignoring it`);
      continue;
    }
    if (node.args.length < spec.minArgs) {
      sink.error(node.pos, `'${node.keyword}' needs ${plural(spec.minArgs, 'argument')}, got ${node.args.length}`);
      continue;
    }
    if (node.args.length > spec.maxArgs) {
      const extra = node.args.slice(spec.maxArgs).join(' ');
      sink.warn(node.pos, `'${node.keyword}' takes ${plural(spec.maxArgs, 'argument')} - ignoring extra '${extra}'`);
    }
    spec.handle(node, draft, sink);
  }
}

/** Record a scalar; a repeat is allowed and the last one wins, as in keepalived (keepalived-behaviour.md#repeated-keywords). */
export function assign<S, K extends keyof S>(settings: Settings<S>, field: K, setting: Setting<S[K]>, node: ConfigNode, sink: Sink): void {
  const previous = settings[field];
  if (previous !== undefined) {
    sink.warn(node.pos, `'${node.keyword}' set again (before at line ${previous.pos.line}): the last value wins`);
  }
  settings[field] = setting;
}

export type ArgParser<T> = (text: string, node: ConfigNode, sink: Sink) => T | undefined;

/** `keyword VALUE` stored into settings[field]. */
export function scalar<S, K extends keyof S>(field: K, parse: ArgParser<S[K]>): KeywordSpec<HasSettings<S>> {
  return {
    block: 'forbidden',
    minArgs: 1,
    maxArgs: 1,
    handle: (node, draft, sink) => {
      const value = parse(node.args[0] as string, node, sink);
      if (value !== undefined) assign(draft.settings, field, { value, pos: node.pos }, node, sink);
    },
  };
}

const booleanWords: ReadonlyMap<string, boolean> = new Map([
  ['on', true], ['true', true], ['yes', true],
  ['off', false], ['false', false], ['no', false],
]);

/** A flag's value: bare means true; else on|off|true|false|yes|no (keepalived check_true_false). */
export function readFlag(node: ConfigNode, sink: Sink): boolean | undefined {
  const text = node.args[0];
  if (text === undefined) return true;
  const on = booleanWords.get(text);
  if (on === undefined) sink.error(node.pos, `'${node.keyword}': '${text}' is not a boolean (on|off|true|false|yes|no)`);
  return on;
}

/** A flag keyword stored into settings[field] through `meaning` (nopreempt is preempt = !on). */
export function flag<S, K extends keyof S>(field: K, meaning: (on: boolean) => S[K]): KeywordSpec<HasSettings<S>> {
  return {
    block: 'forbidden',
    minArgs: 0,
    maxArgs: 1,
    handle: (node, draft, sink) => {
      const on = readFlag(node, sink);
      if (on !== undefined) assign(draft.settings, field, { value: meaning(on), pos: node.pos }, node, sink);
    },
  };
}

/**
 * A keyword keepalived turns on whenever it is present, ignoring anything after it (global
 * vrrp_strict, vrrp_skip_check_adv_addr, enable_script_security, ...): `vrrp_strict off` is ON.
 */
export function presenceFlag<S, K extends keyof S>(field: K, value: S[K]): KeywordSpec<HasSettings<S>> {
  return {
    block: 'forbidden',
    minArgs: 0,
    maxArgs: Number.POSITIVE_INFINITY,
    handle: (node, draft, sink) => {
      if (node.args.length > 0) {
        sink.warn(
          node.pos,
          `'${node.keyword}' takes no value: keepalived turns it on whenever it is present, so '${node.args.join(' ')}' is ignored`,
        );
      }
      assign(draft.settings, field, { value, pos: node.pos }, node, sink);
    },
  };
}

/** Drafts that keep statements they have no typed home for. */
export interface KeepsRecognised {
  readonly recognised: RawStatement[];
}

export function rawStatement(node: ConfigNode): RawStatement {
  return { keyword: node.keyword, args: node.args, pos: node.pos };
}

/**
 * Known to keepalived, kept as written, not acted on: "not supported yet" once per config (never
 * silently ignored). A block form is kept as its first line; its contents are not needed.
 */
export function notYet<D extends KeepsRecognised>(consequence?: string): KeywordSpec<D> {
  return {
    block: 'any',
    minArgs: 0,
    maxArgs: Number.POSITIVE_INFINITY,
    handle: (node, draft, sink) => {
      draft.recognised.push(rawStatement(node));
      notSupportedYet(sink, node.keyword, node.pos, consequence);
    },
  };
}

/** keepalived's LVS / checker / BFD side: not vrrpd's job, ever. Skipped whole, one warning each. */
export function outOfScope<D extends KeepsRecognised>(): KeywordSpec<D> {
  return {
    block: 'any',
    minArgs: 0,
    maxArgs: Number.POSITIVE_INFINITY,
    handle: (node, draft, sink) => {
      draft.recognised.push(rawStatement(node));
      sink.warn(node.pos, `'${node.keyword}' ignored: vrrpd implements only keepalived's VRRP side`);
    },
  };
}

export function rows<D>(entries: ReadonlyArray<readonly [string, KeywordSpec<D>]>, ...more: ReadonlyArray<readonly [string, KeywordSpec<D>]>[]): KeywordTable<D> {
  return new Map([...entries, ...more.flat()]);
}

export function namesAs<D>(names: readonly string[], spec: KeywordSpec<D>): Array<readonly [string, KeywordSpec<D>]> {
  return names.map((name) => [name, spec] as const);
}

/** The entries of a list block (`virtual_ipaddress { ... }`): one line each, no nested blocks. */
export function listEntries(node: ConfigNode, sink: Sink): ConfigNode[] {
  const entries: ConfigNode[] = [];
  for (const child of node.children ?? []) {
    if (child.children !== undefined) sink.error(child.pos, `unexpected block '${child.keyword}' inside '${node.keyword}' - skipped`);
    else entries.push(child);
  }
  return entries;
}

/** A list block's lines as words (virtual_routes, static_rules, ...). */
export function rawEntries(node: ConfigNode, sink: Sink): RawEntry[] {
  return listEntries(node, sink).map((e) => ({ words: [e.keyword, ...e.args], pos: e.pos }));
}

/**
 * The words of a value block (keepalived read_value_block / alloc_value_block): every word of
 * every line is one item, as in `notification_email { a b }` or `group { VI_1 VI_2 }`.
 */
export function valueBlockWords(node: ConfigNode, sink: Sink): string[] {
  return listEntries(node, sink).flatMap((e) => [e.keyword, ...e.args]);
}

// ---------------------------------------------------------------------------------------------
// Value parsers

export const UINT32_MAX = 4294967295;

export function integer(min: number, max: number): ArgParser<number> {
  return (text, node, sink) => {
    const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
    sink.error(node.pos, `'${node.keyword}' value '${text}' is not valid: must be an integer ${min}..${max}`);
    return undefined;
  };
}

/** Decimal seconds (keepalived read_decimal_unsigned_strvec: µs resolution) -> milliseconds. */
export function seconds(minMs: Millis, maxMs: Millis): ArgParser<Millis> {
  return (text, node, sink) => {
    const ms = /^(\d+(\.\d*)?|\.\d+)$/.test(text) ? Math.round(Number(text) * 1e6) / 1e3 : Number.NaN;
    if (Number.isFinite(ms) && ms >= minMs && ms <= maxMs) return ms;
    sink.error(node.pos, `'${node.keyword}' value '${text}' is not valid: must be a number of seconds ${minMs / 1000}..${maxMs / 1000}`);
    return undefined;
  };
}

/** Whole seconds -> milliseconds (garp_* delays are read as unsigned integers by keepalived). */
export function wholeSecondsMs(max: number): ArgParser<Millis> {
  const read = integer(0, max);
  return (text, node, sink) => {
    const s = read(text, node, sink);
    return s === undefined ? undefined : s * 1000;
  };
}

/** A signed integer in [min, max] (weights). */
export function signedInteger(min: number, max: number): ArgParser<number> {
  return (text, node, sink) => {
    const n = /^[-+]?\d+$/.test(text) ? Number(text) : Number.NaN;
    if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
    sink.error(node.pos, `'${node.keyword}' value '${text}' is not valid: must be an integer ${min}..${max}`);
    return undefined;
  };
}

export const word: ArgParser<string> = (text) => text;

export const ipv4Address: ArgParser<Ipv4> = (text, node, sink) => {
  const ip = parseIpv4(text);
  if (ip === undefined) sink.error(node.pos, `'${node.keyword}' value '${text}' is not a valid IPv4 address`);
  return ip;
};

/** An IPv4 or IPv6 address, as keepalived's inet_stosockaddr takes it. */
export const ipAddress: ArgParser<string> = (text, node, sink) => {
  if (isIPv4(text) || isIPv6(text)) return text;
  sink.error(node.pos, `'${node.keyword}' value '${text}' is not a valid IP address`);
  return undefined;
};

/** 224.0.0.0/4. */
export function isIpv4Multicast(ip: Ipv4): boolean {
  const first = Number(ip.split('.')[0]);
  return first >= 224 && first <= 239;
}

/** Counts where keepalived turns 0 into 1 with a config error (garp_master_repeat, smtp_connect_timeout). */
export const zeroMeansOne: ArgParser<number> = (text, node, sink) => {
  const n = integer(0, UINT32_MAX)(text, node, sink);
  if (n === 0) {
    sink.error(node.pos, `'${node.keyword}' must be greater than 0 (keepalived sets it to 1)`);
    return 1;
  }
  return n;
};

/**
 * VRRP version (`version`, `vrrp_version`). vrrpd speaks VRRPv2 only (RFC 3768): 3 is refused here,
 * the one place that refuses it, and still returned, so that completion reports what keepalived
 * would do with a v3 instance (advert_int in centiseconds, no authentication) beside the refusal.
 */
export const vrrpVersion: ArgParser<2 | 3> = (text, node, sink) => {
  if (text === '2') return 2;
  if (text === '3') {
    sink.error(node.pos, `'${node.keyword} 3': VRRPv3 is not supported (vrrpd speaks VRRPv2, RFC 3768)`);
    return 3;
  }
  sink.error(node.pos, `'${node.keyword}' value '${text}' is not valid: must be 2 or 3`);
  return undefined;
};

/** Linux IFNAMSIZ is 16 including the NUL. */
export const IFNAME_MAX = 15;


/** A tracked object's own `weight N [reverse]` line (track_file, vrrp_track_process): −254..254. */
export interface OwnWeight {
  readonly weight: number;
  readonly reverse: boolean;
  readonly pos: SourcePos;
}

/** The `weight` row of a track_file / vrrp_track_process block; `what` names the block in messages. */
export function ownWeightKeyword<D extends { readonly name: string; weight: OwnWeight | undefined }>(what: string, already: string): KeywordSpec<D> {
  return {
    block: 'forbidden',
    minArgs: 1,
    maxArgs: 2,
    handle: (node, draft, sink) => {
      const text = node.args[0] as string;
      if (draft.weight !== undefined) {
        sink.warn(node.pos, `Weight already set for ${already} ${draft.name} (line ${draft.weight.pos.line}) - ignoring ${text}`);
        return;
      }
      const n = /^[-+]?\d+$/.test(text) ? Number(text) : Number.NaN;
      if (!(Number.isSafeInteger(n) && Math.abs(n) <= 254)) {
        sink.error(node.pos, `Weight (${text}) for ${what} ${draft.name} must be between [-254..254] inclusive`);
        return;
      }
      const option = node.args[1];
      if (option !== undefined && option !== 'reverse') {
        sink.error(node.pos, `${what} ${draft.name} unknown weight option ${option}: only 'reverse'`);
        return;
      }
      draft.weight = { weight: n, reverse: option === 'reverse', pos: node.pos };
    },
  };
}

/**
 * `[all] SECONDS` of garp_extra_if / vrrp_garp_extra_if (and their deprecated *vmac_garp_intvl
 * names): the instance form allows 0 (off), the global one starts at 1 (keepalived's ranges).
 */
export function readGarpExtraIf(
  node: ConfigNode,
  sink: Sink,
  opts: { readonly minSec: number; readonly deprecated: string; readonly current: string; readonly owner: string },
): GarpExtraIf | undefined {
  if (node.keyword === opts.deprecated) sink.warn(node.pos, `Keyword "${opts.deprecated}" is deprecated - please use "${opts.current}"`);
  let all = false;
  let intervalSec: number | undefined;
  for (const arg of node.args) {
    if (arg === 'all') {
      all = true;
      continue;
    }
    intervalSec = integer(opts.minSec, 86400)(arg, node, sink);
    if (intervalSec === undefined) return undefined;
  }
  if (intervalSec === undefined) {
    sink.error(node.pos, `${opts.owner}${node.keyword} specified without a time (${opts.minSec}..86400 seconds)`);
    return undefined;
  }
  return { intervalSec, all };
}
