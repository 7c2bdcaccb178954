// Unicast VRRP for real (issue 5 item 4), in namespaces on one bridge:
//   1. a vrrpd–vrrpd unicast pair (unicast_src_ip, unicast_ttl 250, unicast_peer with min_ttl 250,
//      which turns check_unicast_src on): the client's capture shows the adverts unicast to the peer
//      with TTL 250 and not one frame to 224.0.0.18; crafted adverts from the client (not a peer)
//      and with a peer's spoofed address but TTL 64 are dropped by name and counted, and the VIP
//      stays; the VIP fails over on SIGKILL and on SIGTERM of the master.
//   2. a mixed pair with the real keepalived (Debian 2.2.7) in unicast mode, on the same config
//      text, both ways round: no drop logged on either side, and the backup takes over on the
//      master's priority 0.
// The lab's bridge is turned into a hub (ageing_time 0: it learns no MAC, floods every frame), as a
// mirror port would be, so the client sees the unicast adverts between the two nodes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { advertsFrom, firstGarpAfter, startCapture, type Capture, type Frame, type VrrpFrame } from '../../lab/capture.js';
import { startKeepalived, type Keepalived } from '../../lab/keepalived.js';
import { createLab, LAB_VIP, labAvailable, pairLabSpec, type Lab } from '../../lab/netns.js';
import { execChecked, sleep, waitUntil } from '../../lab/process.js';
import { repoRoot, startVrrpd, vrrpdCli, type Vrrpd } from '../../lab/vrrpd.js';
import { parseIpv4, toPriority, toVrid, type Ipv4 } from '../../src/types.js';
import { encodeDatagram } from '../../src/vrrp/packet.js';
import { A_IP, B_IP, B_MAC, CLIENT_IP, expectPreemptBack, MASTER_DOWN_B, SKEW_B, takeoverAfter, unwrap } from '../helpers/lab.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();
const skipped = available.ok ? '' : ` (skipped: ${available.reason})`;
const UNICAST_TTL = 250;
const SLACK = 0.15;
const STEADY_MS = 3000;

/** The same text for vrrpd and keepalived: unicast to the other node, TTL 250 sent and required. */
function unicastConfig(node: 'a' | 'b'): string {
  const [self, peer, state, priority] = node === 'a' ? [A_IP, B_IP, 'MASTER', 150] : [B_IP, A_IP, 'BACKUP', 100];
  return `global_defs {
   router_id node-${node}
}

vrrp_instance VI_1 {
    state ${state}
    interface eth0
    virtual_router_id 51
    priority ${priority}
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    unicast_src_ip ${self}
    unicast_ttl ${UNICAST_TTL}
    unicast_peer {
        ${peer} min_ttl ${UNICAST_TTL}
    }
    virtual_ipaddress {
        ${LAB_VIP}
    }
}
`;
}

/** Drop lines of either daemon (keepalived's texts, which vrrpd reuses), unicast ones included. */
const DROP_LINE = new RegExp(
  [
    'packet too (long|short)', 'invalid TTL', 'TTL/HL', 'not a unicast peer', 'wrong version', 'Invalid auth type', 'auth, expecting',
    'invalid passwd', 'advertisement interval mismatch', 'Invalid packet type', 'unexpected ip number count', 'ip_tot_len mismatch',
    'checksum', 'icast packet', 'unicast advert for', 'not present in MASTER advert', 'Unknown VRID', 'not an IPv4 VRRP',
    'CONFIGURATION ERROR', 'Cant send advert', 'cannot send advert',
  ].join('|'),
  'i',
);

const ms = (seconds: number): string => `${(seconds * 1000).toFixed(1)} ms`;
const vrrpFrames = (frames: readonly Frame[]): VrrpFrame[] => frames.filter((f): f is VrrpFrame => f.kind === 'vrrp');

/** A hub instead of a learning switch: every frame reaches every port, so the client sees unicast too. */
async function hubMode(lab: Lab): Promise<void> {
  unwrap(await execChecked(['ip', '-n', lab.switchNs, 'link', 'set', 'br-lan', 'type', 'bridge', 'ageing_time', '0'], { timeoutMs: 5000 }));
}

/** keepalived's SIGUSR2 counters as vrrpd writes them ($TMPDIR/vrrpd.stats): "Section/Name" -> value. */
async function stats(d: Vrrpd): Promise<Map<string, number>> {
  const path = join(d.dir, 'vrrpd.stats');
  rmSync(path, { force: true }); // so that the file read below is this signal's
  expect(d.signal('SIGUSR2')).toBe(true);
  const read = (): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  expect(await waitUntil(() => /Priority Zero:\n.*\n.*Sent: \d+\n/.test(read()), { timeoutMs: 2000, intervalMs: 20 })).toBe(true);
  const counters = new Map<string, number>();
  let section = '';
  for (const line of read().split('\n')) {
    const header = /^ {2}(\w[\w ]*):$/.exec(line);
    if (header) section = header[1] ?? '';
    const value = /^ {2,4}(\w[\w ]*): (\d+)$/.exec(line);
    if (value) counters.set(line.startsWith('    ') ? `${section}/${value[1] ?? ''}` : (value[1] ?? ''), Number(value[2]));
  }
  return counters;
}

/** An advert claiming priority 200 (more than A's 150): if it were accepted, A would give up the VIP. */
function crafted(src: string, ttl: number): string {
  return encodeDatagram({
    vrid: toVrid(51)!,
    priority: toPriority(200)!,
    advertIntSec: 1,
    auth: { type: 'PASS', password: '1111' },
    addresses: [parseIpv4(LAB_VIP) as Ipv4],
    src: parseIpv4(src) as Ipv4,
    dst: parseIpv4(A_IP) as Ipv4,
    id: 7,
    ttl,
  }).toString('hex');
}

describeUnless(!available.ok)(`unicast 1: a vrrpd pair${skipped}`, () => {
  let lab: Lab;
  let capture: Capture;
  let a: Vrrpd;
  let b: Vrrpd;
  const frames = (): Frame[] => unwrap(capture.framesSoFar());

  const inject = async (hex: string): Promise<void> => {
    const r = await lab.exec('client', [process.execPath, join(repoRoot(), 'dist', 'lab', 'inject.js'), 'eth0', hex], { timeoutMs: 10_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('sent 1');
  };

  beforeAll(async () => {
    lab = await createLab(pairLabSpec());
    await hubMode(lab);
    capture = unwrap(await startCapture(lab, 'client'));
  }, 20_000);

  afterAll(async () => {
    await lab?.destroy();
  }, 20_000);

  it('a wrong unicast setup stops the start (exit 2), never a multicast fall-back', async () => {
    const dir = mkdtempSync(join(tmpdir(), `${lab.id}-bad-`));
    lab.onDestroy(() => rmSync(dir, { recursive: true, force: true }), () => rmSync(dir, { recursive: true, force: true }));
    const bad = {
      'not-local.conf': unicastConfig('a').replace(`unicast_src_ip ${A_IP}`, 'unicast_src_ip 192.0.2.50'),
      'no-peers.conf': unicastConfig('a').replace(/unicast_peer \{[^}]*\}/, ''),
    };
    const outcomes: Record<string, { code: number | null; error: string | undefined }> = {};
    for (const [name, text] of Object.entries(bad)) {
      writeFileSync(join(dir, name), text);
      const r = await lab.exec('a', [process.execPath, vrrpdCli(), '-n', '-f', join(dir, name), '-p', join(dir, `${name}.pid`)], { timeoutMs: 10_000 });
      outcomes[name] = { code: r.code, error: r.stderr.split('\n').find((l) => /unicast/.test(l))?.replace(/^.*?: (?=\(VI_1\))/, '') };
    }
    expect(outcomes).toEqual({
      'not-local.conf': { code: 2, error: '(VI_1) unicast_src_ip 192.0.2.50 is not an address of eth0 (it has 192.0.2.11)' },
      'no-peers.conf': {
        code: 2,
        error:
          '(VI_1) A unicast keyword (unicast_src_ip) has been specified without any unicast peers: keepalived defaults to multicast (deprecated); ' +
          'vrrpd refuses - add a unicast_peer block or remove the keyword',
      },
    });
  }, 20_000);

  it('A becomes MASTER; the adverts go unicast to the peer with unicast_ttl, none to 224.0.0.18', async () => {
    a = unwrap(await startVrrpd(lab, 'a', unicastConfig('a')));
    b = unwrap(await startVrrpd(lab, 'b', unicastConfig('b')));
    unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 6000 }));
    await sleep(STEADY_MS);
    expect(await lab.hasAddress('a', LAB_VIP)).toBe(true);
    expect(await lab.hasAddress('b', LAB_VIP)).toBe(false);
    expect(b.logLines()).not.toContain('(VI_1) Entering MASTER STATE');
    const fromA = advertsFrom(frames(), A_IP);
    expect(fromA.length).toBeGreaterThanOrEqual(3);
    for (const f of fromA) expect({ dst: f.dst, ttl: f.ttl, dstMac: f.dstMac }).toEqual({ dst: B_IP, ttl: UNICAST_TTL, dstMac: B_MAC });
    expect(fromA[0]).toMatchObject({ vrid: 51, priority: 150, tos: 0xc0, authData: '1111', addresses: [LAB_VIP] });
    expect(vrrpFrames(frames()).filter((f) => f.dst === '224.0.0.18')).toEqual([]);
    expect([...a.logLines(), ...b.logLines()].filter((l) => DROP_LINE.test(l))).toEqual([]);
    // B counted every advert it received, and none as an error.
    const bStats = await stats(b);
    expect(bStats.get('Advertisements/Received')).toBeGreaterThanOrEqual(3);
    expect(bStats.get('Packet Errors/TTL')).toBe(0);
  }, 20_000);

  it('check_unicast_src: an advert from the client (not a peer) is dropped by name and counted; A stays MASTER', async () => {
    const mark = a.logMark();
    const before = await stats(a);
    await inject(crafted(CLIENT_IP, 255));
    // keepalived's words, then vrrpd's explanation (peers.ts), once per source.
    const line = unwrap(await a.waitForLog(/^\(VI_1\) unicast source address 192\.0\.2\.100 not a unicast peer - /, { timeoutMs: 2000, since: mark }));
    expect(line).toContain('is not in the unicast_peer list of ours (192.0.2.11)');
    await sleep(500);
    const after = await stats(a);
    // A master hears nothing from its backup: the one received advert is the stranger's, counted as keepalived counts it.
    expect((after.get('Advertisements/Received') ?? 0) - (before.get('Advertisements/Received') ?? 0)).toBe(1);
    expect(a.logLines().slice(mark).filter((l) => /Entering (BACKUP|FAULT) STATE|higher priority/.test(l))).toEqual([]);
    expect(await lab.hasAddress('a', LAB_VIP)).toBe(true);
  }, 10_000);

  it('min_ttl: an advert with the peer\'s address but TTL 64 is dropped and counted as a TTL error; A stays MASTER', async () => {
    const mark = a.logMark();
    const before = await stats(a);
    await inject(crafted(B_IP, 64));
    unwrap(await a.waitForLog(/^\(VI_1\) TTL\/HL 64 not in range 250 - 255 - peer 192\.0\.2\.12 arrives with TTL 64/, { timeoutMs: 2000, since: mark }));
    await sleep(500);
    const after = await stats(a);
    expect((after.get('Packet Errors/TTL') ?? 0) - (before.get('Packet Errors/TTL') ?? 0)).toBe(1);
    expect(a.logLines().slice(mark).filter((l) => /Entering (BACKUP|FAULT) STATE|higher priority/.test(l))).toEqual([]);
    expect(await lab.hasAddress('a', LAB_VIP)).toBe(true);
  }, 10_000);

  it('SIGKILL A: B takes over within Master_Down_Interval, and its adverts go unicast to A', async () => {
    const since = b.logMark();
    await a.crash();
    unwrap(await b.waitForState('VI_1', 'MASTER', { timeoutMs: 6000, since }));
    await sleep(1500);
    const all = frames();
    const lastA = advertsFrom(all, A_IP).at(-1);
    const takeover = takeoverAfter(all, lastA?.t ?? 0, B_MAC);
    console.info(`unicast vrrpd pair, SIGKILL: A's last advert -> B's first GARP ${ms(takeover)} (Master_Down_Interval ${ms(MASTER_DOWN_B)})`);
    expect(takeover).toBeGreaterThan(MASTER_DOWN_B - 0.02);
    expect(takeover).toBeLessThan(MASTER_DOWN_B + SLACK);
    // From B's own MAC: the client's spoofed advert above also carried B's address.
    const fromB = advertsFrom(all, B_IP).filter((f) => f.srcMac === B_MAC);
    expect(fromB.length).toBeGreaterThanOrEqual(1);
    for (const f of fromB) expect({ dst: f.dst, ttl: f.ttl }).toEqual({ dst: A_IP, ttl: UNICAST_TTL });
    expect(await lab.hasAddress('b', LAB_VIP)).toBe(true);
  }, 15_000);

  it('A restarted preempts; SIGTERM A: B takes over on its priority 0 within Skew_Time; never a frame to 224.0.0.18', async () => {
    let since = b.logMark();
    a = unwrap(await startVrrpd(lab, 'a', unicastConfig('a')));
    await expectPreemptBack(lab, a, b, since);

    since = b.logMark();
    expect(await a.stop()).toEqual({ code: 0, signal: null });
    unwrap(await b.waitForLog(/^\(VI_1\) Backup received priority 0 advertisement$/, { timeoutMs: 1000, since }));
    unwrap(await b.waitForState('VI_1', 'MASTER', { timeoutMs: 3000, since }));
    await sleep(300);
    const all = frames();
    const zero = advertsFrom(all, A_IP).filter((f) => f.priority === 0);
    expect(zero.map((f) => ({ dst: f.dst, ttl: f.ttl }))).toEqual([{ dst: B_IP, ttl: UNICAST_TTL }]);
    const takeover = (firstGarpAfter(all, LAB_VIP, zero[0]?.t ?? 0, B_MAC)?.t ?? Number.NaN) - (zero[0]?.t ?? 0);
    console.info(`unicast vrrpd pair, SIGTERM: A's priority-0 advert -> B's first GARP ${ms(takeover)} (Skew_Time ${ms(SKEW_B)})`);
    expect(takeover).toBeGreaterThan(SKEW_B - 0.02);
    expect(takeover).toBeLessThan(SKEW_B + SLACK);
    expect(vrrpFrames(all).filter((f) => f.dst === '224.0.0.18')).toEqual([]);
    expect(b.logLines().filter((l) => DROP_LINE.test(l))).toEqual([]);
  }, 20_000);
});

describeUnless(!available.ok)(`unicast 2: mixed with keepalived, both ways round${skipped}`, () => {
  let lab: Lab;
  let capture: Capture;
  const frames = (): Frame[] => unwrap(capture.framesSoFar());

  beforeAll(async () => {
    lab = await createLab(pairLabSpec());
    await hubMode(lab);
    capture = unwrap(await startCapture(lab, 'client'));
  }, 20_000);

  afterAll(async () => {
    await lab?.destroy();
  }, 20_000);

  /** Master on A, backup on B; watch them; stop the master; the backup must take over on its priority 0. */
  async function scenario(master: 'keepalived' | 'vrrpd'): Promise<void> {
    const backupKind = master === 'keepalived' ? 'vrrpd' : 'keepalived';
    const start = (kind: string, node: 'a' | 'b'): Promise<Keepalived | Vrrpd> =>
      kind === 'keepalived'
        ? startKeepalived(lab, node, unicastConfig(node)).then(unwrap)
        : startVrrpd(lab, node, unicastConfig(node)).then(unwrap);
    const m = await start(master, 'a');
    unwrap(await m.waitForState('VI_1', 'MASTER', { timeoutMs: 6000 }));
    const bk = await start(backupKind, 'b');
    unwrap(await bk.waitForLog(/^\(VI_1\) Entering BACKUP STATE \(init\)$/, { timeoutMs: 2000 }));
    const watchFrom = Date.now() / 1000;
    await sleep(STEADY_MS);
    expect(bk.logLines()).not.toContain('(VI_1) Entering MASTER STATE');
    expect({ master, drops: m.logLines().filter((l) => DROP_LINE.test(l)) }).toEqual({ master, drops: [] });
    expect({ backup: backupKind, drops: bk.logLines().filter((l) => DROP_LINE.test(l)) }).toEqual({ backup: backupKind, drops: [] });
    const watched = advertsFrom(frames(), A_IP).filter((f) => f.t > watchFrom);
    expect(watched.length).toBeGreaterThanOrEqual(2);
    for (const f of watched) expect({ master, dst: f.dst, ttl: f.ttl, priority: f.priority }).toEqual({ master, dst: B_IP, ttl: UNICAST_TTL, priority: 150 });

    const since = bk.logMark();
    expect(await m.stop()).toEqual({ code: 0, signal: null });
    unwrap(await bk.waitForLog(/^\(VI_1\) Backup received priority 0 advertisement$/, { timeoutMs: 1000, since }));
    unwrap(await bk.waitForState('VI_1', 'MASTER', { timeoutMs: 3000, since }));
    await sleep(300);
    const all = frames();
    const zero = advertsFrom(all, A_IP).filter((f) => f.priority === 0).at(-1);
    const takeover = (firstGarpAfter(all, LAB_VIP, zero?.t ?? 0, B_MAC)?.t ?? Number.NaN) - (zero?.t ?? 0);
    console.info(`unicast ${master} master -> ${backupKind} backup, SIGTERM: priority 0 -> first GARP ${ms(takeover)} (Skew_Time ${ms(SKEW_B)})`);
    expect(takeover).toBeGreaterThan(SKEW_B - 0.02);
    expect(takeover).toBeLessThan(SKEW_B + SLACK);
    expect(await lab.hasAddress('b', LAB_VIP)).toBe(true);
    expect(await lab.hasAddress('a', LAB_VIP)).toBe(false);
    expect(bk.logLines().filter((l) => DROP_LINE.test(l))).toEqual([]);
    // The new master's adverts go unicast to A, which nobody answers now: no drops, nothing to 224.0.0.18.
    expect(advertsFrom(frames(), B_IP).every((f) => f.dst === A_IP && f.ttl === UNICAST_TTL)).toBe(true);
    expect(vrrpFrames(frames()).filter((f) => f.dst === '224.0.0.18')).toEqual([]);
    expect((await bk.stop()).code).toBe(0);
  }

  it('keepalived MASTER on A, vrrpd BACKUP on B: no drops either side; vrrpd takes over on keepalived\'s priority 0', async () => {
    await scenario('keepalived');
  }, 25_000);

  it('vrrpd MASTER on A, keepalived BACKUP on B: no drops either side; keepalived takes over on vrrpd\'s priority 0', async () => {
    await scenario('vrrpd');
  }, 25_000);
});

/** Multicast with mcast_dst_ip / mcast_src_ip: the same text for both daemons, each node with a second address. */
function groupConfig(node: 'a' | 'b'): string {
  const [src, state, priority] = node === 'a' ? ['192.0.2.21', 'MASTER', 150] : ['192.0.2.22', 'BACKUP', 100];
  return unicastConfig(node).replace(
    /    unicast_src_ip[^]*?unicast_peer \{[^}]*\}\n/,
    `    mcast_src_ip ${src}\n    mcast_dst_ip 224.0.0.19\n`,
  ).replace(/state \w+/, `state ${state}`).replace(/priority \d+/, `priority ${priority}`);
}

describeUnless(!available.ok)(`multicast group and source: keepalived MASTER, vrrpd BACKUP on 224.0.0.19${skipped}`, () => {
  let lab: Lab;
  let capture: Capture;
  const frames = (): Frame[] => unwrap(capture.framesSoFar());

  beforeAll(async () => {
    lab = await createLab({
      hosts: [
        { name: 'a', interfaces: [{ addresses: [`${A_IP}/24`, '192.0.2.21/24'], mac: '02:00:c0:00:02:0b' }] },
        { name: 'b', interfaces: [{ addresses: [`${B_IP}/24`, '192.0.2.22/24'], mac: B_MAC }] },
        { name: 'client', address: `${CLIENT_IP}/24`, mac: '02:00:c0:00:02:64', arpAccept: true },
      ],
    });
    capture = unwrap(await startCapture(lab, 'client'));
  }, 20_000);

  afterAll(async () => {
    await lab?.destroy();
  }, 20_000);

  it('vrrpd joined the group: it stays BACKUP behind keepalived, drops nothing, and takes over on its priority 0, sending from mcast_src_ip', async () => {
    expect(groupConfig('b')).toContain('mcast_dst_ip 224.0.0.19');
    expect(groupConfig('b')).not.toContain('unicast');
    const ka = unwrap(await startKeepalived(lab, 'a', groupConfig('a')));
    unwrap(await ka.waitForState('VI_1', 'MASTER', { timeoutMs: 6000 }));
    const vd = unwrap(await startVrrpd(lab, 'b', groupConfig('b')));
    unwrap(await vd.waitForLog(/^\(VI_1\) Entering BACKUP STATE \(init\)$/, { timeoutMs: 2000 }));
    const watchFrom = Date.now() / 1000;
    await sleep(STEADY_MS);
    expect(vd.logLines()).not.toContain('(VI_1) Entering MASTER STATE');
    expect([...ka.logLines(), ...vd.logLines()].filter((l) => DROP_LINE.test(l))).toEqual([]);
    const heard = await stats(vd);
    expect(heard.get('Advertisements/Received')).toBeGreaterThanOrEqual(2);
    const kaAdverts = advertsFrom(frames(), '192.0.2.21').filter((f) => f.t > watchFrom);
    expect(kaAdverts.length).toBeGreaterThanOrEqual(2);
    expect(kaAdverts.every((f) => f.dst === '224.0.0.19' && f.dstMac === '01:00:5e:00:00:13' && f.ttl === 255)).toBe(true);

    const since = vd.logMark();
    expect(await ka.stop()).toEqual({ code: 0, signal: null });
    unwrap(await vd.waitForLog(/^\(VI_1\) Backup received priority 0 advertisement$/, { timeoutMs: 1000, since }));
    unwrap(await vd.waitForState('VI_1', 'MASTER', { timeoutMs: 3000, since }));
    await sleep(1200);
    const mine = advertsFrom(frames(), '192.0.2.22');
    expect(mine.length).toBeGreaterThanOrEqual(1);
    expect(mine.map((f) => ({ dst: f.dst, ttl: f.ttl, srcMac: f.srcMac }))).toEqual(mine.map(() => ({ dst: '224.0.0.19', ttl: 255, srcMac: B_MAC })));
    expect(vrrpFrames(frames()).filter((f) => f.dst === '224.0.0.18')).toEqual([]);
    expect(await lab.hasAddress('b', LAB_VIP)).toBe(true);
  }, 25_000);
});
