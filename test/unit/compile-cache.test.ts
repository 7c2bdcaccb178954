// Node's compile cache for vrrpd's command (src/host/compile-cache.ts): where it lives, which
// directories are refused, and that no cache directory, however odd, stops or hangs a start-up.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileCacheDir, unsafeCacheDir } from '../../src/host/compile-cache.js';
import { vrrpdCli } from '../../lab/vrrpd.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vrrpd-compile-cache-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('compileCacheDir', () => {
  it('VRRPD_COMPILE_CACHE first (empty: off), then XDG_CACHE_HOME, then HOME', () => {
    expect(compileCacheDir({ VRRPD_COMPILE_CACHE: '/var/cache/vrrpd', HOME: '/root' })).toEqual({ dir: '/var/cache/vrrpd' });
    expect(compileCacheDir({ VRRPD_COMPILE_CACHE: '', HOME: '/root' })).toEqual({ off: 'VRRPD_COMPILE_CACHE is empty' });
    expect(compileCacheDir({ VRRPD_COMPILE_CACHE: 'cache' })).toHaveProperty('off');
    expect(compileCacheDir({ XDG_CACHE_HOME: '/home/u/.xdg', HOME: '/home/u' })).toEqual({ dir: '/home/u/.xdg/vrrpd' });
    expect(compileCacheDir({ HOME: '/root' })).toEqual({ dir: '/root/.cache/vrrpd' });
    expect(compileCacheDir({ HOME: '/' })).toHaveProperty('off');
    expect(compileCacheDir({})).toHaveProperty('off');
  });
});

describe('unsafeCacheDir', () => {
  const uid = process.getuid?.() ?? 0;
  it('makes a missing directory (and its parent) 0700 and accepts it', () => {
    const d = join(dir, 'cache', 'vrrpd');
    expect(unsafeCacheDir(d, uid)).toBeUndefined();
    expect(statSync(d).mode & 0o777).toBe(0o700);
  });
  it('refuses a directory others can write, another owner, a file, and one it cannot make', () => {
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    expect(unsafeCacheDir(shared, uid)).toBe(`${shared} is writable by others`);
    expect(unsafeCacheDir(dir, uid + 1)).toMatch(/belongs to uid/);
    const file = join(dir, 'file');
    writeFileSync(file, '');
    expect(unsafeCacheDir(file, uid)).toBe(`${file} is not a directory`);
    expect(unsafeCacheDir('/proc/self/no/such', uid)).toBe('/proc/self/no/such: ENOENT');
  });
});

const built = existsSync(vrrpdCli());
describe.skipIf(!built)('vrrpd with its compile cache (the bundle; run npm run build first)', () => {
  const run = (cache: string): ReturnType<typeof spawnSync> =>
    spawnSync(process.execPath, [vrrpdCli(), '-v'], { encoding: 'utf8', timeout: 10_000, env: { ...process.env, VRRPD_COMPILE_CACHE: cache } });

  it('fills the cache directory and runs from it the second time', () => {
    const cache = join(dir, 'cc');
    expect(run(cache).stdout).toContain('vrrpd v');
    expect(readdirSync(cache).length).toBe(1);
    const second = run(cache);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain('vrrpd v');
  });

  it('starts, says nothing of it and exits 0 whatever the directory: /proc (where Node\'s own mkdir -p loops), a file, shared, read-only', () => {
    const file = join(dir, 'file');
    writeFileSync(file, '');
    const shared = join(dir, 'shared');
    mkdirSync(shared, { mode: 0o777 });
    chmodSync(shared, 0o777);
    const readOnly = join(dir, 'ro');
    mkdirSync(readOnly, { mode: 0o500 });
    for (const cache of ['/proc/self/nope/cache', join(file, 'cache'), shared, readOnly, 'relative']) {
      const r = run(cache);
      expect(r.error, cache).toBeUndefined();
      expect(r.status, cache).toBe(0);
      expect(r.stdout, cache).toBe('vrrpd v0.1.0\n');
      expect(r.stderr, cache).toBe('');
    }
    expect(readdirSync(shared)).toEqual([]);
  });
});
