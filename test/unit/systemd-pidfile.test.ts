// The pidfile lock (src/daemon/pidfile.ts): one daemon per pidfile, a dead one's file taken over, and the
// refusal as a user sees it from the compiled CLI (keepalived's "daemon is already running", exit 1).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, vrrpdCli } from '../../lab/vrrpd.js';
import { describePidFileError, lockPidFile, lockPidFiles, type PidFileError } from '../../src/daemon/pidfile.js';
import type { Result } from '../../src/types.js';
import { describeUnless } from '../helpers/unmet.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vrrpd-pidfile-test-'));
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

function failure<T>(r: Result<T, PidFileError>): PidFileError {
  if (r.ok) throw new Error('expected the lock to be refused');
  return r.error;
}

describe('lockPidFile', () => {
  it('writes our pid 0644 whatever the umask, refuses a second holder, and removes the file on release', () => {
    const path = join(dir, 'one.pid');
    const old = process.umask(0o177);
    const first = lockPidFile(path, 4242);
    process.umask(old);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(readFileSync(path, 'utf8')).toBe('4242\n');
    expect(statSync(path).mode & 0o777).toBe(0o644);

    // Another open file description of the same file: what a second daemon would have.
    const second = failure(lockPidFile(path, 4343));
    expect(second).toEqual({ kind: 'running', path, pid: 4242 });
    expect(describePidFileError(second)).toBe(`pid 4242 holds the lock on pidfile ${path} - stop it first, or give this daemon another -p/-r file`);
    expect(readFileSync(path, 'utf8')).toBe('4242\n');

    first.value.release();
    first.value.release();
    expect(existsSync(path)).toBe(false);
    const again = lockPidFile(path, 4343);
    expect(again.ok && again.value.stalePid).toBe(undefined);
    if (again.ok) again.value.release();
  });

  it('is not inherited by the scripts we start: a long-lived notify child must not keep the lock', () => {
    const path = join(dir, 'cloexec.pid');
    const lock = lockPidFile(path);
    expect(lock.ok).toBe(true);
    // ls lists its own open files: whatever a child of ours inherited.
    const r = spawnSync('ls', ['-l', '/proc/self/fd/'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('/proc/');
    expect(r.stdout).not.toContain('cloexec.pid');
    if (lock.ok) lock.value.release();
  });

  it('takes over a stale file with garbage in it', () => {
    const path = join(dir, 'garbage.pid');
    writeFileSync(path, 'not a pid at all, and longer than a pid\n');
    const taken = lockPidFile(path, 77);
    expect(taken.ok && taken.value.stalePid).toBe(undefined);
    expect(readFileSync(path, 'utf8')).toBe('77\n');
    if (taken.ok) taken.value.release();
  });

  it('refuses a symlink and a missing directory with one clear line', () => {
    const target = join(dir, 'target');
    writeFileSync(target, 'precious\n');
    const link = join(dir, 'link.pid');
    symlinkSync(target, link);
    const e = failure(lockPidFile(link));
    expect(describePidFileError(e)).toBe(`cannot use pidfile ${link}: it is a symbolic link, which is refused (as keepalived refuses it)`);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');

    const missing = join(dir, 'no-such-dir', 'x.pid');
    expect(describePidFileError(failure(lockPidFile(missing)))).toBe(`cannot use pidfile ${missing}: its directory does not exist`);
  });

  it('locks -p and -r together, the same path once, and gives the first back when the second fails', () => {
    const a = join(dir, 'a.pid');
    const both = lockPidFiles([a, a]);
    expect(both.ok && both.value.length).toBe(1);
    if (both.ok) both.value.forEach((l) => l.release());

    const blocked = join(dir, 'blocked.pid');
    const holder = lockPidFile(blocked, 1);
    expect(holder.ok).toBe(true);
    expect(failure(lockPidFiles([a, blocked])).kind).toBe('running');
    // a.pid was locked and then released again: free and gone.
    expect(existsSync(a)).toBe(false);
    if (holder.ok) holder.value.release();
  });
});

const cli = vrrpdCli();
describeUnless(!existsSync(cli))(`a second daemon on the same pidfile (dist/bundle/cli.js${existsSync(cli) ? '' : ': skipped, run npm run build first'})`, () => {
  it('takes over the file of a daemon that was SIGKILLed while holding it', async () => {
    const path = join(dir, 'killed.pid');
    const module = pathToFileURL(join(repoRoot(), 'dist', 'src', 'daemon', 'pidfile.js')).href;
    // A real second process holds the lock, then dies without any chance to clean up.
    const holder = spawn(
      process.execPath,
      ['--input-type=module', '-e', `const { lockPidFile } = await import(${JSON.stringify(module)}); const l = lockPidFile(${JSON.stringify(path)}); console.log(l.ok ? 'locked' : 'refused'); setInterval(() => {}, 1000);`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const said = await new Promise<string>((resolve) => holder.stdout.once('data', (b: Buffer) => resolve(b.toString().trim())));
    expect(said).toBe('locked');
    expect(failure(lockPidFile(path))).toEqual({ kind: 'running', path, pid: holder.pid });

    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
    expect(readFileSync(path, 'utf8')).toBe(`${holder.pid}\n`);
    const taken = lockPidFile(path);
    expect(taken.ok).toBe(true);
    if (!taken.ok) return;
    expect(taken.value.stalePid).toBe(holder.pid);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    taken.value.release();
  });

  it('says "daemon is already running" and exits 1 before reading its config', () => {
    const path = join(dir, 'cli.pid');
    const holder = lockPidFile(path, 31337);
    expect(holder.ok).toBe(true);
    const r = spawnSync(process.execPath, [cli, '-n', '-l', '-p', path, '-f', join(dir, 'does-not-exist.conf')], { encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('daemon is already running\n');
    expect(r.stderr).toContain(`pid 31337 holds the lock on pidfile ${path}`);
    // Not the missing config (exit 6): the lock is checked first, as keepalived checks it first.
    expect(r.stderr).not.toContain('does-not-exist.conf');
    expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(readFileSync(path, 'utf8')).toBe('31337\n');
    if (holder.ok) holder.value.release();
  });

  it('a pidfile it cannot create is one line and exit 1', () => {
    mkdirSync(join(dir, 'ro'));
    const path = join(dir, 'ro', 'missing', 'vrrpd.pid');
    const r = spawnSync(process.execPath, [cli, '-n', '-p', path, '-f', join(dir, 'does-not-exist.conf')], { encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`cannot use pidfile ${path}: its directory does not exist`);
  });
});
