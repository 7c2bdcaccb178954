// track_file: init_file at start, a read after each change event (after a short settle), a slow
// poll as fallback, deleted/missing = 0, garbage = 0, out of range = previous value kept.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TrackFileConfig } from '../../src/config/config.js';
import { createVirtualClock, realClock } from '../../src/track/clock.js';
import { createFileTracker, nodeTrackFileIo, type HeadRead, type TrackFileIo } from '../../src/track/file-watch.js';

const cfg = (name: string, path: string, init?: { value: number; overwrite: boolean }): TrackFileConfig => ({
  name,
  path,
  pos: { file: 't.conf', line: 1 },
  weight: 1,
  reverse: false,
  init,
});

function fakeIo() {
  const files = new Map<string, string | 'dir'>();
  const watchers = new Map<string, (name: string | undefined) => void>();
  const reads: string[] = [];
  let watchFails = false;
  const io: TrackFileIo = {
    readHead(path, max): Promise<HeadRead> {
      reads.push(path);
      const f = files.get(path);
      if (f === undefined) return Promise.resolve({ kind: 'missing' });
      if (f === 'dir') return Promise.resolve({ kind: 'error', message: 'EISDIR: illegal operation on a directory' });
      return Promise.resolve({ kind: 'ok', head: f.slice(0, max) });
    },
    kindOf: (path) => Promise.resolve(files.has(path) ? (files.get(path) === 'dir' ? 'other' : 'file') : 'missing'),
    writeAtomic(path, text) {
      files.set(path, text);
      return Promise.resolve(undefined);
    },
    watchDir(dir, onEvent) {
      if (watchFails) return 'ENOSPC: inotify watch limit reached';
      watchers.set(dir, onEvent);
      return () => watchers.delete(dir);
    },
  };
  return {
    io,
    files,
    watchers,
    reads,
    failWatch: (v: boolean) => {
      watchFails = v;
    },
  };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function setup(configs: TrackFileConfig[], prepare?: (f: ReturnType<typeof fakeIo>) => void) {
  const fake = fakeIo();
  prepare?.(fake);
  const clock = createVirtualClock();
  const logs: string[] = [];
  const log = { debug: (m: string) => logs.push(m), info: (m: string) => logs.push(m), warn: (m: string) => logs.push(`warn: ${m}`), error: (m: string) => logs.push(`error: ${m}`) };
  const values: string[] = [];
  const tracker = createFileTracker(configs, { log, clock, io: fake.io, pollMs: 5000, settleMs: 50 }, (name, value) => values.push(`${name}=${value}`));
  return { fake, clock, logs, values, tracker };
}

describe('reading', () => {
  it('reads every file at start; a missing one is 0', async () => {
    const s = setup([cfg('a', '/run/a'), cfg('b', '/run/b')], (f) => f.files.set('/run/a', '7\n'));
    s.tracker.start();
    await flush();
    expect(s.values).toEqual(['a=7', 'b=0']);
    expect(s.tracker.status()).toMatchObject([
      { name: 'a', value: 7, note: undefined },
      { name: 'b', value: 0, note: 'missing' },
    ]);
  });

  it('a change event is read after the settle delay; repeats of the same value are not reported', async () => {
    const s = setup([cfg('a', '/run/a')], (f) => f.files.set('/run/a', '1'));
    s.tracker.start();
    await flush();
    s.fake.files.set('/run/a', '');
    s.fake.watchers.get('/run')?.('a');
    s.fake.files.set('/run/a', '5');
    s.fake.watchers.get('/run')?.('a');
    s.clock.advance(49);
    await flush();
    expect(s.values).toEqual(['a=1']);
    s.clock.advance(1);
    await flush();
    // The half-written (empty) state in between was never read.
    expect(s.values).toEqual(['a=1', 'a=5']);
    s.fake.watchers.get('/run')?.('a');
    s.clock.advance(50);
    await flush();
    expect(s.values).toEqual(['a=1', 'a=5']);
  });

  it('events for other files of the directory are ignored', async () => {
    const s = setup([cfg('a', '/run/a')], (f) => f.files.set('/run/a', '1'));
    s.tracker.start();
    await flush();
    const before = s.fake.reads.length;
    s.fake.watchers.get('/run')?.('other');
    s.clock.advance(100);
    await flush();
    expect(s.fake.reads.length).toBe(before);
  });

  it('deleted: 0', async () => {
    const s = setup([cfg('a', '/run/a')], (f) => f.files.set('/run/a', '9'));
    s.tracker.start();
    await flush();
    s.fake.files.delete('/run/a');
    s.fake.watchers.get('/run')?.('a');
    s.clock.advance(50);
    await flush();
    expect(s.values).toEqual(['a=9', 'a=0']);
  });

  it('garbage is 0; an out-of-range number is logged and the previous value kept', async () => {
    const s = setup([cfg('a', '/run/a')], (f) => f.files.set('/run/a', '4'));
    s.tracker.start();
    await flush();
    s.fake.files.set('/run/a', '99999999999');
    s.fake.watchers.get('/run')?.('a');
    s.clock.advance(50);
    await flush();
    expect(s.values).toEqual(['a=4']);
    expect(s.logs).toContain('warn: Invalid number 99999999999 read from /run/a - ignoring');
    s.fake.files.set('/run/a', 'up');
    s.fake.watchers.get('/run')?.('a');
    s.clock.advance(50);
    await flush();
    expect(s.values).toEqual(['a=4', 'a=0']);
  });

  it('out of range at the first read: keepalived\'s initial 0', async () => {
    const s = setup([cfg('a', '/run/a')], (f) => f.files.set('/run/a', '-3000000000'));
    s.tracker.start();
    await flush();
    expect(s.values).toEqual(['a=0']);
  });

  it('only the first 127 bytes count', async () => {
    const s = setup([cfg('a', '/run/a')], (f) => f.files.set('/run/a', `${' '.repeat(127)}42`));
    s.tracker.start();
    await flush();
    expect(s.values).toEqual(['a=0']);
  });

  it('an unreadable path (a directory) is 0 with a warning', async () => {
    const s = setup([cfg('a', '/run/a')], (f) => f.files.set('/run/a', 'dir'));
    s.tracker.start();
    await flush();
    expect(s.values).toEqual(['a=0']);
    expect(s.logs.some((l) => l.startsWith('warn: track_file a: cannot read /run/a'))).toBe(true);
  });
});

describe('poll', () => {
  it('re-reads every poll period, so a change without an event is still seen', async () => {
    const s = setup([cfg('a', '/run/a')], (f) => f.files.set('/run/a', '1'));
    s.tracker.start();
    await flush();
    s.fake.files.set('/run/a', '2');
    s.clock.advance(4999);
    await flush();
    expect(s.values).toEqual(['a=1']);
    s.clock.advance(1);
    await flush();
    expect(s.values).toEqual(['a=1', 'a=2']);
  });

  it('a directory that cannot be watched is polled, and watched once it can be', async () => {
    const s = setup([cfg('a', '/run/a')], (f) => {
      f.files.set('/run/a', '1');
      f.failWatch(true);
    });
    s.tracker.start();
    await flush();
    expect(s.logs).toContain('warn: track_file: cannot watch /run (ENOSPC: inotify watch limit reached) - polling every 5 s');
    s.clock.advance(5000);
    await flush();
    expect(s.logs.filter((l) => l.includes('cannot watch'))).toHaveLength(1);
    s.fake.failWatch(false);
    s.clock.advance(5000);
    await flush();
    expect(s.fake.watchers.has('/run')).toBe(true);
    expect(s.logs).toContain('track_file: watching /run again');
  });

  it('stop ends polling and watching, and nothing is reported after it', async () => {
    const s = setup([cfg('a', '/run/a')], (f) => f.files.set('/run/a', '1'));
    s.tracker.start();
    await flush();
    s.tracker.stop();
    expect(s.fake.watchers.size).toBe(0);
    expect(s.clock.pending()).toBe(0);
    s.fake.files.set('/run/a', '3');
    s.clock.advance(20_000);
    await flush();
    expect(s.values).toEqual(['a=1']);
  });
});

describe('init_file', () => {
  it('creates a missing file with the value', async () => {
    const s = setup([cfg('a', '/run/a', { value: -3, overwrite: false })]);
    s.tracker.start();
    await flush();
    expect(s.fake.files.get('/run/a')).toBe('-3\n');
    expect(s.values).toEqual(['a=-3']);
  });

  it('leaves an existing file alone without overwrite', async () => {
    const s = setup([cfg('a', '/run/a', { value: 0, overwrite: false })], (f) => f.files.set('/run/a', '8\n'));
    s.tracker.start();
    await flush();
    expect(s.values).toEqual(['a=8']);
  });

  it('overwrites an existing file with overwrite', async () => {
    const s = setup([cfg('a', '/run/a', { value: 2, overwrite: true })], (f) => f.files.set('/run/a', '8\n'));
    s.tracker.start();
    await flush();
    expect(s.values).toEqual(['a=2']);
  });

  it('refuses to overwrite something that is not a regular file', async () => {
    const s = setup([cfg('a', '/run/a', { value: 2, overwrite: true })], (f) => f.files.set('/run/a', 'dir'));
    s.tracker.start();
    await flush();
    expect(s.logs).toContain('error: Cannot initialise track file a - it is not a regular file');
    expect(s.fake.files.get('/run/a')).toBe('dir');
  });
});

describe('on the real file system', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('init_file writes atomically, fs.watch sees writes, renames and deletes', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vrrpd-track-file-'));
    const path = join(dir, 'weight');
    const values: number[] = [];
    const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    const t = createFileTracker([cfg('w', path, { value: 5, overwrite: false })], { log, clock: realClock, io: nodeTrackFileIo, pollMs: 60_000, settleMs: 20 }, (_n, v) =>
      values.push(v),
    );
    const until = async (want: number): Promise<void> => {
      for (let i = 0; i < 100 && values[values.length - 1] !== want; i++) await new Promise((r) => setTimeout(r, 10));
      expect(values[values.length - 1]).toBe(want);
    };
    try {
      t.start();
      await until(5);
      expect(readFileSync(path, 'utf8')).toBe('5\n');
      expect(statSync(path).mode & 0o777).toBe(0o644);
      writeFileSync(path, '-20\n');
      await until(-20);
      writeFileSync(join(dir, 'tmp'), '0x11');
      renameSync(join(dir, 'tmp'), path);
      await until(17);
      unlinkSync(path);
      await until(0);
      writeFileSync(path, '3');
      await until(3);
      // A FIFO without a writer must not hang the read (O_NONBLOCK): it reads as empty, 0.
      execFileSync('mkfifo', [join(dir, 'fifo')]);
      renameSync(join(dir, 'fifo'), path);
      await until(0);
      writeFileSync(join(dir, 'tmp'), '6');
      renameSync(join(dir, 'tmp'), path);
      await until(6);
    } finally {
      t.stop();
    }
  });
});
