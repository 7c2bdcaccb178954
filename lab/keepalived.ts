// The real keepalived (Debian 2.2.7) inside a lab host, as the reference our daemon is compared with.
//
// What 2.2.7 touches outside its config (seen with strace -f): the parent and VRRP-child pidfiles
// (default /run/keepalived.pid, /run/vrrp.pid), a look at /run/bfd.pid and /run/checkers.pid (read,
// and unlinked at exit), /dev/log for syslog and, with no syslog daemon listening, /dev/console for
// every log line; SIGUSR1/USR2/JSON dumps go to $TMPDIR. So every pidfile is pointed into a private
// temp dir, TMPDIR too, and -G turns syslog off: two instances in two namespaces share nothing.
// -s/--namespace is not used: `ip netns exec` already put us in the host's namespace.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Result } from '../src/types.js';
import { err, ok } from '../src/types.js';
import type { Lab } from './netns.js';
import type { ExitInfo, OutputLine, TrackedProcess } from './process.js';
import { exitWithin, pidAlive, signalPid, waitUntil } from './process.js';

export interface KeepalivedOptions {
  /** Extra command-line flags, e.g. ['-V'] or ['-X']. */
  readonly extraArgs?: readonly string[];
  /** Resolve only after the VRRP child logged "Startup complete" (default true). */
  readonly waitForStartup?: boolean;
  readonly startTimeoutMs?: number;
  /** Mirror each log line (message without the timestamp prefix), e.g. to the test's output. */
  readonly onLog?: (message: string) => void;
}

export interface Keepalived {
  readonly host: string;
  /** The parent (the PID `ip netns exec` became). */
  readonly pid: number;
  readonly dir: string;
  readonly configPath: string;
  readonly process: TrackedProcess;
  /** Log messages so far, without keepalived's "Wed Nov 25 09:50:32 2026: " prefix. */
  logLines(): string[];
  /** Index to pass as `since` to only wait for lines logged from now on. */
  logMark(): number;
  waitForLog(pattern: RegExp, opts: { timeoutMs: number; since?: number }): Promise<Result<string, string>>;
  /** Wait for "(VI_1) Entering MASTER STATE" and friends. */
  waitForState(
    instance: string,
    state: 'MASTER' | 'BACKUP' | 'FAULT',
    opts: { timeoutMs: number; since?: number },
  ): Promise<Result<string, string>>;
  /** The forked VRRP child's PID, read from its pidfile. */
  vrrpChildPid(): number | undefined;
  signal(signal: NodeJS.Signals): boolean;
  /** Graceful stop: SIGTERM to the parent (the master sends priority 0), wait for it to exit. */
  stop(timeoutMs?: number): Promise<ExitInfo>;
  /**
   * Simulated crash, no priority-0 advert: freeze the parent (so it can neither respawn the child
   * nor let PDEATHSIG make the child exit gracefully), SIGKILL the VRRP child, then the parent.
   * The VIP stays on the interface, as after a real crash.
   */
  crash(timeoutMs?: number): Promise<ExitInfo>;
}

const LOG_PREFIX = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}: /;

/** Strip keepalived's console timestamp ("Wed Nov 25 09:50:32 2026: "). */
export function keepalivedMessage(line: string): string {
  return line.replace(LOG_PREFIX, '');
}

/** Drop notify* lines (the captures' configs point at a script that does not exist here). */
export function stripNotifyLines(config: string): string {
  return config
    .split('\n')
    .filter((l) => !/^\s*notify(_\w+)?\s/.test(l))
    .join('\n');
}

export async function startKeepalived(
  lab: Lab,
  host: string,
  configText: string,
  opts: KeepalivedOptions = {},
): Promise<Result<Keepalived, string>> {
  const dir = mkdtempSync(join(tmpdir(), `${lab.id}-ka-${host}-`));
  lab.onDestroy(
    () => rmSync(dir, { recursive: true, force: true }),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  const configPath = join(dir, 'keepalived.conf');
  writeFileSync(configPath, configText);
  const pidfile = (name: string): string => join(dir, `${name}.pid`);
  const argv = [
    'keepalived',
    '-n', // stay in the foreground: the PID we hold is the parent's
    '-l', // log to the console (stderr)…
    '-G', // …and not to syslog
    '-D',
    '-P',
    '-f', configPath,
    '-p', pidfile('keepalived'),
    '-r', pidfile('vrrp'),
    '-c', pidfile('checkers'),
    '-b', pidfile('bfd'),
    ...(opts.extraArgs ?? []),
  ];
  const onLine = opts.onLog === undefined ? undefined : (l: OutputLine): void => opts.onLog?.(keepalivedMessage(l.text));
  const proc = lab.spawn(host, argv, { env: { ...process.env, TMPDIR: dir }, ...(onLine ? { onLine } : {}) });

  const waitForLog = (pattern: RegExp, w: { timeoutMs: number; since?: number }): Promise<Result<string, string>> =>
    proc
      .waitForLine((line) => {
        pattern.lastIndex = 0;
        return pattern.test(keepalivedMessage(line));
      }, { ...w, stream: 'stderr' })
      .then((r) => (r.ok ? ok(keepalivedMessage(r.value)) : err(r.error.replace('the awaited line', String(pattern)))));

  if (opts.waitForStartup ?? true) {
    const started = await waitForLog(/Startup complete/, { timeoutMs: opts.startTimeoutMs ?? 5000 });
    if (!started.ok) {
      await proc.stop(1000);
      return err(`keepalived in ${host}: ${started.error}`);
    }
  }

  const vrrpChildPid = (): number | undefined => {
    try {
      const n = Number(readFileSync(pidfile('vrrp'), 'utf8').trim());
      return Number.isInteger(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  };

  return ok({
    host,
    pid: proc.pid,
    dir,
    configPath,
    process: proc,
    logLines: () => proc.lines.map((l) => keepalivedMessage(l.text)),
    logMark: () => proc.lines.length,
    waitForLog,
    waitForState: (instance, state, w) =>
      waitForLog(new RegExp(`\\(${instance.replace(/[^\w]/g, '\\$&')}\\) Entering ${state} STATE`), w),
    vrrpChildPid,
    signal: (s) => proc.kill(s),
    stop: (timeoutMs = 5000) => {
      proc.kill('SIGTERM');
      return exitWithin(proc, timeoutMs);
    },
    crash: async (timeoutMs = 3000) => {
      const child = vrrpChildPid();
      proc.kill('SIGSTOP');
      if (child !== undefined) signalPid(child, 'SIGKILL');
      proc.kill('SIGKILL');
      const exit = await exitWithin(proc, timeoutMs);
      // Reparented to init once the parent is gone, the child's zombie is reaped shortly after.
      if (child !== undefined) await waitUntil(() => !pidAlive(child), { timeoutMs: 1000, intervalMs: 20 });
      return exit;
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Config text for lab scenarios

export interface KeepalivedInstanceSpec {
  readonly name?: string;
  readonly state: 'MASTER' | 'BACKUP';
  readonly interface?: string;
  readonly vrid: number;
  readonly priority?: number;
  readonly advertInt?: number;
  /** auth_type PASS with this password; omit for no authentication block. */
  readonly authPass?: string;
  readonly vips: readonly string[];
  readonly nopreempt?: boolean;
  readonly preemptDelay?: number;
  /** Raw lines added inside the vrrp_instance block. */
  readonly extraLines?: readonly string[];
}

export interface KeepalivedConfigSpec {
  readonly routerId: string;
  /** Raw lines added to global_defs (vrrp_skip_check_adv_addr is always there, as in the captures). */
  readonly globalLines?: readonly string[];
  readonly instances: readonly KeepalivedInstanceSpec[];
}

/** A keepalived.conf in the captures' style (see test/fixtures/captures/h1.conf). */
export function renderKeepalivedConfig(spec: KeepalivedConfigSpec): string {
  const out = ['global_defs {', `   router_id ${spec.routerId}`, '   vrrp_skip_check_adv_addr'];
  for (const l of spec.globalLines ?? []) out.push(`   ${l}`);
  out.push('}', '');
  for (const i of spec.instances) {
    out.push(`vrrp_instance ${i.name ?? 'VI_1'} {`);
    out.push(`    state ${i.state}`, `    interface ${i.interface ?? 'eth0'}`, `    virtual_router_id ${i.vrid}`);
    if (i.priority !== undefined) out.push(`    priority ${i.priority}`);
    out.push(`    advert_int ${i.advertInt ?? 1}`);
    if (i.nopreempt) out.push('    nopreempt');
    if (i.preemptDelay !== undefined) out.push(`    preempt_delay ${i.preemptDelay}`);
    if (i.authPass !== undefined) {
      out.push('    authentication {', '        auth_type PASS', `        auth_pass ${i.authPass}`, '    }');
    }
    out.push('    virtual_ipaddress {', ...i.vips.map((v) => `        ${v}`), '    }');
    for (const l of i.extraLines ?? []) out.push(`    ${l}`);
    out.push('}', '');
  }
  return out.join('\n');
}
