// Property tests (fast-check) of the config front end: token soups and mutated real configs (our
// etc/ and keepalived's shipped samples). parseConfigText never throws and never falls into its
// internal-error safety net; every diagnostic names a file and a line inside that file (0 = the
// file as a whole); a Config comes back exactly when nothing is an error. VRRPD_LONG=1: 20x runs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { parseConfigText, type LoadResult } from '../../src/config/load.js';
import { KEEPALIVED_SAMPLES_DIR } from '../helpers/captures.js';

const LONG = process.env['VRRPD_LONG'] === '1';
const SCALE = LONG ? 20 : 1;
const TIMEOUT_MS = LONG ? 1_800_000 : 60_000;

const FILE = 'fuzz.conf';

/** No include: a soup must not make the parser read arbitrary files from this machine. */
const tokens = [
  '{', '}', '"', '#', '!', '\\', ' ', '\t', '\r', '$', '@', '~SEQ(', ')', '=', ',', '[', ']',
  'vrrp_instance', 'VI_1', 'vrrp_sync_group', 'group', 'global_defs', 'router_id', 'interface', 'lo', 'eth0',
  'virtual_router_id', 'priority', 'state', 'MASTER', 'BACKUP', 'advert_int', 'authentication', 'auth_type',
  'PASS', 'AH', 'auth_pass', 'virtual_ipaddress', 'virtual_ipaddress_excluded', 'virtual_routes', 'unicast_peer',
  'unicast_src_ip', 'track_interface', 'track_script', 'vrrp_script', 'script', 'interval', 'weight', 'fall',
  'rise', 'notify_master', 'notify', 'nopreempt', 'preempt_delay', 'vrrp_strict', 'garp_master_delay',
  'dev', 'label', 'brd', 'scope', 'min_ttl', 'max_ttl', 'use_vmac', '192.0.2.200', '192.0.2.1/24',
  '198.51.100.7', '203.0.113.300', '::1', '0', '1', '0.5', '255', '256', '-1', '1e3', '99999999999999999999',
  '__proto__', 'constructor', 'toString', 'é', '\u0000', '\uFFFD', '\u2028',
];

const soup = fc
  .array(fc.array(fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...tokens) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }), { maxLength: 8 }), {
    maxLength: 40,
  })
  .map((lines) => lines.map((l) => l.join(' ')).join('\n'));

const samplesDir = fileURLToPath(new URL('../../etc/', import.meta.url));
const samples: string[] = [
  ...['node-a.conf', 'node-b.conf', 'vrrpd.conf'].map((f) => readFileSync(join(samplesDir, f), 'utf8')),
  ...readdirSync(KEEPALIVED_SAMPLES_DIR)
    .filter((f) => f.startsWith('keepalived.conf'))
    .map((f) => readFileSync(join(KEEPALIVED_SAMPLES_DIR, f), 'utf8'))
    // Samples that include other files would read from this machine's /etc.
    .filter((text) => !/^\s*include\b/m.test(text)),
];

type Edit =
  | { kind: 'deleteLine'; at: number }
  | { kind: 'duplicateLine'; at: number }
  | { kind: 'swapLines'; at: number; with: number }
  | { kind: 'insertToken'; at: number; token: string }
  | { kind: 'replaceChar'; at: number; char: string }
  | { kind: 'cut'; at: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('deleteLine' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicateLine' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swapLines' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant('insertToken' as const), at: fc.nat(), token: fc.constantFrom(...tokens) }),
  fc.record({ kind: fc.constant('replaceChar' as const), at: fc.nat(), char: fc.constantFrom('{', '}', '"', '#', ' ', '\n', 'x', '9', '\u0000') }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
);

function applyEdits(text: string, edits: readonly Edit[]): string {
  let out = text;
  for (const e of edits) {
    const lines = out.split('\n');
    const n = lines.length;
    if (e.kind === 'deleteLine') lines.splice(e.at % n, 1);
    else if (e.kind === 'duplicateLine') lines.splice(e.at % n, 0, lines[e.at % n] ?? '');
    else if (e.kind === 'swapLines') {
      const [i, j] = [e.at % n, e.with % n];
      [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
    } else if (e.kind === 'insertToken') {
      const at = e.at % (out.length + 1);
      out = `${out.slice(0, at)} ${e.token} ${out.slice(at)}`;
      continue;
    } else if (e.kind === 'replaceChar') {
      const at = e.at % (out.length + 1);
      out = `${out.slice(0, at)}${e.char}${out.slice(at + 1)}`;
      continue;
    } else {
      out = out.slice(0, e.at % (out.length + 1));
      continue;
    }
    out = lines.join('\n');
  }
  return out;
}

function checkResult(result: LoadResult, text: string): void {
  const lineCount = text.split('\n').length;
  const hasError = result.diagnostics.some((d) => d.severity === 'error');
  expect(result.config === undefined, 'config iff no error').toBe(hasError);
  for (const d of result.diagnostics) {
    expect(d.message, 'internal error reached').not.toMatch(/^internal error while parsing/);
    expect(d.message.length).toBeGreaterThan(0);
    // file:line — parseConfigText labels everything with the name it was given.
    expect(d.pos.file).toBe(FILE);
    expect(Number.isInteger(d.pos.line) && d.pos.line >= 0 && d.pos.line <= lineCount, `${d.pos.file}:${d.pos.line} of ${lineCount}: ${d.message}`).toBe(
      true,
    );
  }
}

function parse(text: string): LoadResult {
  try {
    return parseConfigText(text, FILE);
  } catch (e) {
    throw new Error(`parseConfigText threw on ${JSON.stringify(text)}: ${String(e)}`);
  }
}

describe('config front end properties', () => {
  it(`has sample configs to mutate (${samples.length})`, () => {
    expect(samples.length).toBeGreaterThanOrEqual(10);
    // The baseline: our own sample configs are clean.
    for (const text of samples.slice(0, 3)) expect(parse(text).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it(
    `token soups: never throws, every diagnostic has file:line (${10_000 * SCALE} runs)`,
    () => {
      fc.assert(
        fc.property(soup, (text) => checkResult(parse(text), text)),
        { numRuns: 10_000 * SCALE, seed: LONG ? undefined : 42 },
      );
    },
    TIMEOUT_MS,
  );

  it(
    `mutated real configs: never throws, every diagnostic has file:line (${8000 * SCALE} runs)`,
    () => {
      let withErrors = 0;
      fc.assert(
        fc.property(fc.nat(samples.length - 1), fc.array(edit, { minLength: 1, maxLength: 5 }), (index, edits) => {
          const text = applyEdits(samples[index] ?? '', edits);
          const result = parse(text);
          checkResult(result, text);
          if (result.config === undefined) withErrors++;
        }),
        { numRuns: 8000 * SCALE, seed: LONG ? undefined : 43 },
      );
      // The edits do break configs (the property is not vacuous over only-valid input).
      expect(withErrors).toBeGreaterThan(400 * SCALE);
    },
    TIMEOUT_MS,
  );
});
