// The include glob (glibc glob(GLOB_BRACE) as keepalived uses it) and the guarded file reader.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BRACE_PATTERNS, expandBraces, globFiles, hasWildcard, matchComponent } from '../../src/config/glob.js';
import { readConfigFile } from '../../src/config/read-file.js';

describe('brace expansion', () => {
  it('alternatives in written order, nested, several groups, escapes', () => {
    expect(expandBraces('a{b,c}d')).toEqual(['abd', 'acd']);
    expect(expandBraces('{z,a}')).toEqual(['z', 'a']);
    expect(expandBraces('x{1,{2,3}}')).toEqual(['x1', 'x2', 'x3']);
    expect(expandBraces('{a,b}{1,2}')).toEqual(['a1', 'a2', 'b1', 'b2']);
    expect(expandBraces('f{,.bak}')).toEqual(['f', 'f.bak']);
    expect(expandBraces('a\\{b,c}')).toEqual(['a\\{b,c}']);
    expect(expandBraces('plain')).toEqual(['plain']);
  });

  it('an unmatched { switches brace expansion off for the (sub)pattern it is in (glibc)', () => {
    expect(expandBraces('{a,b')).toEqual(['{a,b']);
    expect(expandBraces('x{a,b}{c')).toEqual(['xa{c', 'xb{c']);
  });

  it(`more than ${MAX_BRACE_PATTERNS} alternatives is refused`, () => {
    expect(expandBraces('{a,b}'.repeat(10))).toHaveLength(1024);
    expect(expandBraces('{a,b}'.repeat(11))).toBeUndefined();
  });
});

describe('component matching (fnmatch with FNM_PERIOD)', () => {
  it.each([
    ['*.conf', 'a.conf', true],
    ['*.conf', 'a.conf.bak', false],
    ['*', '.hidden', false],
    ['.*', '.hidden', true],
    ['?.conf', 'a.conf', true],
    ['?.conf', 'ab.conf', false],
    ['[ab].conf', 'b.conf', true],
    ['[!ab].conf', 'b.conf', false],
    ['[^ab].conf', 'c.conf', true],
    ['[a-c]*', 'bx', true],
    ['[a-c]*', 'dx', false],
    ['[[:digit:]]x', '7x', true],
    ['[]]', ']', true],
    ['\\*', '*', true],
    ['\\*', 'a', false],
    ['a[b', 'a[b', true],
    ['*a*b*c', 'xxaybzc', true],
    ['*a*b*c', 'xxaybz', false],
  ])('%s ~ %s: %s', (pattern, name, expected) => {
    expect(matchComponent(pattern, name)).toBe(expected);
  });

  it('what counts as a wildcard', () => {
    expect(hasWildcard('a*')).toBe(true);
    expect(hasWildcard('a?')).toBe(true);
    expect(hasWildcard('[ab]')).toBe(true);
    expect(hasWildcard('a[b')).toBe(false);
    expect(hasWildcard('a\\*')).toBe(false);
    expect(hasWildcard('plain.conf')).toBe(false);
  });
});

describe('globFiles', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vrrpd-glob-'));
    for (const name of ['b.conf', 'a.conf', 'c.txt', '.hidden.conf', 'sub/x.conf', 'sub/y.conf', 'sub2/x.conf']) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), '');
    }
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling.conf'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('matches sorted, relative to the base directory, hidden files only when asked', () => {
    expect(globFiles('*.conf', dir).matches).toEqual(['a.conf', 'b.conf', 'dangling.conf'].map((f) => join(dir, f)));
    expect(globFiles('.*.conf', dir).matches).toEqual([join(dir, '.hidden.conf')]);
    expect(globFiles('*/x.conf', dir).matches).toEqual([join(dir, 'sub/x.conf'), join(dir, 'sub2/x.conf')]);
    expect(globFiles(join(dir, 'sub/*'), '/elsewhere').matches).toEqual([join(dir, 'sub/x.conf'), join(dir, 'sub/y.conf')]);
  });

  it('brace alternatives keep their order; each one sorted', () => {
    expect(globFiles('{sub/*,b.conf,a.conf}', dir).matches).toEqual(
      ['sub/x.conf', 'sub/y.conf', 'b.conf', 'a.conf'].map((f) => join(dir, f)),
    );
  });

  it("reports what keepalived's include checks need", () => {
    expect(globFiles('a.conf', dir)).toMatchObject({ missing: false, hadWildcards: false, hasBraces: false });
    expect(globFiles('nope.conf', dir)).toMatchObject({ matches: [], missing: true, hadWildcards: false });
    expect(globFiles('*.none', dir)).toMatchObject({ matches: [], missing: false, hadWildcards: true });
    expect(globFiles('nodir/*.conf', dir)).toMatchObject({ matches: [], missing: true });
    expect(globFiles('{a,zz}.conf', dir)).toMatchObject({ matches: [join(dir, 'a.conf')], missing: true, hasBraces: true });
  });

  it('a directory matches (the caller refuses it); a trailing slash matches only directories', () => {
    expect(globFiles('sub', dir).matches).toEqual([join(dir, 'sub')]);
    expect(globFiles('sub/', dir).matches).toEqual([`${join(dir, 'sub')}/`]);
    expect(globFiles('a.conf/', dir).matches).toEqual([]);
  });
});

describe('readConfigFile', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vrrpd-read-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a regular file within the bound, refuses a longer one', () => {
    const path = join(dir, 'ok.conf');
    writeFileSync(path, 'router_id A\n');
    expect(readConfigFile(path, 100)).toEqual({ ok: true, text: 'router_id A\n', bytes: 12 });
    expect(readConfigFile(path, 11)).toEqual({ ok: false, kind: 'refused', reason: 'it is larger than 11 bytes (12 bytes)' });
  });

  it('a missing file and an executable one', () => {
    const missing = readConfigFile(join(dir, 'nope.conf'), 100);
    expect(missing).toMatchObject({ ok: false, kind: 'missing' });
    expect(missing.ok ? '' : missing.reason).toMatch(/^ENOENT/);
    const exec = join(dir, 'exec.conf');
    writeFileSync(exec, 'x\n');
    chmodSync(exec, 0o700);
    expect(readConfigFile(exec, 100)).toMatchObject({ ok: false, kind: 'refused' });
  });
});
