// The notifier with real child processes: shell scripts written to a temp dir by each test record
// their argv, timing, ids and umask in files the test reads back.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { parseConfigText } from '../../src/config/load.js';
import { parseUserDb } from '../../src/host/rules.js';
import type { Logger } from '../../src/log/logger.js';
import { createNotifier, type NotifierDeps, type Notifier } from '../../src/notify/notifier.js';
import { itUnless } from '../helpers/unmet.js';

interface LogRecord {
  level: number;
  msg: string;
  [key: string]: unknown;
}

const INFO = 30;
const WARN = 40;
const ERROR = 50;

function memoryLog(): { log: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line) as LogRecord) });
  return { log, records };
}

/** root and nobody only: no keepalived_script, so scripts without a user run as the test (root). */
const USERS = parseUserDb('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n', 'root:x:0:\nnogroup:x:65534:\n');

let dir = '';
const started: Notifier[] = [];
const strays: number[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vrrpd-notify-'));
  chmodSync(dir, 0o755);
});

afterEach(async () => {
  for (const n of started.splice(0)) await n.drain(1);
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** An executable /bin/sh script in the test's dir. */
function script(name: string, body: string, mode = 0o755): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, mode);
  return path;
}

/** A script appending one line per run: `$0 [arg1] [arg2] ...`. */
function recorder(name: string, out: string): string {
  return script(name, `{ printf '%s' "$0"; for a in "$@"; do printf ' [%s]' "$a"; done; echo; } >> '${out}'`);
}

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l !== '') : [];
}

interface ConfigParts {
  readonly vi1?: readonly string[];
  readonly vi2?: readonly string[];
  readonly group?: readonly string[];
  readonly global?: readonly string[];
}

function makeConfig(parts: ConfigParts): Config {
  const instance = (name: string, vrid: number, body: readonly string[]): string[] => [
    `vrrp_instance ${name} {`,
    '  interface eth0',
    `  virtual_router_id ${vrid}`,
    '  priority 150',
    ...body.map((l) => `  ${l}`),
    '  virtual_ipaddress {',
    `    192.0.2.${vrid}`,
    '  }',
    '}',
  ];
  const text = [
    'global_defs {',
    ...(parts.global ?? []).map((l) => `  ${l}`),
    '}',
    ...(parts.group === undefined ? [] : ['vrrp_sync_group G1 {', '  group {', '    VI_1', '  }', ...parts.group.map((l) => `  ${l}`), '}']),
    ...instance('VI_1', 51, parts.vi1 ?? []),
    ...instance('VI_2', 52, parts.vi2 ?? []),
    '',
  ].join('\n');
  const r = parseConfigText(text, join(dir, 'vrrpd.conf'));
  if (r.config === undefined) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.config;
}

function notifier(config: Config, log: Logger, extra: Partial<NotifierDeps> = {}): Notifier {
  const n = createNotifier(config, { log, userDb: USERS, ...extra });
  started.push(n);
  return n;
}

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Running and not a zombie (a container's PID 1 may never reap what it inherits). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

function readPid(path: string): number {
  const pid = Number(readFileSync(path, 'utf8').trim());
  expect(Number.isInteger(pid) && pid > 1).toBe(true);
  return pid;
}

describe('notifier: arguments', () => {
  it('runs the state script, then the generic notify with INSTANCE <name> <STATE> <priority>', async () => {
    const out = join(dir, 'inst.log');
    const m = recorder('master.sh', out);
    const g = recorder('generic.sh', out);
    const c = makeConfig({ vi1: [`notify_master "${m} 'a b' c"`, `notify ${g}`] });
    const { log } = memoryLog();
    const n = notifier(c, log);
    n.instance('VI_1', 'MASTER', 140);
    n.instance('VI_1', 'BACKUP', 140); // no notify_backup: only the generic one
    n.instance('VI_1', 'DELETED', 150); // no notify_deleted: reported as FAULT
    n.instance('VI_1', 'STOP', 150);
    await n.drain(5000);
    expect(lines(out)).toEqual([
      `${m} [a b] [c]`,
      `${g} [INSTANCE] [VI_1] [MASTER] [140]`,
      `${g} [INSTANCE] [VI_1] [BACKUP] [140]`,
      `${g} [INSTANCE] [VI_1] [FAULT] [150]`,
      `${g} [INSTANCE] [VI_1] [STOP] [150]`,
    ]);
  });

  it('a sync group runs its own scripts with GROUP <name> <STATE> 0, in its own queue', async () => {
    const out = join(dir, 'group.log');
    const gb = recorder('group-backup.sh', out);
    const gg = recorder('group-generic.sh', out);
    const c = makeConfig({ group: [`notify_backup ${gb}`, `notify ${gg}`] });
    const { log } = memoryLog();
    const n = notifier(c, log);
    n.group('G1', 'BACKUP');
    n.group('G1', 'STOP');
    await n.drain(5000);
    expect(lines(out)).toEqual([`${gb}`, `${gg} [GROUP] [G1] [BACKUP] [0]`, `${gg} [GROUP] [G1] [STOP] [0]`]);
    expect(n.status().queues.map((q) => [q.kind, q.name, q.runs])).toEqual([['GROUP', 'G1', 3]]);
  });

  it('notify_master_rx_lower_pri runs with nothing appended', async () => {
    const out = join(dir, 'rx.log');
    const rx = recorder('rx.sh', out);
    const g = recorder('generic.sh', out);
    const n = notifier(makeConfig({ vi1: [`notify_master_rx_lower_pri "${rx} x"`, `notify ${g}`] }), memoryLog().log);
    n.masterRxLowerPri('VI_1', 150);
    await n.drain(5000);
    expect(lines(out)).toEqual([`${rx} [x]`]);
  });

  it('a bare command name is found on PATH and exec\'d by its full path', async () => {
    const out = join(dir, 'path.log');
    const bin = join(dir, 'bin');
    mkdirSync(bin, { mode: 0o755 });
    const full = join(bin, 'on-path.sh');
    writeFileSync(full, `#!/bin/sh\necho "$0 $1" >> '${out}'\n`, { mode: 0o755 });
    const n = notifier(makeConfig({ vi1: ['notify on-path.sh'] }), memoryLog().log, { pathEnv: `/nonexistent:${bin}` });
    n.instance('VI_1', 'MASTER', 150);
    await n.drain(5000);
    expect(lines(out)).toEqual([`${full} INSTANCE`]);
  });
});

describe('notifier: the script\'s process', () => {
  // Switching users needs root; the daemon runs as root.
  itUnless(process.getuid?.() !== 0)('runs as the line\'s user, with keepalived\'s umask 0177 and the daemon\'s environment', async () => {
    const out = join(dir, 'ids.log');
    writeFileSync(out, '');
    chmodSync(out, 0o666);
    const s = script('ids.sh', `echo "$(id -u) $(id -g) $(id -G) $(umask) $VRRPD_NOTIFY_TEST" >> '${out}'`);
    process.env['VRRPD_NOTIFY_TEST'] = 'inherited';
    try {
      const n = notifier(makeConfig({ vi1: [`notify_master ${s} nobody`, `notify_backup ${s}`] }), memoryLog().log);
      n.instance('VI_1', 'MASTER', 150);
      n.instance('VI_1', 'BACKUP', 150);
      await n.drain(5000);
    } finally {
      delete process.env['VRRPD_NOTIFY_TEST'];
    }
    // nobody: its primary group and no supplementary ones; then the default user (root here).
    expect(lines(out)).toEqual(['65534 65534 65534 0177 inherited', '0 0 0 0177 inherited']);
  });

  it('logs stdout lines at info and stderr lines at warn, prefixed with the instance and the script', async () => {
    const s = script('talk.sh', 'echo "to stdout"; echo "to stderr" >&2; exit 3');
    const { log, records } = memoryLog();
    const n = notifier(makeConfig({ vi1: [`notify_fault ${s}`] }), log);
    n.instance('VI_1', 'FAULT', 150);
    await n.drain(5000);
    const out = records.filter((r) => r.msg.startsWith('(VI_1) notify_fault'));
    expect(out.map((r) => [r.level, r.msg])).toEqual(
      expect.arrayContaining([
        [INFO, '(VI_1) notify_fault: to stdout'],
        [WARN, '(VI_1) notify_fault (stderr): to stderr'],
        [WARN, `(VI_1) notify_fault '${s}' exited with status 3`],
      ]),
    );
    expect(n.status().queues[0]?.lastRun?.outcome).toEqual({ kind: 'exited', code: 3 });
  });

  it('caps the output logged per run and says how much it dropped', async () => {
    const s = script('loud.sh', 'i=0; while [ $i -lt 100 ]; do echo "line $i"; i=$((i+1)); done; head -c 1000000 /dev/zero | tr "\\0" x; echo; echo done');
    const { log, records } = memoryLog();
    const n = notifier(makeConfig({ vi1: [`notify_master ${s}`] }), log);
    n.instance('VI_1', 'MASTER', 150);
    await n.drain(5000);
    const logged = records.filter((r) => r.msg.startsWith('(VI_1) notify_master: line'));
    expect(logged.map((r) => r.msg)).toEqual(Array.from({ length: 64 }, (_, i) => `(VI_1) notify_master: line ${i}`));
    const summary = records.filter((r) => r.msg.includes('more bytes dropped'));
    expect(summary).toHaveLength(1);
    // 36 more "line N" lines (7 or 8 bytes each), the 1 MB line and "done".
    expect(summary[0]?.msg).toBe('(VI_1) notify_master: output limit reached (64 lines / 8192 bytes per run) - 1000256 more bytes dropped');
    expect(records.reduce((sum, r) => sum + r.msg.length, 0)).toBeLessThan(20_000);
  });
});

describe('notifier: one at a time, in transition order', () => {
  it('a slow script and quick transitions: every run in order, never overlapping; other instances do not wait', async () => {
    const out = join(dir, 'order.log');
    // The generic notify gets the name as $2, the state as $3: VI_1's MASTER runs take 400 ms.
    const g = script(
      'timed.sh',
      `echo "start $2 $3 $(date +%s%N)" >> '${out}'; if [ "$2 $3" = "VI_1 MASTER" ]; then sleep 0.4; fi; echo "end $2 $3 $(date +%s%N)" >> '${out}'`,
    );
    const n = notifier(makeConfig({ vi1: [`notify ${g}`], vi2: [`notify ${g}`] }), memoryLog().log);
    n.instance('VI_1', 'MASTER', 150);
    n.instance('VI_1', 'BACKUP', 100);
    n.instance('VI_1', 'MASTER', 150);
    n.instance('VI_1', 'FAULT', 150);
    n.instance('VI_2', 'BACKUP', 150);
    await n.drain(5000);
    const events = lines(out).map((l) => l.split(' '));
    const vi1 = events.filter((e) => e[1] === 'VI_1').map((e) => `${e[0]} ${e[2]}`);
    expect(vi1).toEqual(['start MASTER', 'end MASTER', 'start BACKUP', 'end BACKUP', 'start MASTER', 'end MASTER', 'start FAULT', 'end FAULT']);
    // Timestamps: each run starts after the previous one ended.
    const vi1Times = events.filter((e) => e[1] === 'VI_1').map((e) => BigInt(e[3] ?? '0'));
    for (let i = 1; i < vi1Times.length; i++) expect(vi1Times[i]! >= vi1Times[i - 1]!).toBe(true);
    // VI_2's run finished while VI_1's first (slow) one was still going.
    const firstEnd = events.findIndex((e) => e[0] === 'end' && e[1] === 'VI_1');
    const vi2End = events.findIndex((e) => e[0] === 'end' && e[1] === 'VI_2');
    expect(vi2End).toBeGreaterThan(-1);
    expect(vi2End).toBeLessThan(firstEnd);
  });

  it('a backlog is logged once, every transition still runs, the queue says when it has caught up', async () => {
    const out = join(dir, 'backlog.log');
    const g = script('slowish.sh', `[ "$3" = MASTER ] && sleep 0.3; echo "$3" >> '${out}'`);
    const { log, records } = memoryLog();
    const n = notifier(makeConfig({ vi1: [`notify ${g}`] }), log, { limits: { warnPending: 3 } });
    const states = ['MASTER', 'BACKUP', 'MASTER', 'BACKUP', 'FAULT', 'BACKUP'] as const;
    for (const s of states) n.instance('VI_1', s, 150);
    await n.drain(5000);
    expect(lines(out)).toEqual([...states]);
    expect(records.filter((r) => r.msg.includes('notifications waiting')).map((r) => [r.level, r.msg])).toEqual([
      [WARN, '(VI_1) 3 notifications waiting: the state changes faster than its notify scripts run (flapping?); every one will still run, in order'],
    ]);
    expect(records.some((r) => r.msg === '(VI_1) notification backlog cleared')).toBe(true);
  });

  it('past maxPending the oldest waiting transitions are dropped, loudly; the newest always runs', async () => {
    const out = join(dir, 'drop.log');
    const g = script('first-slow.sh', `[ "$3" = STOP ] || [ -e '${out}' ] || sleep 0.3; echo "$3" >> '${out}'`);
    const { log, records } = memoryLog();
    const n = notifier(makeConfig({ vi1: [`notify ${g}`] }), log, { limits: { warnPending: 100, maxPending: 2 } });
    n.instance('VI_1', 'MASTER', 150);
    await waitFor('the first run to start', () => n.status().queues[0]?.running !== undefined);
    for (const s of ['BACKUP', 'FAULT', 'MASTER', 'BACKUP'] as const) n.instance('VI_1', s, 150);
    await n.drain(5000);
    expect(lines(out)).toEqual(['MASTER', 'MASTER', 'BACKUP']);
    expect(n.status().queues[0]?.dropped).toBe(2);
    expect(records.filter((r) => r.level === ERROR && r.msg.includes('dropping the oldest'))).toHaveLength(1);
    expect(records.some((r) => r.msg === '(VI_1) notification backlog cleared; 2 of the oldest were dropped')).toBe(true);
  });
});

describe('notifier: time limit', () => {
  it('a script that never ends is sent SIGTERM, then SIGKILL; the next notification runs', async () => {
    const out = join(dir, 'after.log');
    const pidFile = join(dir, 'hang.pid');
    // Ignores SIGTERM (and so does its sleep, which inherits SIG_IGN).
    const hang = script('hang.sh', `trap '' TERM; echo $$ > '${pidFile}'; while :; do sleep 1; done`);
    const next = recorder('next.sh', out);
    const { log, records } = memoryLog();
    const n = notifier(makeConfig({ vi1: [`notify_master ${hang}`, `notify_backup ${next}`] }), log, { limits: { timeoutMs: 300, killGraceMs: 200 } });
    const t0 = Date.now();
    n.instance('VI_1', 'MASTER', 150);
    n.instance('VI_1', 'BACKUP', 150);
    await n.drain(5000);
    const elapsed = Date.now() - t0;
    expect(lines(out)).toEqual([next]);
    expect(elapsed).toBeGreaterThanOrEqual(500);
    expect(alive(readPid(pidFile))).toBe(false);
    const errors = records.filter((r) => r.level === ERROR).map((r) => r.msg);
    expect(errors).toEqual([
      expect.stringMatching(/^\(VI_1\) notify_master '.*hang\.sh' still running after 0\.3 s \(time limit\) - sending SIGTERM to its process group \d+$/),
      expect.stringMatching(/^\(VI_1\) notify_master '.*hang\.sh' ignored SIGTERM for 0\.2 s - sent SIGKILL to its process group \d+$/),
      `(VI_1) notify_master '${hang}' was killed (SIGKILL) for exceeding its 0.3 s time limit; the next notification runs`,
    ]);
  });

  it('kills the whole process group: a child the script started in the background dies with it', async () => {
    const pidFile = join(dir, 'child.pid');
    const s = script('forks.sh', `sleep 1000 & echo $! > '${pidFile}'; sleep 1000`);
    const n = notifier(makeConfig({ vi1: [`notify_master ${s}`] }), memoryLog().log, { limits: { timeoutMs: 300, killGraceMs: 200 } });
    n.instance('VI_1', 'MASTER', 150);
    await waitFor('the child pid', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'));
    const child = readPid(pidFile);
    strays.push(child);
    expect(alive(child)).toBe(true);
    await n.drain(5000);
    await waitFor('the child to die', () => !alive(child), 1000);
    expect(n.status().queues[0]?.lastRun?.outcome).toEqual({ kind: 'timed-out', signal: 'SIGTERM' });
  });

  it('a script that exits leaving a background child holding its output does not hold up the queue', async () => {
    const out = join(dir, 'next.log');
    const pidFile = join(dir, 'bg.pid');
    const s = script('daemonizes.sh', `sleep 1000 & echo $! > '${pidFile}'; echo "started it"`);
    const next = recorder('next.sh', out);
    const { log, records } = memoryLog();
    const n = notifier(makeConfig({ vi1: [`notify_master ${s}`, `notify_backup ${next}`] }), log);
    const t0 = Date.now();
    n.instance('VI_1', 'MASTER', 150);
    n.instance('VI_1', 'BACKUP', 150);
    await n.drain(5000);
    strays.push(readPid(pidFile));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(lines(out)).toEqual([next]);
    expect(records.some((r) => r.msg === '(VI_1) notify_master: started it')).toBe(true);
    expect(records.some((r) => r.level === INFO && r.msg.includes('exited but left processes holding its output open'))).toBe(true);
  });
});

describe('notifier: scripts that cannot run', () => {
  it('a missing or non-executable script is a loud error and the queue goes on', async () => {
    const out = join(dir, 'ok.log');
    const missing = join(dir, 'missing.sh');
    const noexec = script('noexec.sh', 'exit 0', 0o644);
    const okScript = recorder('ok.sh', out);
    const { log, records } = memoryLog();
    const n = notifier(makeConfig({ vi1: [`notify_master ${missing}`, `notify_backup ${noexec}`, `notify_fault ${okScript}`] }), log);
    n.instance('VI_1', 'MASTER', 150);
    n.instance('VI_1', 'BACKUP', 150);
    n.instance('VI_1', 'FAULT', 150);
    await n.drain(5000);
    expect(lines(out)).toEqual([okScript]);
    expect(records.filter((r) => r.level === ERROR).map((r) => r.msg)).toEqual([
      `(VI_1) notify_master: not run - script '${missing}' not found`,
      `(VI_1) notify_backup: not run - script '${noexec}' is not executable for uid:gid ${process.getuid?.()}:${process.getgid?.()}`,
    ]);
    expect(n.status().queues[0]).toMatchObject({ runs: 3, failures: 2, pending: 0, running: undefined });
  });

  it('a script created after start-up runs (keepalived would have disabled it for good)', async () => {
    const out = join(dir, 'late.log');
    const late = join(dir, 'late.sh');
    const n = notifier(makeConfig({ vi1: [`notify_master ${late}`] }), memoryLog().log);
    n.instance('VI_1', 'MASTER', 150);
    await n.drain(5000);
    recorder('late.sh', out);
    n.instance('VI_1', 'MASTER', 150);
    await n.drain(5000);
    expect(lines(out)).toEqual([late]);
  });

  // As root: the temp dir is then root's, so the world-writable one below is the only finding.
  itUnless(process.getuid?.() !== 0)('enable_script_security refuses a script in a directory others can write, at run time', async () => {
    const out = join(dir, 'sec.log');
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777); // world-writable, no sticky bit
    const s = join(open, 'x.sh');
    writeFileSync(s, `#!/bin/sh\necho ran >> '${out}'\n`, { mode: 0o755 });
    const config = (security: boolean): Config => makeConfig({ global: security ? ['enable_script_security', 'script_user root'] : [], vi1: [`notify_master ${s}`] });
    const { log, records } = memoryLog();
    const strict = notifier(config(true), log);
    strict.instance('VI_1', 'MASTER', 150);
    await strict.drain(5000);
    expect(lines(out)).toEqual([]);
    expect(records.filter((r) => r.level === ERROR).map((r) => r.msg)).toEqual([
      `(VI_1) notify_master: not run - Unsafe permissions found for script '${s}' (${open} is writable by a non-root user)`,
    ]);
    const lax = notifier(config(false), memoryLog().log);
    lax.instance('VI_1', 'MASTER', 150);
    await lax.drain(5000);
    expect(lines(out)).toEqual(['ran']);
  });

  it('with enable_script_security and no keepalived_script user, a script without a user is refused (no silent root)', async () => {
    const out = join(dir, 'root.log');
    const s = recorder('r.sh', out);
    const { log, records } = memoryLog();
    const n = notifier(makeConfig({ global: ['enable_script_security'], vi1: [`notify_master ${s}`] }), log);
    n.instance('VI_1', 'MASTER', 150);
    await n.drain(5000);
    expect(lines(out)).toEqual([]);
    expect(records.filter((r) => r.level === ERROR).map((r) => r.msg)).toEqual([
      expect.stringMatching(/^\(VI_1\) notify_master: no script user given .* - the script will not be run$/),
      expect.stringMatching(/^\(VI_1\) notify_master: not run - no script user given/),
    ]);
  });
});

describe('notifier: shutdown', () => {
  it('drain() waits for the STOP scripts to finish', async () => {
    const out = join(dir, 'stop.log');
    const stop = script('stop.sh', `sleep 0.2; echo "stopped $1" >> '${out}'`);
    const n = notifier(makeConfig({ vi1: [`notify_stop "${stop} VI_1"`], vi2: [`notify_stop "${stop} VI_2"`] }), memoryLog().log);
    n.instance('VI_1', 'STOP', 150);
    n.instance('VI_2', 'STOP', 100);
    await n.drain(5000);
    // Both, right when drain() resolves: they ran in parallel (two queues), so well under 2 x 0.2 s + overhead each.
    expect(lines(out).sort()).toEqual(['stopped VI_1', 'stopped VI_2']);
    expect(n.status().queues.every((q) => q.pending === 0 && q.running === undefined)).toBe(true);
  });

  it('drain() is bounded: at its deadline what runs is SIGKILLed and what waits is reported', async () => {
    const pidFile = join(dir, 'stuck.pid');
    const stuck = script('stuck.sh', `echo $$ > '${pidFile}'; sleep 1000`);
    const never = recorder('never.sh', join(dir, 'never.log'));
    const { log, records } = memoryLog();
    const n = notifier(makeConfig({ vi1: [`notify_backup ${stuck}`, `notify_stop ${never}`] }), log);
    n.instance('VI_1', 'BACKUP', 150);
    n.instance('VI_1', 'STOP', 150);
    const t0 = Date.now();
    await n.drain(300);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2000);
    const pid = readPid(pidFile);
    await waitFor('the stuck script to die', () => !alive(pid), 1000);
    expect(lines(join(dir, 'never.log'))).toEqual([]);
    expect(records.filter((r) => r.level === ERROR).map((r) => r.msg)).toEqual([
      '(VI_1) shutting down with 1 notify script run(s) not started (transitions STOP)',
      `(VI_1) notify_backup '${stuck}' still running at shutdown - killed (SIGKILL to its process group)`,
    ]);
  });
});

describe('notifier: latency', () => {
  it('the first script starts within a few ms of the transition (keepalived: about 10 ms)', async () => {
    const out = join(dir, 'latency.log');
    const s = script('stamp.sh', `date +%s%N >> '${out}'`);
    const n = notifier(makeConfig({ vi1: [`notify_master ${s}`] }), memoryLog().log);
    const samples: { spawn: number; script: number }[] = [];
    for (let i = 0; i < 5; i++) {
      const before = Date.now();
      n.instance('VI_1', 'MASTER', 150);
      await n.drain(5000);
      const stamps = lines(out);
      const scriptStart = Number(BigInt(stamps[stamps.length - 1] ?? '0') / 1_000_000n);
      samples.push({ spawn: n.status().queues[0]?.lastRun?.latencyMs ?? Number.NaN, script: scriptStart - before });
    }
    const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(1)).join(', ');
    console.log(`notify latency: transition -> process spawned ${fmt(samples.map((s) => s.spawn))} ms; -> script's first command ${fmt(samples.map((s) => s.script))} ms`);
    for (const s of samples) {
      expect(s.spawn).toBeGreaterThanOrEqual(0);
      expect(s.spawn).toBeLessThan(1000);
      expect(s.script).toBeLessThan(1000);
    }
  });
});
