// Bad input through `vrrpd -t`, the compiled CLI as a user runs it: random bytes, a config cut
// after every one of its lines, stray braces, unterminated quotes, configs that exhausted the heap. Each must end in messages and an
// exit code — never a stack trace, a hang or a crash. (Fuzzing the parser itself, with many more
// inputs, is test/unit/config-fuzz.test.ts's job; this is the process boundary.)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CONFIG_BOMBS, writeBomb } from '../../lab/config-bombs.js';
import { repoRoot, vrrpdBin, vrrpdCli } from '../../lab/vrrpd.js';
import { KEEPALIVED_SAMPLES_DIR } from '../helpers/captures.js';
import { describeUnless } from '../helpers/unmet.js';

const cli = vrrpdCli();
const built = existsSync(cli);
// Made when the tests run, not when the file is collected: a filtered or skipped run would
// otherwise leave it behind (afterAll does not run for a suite that never ran).
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vrrpd-bad-input-'));
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly name: string;
  readonly path: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runTest(name: string, content: string | Buffer): Promise<Run> {
  const path = join(dir, name);
  writeFileSync(path, content);
  return runOn(name, path, [process.execPath, cli]);
}

/** `COMMAND -t -f PATH`, killed after 10 s. */
function runOn(name: string, path: string, command: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    const [file, ...args] = command as [string, ...string[]];
    const child = spawn(file, [...args, '-t', '-f', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ name, path, code, signal, stdout, stderr });
    });
  });
}

async function runAll(inputs: readonly (readonly [string, string | Buffer])[]): Promise<Run[]> {
  const out: Run[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < inputs.length) {
      const [name, content] = inputs[next++] as readonly [string, string | Buffer];
      out.push(await runTest(name, content));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return out;
}

/** A clean end: a normal exit with one of -t's codes, its summary line last, no JS stack. */
function expectCleanEnd(r: Run): void {
  const context = `${r.name}:\n${r.stderr}`;
  expect(r.signal, context).toBeNull();
  expect([0, 4, 5, 6], context).toContain(r.code);
  expect(r.stderr, context).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(r.stderr, context).not.toMatch(/internal error|TypeError|RangeError|ReferenceError/);
  expect(r.stderr.trimEnd().split('\n').at(-1), context).toMatch(new RegExp(`^${r.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\d+ errors?, \\d+ warnings? in `));
}

/** Rejected with at least one `file:line: ...` message about it. */
function expectRejected(r: Run): void {
  expectCleanEnd(r);
  expect(r.code, `${r.name}:\n${r.stderr}`).not.toBe(0);
  expect(r.stderr, r.name).toMatch(/^error: /m);
}

/** Deterministic bytes (a linear congruential generator): the same "random" file every run. */
function bytes(seed: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const sample = readFileSync(join(KEEPALIVED_SAMPLES_DIR, 'keepalived.conf.vrrp'), 'utf8');
const sampleLines = sample.split('\n');

/** How many blocks are open after the first `n` lines (comments and quotes ignored, as the lexer does). */
function depthAfter(n: number): number {
  let depth = 0;
  for (const line of sampleLines.slice(0, n)) {
    const code = line.replace(/"[^"]*"/g, '').replace(/[#!].*$/, '');
    for (const ch of code) depth += ch === '{' ? 1 : ch === '}' ? -1 : 0;
  }
  return depth;
}

describeUnless(!built)(`vrrpd -t on bad input${built ? '' : ' (skipped: run npm run build first)'}`, () => {
  it('random bytes: rejected with a message, never a crash', async () => {
    const runs = await runAll([
      ...[1, 2, 3, 4, 5, 6].map((seed) => [`random-${seed}.conf`, bytes(seed, 64 << seed)] as const),
      ['nul-bytes.conf', Buffer.alloc(2048)] as const,
      ['binary-then-config.conf', Buffer.concat([bytes(9, 300), Buffer.from(`\n${sample}`)])] as const,
    ]);
    for (const r of runs) expectRejected(r);
  }, 30_000);

  // Every third cut point (each is a Node process; every line is what the parser-level fuzz does).
  const cuts = sampleLines.map((_, n) => n).filter((n) => n % 3 === 0 || n === sampleLines.length - 1);
  it(`a ${sampleLines.length}-line config cut after every third line: a clean end every time, an error whenever a block is left open`, async () => {
    const inputs = cuts.map((n) => [`cut-${String(n).padStart(3, '0')}.conf`, sampleLines.slice(0, n).join('\n')] as const);
    const runs = await runAll(inputs);
    expect(runs).toHaveLength(cuts.length);
    let open = 0;
    for (const r of runs) {
      const n = Number(/cut-(\d+)/.exec(r.name)?.[1]);
      if (depthAfter(n) > 0) {
        open++;
        expectRejected(r);
      } else {
        expectCleanEnd(r);
      }
    }
    // The sample is mostly inside blocks, so this really tested cuts in the middle of them.
    expect(open).toBeGreaterThan(cuts.length / 2);
  }, 60_000);

  it('the configs that exhausted the heap (issue 22), through bin/vrrpd and its 256 MB heap: exit 5 with the bound\'s file:line, in under 3 s', async () => {
    const seed = readFileSync(join(repoRoot(), 'etc', 'node-a.conf'), 'utf8');
    for (const bomb of CONFIG_BOMBS) {
      const sub = mkdtempSync(join(dir, 'bomb-'));
      const t0 = performance.now();
      const r = await runOn(bomb.name, writeBomb(sub, bomb, seed), [vrrpdBin()]);
      const ms = performance.now() - t0;
      expectRejected(r);
      expect(r.code, `${bomb.name}:\n${r.stderr}`).toBe(5);
      expect(r.stderr, bomb.name).not.toMatch(/heap|FATAL/);
      expect(r.stderr.split('\n').length, bomb.name).toBeLessThan(110);
      expect(ms, bomb.name).toBeLessThan(3000);
    }
  }, 60_000);

  it('stray and missing braces, unterminated quotes: rejected with file:line', async () => {
    const good = 'vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.200/24\n    }\n}\n';
    const runs = await runAll([
      ['stray-close.conf', `}\n${good}`],
      ['stray-close-inside.conf', good.replace('    interface eth0\n', '    interface eth0\n    }\n')],
      ['stray-open.conf', good.replace('    interface eth0\n', '    {\n    interface eth0\n')],
      ['only-braces.conf', '{{{{}}}}}}}{{{\n'],
      ['brace-soup.conf', `${good}{\n`.repeat(3)],
      ['unterminated-quote-auth.conf', good.replace('    interface eth0\n', '    interface eth0\n    authentication {\n        auth_type PASS\n        auth_pass "abc\n    }\n')],
      ['unterminated-quote-name.conf', good.replace('VI_1', '"VI_1')],
      ['unterminated-quote-script.conf', `vrrp_script chk {\n    script "/usr/bin/true\n}\n${good}`],
      ['quote-swallows-brace.conf', good.replace('192.0.2.200/24', '"192.0.2.200/24 }')],
    ]);
    for (const r of runs) {
      expectCleanEnd(r);
      expect(r.code, `${r.name}:\n${r.stderr}`).not.toBe(0);
      expect(r.stderr, r.name).toMatch(new RegExp(`^error: ${r.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(:\\d+)?: `, 'm'));
    }
  }, 30_000);
});
