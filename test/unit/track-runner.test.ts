// The vrrp_script schedule on a virtual clock with a fake process: first run at start, then every
// interval; no overlap ("already running ... skipping run"); timeout → SIGTERM to the group,
// SIGKILL 2 s later, repeated every 10 s; group killed after every exit; runs that cannot start.
import { describe, expect, it } from 'vitest';
import type { RunAs } from '../../src/host/rules.js';
import { createVirtualClock, type VirtualClock } from '../../src/track/clock.js';
import type { ChildEnd, SpawnCallbacks, SpawnRequest } from '../../src/track/process.js';
import { createScriptRunner, type RunnerDeps, type ScriptJob } from '../../src/track/script-runner.js';
import type { ScriptRunResult } from '../../src/track/script-state.js';
import { err, ok } from '../../src/types.js';

interface FakeChild {
  readonly pid: number;
  readonly req: SpawnRequest;
  readonly cb: SpawnCallbacks;
  ended: boolean;
}

function harness(job: Partial<ScriptJob> = {}, over: Partial<RunnerDeps> = {}) {
  const clock: VirtualClock = createVirtualClock(1000);
  const logs: string[] = [];
  const log = { debug: (m: string) => logs.push(`debug: ${m}`), info: (m: string) => logs.push(m), warn: (m: string) => logs.push(`warn: ${m}`), error: (m: string) => logs.push(`error: ${m}`) };
  const children: FakeChild[] = [];
  const kills: string[] = [];
  const results: ScriptRunResult[] = [];
  let nextPid = 100;
  const end = (c: FakeChild, e: ChildEnd): void => {
    if (c.ended) return;
    c.ended = true;
    c.cb.onEnd(e);
    c.cb.onOutput({ stdout: '', stderr: '', dropped: 0 });
  };
  const deps: RunnerDeps = {
    log,
    clock,
    spawn: (req, cb) => {
      const c: FakeChild = { pid: nextPid++, req, cb, ended: false };
      children.push(c);
      return { pid: c.pid };
    },
    killGroup: (pgid, signal) => {
      kills.push(`${signal} -${pgid} @${clock.now() - 1000}`);
      return true;
    },
    resolve: (command) => (command.startsWith('/') ? ok(command) : err(`not found in PATH (/bin)`)),
    own: { uid: 0, gid: 0 },
    openTest: () => Promise.resolve({ kind: 'exited', status: 0 }),
    ...over,
  };
  const runAs: RunAs = { ok: true, uid: 0, gid: 0 };
  const runner = createScriptRunner({ name: 'chk', argv: ['/usr/local/bin/chk', 'a b'], intervalMs: 2000, timeoutMs: 2000, runAs, ...job }, deps, (r) => results.push(r));
  const last = (): FakeChild => {
    const c = children[children.length - 1];
    if (c === undefined) throw new Error('nothing spawned');
    return c;
  };
  return { clock, logs, children, kills, results, runner, end, last };
}

describe('schedule', () => {
  it('runs at once at start, then every interval from the start times', () => {
    const h = harness();
    h.runner.start();
    expect(h.children).toHaveLength(0);
    h.clock.advance(0);
    expect(h.children).toHaveLength(1);
    expect(h.last().req).toEqual({ file: '/usr/local/bin/chk', argv: ['/usr/local/bin/chk', 'a b'], uid: undefined, gid: undefined });
    h.clock.advance(500);
    h.end(h.last(), { kind: 'exited', status: 0 });
    expect(h.results).toEqual([{ kind: 'exited', status: 0 }]);
    h.clock.advance(1499);
    expect(h.children).toHaveLength(1);
    h.clock.advance(1);
    expect(h.children).toHaveLength(2);
    h.end(h.last(), { kind: 'exited', status: 3 });
    h.clock.advance(2000);
    expect(h.children).toHaveLength(3);
    expect(h.results).toEqual([{ kind: 'exited', status: 0 }, { kind: 'exited', status: 3 }]);
    expect(h.runner.status()).toMatchObject({ phase: 'running', runs: 3, skipped: 0, lastStartedAt: 5000 });
  });

  it('kills the process group after every exit, so children left behind go too', () => {
    const h = harness();
    h.runner.start();
    h.clock.advance(0);
    h.clock.advance(100);
    h.end(h.last(), { kind: 'exited', status: 0 });
    expect(h.kills).toEqual(['SIGKILL -100 @100']);
  });

  it('never runs twice at once: a run falling due while one is running is skipped and logged', () => {
    const h = harness({ intervalMs: 1000, timeoutMs: 5000 });
    h.runner.start();
    h.clock.advance(0);
    h.clock.advance(1000);
    h.clock.advance(1000);
    expect(h.children).toHaveLength(1);
    expect(h.logs.filter((l) => l.includes('skipping'))).toEqual([
      'Track script chk is already running, expect idle - skipping run',
      'Track script chk is already running, expect idle - skipping run',
    ]);
    h.end(h.last(), { kind: 'exited', status: 0 });
    h.clock.advance(1000);
    expect(h.children).toHaveLength(2);
    expect(h.runner.status().skipped).toBe(2);
  });

  it('runs missed while the loop was blocked are not made up', () => {
    const h = harness({ intervalMs: 1000 });
    h.runner.start();
    h.clock.advance(0);
    h.end(h.last(), { kind: 'exited', status: 0 });
    // One timer call that lands 3.5 intervals late: one run, then back on the grid.
    h.clock.advance(3500);
    expect(h.children).toHaveLength(2);
    h.end(h.last(), { kind: 'exited', status: 0 });
    h.clock.advance(499);
    expect(h.children).toHaveLength(2);
    h.clock.advance(1);
    expect(h.children).toHaveLength(3);
  });

  it('runs as the configured user when it differs from the daemon', () => {
    const h = harness({ runAs: { ok: true, uid: 33, gid: 0 } });
    h.runner.start();
    h.clock.advance(0);
    expect(h.last().req.uid).toBe(33);
    expect(h.last().req.gid).toBeUndefined();
  });
});

describe('timeout', () => {
  it('SIGTERM to the group at the timeout; dying of it is "timed out"', () => {
    const h = harness({ intervalMs: 10_000, timeoutMs: 3000 });
    h.runner.start();
    h.clock.advance(0);
    h.clock.advance(2999);
    expect(h.kills).toEqual([]);
    h.clock.advance(1);
    expect(h.kills).toEqual(['SIGTERM -100 @3000']);
    expect(h.runner.status().phase).toBe('terminating');
    h.end(h.last(), { kind: 'signaled', signal: 15 });
    expect(h.results).toEqual([{ kind: 'timedOut' }]);
    expect(h.kills).toEqual(['SIGTERM -100 @3000', 'SIGKILL -100 @3000']);
  });

  it('a script that catches SIGTERM and exits 0 still timed out', () => {
    const h = harness({ intervalMs: 10_000, timeoutMs: 1000 });
    h.runner.start();
    h.clock.advance(0);
    h.clock.advance(1000);
    h.end(h.last(), { kind: 'exited', status: 0 });
    expect(h.results).toEqual([{ kind: 'timedOut' }]);
  });

  it('SIGKILL 2 s after SIGTERM, then again every 10 s with a log line while it does not die', () => {
    const h = harness({ intervalMs: 60_000, timeoutMs: 1000 });
    h.runner.start();
    h.clock.advance(0);
    h.clock.advance(1000);
    h.clock.advance(2000);
    expect(h.runner.status().phase).toBe('killing');
    h.clock.advance(2000);
    h.clock.advance(10_000);
    expect(h.kills).toEqual(['SIGTERM -100 @1000', 'SIGKILL -100 @3000', 'SIGKILL -100 @5000', 'SIGKILL -100 @15000']);
    expect(h.logs.filter((l) => l.includes('failed to terminate'))).toEqual([
      'Script chk child (PID 100) failed to terminate after kill',
      'Script chk child (PID 100) failed to terminate after kill',
    ]);
    h.end(h.last(), { kind: 'signaled', signal: 9 });
    expect(h.results).toEqual([{ kind: 'timedOut' }]);
    expect(h.kills).toHaveLength(5);
    h.clock.advance(44_999);
    expect(h.kills).toHaveLength(5);
  });

  it('while being killed, runs are skipped as "being timed out"', () => {
    const h = harness({ intervalMs: 2000, timeoutMs: 1000 });
    h.runner.start();
    h.clock.advance(0);
    h.clock.advance(2000);
    expect(h.logs).toContain('Track script chk is being timed out, expect idle - skipping run');
  });

  it('no timers are left once a run ended', () => {
    const h = harness({ intervalMs: 2000, timeoutMs: 1500 });
    h.runner.start();
    h.clock.advance(0);
    h.end(h.last(), { kind: 'exited', status: 0 });
    expect(h.clock.pending()).toBe(1); // the next run only
  });
});

describe('runs that cannot start', () => {
  it('a command not found is a failure with a loud error, logged once while the reason stays the same', () => {
    const h = harness({ argv: ['chk_missing'], intervalMs: 1000 });
    h.runner.start();
    h.clock.advance(0);
    h.clock.advance(1000);
    expect(h.children).toHaveLength(0);
    expect(h.results).toEqual([
      { kind: 'cannotRun', reason: 'not found in PATH (/bin)' },
      { kind: 'cannotRun', reason: 'not found in PATH (/bin)' },
    ]);
    expect(h.logs.filter((l) => l.startsWith('error:'))).toEqual(["error: VRRP_Script(chk) cannot run 'chk_missing': not found in PATH (/bin)"]);
    expect(h.runner.status().phase).toBe('idle');
  });

  it('an exec failure (ENOENT, EACCES) reported by the spawner is a failure too', () => {
    const h = harness({}, {
      spawn: (_req, cb) => {
        queueMicrotask(() => cb.onEnd({ kind: 'spawnError', message: 'spawn /usr/local/bin/chk EACCES' }));
        return { pid: undefined };
      },
    });
    h.runner.start();
    h.clock.advance(0);
    return new Promise<void>((resolve) =>
      queueMicrotask(() => {
        expect(h.results).toEqual([{ kind: 'cannotRun', reason: 'spawn /usr/local/bin/chk EACCES' }]);
        expect(h.kills).toEqual([]);
        expect(h.logs).toContain("error: VRRP_Script(chk) cannot run '/usr/local/bin/chk': spawn /usr/local/bin/chk EACCES");
        resolve();
      }),
    );
  });

  it('a user that does not exist: every run fails without spawning', () => {
    const h = harness({ runAs: { ok: false, error: "script user 'nobody2' does not exist" } });
    h.runner.start();
    h.clock.advance(0);
    expect(h.children).toHaveLength(0);
    expect(h.results).toEqual([{ kind: 'cannotRun', reason: "script user 'nobody2' does not exist" }]);
  });

  it('`</dev/tcp/...` is an open test, not a process', async () => {
    const seen: string[] = [];
    const h = harness({ argv: ['</dev/tcp/127.0.0.1/80'] }, {
      openTest: (path) => {
        seen.push(path);
        return Promise.resolve({ kind: 'exited', status: 1 });
      },
    });
    h.runner.start();
    h.clock.advance(0);
    await Promise.resolve();
    await Promise.resolve();
    expect(seen).toEqual(['/dev/tcp/127.0.0.1/80']);
    expect(h.children).toHaveLength(0);
    expect(h.results).toEqual([{ kind: 'exited', status: 1 }]);
  });
});

describe('stop', () => {
  it('stops the schedule and reports nothing more', async () => {
    const h = harness();
    h.runner.start();
    h.clock.advance(0);
    h.end(h.last(), { kind: 'exited', status: 0 });
    await h.runner.stop();
    h.clock.advance(10_000);
    expect(h.children).toHaveLength(1);
    expect(h.clock.pending()).toBe(0);
  });

  it('SIGTERM to a running script, SIGKILL when it does not go, bounded', async () => {
    const h = harness({ timeoutMs: 60_000 });
    h.runner.start();
    h.clock.advance(0);
    const stopping = h.runner.stop();
    expect(h.kills).toEqual(['SIGTERM -100 @0']);
    h.clock.advance(1000);
    await Promise.resolve();
    expect(h.kills).toEqual(['SIGTERM -100 @0', 'SIGKILL -100 @1000']);
    h.end(h.last(), { kind: 'signaled', signal: 9 });
    await stopping;
    expect(h.results).toEqual([]);
    expect(h.clock.pending()).toBe(0);
  });

  it('a script that exits on SIGTERM ends the stop at once', async () => {
    const h = harness({ timeoutMs: 60_000 });
    h.runner.start();
    h.clock.advance(0);
    const stopping = h.runner.stop();
    h.end(h.last(), { kind: 'signaled', signal: 15 });
    await stopping;
    expect(h.kills).toEqual(['SIGTERM -100 @0', 'SIGKILL -100 @0']);
  });
});
