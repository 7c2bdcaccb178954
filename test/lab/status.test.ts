// `vrrpd status` and --metrics-listen against a running daemon in the pair lab (vrrpd A as MASTER
// with a vrrp_script, real keepalived B as BACKUP): what the operator sees, who may ask, the scrape
// on the namespace's loopback, and that a flood of requests and SIGUSR2 leaves the MASTER's adverts
// on time (measured on a capture).
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { advertIntervalsMs, startCapture, type Capture } from '../../lab/capture.js';
import { startKeepalived, type Keepalived } from '../../lab/keepalived.js';
import { createLab, LAB_VIP, labAvailable, pairLabSpec, type Lab } from '../../lab/netns.js';
import { pairConfig } from '../../lab/pair.js';
import { execBounded, sleep, spawnTracked, type TrackedProcess } from '../../lab/process.js';
import { STATUS_FLOODER } from '../../lab/status-flood.js';
import { parseLogLine, repoRoot, startVrrpd, vrrpdCli, type Vrrpd } from '../../lab/vrrpd.js';
import { parseIpv4, toPriority, toVrid, type Ipv4 } from '../../src/types.js';
import { encodeDatagram } from '../../src/vrrp/packet.js';
import { A_IP, CLIENT_IP, unwrap } from '../helpers/lab.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();
const METRICS = '127.0.0.1:9650';
const NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--'];

/** Node A's config: the pair's master plus a weight-0 check that fails while DIR/fail exists. */
function configA(dir: string): string {
  const base = pairConfig('master');
  const script = `vrrp_script chk_nginx {\n    script "${join(dir, 'chk.sh')}"\n    interval 1\n    fall 1\n    rise 1\n}\n\n`;
  return base.replace('vrrp_instance VI_1 {', `${script}vrrp_instance VI_1 {`).replace(/(\n\s*virtual_ipaddress \{)/, '\n    track_script {\n        chk_nginx\n    }$1');
}

interface StatusRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** q-quantile (0..1) of the values, nearest rank. */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

/** Intervals between A's adverts in [from, to] (capture seconds), in ms. */
const advertGapsMs = (capture: Capture, from: number, to: number): number[] => advertIntervalsMs(unwrap(capture.framesSoFar()), A_IP, from, to);

describeUnless(!available.ok)(`vrrpd status and metrics${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  let lab: Lab;
  let capture: Capture;
  let a: Vrrpd;
  let b: Keepalived;
  let dir = '';
  const socket = (): string => join(a.dir, 'vrrpd.sock');
  const status = async (args: readonly string[], wrapper: readonly string[] = []): Promise<StatusRun> => {
    const r = await execBounded([...wrapper, process.execPath, vrrpdCli(), 'status', ...args], { timeoutMs: 10_000 });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  };
  const json = async (): Promise<{ instances: Record<string, unknown>[] }> => {
    const r = await status(['--json', '--control-socket', socket()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as { instances: Record<string, unknown>[] };
  };
  const instance = async (): Promise<Record<string, unknown>> => (await json()).instances[0] ?? {};

  beforeAll(async () => {
    lab = await createLab(pairLabSpec());
    capture = unwrap(await startCapture(lab, 'client'));
    // vrrpd A's directory is made by startVrrpd; the check needs its path before, so it lives in its own.
    const made = await execBounded(['mktemp', '-d', '/tmp/vrrpd-status-XXXXXX']);
    dir = made.stdout.trim();
    lab.onDestroy(
      () => rmSync(dir, { recursive: true, force: true }),
      () => rmSync(dir, { recursive: true, force: true }),
    );
    writeFileSync(join(dir, 'chk.sh'), `#!/bin/sh\ntest ! -e ${join(dir, 'fail')}\n`, { mode: 0o755 });
    a = unwrap(await startVrrpd(lab, 'a', configA(dir), { extraArgs: ['--metrics-listen', METRICS] }));
    unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 }));
    b = unwrap(await startKeepalived(lab, 'b', pairConfig('backup')));
    unwrap(await b.waitForState('VI_1', 'BACKUP', { timeoutMs: 5000 }));
  }, 30_000);

  afterAll(async () => {
    await lab?.destroy();
  }, 20_000);

  it('the socket is beside the pidfile, mode 0600; the table says who is MASTER and why', async () => {
    const st = await execBounded(['stat', '-c', '%F %a %U', socket()]);
    expect(st.stdout.trim()).toBe('socket 600 root');
    const r = await status(['-p', join(a.dir, 'vrrpd.pid')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^INSTANCE\s+STATE\s+PRIO\s+MASTER\s+VIPS\s+SINCE\s+REASON$/m);
    expect(r.stdout).toMatch(new RegExp(`^VI_1\\s+MASTER\\s+150\\s+this node \\(${A_IP.replace(/\./g, '\\.')}\\)\\s+${LAB_VIP.replace(/\./g, '\\.')}\\s+.+ ago\\s+\\S`, 'm'));
    expect(r.stdout).toContain('  track script chk_nginx weight 0: up (exit 0');
  }, 15_000);

  it('--json: priorities, VIPs, counters, tracking; a mismatched peer appears with the fix', async () => {
    // A peer with another password (from the client), as a misconfigured third node would send.
    const bad = encodeDatagram({
      vrid: toVrid(51)!,
      priority: toPriority(100)!,
      advertIntSec: 1,
      auth: { type: 'PASS', password: '2222' },
      addresses: [parseIpv4(LAB_VIP) as Ipv4],
      src: parseIpv4(CLIENT_IP) as Ipv4,
      dst: parseIpv4('224.0.0.18') as Ipv4,
      id: 7,
    });
    const sent = await lab.exec('client', [process.execPath, join(repoRoot(), 'dist', 'lab', 'inject.js'), 'eth0', bad.toString('hex')], { timeoutMs: 10_000 });
    expect(sent.stdout.trim()).toBe('sent 1');
    await sleep(300);
    const i = await instance();
    expect(i).toMatchObject({
      name: 'VI_1',
      vrid: 51,
      interface: 'eth0',
      state: 'MASTER',
      basePriority: 150,
      effectivePriority: 150,
      master: { address: A_IP, priority: 150, self: true },
      vips: [`${LAB_VIP}/32`],
      vipsSet: true,
      // The instance's own interface is tracked too (keepalived's default), without a weight of its own.
      tracked: [
        { kind: 'script', name: 'chk_nginx', result: 'up', weight: 0 },
        { kind: 'interface', name: 'eth0', result: 'up' },
      ],
      counters: { drops: { badPassword: 1 } },
      peers: [{ address: CLIENT_IP, cause: 'password', active: true, count: 1 }],
    });
    expect((i['counters'] as { advertSent: number }).advertSent).toBeGreaterThan(0);
    expect(i['peers']).toMatchObject([{ message: expect.stringContaining(CLIENT_IP) }]);
  }, 15_000);

  it('the last transition and its reason: a failed check (FAULT), then back to MASTER by the master down timer', async () => {
    writeFileSync(join(dir, 'fail'), '');
    unwrap(await a.waitForState('VI_1', 'FAULT', { timeoutMs: 5000 }));
    let i = await instance();
    expect(i['state']).toBe('FAULT');
    expect(i['lastTransition']).toMatchObject({ from: 'MASTER', to: 'FAULT', reason: 'fault: script chk_nginx failed' });
    expect(i['faultReasons']).toEqual(['script chk_nginx failed']);
    expect(i['master']).toBeNull();
    unwrap(await b.waitForState('VI_1', 'MASTER', { timeoutMs: 6000 }));
    const mark = a.logMark();
    rmSync(join(dir, 'fail'));
    unwrap(await a.waitForState('VI_1', 'BACKUP', { timeoutMs: 5000, since: mark }));
    i = await instance();
    expect(i['lastTransition']).toMatchObject({ from: 'FAULT', to: 'BACKUP', reason: 'tracking ok again' });
    // Preempts keepalived's B (priority 100) once its Master_Down timer runs out.
    unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 6000, since: mark }));
    i = await instance();
    expect(i['lastTransition']).toMatchObject({ from: 'BACKUP', to: 'MASTER', reason: 'master down timer' });
    const table = (await status(['--control-socket', socket()])).stdout;
    expect(table).toMatch(/^VI_1\s+MASTER\s+.+ ago\s+master down timer$/m);
    console.log(`vrrpd status after the fault and back:\n${table}`);
  }, 30_000);

  it('Prometheus metrics on the namespace loopback: state, priorities, transitions, adverts, drops, script result, loop delay', async () => {
    const r = await lab.exec('a', ['curl', '-sS', '--max-time', '5', `http://${METRICS}/metrics`], { timeoutMs: 10_000 });
    expect(r.stderr).toBe('');
    const text = r.stdout;
    const labels = 'instance="VI_1",vrid="51",interface="eth0"';
    expect(text).toContain(`vrrpd_instance_state{${labels},state="MASTER"} 1`);
    expect(text).toContain(`vrrpd_instance_state{${labels},state="FAULT"} 0`);
    expect(text).toContain(`vrrpd_instance_priority{${labels},kind="effective"} 150`);
    expect(text).toMatch(new RegExp(`^vrrpd_transitions_total\\{${labels}\\} [4-9]$`, 'm'));
    expect(text).toMatch(new RegExp(`^vrrpd_adverts_sent_total\\{${labels}\\} [1-9]\\d*$`, 'm'));
    expect(text).toMatch(new RegExp(`^vrrpd_adverts_received_total\\{${labels}\\} [1-9]\\d*$`, 'm'));
    expect(text).toContain('vrrpd_drops_total{instance="VI_1",reason="badPassword"} 1');
    expect(text).toContain('vrrpd_track_script_result{script="chk_nginx",result="up"} 1');
    expect(text).toMatch(/^vrrpd_nodejs_eventloop_lag_p99_seconds \d/m);
    // Off the loopback nothing listens: the client cannot scrape A.
    const outside = await lab.exec('client', ['curl', '-sS', '--max-time', '2', `http://${A_IP}:9650/metrics`], { timeoutMs: 5000 });
    expect(outside.code).not.toBe(0);
    const missing = await lab.exec('a', ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${METRICS}/`], { timeoutMs: 5000 });
    expect(missing.stdout).toBe('404');
  }, 15_000);

  it('another user is refused: by the 0600 mode, and by SO_PEERCRED when the mode is opened; the daemon runs on', async () => {
    // Let nobody reach the socket's directory (the unit's RuntimeDirectory would stop it there).
    chmodSync(a.dir, 0o755);
    let r = await status(['--control-socket', socket()], NOBODY);
    expect(r).toEqual({ code: 1, stdout: '', stderr: `permission denied on ${socket()}: run as root or as the daemon's user\n` });
    chmodSync(socket(), 0o666);
    r = await status(['--control-socket', socket()], NOBODY);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'vrrpd: permission denied: only root and uid 0 may use this socket\n' });
    chmodSync(socket(), 0o600);
    chmodSync(a.dir, 0o700);
    expect(a.logLines()).toContain('control socket: refused uid 65534 (pid ' + (a.logLines().find((l) => l.includes('refused uid 65534'))?.match(/pid (\d+)/)?.[1] ?? '?') + '): only root and uid 0 may ask');
    expect((await instance())['state']).toBe('MASTER');
  }, 15_000);

  it('not running: exit 1 with one sentence', async () => {
    const r = await status(['--control-socket', join(dir, 'absent.sock')]);
    expect(r).toEqual({ code: 1, stdout: '', stderr: `vrrpd is not running (no control socket at ${join(dir, 'absent.sock')}; --control-socket PATH names another)\n` });
  }, 10_000);

  it('a flood of requests (good, malformed, oversized, silent) and SIGUSR2 does not delay the MASTER\'s adverts', async () => {
    const floodMs = 20_000;
    // Baseline: the same length of quiet first.
    const t0 = Date.now() / 1000;
    await sleep(10_000);
    const t1 = Date.now() / 1000;
    const signaller = `
import os, sys, time
pid, until, n = int(sys.argv[1]), time.time() + float(sys.argv[2]), 0
while time.time() < until:
    os.kill(pid, 10 + 2)
    n += 1
    time.sleep(0.002)
print(n, flush=True)
`;
    const flood: TrackedProcess = unwrap(spawnTracked([process.execPath, '-e', STATUS_FLOODER, socket(), String(floodMs)]));
    const signals: TrackedProcess = unwrap(spawnTracked(['python3', '-c', signaller, String(a.pid), String(floodMs / 1000)]));
    const t2 = Date.now() / 1000;
    await Promise.all([flood.exited, signals.exited]);
    const t3 = Date.now() / 1000;
    const flooded = JSON.parse(flood.stdoutLines()[0] ?? '{}') as { closed: number; answered: number; errors: number };
    const signalsSent = Number(signals.stdoutLines()[0]);
    const quiet = advertGapsMs(capture, t0, t1).map((g) => g - 1000);
    const loaded = advertGapsMs(capture, t2 + 0.5, t3 - 0.5).map((g) => g - 1000);
    const figures = {
      connections: flooded.closed,
      answered: flooded.answered,
      refused: flooded.errors,
      sigusr2: signalsSent,
      quiet: { adverts: quiet.length + 1, p50: quantile(quiet, 0.5), p99: quantile(quiet, 0.99), max: Math.max(...quiet) },
      flooded: { adverts: loaded.length + 1, p50: quantile(loaded, 0.5), p99: quantile(loaded, 0.99), max: Math.max(...loaded) },
    };
    console.log(`advert lateness (ms) quiet vs flooded: ${JSON.stringify(figures)}`);
    expect(flooded.answered).toBeGreaterThan(1000);
    expect(signalsSent).toBeGreaterThan(1000);
    expect(loaded.length).toBeGreaterThanOrEqual(9);
    // Still the MASTER, and the adverts on time (a Master_Down interval is 3.4 s): none 100 ms off,
    // at most one period 20 ms off. One, not none: this VM stalls a process for 20-30 ms now and then
    // whatever it runs (the bench's 5-minute window saw a single 28.7 ms advert for vrrpd and
    // 19.4 ms for keepalived), and one stall moves one advert, so two periods (late, then short);
    // a flood that held the loop would move several.
    expect((await instance())['state']).toBe('MASTER');
    expect(Math.max(...loaded.map(Math.abs))).toBeLessThan(100);
    expect(loaded.filter((g) => g >= 20).length).toBeLessThanOrEqual(1);
    expect(loaded.filter((g) => g <= -20).length).toBeLessThanOrEqual(1);
  }, 60_000);
});

describeUnless(!available.ok)(`vrrpd status of a daemon running as nobody (the unit's way)${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  let lab: Lab;
  let run = '';
  let daemon: TrackedProcess;
  const NOBODY_UID = 65534;
  const sock = (): string => join(run, 'vrrpd.sock');
  const ask = async (wrapper: readonly string[]): Promise<StatusRun> => {
    const r = await execBounded([...wrapper, process.execPath, vrrpdCli(), 'status', '--json', '-p', join(run, 'vrrpd.pid')], { timeoutMs: 10_000 });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(async () => {
    run = mkdtempSync(join(tmpdir(), 'vrrpd-status-nobody-'));
    lab = await createLab(pairLabSpec());
    lab.onDestroy(
      () => rmSync(run, { recursive: true, force: true }),
      () => rmSync(run, { recursive: true, force: true }),
    );
    // What RuntimeDirectory=vrrpd is: the daemon's user owns it; others may pass (to show the socket's own mode).
    chownSync(run, NOBODY_UID, NOBODY_UID);
    chmodSync(run, 0o755);
    writeFileSync(join(run, 'a.conf'), pairConfig('master'), { mode: 0o644 });
    const caps = ',+net_raw,+net_admin';
    const setpriv = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--init-groups', `--inh-caps=-all${caps}`, `--ambient-caps=-all${caps}`, `--bounding-set=-all${caps}`, '--no-new-privs', '--'];
    daemon = lab.spawn('a', [...setpriv, process.execPath, vrrpdCli(), '-n', '-l', '-f', join(run, 'a.conf'), '-p', join(run, 'vrrpd.pid')], { env: { ...process.env, TMPDIR: run } });
    unwrap(await daemon.waitForLine((l) => (parseLogLine(l)?.msg ?? l) === '(VI_1) Entering MASTER STATE', { timeoutMs: 8000 }));
  }, 30_000);

  afterAll(async () => {
    await lab?.destroy();
  }, 20_000);

  it('its socket is its own (nobody, 0600); root and nobody are answered, another user is not', async () => {
    const st = await execBounded(['stat', '-c', '%F %a %U', sock()]);
    expect(st.stdout.trim()).toBe('socket 600 nobody');
    const asRoot = await ask([]);
    expect(asRoot.code).toBe(0);
    expect(JSON.parse(asRoot.stdout)).toMatchObject({ instances: [{ name: 'VI_1', state: 'MASTER' }] });
    const asNobody = await ask(NOBODY);
    expect(asNobody.stderr).toBe('');
    expect(JSON.parse(asNobody.stdout)).toMatchObject({ instances: [{ name: 'VI_1', state: 'MASTER' }] });
    const other = ['setpriv', '--reuid=daemon', '--regid=daemon', '--clear-groups', '--'];
    expect(await ask(other)).toEqual({ code: 1, stdout: '', stderr: `permission denied on ${sock()}: run as root or as the daemon's user\n` });
    chmodSync(sock(), 0o666);
    expect(await ask(other)).toEqual({ code: 1, stdout: '', stderr: `vrrpd: permission denied: only root and uid ${NOBODY_UID} may use this socket\n` });
  }, 20_000);

  it('SIGTERM removes the socket', async () => {
    daemon.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    const gone = await execBounded(['test', '-e', sock()]);
    expect(gone.code).toBe(1);
  }, 15_000);
});
