// Where the dumps land and how: $TMPDIR (default /tmp), mode 0600 whatever was there, an error as a
// value when the directory cannot be written; STATS_CLEAR's zeroing; and the addon catching the
// realtime signals keepalived uses (which would otherwise kill the process), in a child process.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sigrtmin } from '../../src/native/addon.js';
import { locateAddon } from '../../src/native/path.js';
import { dumpDirectory, JSON_SIGNAL_OFFSET, STATS_CLEAR_SIGNAL_OFFSET, writeDumpFile } from '../../src/daemon/signals.js';
import { clearStats, createStats, formatKeepalivedStatsFile, recordAdvertSent, recordDrop } from '../../src/instance/stats.js';
import { dumpFixture } from '../helpers/dump-pair.js';

describe('dump files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vrrpd-dump-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('honours TMPDIR, /tmp when unset or empty', () => {
    expect(dumpDirectory({ TMPDIR: '/var/tmp/x' })).toBe('/var/tmp/x');
    expect(dumpDirectory({})).toBe('/tmp');
    expect(dumpDirectory({ TMPDIR: '' })).toBe('/tmp');
  });

  it('writes mode 0600 whatever the umask, and leaves no temporary file', () => {
    const old = process.umask(0o000);
    try {
      const written = writeDumpFile(dir, 'vrrpd.data', 'x\n');
      expect(written).toEqual({ ok: true, value: join(dir, 'vrrpd.data') });
    } finally {
      process.umask(old);
    }
    expect(statSync(join(dir, 'vrrpd.data')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['vrrpd.data']);
  });

  it('replaces an existing world-readable file with a 0600 one', () => {
    const path = join(dir, 'vrrpd.json');
    writeFileSync(path, 'old contents, longer than the new ones\n');
    chmodSync(path, 0o644);
    expect(writeDumpFile(dir, 'vrrpd.json', '[]\n').ok).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe('[]\n');
  });

  it('replaces a planted symlink instead of writing through it', () => {
    const target = join(dir, 'victim');
    writeFileSync(target, 'untouched');
    symlinkSync(target, join(dir, 'vrrpd.stats'));
    expect(writeDumpFile(dir, 'vrrpd.stats', 'stats\n').ok).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('untouched');
    expect(readFileSync(join(dir, 'vrrpd.stats'), 'utf8')).toBe('stats\n');
  });

  it('reports a directory it cannot write as an error value', () => {
    const missing = join(dir, 'no-such-dir');
    const r = writeDumpFile(missing, 'vrrpd.data', 'x');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(new RegExp(`^Can't open ${missing}/vrrpd.data \\(.*ENOENT`));
    const file = join(dir, 'a-file');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(file, '');
    expect(writeDumpFile(file, 'vrrpd.data', 'x').ok).toBe(false);
  });
});

describe('STATS_CLEAR', () => {
  it('writes the counters as they were, then every counter is zero', () => {
    const stats = createStats();
    stats.becameMaster++;
    for (let i = 0; i < 4; i++) recordAdvertSent(stats, 150);
    recordDrop(stats, 'badPassword');
    const before = formatKeepalivedStatsFile([{ name: 'VI_1', stats }]);
    expect(before).toContain('    Sent: 4\n');
    expect(before).toContain('    Failure: 1\n');
    clearStats(stats);
    expect(stats).toEqual(createStats());
    // A zeroed node A reads as keepalived's file with every number 0.
    expect(formatKeepalivedStatsFile([{ name: 'VI_1', stats }])).toBe(dumpFixture('keepalived.stats').replace(/: \d+$/gm, ': 0'));
  });
});

describe('realtime signals in the addon', () => {
  const rtmin = sigrtmin();

  it("SIGRTMIN comes from libc (glibc's is 34, so JSON = 36 and STATS_CLEAR = 63)", () => {
    expect(rtmin).toEqual({ ok: true, value: 34 });
  });

  it('a process watching SIGRTMIN+2 and SIGRTMIN+29 gets both and lives on; closed, it exits on the default action', async () => {
    if (!rtmin.ok) throw new Error(rtmin.error);
    const json = rtmin.value + JSON_SIGNAL_OFFSET;
    const clear = rtmin.value + STATS_CLEAR_SIGNAL_OFFSET;
    const located = locateAddon();
    if (!located.ok) throw new Error(located.error);
    const addon = located.value.path;
    // The child (the addon as src/native/addon.ts loads it) catches both, reports each, then closes its
    // watches and waits to be killed by the next one.
    const script = `
      const { SignalWatcher } = require(${JSON.stringify(addon)});
      const seen = [];
      const watches = [${json}, ${clear}].map((n) => new SignalWatcher(n, (s) => {
        seen.push(s);
        console.log('got ' + s);
        if (seen.length === 2) { for (const w of watches) w.close(); console.log('closed'); }
      }));
      setInterval(() => {}, 1000);
      process.on('exit', () => console.log('exited normally'));
      console.log('ready');
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stderr = '';
    const waiters: (() => void)[] = [];
    child.stdout.on('data', (b: Buffer) => {
      lines.push(...b.toString().split('\n').filter((l) => l !== ''));
      for (const w of waiters) w();
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const waitFor = (line: string): Promise<void> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (lines.includes(line)) resolve();
        };
        waiters.push(check);
        child.on('exit', () => reject(new Error(`child exited before '${line}': ${lines.join('|')} ${stderr}`)));
        check();
      });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    try {
      await waitFor('ready');
      process.kill(child.pid ?? 0, json);
      await waitFor(`got ${json}`);
      process.kill(child.pid ?? 0, clear);
      await waitFor('closed');
      expect(lines).toEqual(['ready', `got ${json}`, `got ${clear}`, 'closed']);
      // Watches closed: the default action (terminate) is back. Node reports a death by a signal
      // it cannot name as code 0 and signal null, so tell it from a normal exit by the missing
      // 'exit' event.
      process.kill(child.pid ?? 0, json);
      await exited;
      expect(lines).not.toContain('exited normally');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
