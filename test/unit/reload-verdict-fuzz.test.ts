// The reload fuzz (issue 22 item 5): for every config of the fuzz corpus (real configs with random
// edits, token soups) a reload goes ahead exactly when `vrrpd -t` prints no `error:` line: -t's exit
// 0 is applied, 4 and 5 are refused, 6 (script security, warnings in -t's output) is applied as
// start-up runs it. A refused reload logs -t's own error lines. Both sides run the real code
// (runConfigTest, loadForReload) on the same file, with the same fixed host facts (interfaces eth0,
// eth1 and lo), read in-process.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { checkInterfaces, interfaceUses, type LinkFacts } from '../../src/host/rules.js';
import { runConfigTest, type EnvironmentCheck } from '../../src/check/config-test.js';
import { CONFIG_TEST_EXIT } from '../../src/exit-codes.js';
import { loadForReload, RELOAD_FAILED } from '../../src/daemon/reload.js';
import { applyEdits, edit, mutatedSample, samples, soup } from '../helpers/config-corpus.js';

const LONG = process.env['VRRPD_LONG'] === '1';
const RUNS = LONG ? 20_000 : 1500;

const links: ReadonlyMap<string, LinkFacts> = new Map(
  [['eth0', false], ['eth1', false], ['lo', true]].map(([name, loopback]) => [name as string, { name: name as string, loopback: loopback as boolean }]),
);
const host: EnvironmentCheck = async (config) => checkInterfaces(interfaceUses(config), links);

/**
 * Our clean seed with values changed within their ranges, and sometimes one random edit on top: the
 * mutated samples alone are nearly all broken, and both verdicts must be met often.
 */
const retouchedSeed: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), fc.constantFrom('192.0.2.201', '192.0.2.1/24', '198.51.100.7 dev eth1', '203.0.113.300'), fc.option(edit, { freq: 3 }))
  .map(([priority, advertInt, vip, extra]) => {
    const text = (samples[0] as string)
      .replace(/priority 150/, `priority ${priority}`)
      .replace(/advert_int 1$/m, `advert_int ${advertInt}`)
      .replace(/^(\s*192\.0\.2\.200)$/m, `$1\n        ${vip}`);
    return extra === null ? text : applyEdits(text, [extra]);
  });

let dir = '';
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vrrpd-reload-fuzz-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Both {
  readonly exit: number;
  /** -t's lines, `error: ` / `warning: ` prefixed, without its summary. */
  readonly tested: readonly string[];
  readonly applied: boolean;
  /** What the reload logged, `error ` / `warn ` prefixed. */
  readonly logged: readonly string[];
}

async function both(text: string): Promise<Both> {
  const path = join(dir, `c${n}.conf`);
  const report = join(dir, `c${n++}.log`);
  writeFileSync(path, text);
  const exit = await runConfigTest({ path, logFile: report, load: { configId: 'lb1' }, dump: false, environment: host });
  const tested = readFileSync(report, 'utf8').trimEnd().split('\n').slice(0, -1);
  const logged: string[] = [];
  const log = { warn: (m: string) => void logged.push(`warn ${m}`), error: (m: string) => void logged.push(`error ${m}`) };
  const config = await loadForReload(path, { configId: 'lb1' }, log, { load: async (p, o) => loadConfig(p, o), environment: host });
  rmSync(path);
  rmSync(report);
  return { exit, tested, applied: config !== undefined, logged };
}

/** The property, with what it found counted. */
function checkAgreement(r: Both, counts: Record<string, number>): void {
  const errors = r.tested.filter((l) => l.startsWith('error: ')).map((l) => l.slice('error: '.length));
  const context = `-t exit ${r.exit}:\n${r.tested.join('\n')}\nreload:\n${r.logged.join('\n')}`;
  expect(r.applied, context).toBe(errors.length === 0);
  if (r.exit === CONFIG_TEST_EXIT.ok) expect(r.applied, context).toBe(true);
  if (r.exit === CONFIG_TEST_EXIT.missing || r.exit === CONFIG_TEST_EXIT.error) expect(r.applied, context).toBe(false);
  // The same lines: -t's errors are the reload's, its warnings the reload's warnings.
  const loggedErrors = r.logged.filter((l) => l.startsWith('error ')).map((l) => l.slice('error '.length));
  expect(loggedErrors, context).toEqual(r.applied ? [] : [...errors, RELOAD_FAILED]);
  expect(r.logged.filter((l) => l.startsWith('warn ')).map((l) => l.slice('warn '.length)), context).toEqual(
    r.tested.filter((l) => l.startsWith('warning: ')).map((l) => l.slice('warning: '.length)),
  );
  const key = `exit ${r.exit} ${r.applied ? 'applied' : 'refused'}`;
  counts[key] = (counts[key] ?? 0) + 1;
}

describe('a reload is refused on exactly what `vrrpd -t` calls an error', () => {
  it('the issue\'s typo (virtual_ipadress) on the seed: -t exit 5, the reload refused with -t\'s line', async () => {
    const r = await both((samples[0] as string).replace('virtual_ipaddress', 'virtual_ipadress'));
    expect(r.exit).toBe(5);
    expect(r.applied).toBe(false);
    expect(r.logged.some((l) => /^error .*: unknown block 'virtual_ipadress' - skipped \(vrrpd would run without it\)$/.test(l))).toBe(true);
    expect(r.logged.at(-1)).toBe(`error ${RELOAD_FAILED}`);
  });

  it('a value keepalived corrects (advert_int 1.5 is rounded): -t exit 5, refused; the clean seed applied; scripts without security: exit 6, applied', async () => {
    const seed = samples[0] as string;
    const corrected = await both(seed.replace(/advert_int 1$/m, 'advert_int 1.5'));
    expect([corrected.exit, corrected.applied]).toEqual([5, false]);
    const clean = await both(seed);
    expect([clean.exit, clean.applied]).toEqual([0, true]);
    const scripted = await both(`vrrp_script chk {\n    script "/bin/true"\n}\n${seed.replace(/(virtual_ipaddress \{)/, 'track_script {\n        chk\n    }\n    $1')}`);
    expect([scripted.exit, scripted.applied]).toEqual([6, true]);
    expect(scripted.logged).toEqual([expect.stringMatching(/^warn .*:2: SECURITY VIOLATION - scripts are being executed but script_security not enabled/)]);
  });

  it(`mutated real configs and token soups (${RUNS} runs): applied exactly when -t lists no error`, async () => {
    const counts: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 3, arbitrary: mutatedSample }, { weight: 2, arbitrary: retouchedSeed }, { weight: 1, arbitrary: soup }),
        async (text) => checkAgreement(await both(text), counts),
      ),
      { numRuns: RUNS, seed: LONG ? undefined : 44 },
    );
    console.info(`reload fuzz: ${JSON.stringify(counts)}`);
    // Not vacuous: many reloads of each verdict, and exit 6's apply was met.
    expect(counts['exit 0 applied'] ?? 0).toBeGreaterThan(RUNS / 20);
    expect((counts['exit 5 refused'] ?? 0) + (counts['exit 4 refused'] ?? 0)).toBeGreaterThan(RUNS / 4);
    expect(counts['exit 6 applied'] ?? 0).toBeGreaterThan(0);
  }, LONG ? 1_800_000 : 120_000);
});
