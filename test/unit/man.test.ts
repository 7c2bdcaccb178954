// vrrpd(8) and vrrpd.conf(5) as scripts/man.ts renders them from man/*.in: `mandoc -T lint` has
// nothing to say, every flag of src/cli/flags.ts and every option of `vrrpd -h` is in vrrpd(8), a
// page that lacks one is caught by name (what the release checks), the keyword rows name keywords
// src/config knows, and the unit's Documentation= points at both pages.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, vrrpdCli } from '../../lab/vrrpd.js';
import { FLAGS } from '../../src/cli/flags.js';
import { KEYWORD_ROWS } from '../../scripts/man-keywords.js';
import { checkPages, flagsMdoc, missingFlags, PAGES, renderPage } from '../../scripts/man.js';
import { itUnless } from '../helpers/unmet.js';

const manDir = join(repoRoot(), 'man');
const mandoc = spawnSync('mandoc', ['-V'], { encoding: 'utf8' });
const mandocWhy = mandoc.error === undefined ? '' : `mandoc cannot run here (${mandoc.error.message}): scripts/setup.sh installs it`;

function rendered(page: (typeof PAGES)[number]): string {
  const r = renderPage(manDir, page);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** mandoc -T ascii of a page text, overstrike removed. */
function ascii(text: string, dir: string): string {
  const file = join(dir, 'page');
  writeFileSync(file, text);
  const r = spawnSync('mandoc', ['-T', 'ascii', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mandoc -T ascii: ${r.stderr}`);
  return r.stdout;
}

describe('the man pages', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vrrpd-man-test-'));
    for (const page of PAGES) writeFileSync(join(dir, page), rendered(page));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('mandoc -T lint -W style: nothing but what depends on the host (pages it has installed)', () => {
    expect(mandocWhy).toBe('');
    expect(checkPages(dir)).toEqual([]);
  });

  it('the lint does speak up about a broken page (so its silence above means something)', () => {
    expect(mandocWhy).toBe('');
    const broken = join(dir, 'broken');
    rmSync(broken, { recursive: true, force: true });
    spawnSync('mkdir', [broken]);
    for (const page of PAGES) writeFileSync(join(broken, page), rendered(page).replace('.Sh DESCRIPTION', '.Sh DESCRIPTION\n.Bl -tag'));
    const problems = checkPages(broken);
    expect(problems.some((p) => /vrrpd\.8:\d+:\d+: (WARNING|ERROR)/.test(p))).toBe(true);
  });

  it('vrrpd(8) shows every flag of src/cli/flags.ts, both spellings', () => {
    expect(mandocWhy).toBe('');
    expect(missingFlags(ascii(rendered('vrrpd.8'), dir))).toEqual([]);
  });

  it('a vrrpd(8) without a flag is caught, naming it', () => {
    expect(mandocWhy).toBe('');
    const without = FLAGS.filter((f) => f.long !== 'use-file' && f.long !== 'flush-log-file');
    const page = rendered('vrrpd.8').replace(flagsMdoc(), flagsMdoc(without));
    expect(missingFlags(ascii(page, dir))).toEqual(['-f, --use-file', '--flush-log-file']);
  });

  itUnless(!existsSync(vrrpdCli()))(`vrrpd(8) shows every long option vrrpd -h lists (the vrrpd-only ones too)${existsSync(vrrpdCli()) ? '' : ' (skipped: npm run build first)'}`, () => {
    const help = spawnSync(process.execPath, [vrrpdCli(), '-h'], { encoding: 'utf8' }).stdout;
    const longs = [...new Set([...help.matchAll(/--([a-z][\w-]*)/g)].map((m) => m[1] as string))];
    expect(longs.length).toBeGreaterThan(FLAGS.length);
    const page = ascii(rendered('vrrpd.8'), dir).replace(/.\x08/g, '');
    expect(longs.filter((l) => !page.includes(`--${l}`))).toEqual([]);
  });

  it('vrrpd.conf(5): every keyword row names a keyword src/config knows by that name', () => {
    const configDir = join(repoRoot(), 'src', 'config');
    const source = readdirSync(configDir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(join(configDir, f), 'utf8'))
      .join('\n');
    const unknown = KEYWORD_ROWS.flatMap((r) => r.keywords).filter((k) => !source.includes(`'${k}'`));
    expect(unknown).toEqual([]);
    const page = rendered('vrrpd.conf.5');
    for (const r of KEYWORD_ROWS) for (const k of r.keywords) expect(page).toContain(`Ic ${k}`);
  });

  it('the unit\'s Documentation= points at both pages', () => {
    const unit = readFileSync(join(repoRoot(), 'systemd', 'vrrpd.service'), 'utf8');
    const docs = unit.split('\n').filter((l) => l.startsWith('Documentation=')).flatMap((l) => l.slice('Documentation='.length).split(/\s+/));
    expect(docs).toEqual(expect.arrayContaining(['man:vrrpd(8)', 'man:vrrpd.conf(5)']));
    expect(PAGES).toEqual(['vrrpd.8', 'vrrpd.conf.5']);
  });
});
