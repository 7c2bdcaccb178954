// Our daemon inside a lab host, the way systemd runs it (`vrrpd -n -D -f FILE`: JSON lines on stdout), from the
// compiled dist/ (the daemon never runs under a TypeScript loader). Mirrors lab/keepalived.ts so a
// test can put either daemon on either node.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { err, ok, type Result } from '../src/types.js';
import type { Lab } from './netns.js';
import { exitWithin, type ExitInfo, type OutputLine, type TrackedProcess } from './process.js';

/** The repository root: the nearest directory above this module holding package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('lab/vrrpd: no package.json above this module');
    dir = up;
  }
  return dir;
}

/** The entry bin/vrrpd runs: the bundle `npm run build` makes from dist/src (scripts/bundle.ts). */
export function vrrpdCli(): string {
  return join(repoRoot(), 'dist', 'bundle', 'cli.js');
}

/** The `vrrpd` command users run (package.json bin): node with vrrpd's heap flags, then cli.js. */
export function vrrpdBin(): string {
  return join(repoRoot(), 'bin', 'vrrpd');
}

/** One pino JSON line of the daemon's console log. */
export interface VrrpdLogRecord {
  readonly level: number;
  /** Wall clock, ms since the epoch (pino's `time`). */
  readonly time: number;
  readonly msg: string;
}

export function parseLogLine(text: string): VrrpdLogRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<VrrpdLogRecord>;
    return typeof r.msg === 'string' && typeof r.time === 'number' && typeof r.level === 'number'
      ? { level: r.level, time: r.time, msg: r.msg }
      : undefined;
  } catch {
    return undefined;
  }
}

export interface VrrpdOptions {
  readonly extraArgs?: readonly string[];
  /** Resolve once "Startup complete" is logged (default true). */
  readonly waitForStartup?: boolean;
  readonly startTimeoutMs?: number;
  readonly onLog?: (message: string) => void;
  /** Extra environment for the daemon, over ours; TMPDIR defaults to the daemon's own directory. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Run on this existing file (e.g. the keepalived.conf a keepalived on the same node used, for a
   * migration in place) instead of writing `configText` (then ignored) to a file of our own.
   */
  readonly configFile?: string;
  /** The `vrrpd` command to run (default this checkout's bin/vrrpd), e.g. an unpacked package's. */
  readonly bin?: string;
}

export interface Vrrpd {
  readonly host: string;
  readonly pid: number;
  readonly dir: string;
  readonly configPath: string;
  readonly process: TrackedProcess;
  /** Log records so far (stdout JSON lines). */
  records(): VrrpdLogRecord[];
  /** Messages so far, stdout records and raw stderr lines alike. */
  logLines(): string[];
  logMark(): number;
  waitForLog(pattern: RegExp, opts: { timeoutMs: number; since?: number }): Promise<Result<string, string>>;
  waitForState(instance: string, state: 'MASTER' | 'BACKUP' | 'FAULT', opts: { timeoutMs: number; since?: number }): Promise<Result<string, string>>;
  signal(signal: NodeJS.Signals): boolean;
  /** SIGTERM and wait: a MASTER sends priority 0 and removes its VIPs. */
  stop(timeoutMs?: number): Promise<ExitInfo>;
  /** SIGKILL: no priority 0, the VIP stays behind as after a real crash. */
  crash(timeoutMs?: number): Promise<ExitInfo>;
}

const messageOf = (line: OutputLine): string => (line.stream === 'stdout' ? parseLogLine(line.text)?.msg ?? line.text : line.text);

export async function startVrrpd(lab: Lab, host: string, configText: string, opts: VrrpdOptions = {}): Promise<Result<Vrrpd, string>> {
  const cli = vrrpdCli();
  if (!existsSync(cli)) return err(`${cli} is missing: run npm run build first`);
  const dir = mkdtempSync(join(tmpdir(), `${lab.id}-vd-${host}-`));
  lab.onDestroy(
    () => rmSync(dir, { recursive: true, force: true }),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  const configPath = opts.configFile ?? join(dir, 'vrrpd.conf');
  if (opts.configFile === undefined) writeFileSync(configPath, configText);
  // Through the launcher, as users start it, so the lab and the bench see its node flags.
  const argv = [opts.bin ?? vrrpdBin(), '-n', '-D', '-f', configPath, '-p', join(dir, 'vrrpd.pid'), ...(opts.extraArgs ?? [])];
  const onLine = opts.onLog === undefined ? undefined : (l: OutputLine): void => opts.onLog?.(messageOf(l));
  const proc = lab.spawn(host, argv, { env: { ...process.env, TMPDIR: dir, ...opts.env }, ...(onLine ? { onLine } : {}) });

  const waitForLog = (pattern: RegExp, w: { timeoutMs: number; since?: number }): Promise<Result<string, string>> =>
    proc
      .waitForLine((text) => {
        pattern.lastIndex = 0;
        return pattern.test(parseLogLine(text)?.msg ?? text);
      }, w)
      .then((r) => (r.ok ? ok(parseLogLine(r.value)?.msg ?? r.value) : err(r.error.replace('the awaited line', String(pattern)))));

  if (opts.waitForStartup ?? true) {
    const started = await waitForLog(/^Startup complete$/, { timeoutMs: opts.startTimeoutMs ?? 5000 });
    if (!started.ok) {
      await proc.stop(1000);
      return err(`vrrpd in ${host}: ${started.error}`);
    }
  }

  return ok({
    host,
    pid: proc.pid,
    dir,
    configPath,
    process: proc,
    records: () => proc.stdoutLines().flatMap((l) => parseLogLine(l) ?? []),
    logLines: () => proc.lines.map(messageOf),
    logMark: () => proc.lines.length,
    waitForLog,
    waitForState: (instance, state, w) =>
      waitForLog(new RegExp(`^\\(${instance.replace(/[^\w]/g, '\\$&')}\\) Entering ${state} STATE`), w),
    signal: (s) => proc.kill(s),
    stop: (timeoutMs = 5000) => {
      proc.kill('SIGTERM');
      return exitWithin(proc, timeoutMs);
    },
    crash: (timeoutMs = 3000) => {
      proc.kill('SIGKILL');
      return exitWithin(proc, timeoutMs);
    },
  });
}
