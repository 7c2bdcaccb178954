// V8's code cache of vrrpd's program (src/host/compile-cache.ts, used by the entry src/cli.ts):
// where it lives, which directories are refused, one file per kind of command and build, written
// once (again only when V8 refused it), and that no cache directory, however odd, stops or hangs a
// start-up.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeCacheName, commandKind, compileCacheDir, offerCodeCacheSave, openCodeCache, saveCodeCache, unsafeCacheDir, type CacheSource } from '../../src/host/compile-cache.js';
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

describe('one cache per kind of command and build', () => {
  it('the daemon, -t and status each have their own; --version and --help none', () => {
    expect(commandKind(['-n', '-D', '-f', '/etc/vrrpd.conf'])).toBe('daemon');
    expect(commandKind([])).toBe('daemon');
    expect(commandKind(['-t', '-f', 'x.conf'])).toBe('test');
    expect(commandKind(['-lt'])).toBe('test');
    expect(commandKind(['--config-test=/tmp/t'])).toBe('test');
    expect(commandKind(['status', '-p', '/run/vrrpd/vrrpd.pid'])).toBe('status');
    expect(commandKind(['-v'])).toBeUndefined();
    expect(commandKind(['--help'])).toBeUndefined();
  });

  const source: CacheSource = { hash: 'ab'.repeat(32), size: 813780, mtimeMs: 1796706180523.7, nodeVersion: 'v24.21.0', arch: 'x64' };

  it("is named after the program (hash, size, mtime) and the node, since V8 checks only the source's length", () => {
    expect(codeCacheName('daemon', source)).toBe('daemon-v24.21.0-x64-abababababababab-813780-1796706180523.v8');
    expect(codeCacheName('daemon', { ...source, mtimeMs: source.mtimeMs + 1000 })).not.toBe(codeCacheName('daemon', source));
    expect(codeCacheName('test', source)).not.toBe(codeCacheName('daemon', source));
  });

  it('is written once, not over a cache V8 took, again over one it refused; a new build replaces its kind only', () => {
    const env = { VRRPD_COMPILE_CACHE: join(dir, 'cc') };
    const first = openCodeCache('daemon', source, env);
    expect(first?.take()).toBeUndefined();
    first?.save(() => Buffer.from('one'), false);
    first?.save(() => Buffer.from('two'), false);
    const name = codeCacheName('daemon', source);
    expect(readdirSync(env.VRRPD_COMPILE_CACHE)).toEqual([name]);
    expect(statSync(join(env.VRRPD_COMPILE_CACHE, name)).mode & 0o777).toBe(0o600);

    const taken = openCodeCache('daemon', source, env);
    expect(taken?.take()?.toString()).toBe('one');
    expect(taken?.take()).toBeUndefined();
    taken?.save(() => Buffer.from('unwanted'), false);
    expect(openCodeCache('daemon', source, env)?.take()?.toString()).toBe('one');
    const refused = openCodeCache('daemon', source, env);
    refused?.save(() => Buffer.from('fresh'), true);
    expect(openCodeCache('daemon', source, env)?.take()?.toString()).toBe('fresh');

    openCodeCache('test', source, env)?.save(() => Buffer.from('t'), false);
    const next = { ...source, hash: 'cd'.repeat(32) };
    openCodeCache('daemon', next, env)?.save(() => Buffer.from('next'), false);
    expect(readdirSync(env.VRRPD_COMPILE_CACHE).sort()).toEqual([codeCacheName('daemon', next), codeCacheName('test', source)].sort());
  });

  it("the daemon's save at ready runs once and lets go of what it holds (the compiled script)", () => {
    let saves = 0;
    offerCodeCacheSave(() => void saves++);
    saveCodeCache();
    saveCodeCache();
    expect(saves).toBe(1);
    expect(Object.getOwnPropertySymbols(globalThis).map(String)).not.toContain('Symbol(vrrpd.saveCodeCache)');
  });

  it('none for --version, none where the directory is refused', () => {
    expect(openCodeCache(undefined, source, { VRRPD_COMPILE_CACHE: join(dir, 'cc') })).toBeUndefined();
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    expect(openCodeCache('daemon', source, { VRRPD_COMPILE_CACHE: shared })).toBeUndefined();
    expect(openCodeCache('daemon', source, { VRRPD_COMPILE_CACHE: '' })).toBeUndefined();
  });
});

const built = existsSync(vrrpdCli());
describe.skipIf(!built)('vrrpd with its code cache (the bundle; run npm run build first)', () => {
  const run = (cache: string, args: readonly string[] = ['-v']): ReturnType<typeof spawnSync> =>
    spawnSync(process.execPath, [vrrpdCli(), ...args], { encoding: 'utf8', timeout: 10_000, env: { ...process.env, VRRPD_COMPILE_CACHE: cache } });

  it('-t fills the cache directory at its exit and runs from it the second time, with the same answer', () => {
    const cache = join(dir, 'cc');
    const conf = join(dir, 'bad.conf');
    writeFileSync(conf, 'vrrp_instance VI_1 {\n  virtual_router_id 300\n}\n');
    const first = run(cache, ['-t', '-f', conf]);
    expect(first.status).toBe(5);
    const files = readdirSync(cache);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^test-${process.version.replace(/\./g, '\\.')}-${process.arch}-[0-9a-f]{16}-\\d+-\\d+\\.v8$`));
    const second = run(cache, ['-t', '-f', conf]);
    expect({ status: second.status, stderr: second.stderr }).toEqual({ status: first.status, stderr: first.stderr });
    expect(run(cache).stdout).toBe('vrrpd v0.1.0\n');
    expect(readdirSync(cache)).toEqual(files);
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
