// Running one notify script: find it, check it, exec it (argv, no shell), capture its output into
// the log, enforce its time limit, report how it ended. Never throws and never rejects: every
// failure is an outcome the queue records and moves past.
//
// What keepalived does (lib/notify.c system_call_script, 2.2.8), and what is kept:
// - fork, then in the child setgid/setgroups({gid})/setuid to the script's user (set_script_env),
//   setpgid(0, 0) so a kill reaches the script's children too, execve(argv[0], argv, environ):
//   the daemon's own environment, unchanged, and its umask (0177 unless `umask`/-m says otherwise,
//   lib/utils.c umask_val). Here: spawn({ uid, gid, detached }) - libuv does setgroups(0) (no
//   supplementary groups), setgid, setuid, and setsid (a new process group, as setpgid did) - with
//   process.env and keepalived's umask.
// - PATH search (find_path) as the script's user; argv[0] becomes the path found.
// - stdin/stdout/stderr are /dev/null in the daemon, so output is lost. Here it is logged.
// - A notify script has no time limit at all (notify_exec passes no timer), except a STOP script
//   at shutdown: 1 s, then SIGKILL to its process group (child_killed_thread). Here every run has
//   one: SIGTERM to the group after `timeoutMs`, SIGKILL `killGraceMs` later.
// - PR_SET_PDEATHSIG(SIGTERM): scripts still running when keepalived dies get SIGTERM. Node cannot
//   set that between fork and exec; the notifier's drain() kills what is left at shutdown instead.
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { Socket } from 'node:net';
import { checkScriptFile, isOpenTest } from '../config/script-check.js';
import { gatherScriptFacts, resolveCommand, type FsProbe, type RunAs } from '../host/rules.js';
import type { SpawnFn } from '../host/exec-guard.js';
import type { Logger } from '../log/logger.js';
import { err, ok, type Result } from '../types.js';
import { OutputCapture, type OutputLimits, type OutputStream, type OutputSummary } from './output.js';
import type { NotifyKeyword, PlannedScript } from './plan.js';

export type { SpawnFn };

/** A script ready to exec. */
export interface ScriptLaunch {
  readonly keyword: NotifyKeyword;
  /** The file to exec: the command as written, or where the PATH search found it. */
  readonly file: string;
  /** argv[1..]: the configured arguments, then what keepalived appends. */
  readonly args: readonly string[];
  readonly uid: number;
  readonly gid: number;
}

export interface RunLimits {
  /** SIGTERM to the script's process group after this long. */
  readonly timeoutMs: number;
  /** SIGKILL this long after the SIGTERM. */
  readonly killGraceMs: number;
  /**
   * After the script exits, how long to wait for its output pipes to close. A child it left in the
   * background may hold them open for ever; the queue must not wait for that.
   */
  readonly closeGraceMs: number;
  readonly output: OutputLimits;
}

export interface RunContext {
  readonly spawn: SpawnFn;
  readonly log: Logger;
  /** ms; only differences are used. */
  readonly clock: () => number;
  readonly own: { readonly uid: number; readonly gid: number };
  readonly env: NodeJS.ProcessEnv;
  /** The umask the script starts with; undefined = the daemon's. */
  readonly umask: number | undefined;
  readonly limits: RunLimits;
}

export type RunOutcome =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'signalled'; readonly signal: string }
  /** Over its time limit; `signal` is the last one its process group was sent. */
  | { readonly kind: 'timed-out'; readonly signal: 'SIGTERM' | 'SIGKILL' }
  /** Still running when the daemon's shutdown budget ran out: SIGKILLed. */
  | { readonly kind: 'killed-at-shutdown' }
  | { readonly kind: 'not-run'; readonly reason: string };

export interface RunReport {
  readonly outcome: RunOutcome;
  /** When the process was spawned (clock ms); undefined if it never was. */
  readonly spawnedAt: number | undefined;
  readonly endedAt: number;
  readonly pid: number | undefined;
  readonly output: OutputSummary;
}

// ---------------------------------------------------------------------------------------------
// Before the exec: the checks keepalived makes once at start-up (check_script_secure), made at
// every run, so a script removed, made unexecutable or made writable after start is caught then.

export interface CheckContext {
  readonly fs: FsProbe;
  readonly pathEnv: string;
  readonly scriptSecurity: boolean;
}

export function prepareLaunch(script: PlannedScript, runAs: RunAs, ctx: CheckContext): Result<ScriptLaunch, string> {
  if (!runAs.ok) return err(runAs.error);
  const command = script.command.argv[0] ?? '';
  if (command === '') return err('empty command');
  // check_script_secure() returns SC_SYSTEM for `</path` and check_notify_script_secure() then
  // drops the notify script: such a "file test" is only meaningful as a vrrp_script.
  if (isOpenTest(command)) return err(`'${command}' is a file test, not a program (keepalived does not run it as a notify script either)`);
  const resolved = resolveCommand(command, runAs, ctx.pathEnv, ctx.fs);
  if (resolved.kind === 'missing') return err(command.includes('/') ? `script '${command}' not found` : `script '${command}' not found in PATH (${ctx.pathEnv})`);
  if (resolved.kind === 'not-executable') return err(`script '${resolved.path}' is not executable for uid:gid ${runAs.uid}:${runAs.gid}`);
  const facts = gatherScriptFacts(command, runAs, ctx.scriptSecurity, resolved, ctx.fs);
  // Insecure without enable_script_security is a start-up warning (keepalived runs it); with it,
  // and for anything unrunnable, the script is refused.
  const refusal = checkScriptFile(facts).find((p) => p.disables);
  if (refusal !== undefined) {
    // keepalived's start-up wording says "disabling"; here only this run is refused.
    if (refusal.kind === 'not-executable') return err(`script '${command}' is not executable for uid:gid ${runAs.uid}:${runAs.gid}`);
    return err(refusal.message.replace(/ - disabling\.?/, ''));
  }
  const args = [...script.command.argv.slice(1), ...script.extraArgs];
  // An empty PATH entry finds `x.sh` in the current directory; exec'd as is, it would be searched
  // for on PATH again.
  const file = resolved.path.includes('/') ? resolved.path : `./${resolved.path}`;
  return ok({ keyword: script.keyword, file, args, uid: runAs.uid, gid: runAs.gid });
}

// ---------------------------------------------------------------------------------------------
// The run

export interface RunHandle {
  readonly done: Promise<RunReport>;
  readonly pid: number | undefined;
  /** SIGKILL the process group now and end the run (the daemon is exiting). */
  abort(): void;
}

/** kill(-pgid): the script and whatever it started. False when nothing was there to signal. */
function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    return process.kill(-pid, signal);
  } catch {
    return false;
  }
}

/** process.umask(mask) around a synchronous spawn (fork happens inside it), restored after. */
function withUmask<T>(mask: number | undefined, f: () => T): T {
  let previous: number | undefined;
  if (mask !== undefined) {
    try {
      previous = process.umask(mask);
    } catch {
      previous = undefined; // not settable here (a worker thread): the script gets the daemon's
    }
  }
  try {
    return f();
  } finally {
    if (previous !== undefined) process.umask(previous);
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms) / 1000} s`;
}

class ScriptRun implements RunHandle {
  readonly done: Promise<RunReport>;
  private resolveDone: (r: RunReport) => void = () => undefined;
  private child: ChildProcess | undefined;
  private spawnedAt: number | undefined;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private timedOut: 'SIGTERM' | 'SIGKILL' | undefined;
  private finished = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly capture: OutputCapture;
  private readonly name: string;

  constructor(
    label: string,
    private readonly launch: ScriptLaunch,
    private readonly ctx: RunContext,
  ) {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    this.name = `${label} ${launch.keyword}`;
    this.capture = new OutputCapture(ctx.limits.output, (stream, line) => this.logLine(stream, line));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const { launch, ctx } = this;
    const options: SpawnOptions = {
      // A process group of its own, so a time-out reaches what the script started (setpgid in
      // system_call_script); also keeps a terminal's ^C in `-n` mode away from it.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: ctx.env,
      // set_script_env() only switches ids that differ from the daemon's.
      ...(launch.uid !== ctx.own.uid ? { uid: launch.uid } : {}),
      ...(launch.gid !== ctx.own.gid ? { gid: launch.gid } : {}),
    };
    let child: ChildProcess;
    try {
      child = withUmask(ctx.umask, () => ctx.spawn(launch.file, launch.args, options));
    } catch (e) {
      this.finish({ kind: 'not-run', reason: `cannot start '${launch.file}': ${e instanceof Error ? e.message : String(e)}` });
      return;
    }
    this.child = child;
    child.on('spawn', () => {
      this.spawnedAt = ctx.clock();
      this.arm(() => this.onTimeout(), ctx.limits.timeoutMs);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      // Before 'spawn': the exec failed (ENOENT, EACCES, EPERM for the uid switch, ...).
      if (this.spawnedAt === undefined) this.finish({ kind: 'not-run', reason: `cannot run '${launch.file}': ${e.code ?? e.message}` });
    });
    child.stdout?.on('data', (chunk: Buffer) => this.capture.feed('stdout', chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.capture.feed('stderr', chunk));
    child.on('exit', (code, signal) => {
      this.exit = { code, signal };
      // Pipes normally close right after; a background child of the script may keep them open.
      this.arm(() => this.onExited(true), ctx.limits.closeGraceMs);
    });
    child.on('close', () => this.onExited(false));
  }

  abort(): void {
    if (this.finished) return;
    const pid = this.child?.pid;
    if (pid !== undefined) signalGroup(pid, 'SIGKILL');
    this.ctx.log.error({ notify: this.fields() }, `${this.name} '${this.launch.file}' still running at shutdown - killed (SIGKILL to its process group)`);
    this.finish({ kind: 'killed-at-shutdown' });
  }

  private arm(f: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      try {
        f();
      } catch (e) {
        this.ctx.log.error({ err: e }, `${this.name}: internal error in a timer: ${String(e)}`);
      }
    }, ms);
    this.timers.add(t);
  }

  private onTimeout(): void {
    const pid = this.child?.pid;
    if (this.finished || this.exit !== undefined || pid === undefined) return;
    const { timeoutMs, killGraceMs } = this.ctx.limits;
    this.timedOut = 'SIGTERM';
    this.ctx.log.error(
      { notify: this.fields() },
      `${this.name} '${this.launch.file}' still running after ${seconds(timeoutMs)} (time limit) - sending SIGTERM to its process group ${pid}`,
    );
    signalGroup(pid, 'SIGTERM');
    // Not cleared when the script exits: a child of it that ignores SIGTERM still gets SIGKILL.
    const t = setTimeout(() => {
      try {
        const mainRunning = this.exit === undefined;
        const hit = signalGroup(pid, 'SIGKILL');
        if (mainRunning) {
          this.timedOut = 'SIGKILL';
          this.ctx.log.error({ notify: this.fields() }, `${this.name} '${this.launch.file}' ignored SIGTERM for ${seconds(killGraceMs)} - sent SIGKILL to its process group ${pid}`);
        } else if (hit) {
          this.ctx.log.warn({ notify: this.fields() }, `${this.name} '${this.launch.file}': processes it left in its group ignored SIGTERM - sent them SIGKILL`);
        }
      } catch (e) {
        this.ctx.log.error({ err: e }, `${this.name}: internal error in a timer: ${String(e)}`);
      }
    }, killGraceMs);
    t.unref();
  }

  private onExited(lingering: boolean): void {
    if (this.finished || this.exit === undefined) return;
    if (lingering) {
      this.ctx.log.info(
        { notify: this.fields() },
        `${this.name} '${this.launch.file}' exited but left processes holding its output open; they keep running (as under keepalived), their output is not logged`,
      );
    }
    const { code, signal } = this.exit;
    if (this.timedOut !== undefined) this.finish({ kind: 'timed-out', signal: this.timedOut });
    else if (code !== null) this.finish({ kind: 'exited', code });
    else this.finish({ kind: 'signalled', signal: signal ?? 'unknown' });
  }

  private finish(outcome: RunOutcome): void {
    if (this.finished) return;
    this.finished = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const output = this.capture.end();
    if (output.droppedBytes > 0) {
      const { maxLines, maxBytes } = this.ctx.limits.output;
      this.ctx.log.warn(
        { notify: this.fields() },
        `${this.name}: output limit reached (${maxLines} lines / ${maxBytes} bytes per run) - ${output.droppedBytes} more bytes dropped`,
      );
    }
    this.logOutcome(outcome);
    // Whatever still holds the pipes (a background child) must not keep the daemon's loop alive.
    this.child?.unref();
    for (const s of [this.child?.stdout, this.child?.stderr]) if (s instanceof Socket) s.unref();
    this.resolveDone({ outcome, spawnedAt: this.spawnedAt, endedAt: this.ctx.clock(), pid: this.child?.pid, output });
  }

  private logOutcome(outcome: RunOutcome): void {
    const { log } = this.ctx;
    const what = `${this.name} '${this.launch.file}'`;
    const fields = { notify: { ...this.fields(), outcome } };
    switch (outcome.kind) {
      case 'exited':
        if (outcome.code === 0) log.debug(fields, `${what} exited with status 0`);
        else log.warn(fields, `${what} exited with status ${outcome.code}`);
        return;
      case 'signalled':
        log.warn(fields, `${what} was killed by signal ${outcome.signal}`);
        return;
      case 'timed-out':
        log.error(fields, `${what} was killed (${outcome.signal}) for exceeding its ${seconds(this.ctx.limits.timeoutMs)} time limit; the next notification runs`);
        return;
      case 'killed-at-shutdown':
        return; // abort() said it
      case 'not-run':
        log.error(fields, `${this.name}: not run - ${outcome.reason}`);
        return;
    }
  }

  private logLine(stream: OutputStream, line: string): void {
    const fields = { notify: { ...this.fields(), stream } };
    // stdout is what the script chose to say; stderr is where programs put their complaints.
    if (stream === 'stdout') this.ctx.log.info(fields, `${this.name}: ${line}`);
    else this.ctx.log.warn(fields, `${this.name} (stderr): ${line}`);
  }

  private fields(): { script: NotifyKeyword; file: string; pid: number | undefined } {
    return { script: this.launch.keyword, file: this.launch.file, pid: this.child?.pid };
  }
}

/** Start one script now. `label` is the log prefix: `(VI_1)` or `VRRP_Group(G1)`. */
export function startRun(label: string, launch: ScriptLaunch, ctx: RunContext): RunHandle {
  const run = new ScriptRun(label, launch, ctx);
  run.start();
  return run;
}

/** A run that never started: the same report shape, for the queue's bookkeeping. */
export function notRun(reason: string, now: number): RunReport {
  return { outcome: { kind: 'not-run', reason }, spawnedAt: undefined, endedAt: now, pid: undefined, output: { linesLogged: 0, bytesLogged: 0, droppedBytes: 0 } };
}
