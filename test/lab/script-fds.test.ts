// What a script inherits (issue 22 item 3): every check and notify script, as root and as
// `script_user nobody`, lists its own open descriptors; it must hold 0, 1 and 2 only - no raw VRRP
// socket (protocol 112), no netlink, no AF_PACKET, no pidfile, control socket, log file or timerfd.
// Checked after each way the daemon opens sockets: start-up, a reload that adds an interface, and
// an interface deleted and recreated (the socket reopened, daemon.ts followRecreatedLink). keepalived
// 2.2.7 in the same lab with the same config gives the reference.
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { renderKeepalivedConfig, startKeepalived } from '../../lab/keepalived.js';
import { deleteInterface, recreateInterface } from '../../lab/netem.js';
import { labAvailable, type Lab, type LabSpec } from '../../lab/netns.js';
import { pidAlive, signalPid, sleep, waitUntil } from '../../lab/process.js';
import { startVrrpd, vrrpdBin, type Vrrpd } from '../../lab/vrrpd.js';
import { unwrap } from '../helpers/lab.js';
import { twoInterfaceHost, useLabWithDir } from '../helpers/lab-dir.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();
const NOBODY = 65534;

const spec: LabSpec = { hosts: [twoInterfaceHost()] };

/**
 * The script: fd 0-2 as it got them (read from outside by readlink in a subshell), then `exec ls`,
 * so the listing is of exactly what it inherited (the shell's own script descriptor is
 * close-on-exec) plus ls's own directory, filtered out by the reader. The kernel's socket tables
 * are copied at the same moment, so every inherited socket can be named. The run's phase comes from
 * a file the test writes: runs are grouped by what the daemon had done before them.
 */
const fdScript = (dir: string): string => `#!/bin/sh
phase=$(cat ${dir}/phase)
out=${dir}/out/$phase.$1.$(id -u).$$
std="0 $(readlink /proc/$$/fd/0)
1 $(readlink /proc/$$/fd/1)
2 $(readlink /proc/$$/fd/2)"
printf '%s\\n' "$std" > "$out.std"
cat /proc/net/raw /proc/net/packet /proc/net/netlink /proc/net/unix > "$out.net" 2>/dev/null
exec ls -l /proc/self/fd > "$out.fds" 2>&1
`;

interface ScriptRun {
  readonly phase: string;
  readonly tag: string;
  readonly uid: number;
  readonly pid: number;
  /** fd -> target, as the script inherited them (0-2 read before the listing redirected 1). */
  readonly fds: ReadonlyMap<number, string>;
  /** The kernel's name for each socket fd: `raw proto 112`, `netlink`, `packet`, `unix PATH`. */
  readonly kinds: ReadonlyMap<number, string>;
}

/** Socket inode -> what it is, from /proc/net/{raw,packet,netlink,unix} as the script saw them. */
function socketKinds(net: string): Map<string, string> {
  const kinds = new Map<string, string>();
  let table = '';
  for (const line of net.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (/^sl\b/.test(line.trim())) table = 'raw';
    else if (/^sk\s+RefCnt\s+Type\s+Proto/.test(line.trim())) table = 'packet';
    else if (/^sk\s+Eth\s+Pid/.test(line.trim())) table = 'netlink';
    else if (/^Num\s+RefCount/.test(line.trim())) table = 'unix';
    else if (table === 'raw' && f.length >= 10) kinds.set(f[9] ?? '', `raw proto ${parseInt(f[1]?.split(':')[1] ?? '0', 16)}`);
    else if (table === 'packet' && f.length >= 9) kinds.set(f[8] ?? '', 'packet');
    else if (table === 'netlink' && f.length >= 10) kinds.set(f[9] ?? '', `netlink proto ${f[1]}`);
    else if (table === 'unix' && f.length >= 7) kinds.set(f[6] ?? '', `unix ${f[7] ?? ''}`.trim());
  }
  return kinds;
}

function readRuns(dir: string): ScriptRun[] {
  const out = join(dir, 'out');
  const runs: ScriptRun[] = [];
  for (const name of readdirSync(out).filter((n) => n.endsWith('.fds'))) {
    const base = name.slice(0, -'.fds'.length);
    const [phase = '', tag = '', uid = '', pid = ''] = base.split('.');
    const listing = readFileSync(join(out, name), 'utf8');
    if (!listing.endsWith('\n')) continue; // still being written
    const fds = new Map<number, string>();
    for (const line of listing.split('\n')) {
      const m = / (\d+) -> (.*)$/.exec(line);
      // ls's own directory is /proc/PID/fd of the listing process itself.
      if (m && m[2] !== `/proc/${pid}/fd`) fds.set(Number(m[1]), m[2] ?? '');
    }
    for (const line of readFileSync(join(out, `${base}.std`), 'utf8').split('\n')) {
      const m = /^(\d) (.*)$/.exec(line);
      if (m) fds.set(Number(m[1]), m[2] ?? '');
    }
    const byInode = socketKinds(existsSync(join(out, `${base}.net`)) ? readFileSync(join(out, `${base}.net`), 'utf8') : '');
    const kinds = new Map<number, string>();
    for (const [fd, target] of fds) {
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined) kinds.set(fd, byInode.get(inode) ?? 'socket (tcp/udp or gone)');
    }
    runs.push({ phase, tag, uid: Number(uid), pid: Number(pid), fds, kinds });
  }
  return runs;
}

const describeRun = (r: ScriptRun): string =>
  `${r.phase} ${r.tag} uid ${r.uid}: ${[...r.fds].map(([fd, t]) => `${fd}=${r.kinds.get(fd) ?? t}`).join(' ')}`;

/** fds beyond 0-2: what must not be there. */
const extra = (r: ScriptRun): string[] => [...r.fds].filter(([fd]) => fd > 2).map(([fd, t]) => `${fd}=${r.kinds.get(fd) ?? t}`);

function config(dir: string, phase: 'start' | 'reload', scripts = true): string {
  const script = join(dir, 'fds.sh');
  const extraLines = scripts ? ['track_script {', '    chk_nobody', '    chk_root', '}', `notify "${script} notify"`, `notify_master "${script} master root" root`] : [];
  const instances = [{ name: 'VI_1', interface: 'eth0', vrid: 51, vips: ['192.0.2.200'] }, ...(phase === 'reload' ? [{ name: 'VI_2', interface: 'eth1', vrid: 52, vips: ['198.51.100.200'] }] : [])];
  return `${renderKeepalivedConfig({ routerId: 'A', globalLines: ['script_user nobody'], instances: instances.map((i) => ({ ...i, state: 'BACKUP' as const, priority: 100, extraLines })) })}
vrrp_script chk_nobody {
    script "${script} check"
    interval 1
}

vrrp_script chk_root {
    script "${script} check-root"
    interval 1
    user root
}
`;
}

describeUnless(!available.ok)(`scripts inherit no descriptor of the daemon's${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  const env = useLabWithDir(spec, 'vrrpd-script-fds-', (dir) => {
    mkdirSync(join(dir, 'out'));
    chownSync(join(dir, 'out'), NOBODY, NOBODY);
    writeFileSync(join(dir, 'fds.sh'), fdScript(dir), { mode: 0o755 });
  });
  let lab: Lab;
  let dir = '';
  beforeAll(() => ({ lab, dir } = env()));

  const setPhase = (phase: string): void => writeFileSync(join(dir, 'phase'), `${phase}\n`, { mode: 0o644 });

  /** Until every kind of script has run in `phase` (the checks as nobody and root, both notifies). */
  async function runsOf(phase: string, wanted: readonly string[]): Promise<ScriptRun[]> {
    const has = (): boolean => wanted.every((w) => readRuns(dir).some((r) => r.phase === phase && `${r.tag}.${r.uid}` === w));
    await waitUntil(has, { timeoutMs: 12_000, intervalMs: 100 });
    await sleep(200);
    return readRuns(dir).filter((r) => r.phase === phase);
  }

  const ALL = [`check.${NOBODY}`, 'check-root.0', `notify.${NOBODY}`, 'master.0'];
  /** The daemon's descriptors >= 3 without O_CLOEXEC in /proc/PID/fdinfo (flags are octal). */
  const inheritable = (pid: number): string[] =>
    readdirSync(`/proc/${pid}/fd`)
      .filter((fd) => Number(fd) > 2)
      .flatMap((fd) => {
        try {
          const flags = parseInt(/^flags:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))?.[1] ?? '0', 8);
          return (flags & 0o2000000) === 0 ? [`${fd}=${readlinkSync(`/proc/${pid}/fd/${fd}`)}`] : [];
        } catch {
          return []; // closed meanwhile
        }
      });

  it('vrrpd without scripts (so no guard runs): every descriptor it holds after start-up, a reload adding an interface and a recreated interface is close-on-exec where it was opened', async () => {
    const extraArgs = ['-g', join(dir, 'plain.log'), '--metrics-listen', '127.0.0.1:9652'];
    const a: Vrrpd = unwrap(await startVrrpd(lab, 'a', config(dir, 'start', false), { extraArgs }));
    try {
      unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 }));
      const held: Socket = connect(join(a.dir, 'vrrpd.sock'));
      held.on('error', () => undefined);
      await new Promise((resolve) => held.once('connect', resolve));
      await sleep(100);
      const afterStart = inheritable(a.pid);
      held.destroy();

      writeFileSync(a.configPath, config(dir, 'reload', false));
      const mark = a.logMark();
      a.signal('SIGHUP');
      unwrap(await a.waitForState('VI_2', 'MASTER', { since: mark, timeoutMs: 8000 }));
      const afterReload = inheritable(a.pid);

      const before = a.logMark();
      unwrap(await deleteInterface(lab, 'a', 'eth1'));
      await sleep(500);
      unwrap(await recreateInterface(lab, 'a', 'eth1'));
      unwrap(await a.waitForLog(/Interface eth1 was recreated/, { since: before, timeoutMs: 5000 }));
      await sleep(200);
      const afterRecreate = inheritable(a.pid);
      console.log(`SCRIPT-FDS inheritable: start ${afterStart.join(' ')} | reload ${afterReload.join(' ')} | recreate ${afterRecreate.join(' ')}`);
      // Before the fix: the raw VRRP socket of each interface, and what vrrpd inherited from its parent.
      expect({ afterStart, afterReload, afterRecreate }).toEqual({ afterStart: [], afterReload: [], afterRecreate: [] });
    } finally {
      await a.stop();
    }
  }, 40_000);

  it('vrrpd: after start-up, a reload adding an interface and a recreated interface, every script holds 0-2 only', async () => {
    setPhase('start');
    // -g and the metrics listener: two more descriptors of the daemon's that scripts must not get.
    const extraArgs = ['-g', join(dir, 'vrrpd.log'), '--metrics-listen', '127.0.0.1:9651'];
    const a: Vrrpd = unwrap(await startVrrpd(lab, 'a', config(dir, 'start'), { extraArgs }));
    try {
      unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 }));
      const start = await runsOf('start', ALL);

      setPhase('reload');
      writeFileSync(a.configPath, config(dir, 'reload'));
      const mark = a.logMark();
      a.signal('SIGHUP');
      unwrap(await a.waitForState('VI_2', 'MASTER', { since: mark, timeoutMs: 8000 }));
      const reload = await runsOf('reload', ALL);

      setPhase('recreate');
      const before = a.logMark();
      unwrap(await deleteInterface(lab, 'a', 'eth1'));
      await sleep(500);
      unwrap(await recreateInterface(lab, 'a', 'eth1'));
      unwrap(await a.waitForLog(/Interface eth1 was recreated/, { since: before, timeoutMs: 5000 }));
      unwrap(await a.waitForState('VI_2', 'MASTER', { since: before, timeoutMs: 8000 }));
      const recreate = await runsOf('recreate', ALL);

      const runs = [...start, ...reload, ...recreate];
      for (const r of runs) console.log(`SCRIPT-FDS vrrpd ${describeRun(r)}`);
      // Before the fix every run also held the raw VRRP socket of each interface then open (eth0's;
      // eth1's after the reload; eth1's new one after the recreation, in some runs the old one too).
      expect(runs.filter((r) => extra(r).length > 0).map(describeRun)).toEqual([]);
      expect(runs.filter((r) => [...r.kinds.values()].some((k) => /^(raw|packet|netlink)/.test(k))).map(describeRun)).toEqual([]);
    } finally {
      await a.stop();
    }
  }, 60_000);

  it('vrrpd detached (no -n, the -D channel to its parent) with a control connection held open: scripts hold 0-2 only', async () => {
    setPhase('detached-start');
    const pidFile = join(dir, 'detached.pid');
    writeFileSync(join(dir, 'detached.conf'), config(dir, 'start'));
    lab.onDestroy(() => {
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
      if (pid > 0 && pidAlive(pid)) signalPid(pid, 'SIGKILL');
    });
    const r = await lab.exec('a', [vrrpdBin(), '-D', '-f', join(dir, 'detached.conf'), '-p', pidFile, '-g', join(dir, 'detached.log')], { timeoutMs: 10_000 });
    expect(r.code).toBe(0);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    try {
      // A `vrrpd status` client that connected and says nothing: the daemon holds its connection.
      const held: Socket = connect(join(dir, 'detached.sock'));
      held.on('error', () => undefined);
      await new Promise((resolve) => held.once('connect', resolve));
      await sleep(100);
      setPhase('detached');
      const runs = [...readRuns(dir).filter((run) => run.phase === 'detached-start'), ...(await runsOf('detached', [`check.${NOBODY}`, 'check-root.0']))];
      expect(held.destroyed).toBe(false);
      held.destroy();
      for (const run of runs) console.log(`SCRIPT-FDS vrrpd-detached ${describeRun(run)}`);
      expect(runs.filter((run) => extra(run).length > 0).map(describeRun)).toEqual([]);
    } finally {
      signalPid(pid, 'SIGTERM');
      await waitUntil(() => !pidAlive(pid), { timeoutMs: 5000, intervalMs: 50 });
    }
  }, 30_000);

  it('keepalived 2.2.7, the same config: its scripts get /dev/null as 0-2 and no socket of its own', async () => {
    setPhase('ka-start');
    const k = unwrap(await startKeepalived(lab, 'a', config(dir, 'start')));
    try {
      unwrap(await k.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 }));
      const runs = await runsOf('ka-start', ALL);
      for (const r of runs) console.log(`SCRIPT-FDS keepalived ${describeRun(r)}`);
      expect(runs.filter((r) => [...r.fds.values()].some((t) => t.startsWith('socket:'))).map(describeRun)).toEqual([]);
      // Beyond 0-2 only what keepalived itself inherited from whoever started it (here the test runner).
      const own = new Set(readdirSync(`/proc/${k.pid}/fd`).map((fd) => `${fd}=${readlinkSync(`/proc/${k.pid}/fd/${fd}`)}`));
      expect(runs.flatMap(extra).filter((e) => !own.has(e))).toEqual([]);
    } finally {
      await k.stop();
    }
  }, 30_000);
});
