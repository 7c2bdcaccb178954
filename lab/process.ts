// Child processes for the lab: every command is bounded in time, every long-running program is
// tracked by PID so the lab can kill exactly what it started and nothing else.

import { spawn as spawnChild } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Result } from '../src/types.js';
import { err, ok } from '../src/types.js';

export interface ExecResult {
  /** Exit code, or null when the process died from a signal (e.g. our timeout kill). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when we killed it because it ran past timeoutMs. */
  readonly timedOut: boolean;
}

export interface ExecOptions {
  readonly timeoutMs?: number;
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
}

const DEFAULT_EXEC_TIMEOUT_MS = 10_000;

/** Run argv to completion (no shell), SIGKILLed after timeoutMs. Never rejects. */
export function execBounded(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (file === undefined) {
    return Promise.resolve({ code: null, signal: null, stdout: '', stderr: 'empty argv', timedOut: false });
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
  return new Promise((resolve) => {
    const child = spawnChild(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
    });
    const out: Buffer[] = [];
    const errOut: Buffer[] = [];
    let timedOut = false;
    let spawnError: string | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => errOut.push(b));
    child.on('error', (e) => {
      spawnError = e.message;
    });
    child.stdin.on('error', () => {
      // The program may exit before reading its input; that is its business, not an error here.
    });
    child.stdin.end(opts.input ?? '');
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(errOut).toString('utf8') + (spawnError ? `spawn error: ${spawnError}\n` : '');
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr, timedOut });
    });
  });
}

/** Like execBounded but a non-zero exit or timeout becomes an error value with the command and its stderr. */
export async function execChecked(argv: readonly string[], opts: ExecOptions = {}): Promise<Result<string, string>> {
  const r = await execBounded(argv, opts);
  if (r.code === 0 && !r.timedOut) return ok(r.stdout);
  const why = r.timedOut ? `timed out after ${opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS} ms` : `exit ${r.code ?? r.signal}`;
  return err(`${argv.join(' ')}: ${why}: ${r.stderr.trim()}`);
}

export interface OutputLine {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
  /** Date.now() when the line arrived. */
  readonly at: number;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface WaitForLineOptions {
  readonly timeoutMs: number;
  /** Only consider lines with index >= since in `lines` (default 0: lines already seen count too). */
  readonly since?: number;
  readonly stream?: 'stdout' | 'stderr';
}

export interface TrackedProcess {
  readonly pid: number;
  readonly argv: readonly string[];
  /** Every output line so far, both streams interleaved in arrival order. */
  readonly lines: readonly OutputLine[];
  stdoutLines(): string[];
  stderrLines(): string[];
  /** Resolve with the first matching line, or an error value (with the recent output) on timeout or exit. */
  waitForLine(pattern: RegExp | ((line: string) => boolean), opts: WaitForLineOptions): Promise<Result<string, string>>;
  /** Send a signal to this PID only; false when it has already exited. */
  kill(signal: NodeJS.Signals): boolean;
  running(): boolean;
  readonly exited: Promise<ExitInfo>;
  /** SIGTERM, then SIGKILL when it has not exited after graceMs. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

export interface SpawnOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Called for each line as it arrives (e.g. to mirror a daemon's log). */
  readonly onLine?: (line: OutputLine) => void;
}

/**
 * Start a long-running program (no shell). The returned PID is the program's own as long as argv[0]
 * execs into it (as `ip netns exec` does), which is what lets us signal it directly.
 */
export function spawnTracked(argv: readonly string[], opts: SpawnOptions = {}): Result<TrackedProcess, string> {
  const [file, ...args] = argv;
  if (file === undefined) return err('empty argv');
  const child = spawnChild(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
  if (child.pid === undefined) {
    // spawn failures (ENOENT) are reported asynchronously; swallow that event, report it as a value.
    child.on('error', () => undefined);
    return err(`could not spawn ${argv.join(' ')}`);
  }
  const pid = child.pid;
  const lines: OutputLine[] = [];
  const waiters = new Set<() => void>();
  let exitInfo: ExitInfo | undefined;

  const notify = (): void => {
    for (const w of [...waiters]) w();
  };
  const collect = (stream: 'stdout' | 'stderr', source: NodeJS.ReadableStream): void => {
    let partial = '';
    source.setEncoding('utf8');
    source.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const text of parts) {
        const line = { stream, text, at: Date.now() };
        lines.push(line);
        opts.onLine?.(line);
      }
      notify();
    });
    source.on('end', () => {
      if (partial !== '') {
        const line = { stream, text: partial, at: Date.now() };
        lines.push(line);
        opts.onLine?.(line);
        partial = '';
      }
      notify();
    });
  };
  collect('stdout', child.stdout);
  collect('stderr', child.stderr);

  const exited = new Promise<ExitInfo>((resolve) => {
    child.on('error', () => undefined);
    // 'close' rather than 'exit': by then both pipes are drained, so `lines` is complete.
    child.on('close', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
      notify();
    });
  });

  const running = (): boolean => exitInfo === undefined && child.exitCode === null && child.signalCode === null;

  const kill = (signal: NodeJS.Signals): boolean => {
    if (!running()) return false;
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  };

  const waitForLine = (pattern: RegExp | ((line: string) => boolean), w: WaitForLineOptions): Promise<Result<string, string>> => {
    const matches = (text: string): boolean => {
      if (typeof pattern === 'function') return pattern(text);
      pattern.lastIndex = 0; // a /g or /y pattern would otherwise resume mid-string on the next line
      return pattern.test(text);
    };
    const what = typeof pattern === 'function' ? 'the awaited line' : String(pattern);
    let scanned = w.since ?? 0;
    return new Promise((resolve) => {
      const finish = (r: Result<string, string>): void => {
        clearTimeout(timer);
        waiters.delete(check);
        resolve(r);
      };
      const recent = (): string =>
        lines
          .slice(-15)
          .map((l) => l.text)
          .join('\n');
      const check = (): void => {
        for (; scanned < lines.length; scanned++) {
          const line = lines[scanned];
          if (line === undefined || (w.stream !== undefined && line.stream !== w.stream)) continue;
          if (matches(line.text)) return finish(ok(line.text));
        }
        if (exitInfo !== undefined) {
          finish(err(`${argv[0]} exited (${exitInfo.code ?? exitInfo.signal}) before ${what}; last output:\n${recent()}`));
        }
      };
      const timer = setTimeout(
        () => finish(err(`no line matching ${what} within ${w.timeoutMs} ms; last output:\n${recent()}`)),
        w.timeoutMs,
      );
      waiters.add(check);
      check();
    });
  };

  const stop = async (graceMs = 2000): Promise<ExitInfo> => {
    if (!running()) return exited;
    kill('SIGTERM');
    const done = await Promise.race([exited, sleep(graceMs).then(() => undefined)]);
    if (done !== undefined) return done;
    kill('SIGKILL');
    return exited;
  };

  return ok({
    pid,
    argv,
    lines,
    stdoutLines: () => lines.filter((l) => l.stream === 'stdout').map((l) => l.text),
    stderrLines: () => lines.filter((l) => l.stream === 'stderr').map((l) => l.text),
    waitForLine,
    kill,
    running,
    exited,
    stop,
  });
}

/** The process's exit, waiting at most timeoutMs before a SIGKILL (a daemon that ignores SIGTERM must not hang a test). */
export async function exitWithin(proc: TrackedProcess, timeoutMs: number): Promise<ExitInfo> {
  const done = await Promise.race([proc.exited, sleep(timeoutMs).then(() => undefined)]);
  if (done !== undefined) return done;
  proc.kill('SIGKILL');
  return proc.exited;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll an async predicate until it holds or timeoutMs passes; returns whether it held. */
export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number },
): Promise<boolean> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await predicate()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(opts.intervalMs ?? 50, Math.max(0, deadline - Date.now())));
  }
}

/**
 * Is a PID still running? A zombie (dead, not yet reaped: e.g. an orphan waiting for init) counts as
 * gone. EPERM means it exists but is not ours to signal, which still counts as alive.
 */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ...": comm may contain spaces and parentheses, the state follows the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
  } catch {
    // no /proc entry: fall through to the signal probe
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Signal a PID, ignoring "already gone". */
export function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Wall-clock seconds with sub-millisecond resolution, comparable with pcap timestamps. */
export function wallClockSeconds(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

/** A process's resident set (VmRSS), or its peak so far (VmHWM), in MB; undefined once it is gone. */
export function rssMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number | undefined {
  try {
    const kb = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}
