// vrrpd as systemd/vrrpd.service runs it: a non-root user holding exactly CAP_NET_RAW and
// CAP_NET_ADMIN (ambient, bounding set too, no_new_privs), started by setpriv inside a lab host,
// against real keepalived as the peer. It must still do the whole job: become MASTER, add the VIP,
// send gratuitous ARP, say READY/STATUS/WATCHDOG to a notify socket, refuse a second copy of itself
// without touching the VIP, and on SIGTERM send priority 0, remove the VIP and hand over.
import { chownSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { advertsFrom, firstGarpAfter, garpsFor, startCapture, type Capture, type Frame } from '../../lab/capture.js';
import { startKeepalived, type Keepalived } from '../../lab/keepalived.js';
import { createLab, LAB_VIP, labAvailable, pairLabSpec, type Lab } from '../../lab/netns.js';
import { exitWithin, sleep, spawnTracked, waitUntil, type TrackedProcess } from '../../lab/process.js';
import { parseLogLine, repoRoot, vrrpdBin } from '../../lab/vrrpd.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();
const A_IP = '192.0.2.11';
const A_MAC = '02:00:c0:00:02:0b';
const B_MAC = '02:00:c0:00:02:0c';
const NOBODY = 65534;
/** CAP_NET_ADMIN (12) | CAP_NET_RAW (13), as /proc/PID/status prints a capability set. */
const NET_CAPS = '0000000000003000';
/** What systemd/vrrpd.service gives: the same two capabilities, as ambient ones, and nothing to gain more. */
const setpriv = (caps: string): string[] => [
  'setpriv',
  '--reuid=nobody',
  '--regid=nogroup',
  '--init-groups',
  `--inh-caps=-all${caps}`,
  `--ambient-caps=-all${caps}`,
  `--bounding-set=-all${caps}`,
  '--no-new-privs',
  '--',
];
const SETPRIV = setpriv(',+net_raw,+net_admin');

const config = (name: string): string => readFileSync(join(repoRoot(), 'etc', name), 'utf8');

function unwrap<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

const messageOf = (text: string): string => parseLogLine(text)?.msg ?? text;

describeUnless(!available.ok)(`vrrpd as an unprivileged user with CAP_NET_RAW + CAP_NET_ADMIN only${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  let lab: Lab;
  let capture: Capture;
  let keepalived: Keepalived;
  let a: TrackedProcess;
  let notifyListener: TrackedProcess | undefined;
  /** The daemon's own directory, owned by nobody: what RuntimeDirectory=vrrpd is under systemd. */
  let run = '';
  const frames = (): Frame[] => unwrap(capture.framesSoFar());
  const pidFile = (): string => join(run, 'vrrpd.pid');
  const notifications = (): string[] => (notifyListener?.stdoutLines() ?? []).map((l) => JSON.parse(l) as string);
  // Through bin/vrrpd, as the unit's ExecStart=/usr/bin/vrrpd: the launcher must work as nobody too.
  const vrrpdAsNobody = (args: readonly string[], env: NodeJS.ProcessEnv = {}, wrapper: readonly string[] = SETPRIV): TrackedProcess =>
    lab.spawn('a', [...wrapper, vrrpdBin(), '-n', '-D', ...args], { env: { ...process.env, TMPDIR: run, ...env } });

  beforeAll(async () => {
    run = mkdtempSync(join(tmpdir(), 'vrrpd-privilege-'));
    chownSync(run, NOBODY, NOBODY);
    // The config is read as nobody: readable by it, as /etc/vrrpd.conf is by the unit's user.
    writeFileSync(join(run, 'node-a.conf'), config('node-a.conf'), { mode: 0o644 });
    lab = await createLab(pairLabSpec());
    lab.onDestroy(
      () => rmSync(run, { recursive: true, force: true }),
      () => rmSync(run, { recursive: true, force: true }),
    );
    capture = unwrap(await startCapture(lab, 'client'));
  }, 20_000);

  afterAll(async () => {
    await notifyListener?.stop(1000);
    await lab?.destroy();
  }, 20_000);

  it('without -p, the default /run/vrrpd.pid is not writable for it: one clear line, exit 1, nothing touched', async () => {
    const proc = vrrpdAsNobody(['-f', join(run, 'absent.conf')]);
    const exit = await exitWithin(proc, 5000);
    expect(exit).toEqual({ code: 1, signal: null });
    const said = proc.lines.map((l) => messageOf(l.text));
    expect(said).toContain(
      'cannot use pidfile /run/vrrpd.pid: permission denied (EACCES) - as a non-root user, point -p (and -r) at a directory it can write, e.g. the unit\'s RuntimeDirectory /run/vrrpd',
    );
    expect(said.join('\n')).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  }, 10_000);

  it('with one of the two capabilities missing it refuses to start (exit 4) instead of becoming a MASTER without its VIP', async () => {
    for (const [caps, missing] of [
      [',+net_raw', 'CAP_NET_ADMIN (adding and removing the VIPs)'],
      [',+net_admin', 'CAP_NET_RAW (the VRRP raw socket and gratuitous ARP)'],
    ] as const) {
      const proc = vrrpdAsNobody(['-f', join(run, 'node-a.conf'), '-p', pidFile()], {}, setpriv(caps));
      expect(await exitWithin(proc, 5000)).toEqual({ code: 4, signal: null });
      expect(proc.lines.map((l) => messageOf(l.text))).toContain(
        `vrrpd lacks ${missing}: run it as root or grant it (systemd/vrrpd.service: AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN)`,
      );
    }
    expect(advertsFrom(frames(), A_IP)).toEqual([]);
    expect(await lab.hasAddress('a', LAB_VIP)).toBe(false);
  }, 15_000);

  it('becomes MASTER as nobody with only the two capabilities: VIP added, GARP sent, READY/STATUS/WATCHDOG told', async () => {
    // sd_notify's other end, as systemd would hold it: a datagram socket the daemon's user may write to.
    const socketPath = join(run, 'notify.sock');
    const listener = `import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
print(json.dumps('bound'), flush=True)
while True:
    print(json.dumps(s.recv(4096).decode()), flush=True)
`;
    notifyListener = unwrap(spawnTracked(['python3', '-c', listener, socketPath]));
    unwrap(await notifyListener.waitForLine(/^"bound"$/, { timeoutMs: 3000 }));

    // A first, as in failover.test.ts: it must be MASTER before keepalived's B times out.
    a = vrrpdAsNobody(['-f', join(run, 'node-a.conf'), '-p', pidFile()], { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '1000000' });
    unwrap(await a.waitForLine((l) => messageOf(l) === '(VI_1) Entering MASTER STATE', { timeoutMs: 8000 }));
    keepalived = unwrap(await startKeepalived(lab, 'b', config('node-b.conf')));
    unwrap(await keepalived.waitForState('VI_1', 'BACKUP', { timeoutMs: 5000 }));

    // Who it really runs as: the kernel's word, not ours.
    const status = readFileSync(`/proc/${a.pid}/status`, 'utf8');
    const field = (name: string): string | undefined => new RegExp(`^${name}:\\s+(.+)$`, 'm').exec(status)?.[1];
    expect(field('Uid')?.split(/\s+/)).toEqual(Array(4).fill(String(NOBODY)));
    expect(field('CapEff')).toBe(NET_CAPS);
    expect(field('CapPrm')).toBe(NET_CAPS);
    expect(field('CapBnd')).toBe(NET_CAPS);
    expect(field('NoNewPrivs')).toBe('1');
    // The launcher exec'd node with its heap flags in place: the PID systemd and the pidfile know is node's.
    const cmdline = readFileSync(`/proc/${a.pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline).toContain('--max-semi-space-size=1');
    expect(cmdline.some((arg) => arg.endsWith('/dist/bundle/cli.js'))).toBe(true);
    expect(readFileSync(pidFile(), 'utf8').trim()).toBe(String(a.pid));

    await sleep(300);
    expect(await lab.hasAddress('a', LAB_VIP)).toBe(true);
    expect(await lab.hasAddress('b', LAB_VIP)).toBe(false);
    expect(garpsFor(frames(), LAB_VIP, A_MAC).length).toBeGreaterThanOrEqual(5);
    expect((await lab.ping('client', LAB_VIP, { count: 2, intervalMs: 200, timeoutMs: 3000 })).received).toBe(2);

    // The pidfile: ours, locked, 0644 whatever the umask.
    expect(readFileSync(pidFile(), 'utf8')).toBe(`${a.pid}\n`);
    const st = statSync(pidFile());
    expect([st.uid, st.mode & 0o777]).toEqual([NOBODY, 0o644]);

    // WATCHDOG_USEC=1 s: a ping every 500 ms from the event loop.
    expect(await waitUntil(() => notifications().filter((n) => n === 'WATCHDOG=1').length >= 3, { timeoutMs: 3000 })).toBe(true);
    const told = notifications();
    expect(told[0]).toBe('bound');
    expect(told).toContain('READY=1\nSTATUS=INIT: VI_1');
    expect(told).toContain('STATUS=MASTER: VI_1');
    expect(told.indexOf('READY=1\nSTATUS=INIT: VI_1')).toBeLessThan(told.indexOf('STATUS=MASTER: VI_1'));
  }, 20_000);

  it('a second copy with the same pidfile is refused before it can touch the VIP', async () => {
    const second = vrrpdAsNobody(['-f', join(run, 'node-a.conf'), '-p', pidFile()]);
    const exit = await exitWithin(second, 5000);
    expect(exit).toEqual({ code: 1, signal: null });
    const said = second.lines.map((l) => messageOf(l.text));
    expect(said).toContain('daemon is already running');
    expect(said.some((l) => l.startsWith(`pid ${a.pid} holds the lock on pidfile ${pidFile()}`))).toBe(true);
    // Had it started, it would have removed the running master's VIP as a "leftover".
    expect(said).not.toContain('(VI_1) removing VIPs.');
    expect(await lab.hasAddress('a', LAB_VIP)).toBe(true);
    expect(readFileSync(pidFile(), 'utf8')).toBe(`${a.pid}\n`);
  }, 10_000);

  it('SIGTERM: priority 0 on the wire, the VIP removed, keepalived takes over, exit 0, pidfile gone', async () => {
    const since = keepalived.logMark();
    a.kill('SIGTERM');
    const exit = await exitWithin(a, 5000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await lab.hasAddress('a', LAB_VIP)).toBe(false);
    unwrap(await keepalived.waitForState('VI_1', 'MASTER', { timeoutMs: 3000, since }));
    await sleep(300);
    const all = frames();
    const zero = advertsFrom(all, A_IP).filter((f) => f.priority === 0).at(-1);
    expect(zero).toBeDefined();
    expect(firstGarpAfter(all, LAB_VIP, zero?.t ?? 0, B_MAC)).toBeDefined();
    expect(await lab.hasAddress('b', LAB_VIP)).toBe(true);
    expect(a.lines.map((l) => messageOf(l.text))).toContain('(VI_1) sent 0 priority');
    expect(() => statSync(pidFile())).toThrow();
    expect(notifications()).toContain('STOPPING=1\nSTATUS=MASTER: VI_1');
    await keepalived.stop();
  }, 15_000);

  it('a script to run as another user is named at start-up, not left to fail as a bare spawn EPERM', async () => {
    const text = config('node-a.conf')
      .replace('global_defs {', 'global_defs {\n   script_user root')
      .replace('vrrp_instance VI_1 {', 'vrrp_script chk_as_root {\n    script "/bin/true"\n    interval 1\n}\n\nvrrp_instance VI_1 {\n    track_script {\n        chk_as_root\n    }');
    writeFileSync(join(run, 'as-root.conf'), text, { mode: 0o644 });
    const proc = vrrpdAsNobody(['-f', join(run, 'as-root.conf'), '-p', pidFile()]);
    try {
      const warned = await proc.waitForLine((l) => messageOf(l).startsWith('vrrp_script chk_as_root (uid 0 gid 0): vrrpd runs as uid 65534 gid 65534 without CAP_SETUID/CAP_SETGID'), { timeoutMs: 5000 });
      expect(warned.ok).toBe(true);
      // And what it warned of: the check cannot run, so the instance is held in FAULT, VIP-less.
      unwrap(await proc.waitForLine((l) => messageOf(l).startsWith('(VI_1) Entering FAULT STATE'), { timeoutMs: 8000 }));
      expect(await lab.hasAddress('a', LAB_VIP)).toBe(false);
    } finally {
      proc.kill('SIGTERM');
      expect((await exitWithin(proc, 5000)).code).toBe(0);
    }
  }, 20_000);
});
