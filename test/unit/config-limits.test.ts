// The bounded parser (src/config/limits.ts): each config of issue 22 item 2 that exhausted the heap
// or stalled the daemon, and variations, ends in one `file:line` error naming the bound, quickly,
// with nothing read after it; the diagnostics of one kind are listed up to a count and then
// summed up in one line; every list and repeated block reads in linear time.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDiagnostic, type ConfigDiagnostic } from '../../src/config/config.js';
import {
  MAX_BLOCK_DEPTH,
  MAX_DIAGNOSTICS_PER_KIND,
  MAX_DIRECTORY_ENTRIES,
  MAX_EXPANDED_BYTES,
  MAX_INSTANCES,
  MAX_LINES,
  MAX_WORDS,
} from '../../src/config/limits.js';
import { lexConfig } from '../../src/config/lexer.js';
import { capPerKind, loadConfig, parseConfigText, type LoadResult } from '../../src/config/load.js';
import { forConfigTest, summaryLine } from '../../src/check/config-test.js';
import { repoRoot } from '../../lab/vrrpd.js';

const seed = readFileSync(join(repoRoot(), 'etc', 'node-a.conf'), 'utf8');
const seedLines = seed.split('\n').length - 1;
const messages = (r: LoadResult): string[] => r.diagnostics.map(formatDiagnostic);
const words = (n: number): string => Array<string>(n).fill('y').join(' ');

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vrrpd-limits-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Load `text` as DIR/name (with `extra` files beside it), timed. */
function timedLoad(name: string, text: string, extra: Record<string, string> = {}): { result: LoadResult; ms: number; path: string } {
  for (const [file, content] of Object.entries(extra)) writeFileSync(join(dir, file), content);
  const path = join(dir, name);
  writeFileSync(path, text);
  const t0 = performance.now();
  const result = loadConfig(path, { configId: 'x' });
  return { result, ms: performance.now() - t0, path };
}

const EXPANDED = `the configuration holds more than ${MAX_EXPANDED_BYTES / 1024 / 1024} MiB of text once ~SEQ/~LST and parameters are expanded; reading stops here`;

describe('a config past a bound: one file:line error, fast, nothing read after it', () => {
  it('the heap killer (~SEQ 10,000 lines of 60,000 characters): the expanded-text bound, in well under a second', () => {
    const { result, ms, path } = timedLoad('heap.conf', `${seed}~SEQ(i,1,10000) ${'y'.repeat(60_000)}\n`);
    expect(messages(result)).toEqual([`${path}:${seedLines + 1}: ${EXPANDED}`]);
    expect(result.config).toBeUndefined();
    expect(ms).toBeLessThan(2000);
  });

  it('variations: a multi-line parameter, a ~LST, a $NAME on a plain line', () => {
    const big = 'y'.repeat(60_000);
    const cases: Record<string, string> = {
      multiline: `$P=${big}\\\n${big}\n\n~SEQ(i,1,10000) $P\n`,
      lst: `$P=${big}\n~LST(i,${Array.from({ length: 2000 }, (_, k) => k).join(',')}) ~SEQ(j,1,10) $P\n`,
      param: `$P=${big}\n${Array.from({ length: 2000 }, () => 'x $P').join('\n')}\n`,
    };
    for (const [name, text] of Object.entries(cases)) {
      const { result, ms } = timedLoad(`${name}.conf`, text);
      expect(messages(result).map((m) => m.replace(/^[^:]+:\d+: /, '')), name).toEqual([EXPANDED]);
      expect(ms, name).toBeLessThan(2000);
    }
  });

  it('the 7.8 MB include (130 lines of 30,000 words): the word bound, at its line in the included file', () => {
    const { result, ms } = timedLoad('include.conf', `${seed}include big.inc\n`, { 'big.inc': `${Array.from({ length: 130 }, () => words(30_000)).join('\n')}\n` });
    const seedWords = lexConfig(seed, 'seed').lines.reduce((n, l) => n + l.tokens.length, 0);
    const line = Math.floor((MAX_WORDS - seedWords) / 30_000) + 1;
    expect(messages(result)).toEqual([`${join(dir, 'big.inc')}:${line}: the configuration has more than ${MAX_WORDS} words; reading stops here`]);
    expect(ms).toBeLessThan(3000);
  });

  it(`more than ${MAX_LINES} lines: the line bound (and no "missing '}'" for the blocks it cut)`, () => {
    const { result, path } = timedLoad('lines.conf', `vrrp_instance VI_1 {\n virtual_ipaddress {\n${'  192.0.2.1\n'.repeat(MAX_LINES)}  }\n}\n`);
    // The two block openers are two logical lines each (`vrrp_instance VI_1`, `{`).
    expect(messages(result)).toEqual([`${path}:${MAX_LINES - 1}: the configuration has more than ${MAX_LINES} lines; reading stops here`]);
  });

  it(`blocks nested more than ${MAX_BLOCK_DEPTH} deep: the depth bound at the brace (45,000 deep overflowed the stack)`, () => {
    for (const opener of ['a', 'global_defs', 'vrrp_instance X']) {
      const result = parseConfigText(`${opener} {\n`.repeat(45_000), 'deep.conf');
      expect(messages(result), opener).toEqual([`deep.conf:${MAX_BLOCK_DEPTH + 1}: blocks are nested more than ${MAX_BLOCK_DEPTH} deep; reading stops here`]);
    }
  });

  it(`more than ${MAX_INSTANCES} vrrp_instances: one error at the first one too many`, () => {
    const instance = (i: number): string => `vrrp_instance VI_${i} {\n interface eth${i % 32}\n virtual_router_id ${(i % 255) + 1}\n priority 100\n virtual_ipaddress {\n  192.0.2.1\n }\n}\n`;
    const text = Array.from({ length: MAX_INSTANCES + 10 }, (_, i) => instance(i)).join('');
    const result = parseConfigText(text, 'many.conf');
    expect(messages(result)).toEqual([`many.conf:${MAX_INSTANCES * 8 + 1}: more than ${MAX_INSTANCES} vrrp_instances: VI_${MAX_INSTANCES} and the ones after it are not read`]);
  });

  it(`an include glob that looks at more than ${MAX_DIRECTORY_ENTRIES} directory entries and paths: refused at the include line`, () => {
    // 120 directories of 100 files: the listing alone passes the bound.
    for (let d = 0; d < 120; d++) {
      mkdirSync(join(dir, 'tree', `d${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(join(dir, 'tree', `d${d}`, `f${f}`), '');
    }
    const { result, ms, path } = timedLoad('glob.conf', `${seed}include tree/*/*\n`);
    expect(messages(result)).toEqual([`${path}:${seedLines + 1}: include 'tree/*/*': matching it looks at more than ${MAX_DIRECTORY_ENTRIES} directory entries and paths`]);
    expect(ms).toBeLessThan(3000);
    // Making the 12,000 files takes ~1 s on a quiet machine and 16 s behind other disk work; the
    // read itself is bounded above.
  }, 60_000);
});

describe('expansion bombs of every shape end fast, at a bound', () => {
  // Nested ~SEQ/~LST over long values and multi-line parameters, sizes drawn at random: whatever
  // the mix, reading ends within seconds with a bound's error or a config, never an internal error.
  const bomb = fc.record({
    counts: fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 3 }),
    valueLength: fc.integer({ min: 1, max: 60_000 }),
    multiline: fc.integer({ min: 1, max: 50 }),
    lst: fc.boolean(),
    tail: fc.constantFrom('', ' {', ' }', ' $V', ' ${V}'),
  });
  it('50 random bombs', () => {
    fc.assert(
      fc.property(bomb, ({ counts, valueLength, multiline, lst, tail }) => {
        const value = 'y'.repeat(valueLength);
        const definition = `$V=${Array.from({ length: multiline }, () => value).join('\\\n')}\n\n`;
        const loops = counts
          .map((n, k) => (lst && k === 0 ? `~LST(l${k},${Array.from({ length: Math.min(n, 2000) }, (_, i) => i).join(',')})` : `~SEQ(s${k},1,${n})`))
          .join(' ');
        const t0 = performance.now();
        const result = parseConfigText(`${definition}${loops} x${tail} $V\n`, 'bomb.conf');
        expect(performance.now() - t0).toBeLessThan(5000);
        expect(result.diagnostics.filter((d) => d.message.startsWith('internal error'))).toEqual([]);
        expect(result.diagnostics.every((d) => d.pos.file === 'bomb.conf')).toBe(true);
      }),
      { numRuns: 50, seed: 45 },
    );
  }, 120_000);
});

describe(`at most ${MAX_DIAGNOSTICS_PER_KIND} diagnostics of one kind, then one line for the rest`, () => {
  it('90,000 unknown keywords: 100 listed, one line for the 89,900 others; -t still counts 90,000 errors', () => {
    const { result, path } = timedLoad('unknown.conf', `${seed}${Array.from({ length: 90_000 }, (_, i) => `unknown_${i}`).join('\n')}\n`);
    const listed = messages(result);
    expect(listed).toHaveLength(MAX_DIAGNOSTICS_PER_KIND + 1);
    expect(listed[0]).toBe(`${path}:${seedLines + 1}: unknown keyword 'unknown_0'`);
    expect(listed.at(-1)).toBe(`${path}:${seedLines + MAX_DIAGNOSTICS_PER_KIND + 1}: 89900 more unknown keywords or blocks from here on are not listed`);
    const ranked = forConfigTest(result.diagnostics);
    expect(summaryLine(path, ranked, 1, 1)).toBe(`${path}: 90000 errors, 0 warnings in 1 file, 1 vrrp_instance - exit 5: configuration errors`);
  });

  it('kinds are capped apart, in their order; a line standing for others adds its count when capped again', () => {
    const d = (severity: 'error' | 'warning', line: number, extra: Partial<ConfigDiagnostic> = {}): ConfigDiagnostic => ({ severity, pos: { file: 'f', line }, message: `m${line}`, ...extra });
    const input = [
      ...Array.from({ length: MAX_DIAGNOSTICS_PER_KIND + 2 }, (_, i) => d('error', i + 1)),
      d('warning', 1000, { kind: 'unknown' }),
      d('error', 2000, { class: 'missing' }),
    ];
    const once = capPerKind(input);
    expect(once.map((x) => x.message)).toEqual([
      ...Array.from({ length: MAX_DIAGNOSTICS_PER_KIND }, (_, i) => `m${i + 1}`),
      'm1000',
      'm2000',
      '2 more errors from here on are not listed',
    ]);
    expect(once.at(-1)).toMatchObject({ severity: 'error', pos: { file: 'f', line: MAX_DIAGNOSTICS_PER_KIND + 1 }, omitted: 2 });
    expect(capPerKind([...once, d('error', 3000)]).at(-1)).toMatchObject({ message: '3 more errors from here on are not listed', omitted: 3 });
  });
});

describe('lists and repeated blocks read in linear time', () => {
  // Each of these searched its list per entry once: 20,000 VIPs took 49-73 s, 40,000 vrrp_scripts 13 s.
  const N = 20_000;
  const ip = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const inst = (body: string, before = ''): string =>
    `${before}\nvrrp_instance X {\n interface eth0\n virtual_router_id 1\n priority 100\n virtual_ipaddress {\n  192.0.2.1\n }\n${body}\n}\n`;
  const list = (keyword: string, entry: (i: number) => string): string => ` ${keyword} {\n${Array.from({ length: N }, (_, i) => `  ${entry(i)}`).join('\n')}\n }`;
  const blocks = (make: (i: number) => string): string => Array.from({ length: N }, (_, i) => make(i)).join('\n');
  const cases: Record<string, string> = {
    virtual_ipaddress: inst(list('virtual_ipaddress', (i) => `${ip(i)}/32`)),
    'virtual_ipaddress twice each': inst(list('virtual_ipaddress', (i) => `${ip(i % (N / 2))}/32`)),
    track_interface: inst(list('track_interface', (i) => `if${i}`)),
    track_script: inst(list('track_script', (i) => `s${i}`)),
    track_file: inst(list('track_file', (i) => `f${i}`)),
    unicast_peer: inst(list('unicast_peer', (i) => ip(i))),
    vrrp_script: inst('', blocks((i) => `vrrp_script s${i} {\n script "/bin/true"\n}`)),
    track_file_blocks: inst('', blocks((i) => `track_file f${i} {\n file "/tmp/x${i}"\n}`)),
    vrrp_sync_group: inst('', blocks((i) => `vrrp_sync_group G${i} {\n group {\n  X\n }\n}`)),
    unicast_instances_one_vrid: Array.from(
      { length: 3000 },
      (_, i) => `vrrp_instance I${i} {\n interface eth0\n virtual_router_id 1\n unicast_src_ip 192.0.2.1\n unicast_peer {\n${Array.from({ length: 10 }, (__, j) => `  ${ip(i * 10 + j)}`).join('\n')}\n }\n virtual_ipaddress {\n  ${ip(i)}\n }\n}\n`,
    ).join(''),
  };
  for (const [name, text] of Object.entries(cases)) {
    it(`${name}`, () => {
      const t0 = performance.now();
      const result = parseConfigText(text, 'list.conf');
      const ms = performance.now() - t0;
      expect(result.diagnostics.filter((d) => d.message.startsWith('internal error'))).toEqual([]);
      // Linear: 0.1-0.5 s each on a loaded 2-core VM; searched per entry, 2.2-49 s.
      expect(ms, `${name}: ${ms.toFixed(0)} ms`).toBeLessThan(2500);
    }, 20_000);
  }
});
