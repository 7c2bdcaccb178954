// `vrrpd -t --dump` (keepalived spells it -d, --dump-conf): the effective configuration, every
// default applied, as JSON on stdout.
//
// Made for diffing — node A against node B, or a config before and after moving instances into
// include files — so it holds only what the daemon will do:
// - keys are sorted at every level, so the text depends on the values, never on the order the
//   schema happened to build its objects in;
// - source positions (`pos`) are left out: they change when lines move while behaviour does not,
//   and `-t` messages already carry file:line;
// - an unset optional value is `null` rather than missing, so a dump shows every setting there is.
import type { Config } from './config.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Keys that locate a value in the source rather than describe it. */
const POSITION_KEYS: ReadonlySet<string> = new Set(['pos']);

function toJson(value: unknown): Json {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  // Not representable in JSON; they never occur in a Config, but the dump must not lie if they do.
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(toJson);
  if (value instanceof Set) return [...value].map(toJson);
  if (value instanceof Map) return sortedObject([...value.entries()].map(([k, v]) => [String(k), v]));
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (typeof value === 'object') return sortedObject(Object.entries(value));
  return String(value);
}

function sortedObject(entries: readonly (readonly [string, unknown])[]): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const [k, v] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (POSITION_KEYS.has(k) || typeof v === 'function') continue;
    out[k] = toJson(v);
  }
  return out;
}

/** The dump as text: two-space indented JSON with a final newline. */
export function dumpConfig(config: Config): string {
  return `${JSON.stringify(toJson(config), null, 2)}\n`;
}
