// The front end must never throw, whatever the text: random garbage, random keyword soup, and
// every prefix of a real config (a file cut short while being written).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/config/config.js';
import { MAX_BLOCK_DEPTH } from '../../src/config/limits.js';
import { parseConfigText } from '../../src/config/load.js';
import type { LoadResult } from '../../src/config/load.js';
import { prng } from '../helpers/prng.js';

const pieces = [
  '{', '}', '"', '#', '!', '\\', '\\#', ' ', '\t', '\r', '/', '$', '@', '~SEQ(', 'include', '=',
  'vrrp_instance', 'VI_1', 'global_defs', 'interface', 'lo', 'eth0', 'virtual_router_id', 'priority',
  'state', 'MASTER', 'BACKUP', 'advert_int', '0.5', '1', '255', '256', '-1', '1e3', 'authentication',
  'auth_type', 'PASS', 'AH', 'auth_pass', '123456789', 'virtual_ipaddress', '192.0.2.200', '192.0.2.1/24',
  '::1', 'dev', 'label', 'brd', 'nopreempt', 'preempt', 'vrrp_strict', 'notify', 'constructor',
  '__proto__', 'toString', 'hasOwnProperty', 'garp_master_repeat', '0', 'é', '\u0000', '\uFFFD',
];

function invariantsHold(result: LoadResult): void {
  const hasError = result.diagnostics.some((d) => d.severity === 'error');
  // A Config comes back exactly when nothing is an error.
  expect(result.config === undefined).toBe(hasError);
  for (const d of result.diagnostics) {
    expect(['error', 'warning']).toContain(d.severity);
    expect(Number.isInteger(d.pos.line) && d.pos.line >= 0).toBe(true);
    expect(typeof d.message).toBe('string');
    expect(d.message.length).toBeGreaterThan(0);
  }
}

describe('config front end never throws', () => {
  it('random keyword soup (2000 files)', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const rand = prng(seed);
      const lineCount = Math.floor(rand() * 30);
      const text = Array.from({ length: lineCount }, () => {
        const n = Math.floor(rand() * 8);
        return Array.from({ length: n }, () => pieces[Math.floor(rand() * pieces.length)]).join(rand() < 0.7 ? ' ' : '');
      }).join('\n');
      let result: LoadResult | undefined;
      expect(() => {
        result = parseConfigText(text, `fuzz-${seed}.conf`);
      }, `seed ${seed}`).not.toThrow();
      if (result) invariantsHold(result);
    }
  });

  it('random bytes (500 files)', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const rand = prng(seed * 7919);
      const bytes = Buffer.from(Array.from({ length: Math.floor(rand() * 400) }, () => Math.floor(rand() * 256)));
      const result = parseConfigText(bytes.toString('utf8'), 'bytes.conf');
      invariantsHold(result);
    }
  });

  it('every prefix of a real config', () => {
    const text = readFileSync(fileURLToPath(new URL('../../etc/node-a.conf', import.meta.url)), 'utf8');
    for (let cut = 0; cut <= text.length; cut++) {
      invariantsHold(parseConfigText(text.slice(0, cut), 'cut.conf'));
    }
  });

  it('deep nesting does not overflow: blocks up to the depth bound are read, deeper is one error', () => {
    const nest = (depth: number): string => `${'a {\n'.repeat(depth)}${'}\n'.repeat(depth)}`;
    expect(parseConfigText(nest(MAX_BLOCK_DEPTH), 'deep.conf').diagnostics.map((d) => d.message)).toEqual([
      'no vrrp_instance defined: there is nothing to run',
      "unknown block 'a' - skipped",
    ]);
    // 30,000 deep overflowed the stack before the bound (an "internal error" at line 0).
    for (const depth of [MAX_BLOCK_DEPTH + 1, 5000, 30_000]) {
      expect(parseConfigText(nest(depth), 'deep.conf').diagnostics.map(formatDiagnostic)).toEqual([
        `deep.conf:${MAX_BLOCK_DEPTH + 1}: blocks are nested more than ${MAX_BLOCK_DEPTH} deep; reading stops here`,
      ]);
    }
  });
});
