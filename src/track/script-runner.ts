// One vrrp_script's schedule and process, as keepalived's vrrp_script_thread /
// vrrp_script_child_thread (vrrp_scheduler.c) run it:
// - the first run at start, then one every `interval`, counted from the runs' start times;
// - never two at once: a run falling due while the previous one is still running (or being
//   killed) is skipped with keepalived's "Track script X is already running, expect idle -
//   skipping run" (2.2.8 logs that line and then runs anyway; later versions skip, as here);
// - at `timeout` SIGTERM to the process group, SIGKILL 2 s later, SIGKILL again every 10 s while
//   it still does not die ("failed to terminate after kill"); a run we had to kill is a failure
//   ("timed_out") however it then ends (keepalived counts a script that catches SIGTERM and
//   exits 0 as a success);
// - after every exit the process group gets a SIGKILL, so children the script left behind do not
//   outlive it (keepalived only does this after a timeout);
// - a script that cannot be started (missing, not executable, unknown user) is a failed run with
//   a loud error (keepalived's child logs the exec error and exits 0: a success).
import type { RunAs } from '../host/rules.js';
import type { Result } from '../types.js';
import type { Clock } from './clock.js';
import { guarded } from './log.js';
import type { LineLog } from '../log/lines.js';
import { openTestPath } from './open-test.js';
import type { CapturedOutput, ChildEnd, GroupKiller, Spawner } from './process.js';
import type { ScriptRunResult } from './script-state.js';

/** keepalived: SIGTERM, then SIGKILL 2 s later, then SIGKILL every 10 s. */
export const TERM_TO_KILL_MS = 2000;
export const KILL_REPEAT_MS = 10_000;
/** stop(): how long to wait after SIGTERM, then after SIGKILL, for a running script to go. */
export const STOP_GRACE_MS = 1000;

export interface ScriptJob {
  readonly name: string;
  readonly argv: readonly string[];
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly runAs: RunAs;
}

export interface RunnerDeps {
  readonly log: LineLog;
  readonly clock: Clock;
  readonly spawn: Spawner;
  readonly killGroup: GroupKiller;
  /** argv[0] -> the file to execute, or why it cannot be (searched on PATH for a bare name). */
  readonly resolve: (command: string, runAs: { readonly uid: number; readonly gid: number }) => Result<string, string>;
  /** The daemon's own ids: uid/gid are only changed for the script when they differ. */
  readonly own: { readonly uid: number; readonly gid: number };
  /** `</path` and `</dev/tcp/host/port` checks (open-test.ts). */
  readonly openTest: (path: string, timeoutMs: number) => Promise<ScriptRunResult>;
}

export type RunnerPhase = 'idle' | 'running' | 'terminating' | 'killing';

export interface RunnerStatus {
  readonly phase: RunnerPhase;
  readonly pid: number | undefined;
  readonly runs: number;
  readonly skipped: number;
  readonly lastStartedAt: number | undefined;
  readonly lastDurationMs: number | undefined;
  readonly lastResult: ScriptRunResult | undefined;
}

export interface ScriptRunner {
  /** First run now (on the next timer turn), then every interval. */
  start(): void;
  /** No more runs or results; a running script's group gets SIGTERM, then SIGKILL; bounded. */
  stop(): Promise<void>;
  status(): RunnerStatus;
}

function resultOf(end: ChildEnd): ScriptRunResult {
  switch (end.kind) {
    case 'exited':
      return { kind: 'exited', status: end.status };
    case 'signaled':
      return { kind: 'signaled', signal: end.signal };
    case 'spawnError':
      return { kind: 'cannotRun', reason: end.message };
  }
}

export function createScriptRunner(job: ScriptJob, deps: RunnerDeps, onResult: (r: ScriptRunResult) => void): ScriptRunner {
  const { log, clock } = deps;
  const noop = (): void => undefined;
  let phase: RunnerPhase = 'idle';
  let pid: number | undefined;
  let started = false;
  let stopped = false;
  let nextDue = 0;
  let cancelTick = noop;
  let cancelKill = noop;
  let runs = 0;
  let skipped = 0;
  let lastStartedAt: number | undefined;
  let lastDurationMs: number | undefined;
  let lastResult: ScriptRunResult | undefined;
  /** The last "cannot run" reason logged as an error; repeats go to debug. */
  let lastCannotRun: string | undefined;
  let exitWaiters: (() => void)[] = [];

  function schedule(): void {
    const now = clock.now();
    // Runs missed while the event loop was blocked are not made up: the next one is on the grid.
    while (nextDue <= now) nextDue += job.intervalMs;
    cancelTick = clock.setTimer(nextDue - now, tick);
  }

  function tick(): void {
    if (stopped) return;
    // keepalived registers the next run before starting this one, so runs keep their rhythm.
    schedule();
    run();
  }

  function finish(result: ScriptRunResult): void {
    const now = clock.now();
    lastDurationMs = lastStartedAt === undefined ? undefined : now - lastStartedAt;
    lastResult = result;
    phase = 'idle';
    pid = undefined;
    const waiters = exitWaiters;
    exitWaiters = [];
    for (const w of waiters) w();
    if (result.kind === 'cannotRun') {
      if (result.reason !== lastCannotRun) log.error(`VRRP_Script(${job.name}) cannot run '${job.argv[0] ?? ''}': ${result.reason}`);
      else log.debug(`VRRP_Script(${job.name}) still cannot run '${job.argv[0] ?? ''}': ${result.reason}`);
      lastCannotRun = result.reason;
    } else {
      lastCannotRun = undefined;
    }
    if (!stopped) guarded(log, `vrrp_script ${job.name} result`, () => onResult(result));
  }

  function logOutput(out: CapturedOutput): void {
    const more = out.dropped > 0 ? ` [${out.dropped} more bytes dropped]` : '';
    if (out.stdout !== '') log.debug(`VRRP_Script(${job.name}) stdout: ${out.stdout.trimEnd()}${more}`);
    if (out.stderr !== '') log.debug(`VRRP_Script(${job.name}) stderr: ${out.stderr.trimEnd()}${out.stdout === '' ? more : ''}`);
  }

  function ended(end: ChildEnd, childPid: number | undefined): void {
    cancelKill();
    cancelKill = noop;
    // Whatever it left behind in its process group goes with it.
    if (childPid !== undefined) deps.killGroup(childPid, 'SIGKILL');
    const killed = phase === 'terminating' || phase === 'killing';
    finish(killed && end.kind !== 'spawnError' ? { kind: 'timedOut' } : resultOf(end));
  }

  function stuck(childPid: number): void {
    log.info(`Script ${job.name} child (PID ${childPid}) failed to terminate after kill`);
    deps.killGroup(childPid, 'SIGKILL');
    cancelKill = clock.setTimer(KILL_REPEAT_MS, () => stuck(childPid));
  }

  function timedOut(childPid: number): void {
    phase = 'terminating';
    log.debug(`VRRP_Script(${job.name}) PID ${childPid} still running after ${job.timeoutMs} ms - sending SIGTERM to its process group`);
    deps.killGroup(childPid, 'SIGTERM');
    cancelKill = clock.setTimer(TERM_TO_KILL_MS, () => {
      phase = 'killing';
      log.debug(`VRRP_Script(${job.name}) PID ${childPid} ignored SIGTERM - sending SIGKILL to its process group`);
      deps.killGroup(childPid, 'SIGKILL');
      cancelKill = clock.setTimer(TERM_TO_KILL_MS, () => stuck(childPid));
    });
  }

  function run(): void {
    if (phase !== 'idle') {
      skipped++;
      log.info(`Track script ${job.name} is ${phase === 'running' ? 'already running' : 'being timed out'}, expect idle - skipping run`);
      return;
    }
    runs++;
    lastStartedAt = clock.now();
    phase = 'running';
    const command = job.argv[0] ?? '';
    if (!job.runAs.ok) return finish({ kind: 'cannotRun', reason: job.runAs.error });
    const openPath = openTestPath(command);
    if (openPath !== undefined) {
      deps.openTest(openPath, job.timeoutMs).then(
        (r) => finish(r),
        (e: unknown) => finish({ kind: 'cannotRun', reason: String(e) }),
      );
      return;
    }
    const file = deps.resolve(command, job.runAs);
    if (!file.ok) return finish({ kind: 'cannotRun', reason: file.error });
    const { uid, gid } = job.runAs;
    let childPid: number | undefined;
    let endedEarly: ChildEnd | undefined;
    let spawning = true;
    const handle = deps.spawn(
      { file: file.value, argv: job.argv, uid: uid === deps.own.uid ? undefined : uid, gid: gid === deps.own.gid ? undefined : gid },
      {
        onEnd: (end) => {
          // A spawner must not call back synchronously; if one does, finish after spawn returns.
          if (spawning) endedEarly = end;
          else ended(end, childPid);
        },
        onOutput: logOutput,
      },
    );
    spawning = false;
    childPid = handle.pid;
    pid = childPid;
    if (endedEarly !== undefined) return ended(endedEarly, childPid);
    if (childPid !== undefined) {
      const p = childPid;
      cancelKill = clock.setTimer(job.timeoutMs, () => timedOut(p));
    }
  }

  function waitIdle(ms: number): Promise<boolean> {
    if (phase === 'idle') return Promise.resolve(true);
    return new Promise((resolve) => {
      let settled = false;
      const cancel = clock.setTimer(ms, () => {
        if (settled) return;
        settled = true;
        resolve(false);
      });
      exitWaiters.push(() => {
        if (settled) return;
        settled = true;
        cancel();
        resolve(true);
      });
    });
  }

  return {
    start() {
      if (started || stopped) return;
      started = true;
      nextDue = clock.now();
      cancelTick = clock.setTimer(0, tick);
    },
    async stop() {
      stopped = true;
      cancelTick();
      if (phase === 'idle') return;
      const p = pid;
      if (p === undefined) {
        // An open test or a spawn still failing: nothing to signal; it ends on its own timer.
        await waitIdle(STOP_GRACE_MS);
        return;
      }
      cancelKill();
      cancelKill = noop;
      deps.killGroup(p, 'SIGTERM');
      if (await waitIdle(STOP_GRACE_MS)) return;
      deps.killGroup(p, 'SIGKILL');
      if (!(await waitIdle(STOP_GRACE_MS))) log.warn(`Script ${job.name} child (PID ${p}) did not exit after SIGKILL at stop`);
    },
    status: () => ({ phase, pid, runs, skipped, lastStartedAt, lastDurationMs, lastResult }),
  };
}
