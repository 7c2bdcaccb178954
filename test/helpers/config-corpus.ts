// The config fuzz corpus, shared by the front end's property test (config-property-fuzz) and the
// reload fuzz (reload-verdict-fuzz): token soups and real configs (our etc/ and keepalived's
// shipped samples) mutated by line and character edits.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { KEEPALIVED_SAMPLES_DIR } from './captures.js';

/** No include: a soup must not make the parser read arbitrary files from this machine. */
export const tokens = [
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

export const soup = fc
  .array(fc.array(fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...tokens) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }), { maxLength: 8 }), {
    maxLength: 40,
  })
  .map((lines) => lines.map((l) => l.join(' ')).join('\n'));

const samplesDir = fileURLToPath(new URL('../../etc/', import.meta.url));
/** Our three sample configs first (all clean), then keepalived's samples without includes. */
export const samples: string[] = [
  ...['node-a.conf', 'node-b.conf', 'vrrpd.conf'].map((f) => readFileSync(join(samplesDir, f), 'utf8')),
  ...readdirSync(KEEPALIVED_SAMPLES_DIR)
    .filter((f) => f.startsWith('keepalived.conf'))
    .map((f) => readFileSync(join(KEEPALIVED_SAMPLES_DIR, f), 'utf8'))
    // Samples that include other files would read from this machine's /etc.
    .filter((text) => !/^\s*include\b/m.test(text)),
];

export type Edit =
  | { kind: 'deleteLine'; at: number }
  | { kind: 'duplicateLine'; at: number }
  | { kind: 'swapLines'; at: number; with: number }
  | { kind: 'insertToken'; at: number; token: string }
  | { kind: 'replaceChar'; at: number; char: string }
  | { kind: 'cut'; at: number };

export const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('deleteLine' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicateLine' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swapLines' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant('insertToken' as const), at: fc.nat(), token: fc.constantFrom(...tokens) }),
  fc.record({ kind: fc.constant('replaceChar' as const), at: fc.nat(), char: fc.constantFrom('{', '}', '"', '#', ' ', '\n', 'x', '9', '\u0000') }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
);

export function applyEdits(text: string, edits: readonly Edit[]): string {
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

/** A real config with 1 to 5 edits. */
export const mutatedSample: fc.Arbitrary<string> = fc
  .tuple(fc.nat(samples.length - 1), fc.array(edit, { minLength: 1, maxLength: 5 }))
  .map(([index, edits]) => applyEdits(samples[index] ?? '', edits));
