// Issue item 7e, a smoke test against the real keepalived (Debian 2.2.7): a mixed pair, as during a
// node-by-node migration, both nodes reading the very same etc/node-a.conf / etc/node-b.conf.
//   1. keepalived MASTER on A, vrrpd BACKUP on B: B stays quiet behind keepalived's adverts, takes
//      the VIP when keepalived stops (its priority 0), and gives it back when keepalived preempts.
//   2. The reverse: vrrpd MASTER on A, keepalived BACKUP on B: keepalived stays quiet, takes the VIP
//      when vrrpd crashes (no priority 0), gives it back when vrrpd restarts and preempts, and takes
//      it again on vrrpd's priority 0 when vrrpd is stopped.
// So the VIP moves keepalived→vrrpd and vrrpd→keepalived both ways. Timings come from the client's
// capture (the wire). Last, the adverts the two daemons put on the wire for the same config are
// compared: the VRRP part must be byte-identical, the IP header alike but for its id.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import {
  advertsFrom,
  decodeEthernetFrame,
  garpsFor,
  type ArpFrame,
  type Capture,
  type Frame,
  type VrrpFrame,
} from '../../lab/capture.js';
import { startKeepalived, type Keepalived } from '../../lab/keepalived.js';
import { LAB_VIP, labAvailable } from '../../lab/netns.js';
import { LINKTYPE_ETHERNET, parsePcap } from '../../lab/pcap.js';
import { sleep, waitUntil, wallClockSeconds } from '../../lab/process.js';
import { repoRoot, startVrrpd, type Vrrpd } from '../../lab/vrrpd.js';
import { readCapture, type CaptureName } from '../helpers/captures.js';
import { A_IP, B_IP, A_MAC, B_MAC, MASTER_DOWN_A, MASTER_DOWN_B, SKEW_B, takeoverAfter, unwrap, usePairLab } from '../helpers/lab.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();
const skipped = available.ok ? '' : ` (skipped: ${available.reason})`;
/** How much later than the protocol's own interval the takeover may be seen on the wire. */
const SLACK = 0.1;
/** How long the backup is watched behind the other daemon's master before anything else happens. */
const STEADY_MS = 5000;

/**
 * Lines either daemon logs when it drops a peer's advert (keepalived 2.2.7 `vrrp_check_packet()`
 * texts, which src/vrrp/packet.ts reuses), plus keepalived's own complaints about a peer. Any of
 * these in a mixed pair means the two do not understand each other.
 */
const DROP_LINE = new RegExp(
  [
    'packet too (long|short)',
    'invalid TTL',
    'wrong version',
    'Invalid auth type',
    'auth, expecting',
    'invalid passwd',
    'advertisement interval mismatch',
    'Invalid packet type',
    'unexpected ip number count',
    'ip_tot_len mismatch',
    'checksum',
    'icast packet',
    'not present in MASTER advert',
    'Unknown VRID',
    'not an IPv4 VRRP',
    'CONFIGURATION ERROR',
    'same IP address',
  ].join('|'),
  'i',
);

const config = (name: string): string => readFileSync(join(repoRoot(), 'etc', name), 'utf8');

const ms = (seconds: number): string => `${(seconds * 1000).toFixed(1)} ms`;

/** The capture so far, decoded, with each frame's bytes (same index) for byte-level comparisons. */
interface Snapshot {
  readonly frames: readonly Frame[];
  readonly bytes: readonly Buffer[];
}

function snapshot(capture: Capture): Snapshot {
  const file = unwrap(parsePcap(readFileSync(capture.file)));
  expect(file.linkType).toBe(LINKTYPE_ETHERNET);
  return { frames: file.records.map((r) => decodeEthernetFrame(r.t, r.data)), bytes: file.records.map((r) => r.data) };
}

function bytesOf(snap: Snapshot, f: Frame): Buffer {
  const i = snap.frames.indexOf(f);
  expect(i).toBeGreaterThanOrEqual(0);
  return snap.bytes[i] ?? Buffer.alloc(0);
}

/** An advert as seen by the client: decoded, and its whole Ethernet frame. */
interface AdvertSample {
  readonly frame: VrrpFrame;
  readonly bytes: Buffer;
}

function advertSample(snap: Snapshot, f: VrrpFrame | undefined): AdvertSample | undefined {
  return f === undefined ? undefined : { frame: f, bytes: bytesOf(snap, f) };
}

/** A new master's first GARP burst (the second one, 5 s later, is not waited for). */
interface GarpBurst {
  readonly frames: readonly ArpFrame[];
  readonly bytes: readonly Buffer[];
}

function garpBurst(snap: Snapshot, afterT: number, mac: string): GarpBurst {
  const garps = garpsFor(snap.frames, LAB_VIP, mac).filter((f) => f.t > afterT);
  const first = garps[0]?.t ?? 0;
  // Up to the new master's next advert: a "forcing new election" burst may follow within ms.
  const nextAdvert = snap.frames.find((f) => f.kind === 'vrrp' && f.srcMac === mac && f.t > first)?.t ?? Infinity;
  const burst = garps.filter((f) => f.t < Math.min(first + 1, nextAdvert));
  return { frames: burst, bytes: burst.map((f) => bytesOf(snap, f)) };
}

/** One daemon process's adverts on the wire, from its first one. */
interface AdvertRun {
  readonly who: string;
  readonly adverts: readonly VrrpFrame[];
}

type Daemon = 'keepalived' | 'vrrpd';
type AdvertKind = 'A, priority 150' | 'B, priority 100' | 'A, priority 0';
type GarpKind = 'B takes over' | 'A preempts';

/** What the wire comparison at the end collects from both scenarios. */
const wire: {
  adverts: Map<AdvertKind, Partial<Record<Daemon, AdvertSample>>>;
  garps: Map<GarpKind, Partial<Record<Daemon, GarpBurst>>>;
  runs: AdvertRun[];
} = { adverts: new Map(), garps: new Map(), runs: [] };

function keepAdvert(kind: AdvertKind, daemon: Daemon, sample: AdvertSample | undefined): void {
  if (sample) wire.adverts.set(kind, { ...wire.adverts.get(kind), [daemon]: sample });
}

function keepGarps(kind: GarpKind, daemon: Daemon, burst: GarpBurst): void {
  wire.garps.set(kind, { ...wire.garps.get(kind), [daemon]: burst });
}

/** SIGUSR2 makes both daemons write keepalived's stats layout into their $TMPDIR. */
async function statsDump(
  d: { dir: string; signal(s: NodeJS.Signals): boolean },
  file: 'keepalived.stats' | 'vrrpd.stats',
): Promise<Map<string, number>> {
  const path = join(d.dir, file);
  const read = (): string | undefined => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  expect(d.signal('SIGUSR2')).toBe(true);
  // Written by the VRRP process some time after the signal: wait for a complete block.
  const complete = /Priority Zero:\n\s+Received: \d+\n\s+Sent: \d+\n/;
  expect(await waitUntil(() => complete.test(read() ?? ''), { timeoutMs: 2000, intervalMs: 20 }), `${path} written`).toBe(true);
  const text = read() ?? '';
  // "  Packet Errors:\n    Length: 0" → "Packet Errors/Length" = 0; section headers carry no number.
  const counters = new Map<string, number>();
  let section = '';
  for (const line of text.split('\n')) {
    const header = /^ {2}(\w[\w ]*):$/.exec(line);
    if (header) section = header[1] ?? '';
    const value = /^ {2,4}(\w[\w ]*): (\d+)$/.exec(line);
    if (value) counters.set(line.startsWith('    ') ? `${section}/${value[1] ?? ''}` : (value[1] ?? ''), Number(value[2]));
  }
  return counters;
}

/** Every error counter of keepalived's stats block: all must stay 0 in a healthy pair. */
const ERROR_COUNTERS = [
  'Packet Errors/Length',
  'Packet Errors/TTL',
  'Packet Errors/Invalid Type',
  'Packet Errors/Advertisement Interval',
  'Packet Errors/Address List',
  'Authentication Errors/Invalid Type',
  'Authentication Errors/Type Mismatch',
  'Authentication Errors/Failure',
] as const;

function expectHealthyBackupStats(stats: Map<string, number>, minReceived: number): void {
  for (const c of ERROR_COUNTERS) expect({ counter: c, value: stats.get(c) }).toEqual({ counter: c, value: 0 });
  expect(stats.get('Advertisements/Received')).toBeGreaterThanOrEqual(minReceived);
  expect(stats.get('Advertisements/Sent')).toBe(0);
  expect(stats.get('Became master')).toBe(0);
}

/** Seconds from `fromT` to the first advert from `src` after it (for the log lines: timer vs VIP/GARP work). */
function firstAdvertAfter(frames: readonly Frame[], src: string, fromT: number): number {
  return (advertsFrom(frames, src).find((f) => f.t > fromT)?.t ?? Number.NaN) - fromT;
}

/** When vrrpd logged `msg` (its pino clock, whole ms), relative to a capture time, for the log lines. */
function logAt(d: Vrrpd, msg: string, fromT: number | undefined): string {
  const r = d.records().filter((x) => x.msg === msg).at(-1);
  if (r === undefined || fromT === undefined) return '?';
  const dt = Math.round(r.time - fromT * 1000);
  return `${dt < 0 ? '' : '+'}${dt} ms`;
}

describeUnless(!available.ok)(`interop 1: keepalived MASTER on A, vrrpd BACKUP on B${skipped}`, () => {
  const pair = usePairLab();
  const { frames, vipMac } = pair;
  let ka: Keepalived;
  let vd: Vrrpd;
  let kaStartT = 0;
  let vdStartT = 0;

  beforeAll(async () => {
    kaStartT = wallClockSeconds();
    ka = unwrap(await startKeepalived(pair.lab, 'a', config('node-a.conf')));
    unwrap(await ka.waitForState('VI_1', 'MASTER', { timeoutMs: 6000 }));
  }, 20_000);

  it('vrrpd on B enters BACKUP (init) and stays BACKUP behind keepalived\'s adverts, dropping none', async () => {
    vdStartT = wallClockSeconds();
    vd = unwrap(await startVrrpd(pair.lab, 'b', config('node-b.conf')));
    unwrap(await vd.waitForLog(/^\(VI_1\) Entering BACKUP STATE \(init\)$/, { timeoutMs: 2000 }));
    await sleep(STEADY_MS);
    const lines = vd.logLines();
    expect(lines).not.toContain('(VI_1) Entering MASTER STATE');
    expect(lines.filter((l) => DROP_LINE.test(l))).toEqual([]);
    expect(ka.logLines().filter((l) => DROP_LINE.test(l))).toEqual([]);
    const stats = await statsDump(vd, 'vrrpd.stats');
    expectHealthyBackupStats(stats, 4);

    const all = frames();
    expect(advertsFrom(all, B_IP)).toEqual([]);
    const watched = advertsFrom(all, A_IP).filter((f) => f.t > vdStartT);
    expect(watched.length).toBeGreaterThanOrEqual(4);
    expect(watched.every((f) => f.priority === 150 && f.srcMac === A_MAC)).toBe(true);
    expect(await pair.lab.hasAddress('a', LAB_VIP)).toBe(true);
    expect(await pair.lab.hasAddress('b', LAB_VIP)).toBe(false);
    expect(await vipMac()).toBe(A_MAC);
  }, 15_000);

  it('SIGTERM keepalived: vrrpd takes over within Skew_Time + 100 ms of its priority 0', async () => {
    const since = vd.logMark();
    const kaStopT = wallClockSeconds();
    expect(await ka.stop()).toEqual({ code: 0, signal: null });
    expect(ka.logLines()).toContain('(VI_1) sent 0 priority');
    unwrap(await vd.waitForLog(/^\(VI_1\) Backup received priority 0 advertisement$/, { timeoutMs: 1000, since }));
    unwrap(await vd.waitForState('VI_1', 'MASTER', { timeoutMs: 3000, since }));
    await sleep(300);
    const snap = snapshot(pair.capture);
    const all = snap.frames;
    const kaAdverts = advertsFrom(all, A_IP).filter((f) => f.t > kaStartT);
    const zero = kaAdverts.filter((f) => f.priority === 0);
    expect(zero).toHaveLength(1);
    const takeover = takeoverAfter(all, zero[0]?.t ?? 0, B_MAC);
    console.info(
      `(1) keepalived SIGTERM: A's priority-0 advert -> vrrpd B's first GARP ${ms(takeover)} (Skew_Time ${ms(SKEW_B)}; ` +
        `B's first advert after ${ms(firstAdvertAfter(all, B_IP, zero[0]?.t ?? 0))}; ` +
        `vrrpd's log: priority 0 received ${logAt(vd, '(VI_1) Backup received priority 0 advertisement', zero[0]?.t)}, ` +
        `timeout ${logAt(vd, '(VI_1) Receive advertisement timeout', zero[0]?.t)})`,
    );
    expect(takeover).toBeGreaterThan(SKEW_B - 0.02);
    expect(takeover).toBeLessThan(SKEW_B + SLACK);
    expect(await pair.lab.hasAddress('a', LAB_VIP)).toBe(false);
    expect(await pair.lab.hasAddress('b', LAB_VIP)).toBe(true);
    expect(await vipMac()).toBe(B_MAC);
    expect((await pair.lab.ping('client', LAB_VIP, { count: 2, intervalMs: 200, timeoutMs: 3000 })).received).toBe(2);
    expect(vd.logLines().slice(since).filter((l) => DROP_LINE.test(l))).toEqual([]);

    keepAdvert('A, priority 150', 'keepalived', advertSample(snap, kaAdverts.filter((f) => f.priority === 150).at(-1)));
    keepAdvert('A, priority 0', 'keepalived', advertSample(snap, zero[0]));
    keepGarps('B takes over', 'vrrpd', garpBurst(snap, zero[0]?.t ?? 0, B_MAC));
    wire.runs.push({ who: 'keepalived A (first run)', adverts: kaAdverts.filter((f) => f.t < kaStopT + 2) });
  }, 15_000);

  it('keepalived restarted on A preempts: vrrpd yields with keepalived\'s log line, the VIP returns to A', async () => {
    const since = vd.logMark();
    const restartT = wallClockSeconds();
    ka = unwrap(await startKeepalived(pair.lab, 'a', config('node-a.conf')));
    unwrap(await ka.waitForLog(/^\(VI_1\) received lower priority \(100\) advert from 192\.0\.2\.12 - discarding$/, { timeoutMs: 3000 }));
    unwrap(await ka.waitForState('VI_1', 'MASTER', { timeoutMs: 6000 }));
    unwrap(await vd.waitForLog(/^\(VI_1\) Master received advert from 192\.0\.2\.11 with higher priority 150, ours 100$/, { timeoutMs: 2000, since }));
    unwrap(await vd.waitForState('VI_1', 'BACKUP', { timeoutMs: 2000, since }));
    await sleep(300);
    expect(await pair.lab.hasAddress('a', LAB_VIP)).toBe(true);
    expect(await pair.lab.hasAddress('b', LAB_VIP)).toBe(false);
    expect(await vipMac()).toBe(A_MAC);
    expect((await pair.lab.ping('client', LAB_VIP, { count: 2, intervalMs: 200, timeoutMs: 3000 })).received).toBe(2);
    expect(ka.logLines().filter((l) => DROP_LINE.test(l))).toEqual([]);
    expect(vd.logLines().filter((l) => DROP_LINE.test(l))).toEqual([]);

    const snap = snapshot(pair.capture);
    const all = snap.frames;
    const kaFirst = advertsFrom(all, A_IP).find((f) => f.t > restartT);
    expect(kaFirst?.priority).toBe(150);
    const preempt = takeoverAfter(all, kaFirst?.t ?? 0, A_MAC);
    const vdLast = advertsFrom(all, B_IP).at(-1);
    console.info(
      `(1) keepalived restarted: start -> its first advert ${ms((kaFirst?.t ?? 0) - restartT)}; ` +
        `that advert -> its first GARP ${ms(preempt)}; vrrpd B's last advert was ${ms((kaFirst?.t ?? 0) - (vdLast?.t ?? 0))} before it`,
    );
    // vrrpd steps down on keepalived's first advert after one advert of its own (the faster heal,
    // vrrp_higher_prio_send_advert on by default): one B advert after keepalived's, then nothing.
    const bAfter = advertsFrom(all, B_IP).filter((f) => f.t > (kaFirst?.t ?? 0));
    expect(bAfter.map((f) => f.priority)).toEqual([100]);
    expect((vdLast?.t ?? 0) - (kaFirst?.t ?? 0)).toBeLessThan(0.05);
    unwrap(await ka.waitForLog(/^\(VI_1\) Received advert from 192\.0\.2\.12 with lower priority 100, ours 150, forcing new election$/, { timeoutMs: 1000 }));

    const vdAdverts = advertsFrom(all, B_IP).filter((f) => f.t > vdStartT);
    keepAdvert('B, priority 100', 'vrrpd', advertSample(snap, vdAdverts.filter((f) => f.priority === 100).at(-1)));
    keepGarps('A preempts', 'keepalived', garpBurst(snap, restartT, A_MAC));
    wire.runs.push({ who: 'vrrpd B', adverts: vdAdverts });
    wire.runs.push({ who: 'keepalived A (restarted)', adverts: advertsFrom(all, A_IP).filter((f) => f.t > restartT) });
  }, 15_000);
});

describeUnless(!available.ok)(`interop 2: vrrpd MASTER on A, keepalived BACKUP on B${skipped}`, () => {
  const pair = usePairLab();
  const { frames, vipMac } = pair;
  let ka: Keepalived;
  let vd: Vrrpd;
  let vdStartT = 0;
  let kaStartT = 0;
  let vdRestartT = 0;

  beforeAll(async () => {
    vdStartT = wallClockSeconds();
    vd = unwrap(await startVrrpd(pair.lab, 'a', config('node-a.conf')));
    unwrap(await vd.waitForState('VI_1', 'MASTER', { timeoutMs: 6000 }));
  }, 20_000);

  it('keepalived on B enters BACKUP (init) and stays BACKUP behind vrrpd\'s adverts, with no complaint', async () => {
    kaStartT = wallClockSeconds();
    ka = unwrap(await startKeepalived(pair.lab, 'b', config('node-b.conf')));
    unwrap(await ka.waitForLog(/^\(VI_1\) Entering BACKUP STATE \(init\)$/, { timeoutMs: 1000 }));
    await sleep(STEADY_MS);
    const lines = ka.logLines();
    expect(lines).not.toContain('(VI_1) Entering MASTER STATE');
    expect(lines.filter((l) => DROP_LINE.test(l))).toEqual([]);
    expect(vd.logLines().filter((l) => DROP_LINE.test(l))).toEqual([]);
    // keepalived never counts an interval mismatch
    // (docs/reference/keepalived-behaviour.md#receive-checks), hence the log check above too.
    const stats = await statsDump(ka, 'keepalived.stats');
    expectHealthyBackupStats(stats, 4);

    const all = frames();
    expect(advertsFrom(all, B_IP)).toEqual([]);
    const watched = advertsFrom(all, A_IP).filter((f) => f.t > kaStartT);
    expect(watched.length).toBeGreaterThanOrEqual(4);
    expect(watched.every((f) => f.priority === 150 && f.srcMac === A_MAC)).toBe(true);
    expect(await pair.lab.hasAddress('a', LAB_VIP)).toBe(true);
    expect(await pair.lab.hasAddress('b', LAB_VIP)).toBe(false);
    expect(await vipMac()).toBe(A_MAC);
  }, 15_000);

  it('SIGKILL vrrpd: keepalived takes over within Master_Down_Interval + 100 ms of vrrpd\'s last advert', async () => {
    const since = ka.logMark();
    const crashT = wallClockSeconds();
    expect((await vd.crash()).signal).toBe('SIGKILL');
    unwrap(await ka.waitForState('VI_1', 'MASTER', { timeoutMs: 6000, since }));
    await sleep(300);
    const snap = snapshot(pair.capture);
    const all = snap.frames;
    const vdAdverts = advertsFrom(all, A_IP).filter((f) => f.t > vdStartT && f.t < crashT + 0.5);
    const last = vdAdverts.at(-1);
    expect(last?.priority).toBe(150);
    const takeover = takeoverAfter(all, last?.t ?? 0, B_MAC);
    console.info(
      `(2) vrrpd SIGKILL: A's last advert -> keepalived B's first GARP ${ms(takeover)} (Master_Down_Interval ${ms(MASTER_DOWN_B)}; ` +
        `B's first advert after ${ms(firstAdvertAfter(all, B_IP, last?.t ?? 0))})`,
    );
    expect(takeover).toBeGreaterThan(MASTER_DOWN_B - 0.02);
    expect(takeover).toBeLessThan(MASTER_DOWN_B + SLACK);
    expect(await pair.lab.hasAddress('b', LAB_VIP)).toBe(true);
    // A crash leaves the VIP behind on A.
    expect(await pair.lab.hasAddress('a', LAB_VIP)).toBe(true);
    expect(await vipMac()).toBe(B_MAC);
    expect((await pair.lab.ping('client', LAB_VIP, { count: 2, intervalMs: 200, timeoutMs: 3000 })).received).toBe(2);

    keepAdvert('A, priority 150', 'vrrpd', advertSample(snap, vdAdverts.filter((f) => f.priority === 150).at(-1)));
    keepGarps('B takes over', 'keepalived', garpBurst(snap, last?.t ?? 0, B_MAC));
    wire.runs.push({ who: 'vrrpd A (first run)', adverts: vdAdverts });
  }, 15_000);

  it('vrrpd restarted on A removes the stale VIP and preempts: keepalived yields, the VIP returns to A', async () => {
    const since = ka.logMark();
    const restartT = wallClockSeconds();
    vdRestartT = restartT;
    vd = unwrap(await startVrrpd(pair.lab, 'a', config('node-a.conf')));
    expect(vd.logLines()).toContain('(VI_1) removing VIPs.');
    unwrap(await vd.waitForLog(/^\(VI_1\) Entering BACKUP STATE \(init\)$/, { timeoutMs: 2000 }));
    unwrap(await vd.waitForLog(/^\(VI_1\) received lower priority \(100\) advert from 192\.0\.2\.12 - discarding$/, { timeoutMs: 3000 }));
    unwrap(await vd.waitForState('VI_1', 'MASTER', { timeoutMs: 6000 }));
    unwrap(await ka.waitForLog(/^\(VI_1\) Master received advert from 192\.0\.2\.11 with higher priority 150, ours 100$/, { timeoutMs: 2000, since }));
    unwrap(await ka.waitForState('VI_1', 'BACKUP', { timeoutMs: 2000, since }));
    await sleep(300);
    expect(await pair.lab.hasAddress('a', LAB_VIP)).toBe(true);
    expect(await pair.lab.hasAddress('b', LAB_VIP)).toBe(false);
    expect(await vipMac()).toBe(A_MAC);
    expect((await pair.lab.ping('client', LAB_VIP, { count: 2, intervalMs: 200, timeoutMs: 3000 })).received).toBe(2);
    expect(ka.logLines().filter((l) => DROP_LINE.test(l))).toEqual([]);
    expect(vd.logLines().filter((l) => DROP_LINE.test(l))).toEqual([]);

    const snap = snapshot(pair.capture);
    const all = snap.frames;
    const vdFirst = advertsFrom(all, A_IP).find((f) => f.t > restartT);
    expect(vdFirst?.priority).toBe(150);
    const preempt = takeoverAfter(all, vdFirst?.t ?? 0, A_MAC);
    const kaLast = advertsFrom(all, B_IP).at(-1);
    // vrrpd's own clock for "Entering BACKUP STATE (init)" (pino, ms): how much of the start is Node's.
    const initT = (vd.records().find((r) => r.msg === '(VI_1) Entering BACKUP STATE (init)')?.time ?? 0) / 1000;
    console.info(
      `(2) vrrpd restarted: start -> its first advert ${ms((vdFirst?.t ?? 0) - restartT)} ` +
        `(BACKUP (init) logged -> first advert ${ms((vdFirst?.t ?? 0) - initT)}, Master_Down_Interval for 150: ${ms(MASTER_DOWN_A)}); ` +
        `that advert -> its first GARP ${ms(preempt)}; keepalived B's last advert was ${ms((vdFirst?.t ?? 0) - (kaLast?.t ?? 0))} before it`,
    );
    expect(kaLast?.t).toBeLessThan(vdFirst?.t ?? 0);

    const kaAdverts = advertsFrom(all, B_IP).filter((f) => f.t > kaStartT);
    keepAdvert('B, priority 100', 'keepalived', advertSample(snap, kaAdverts.filter((f) => f.priority === 100).at(-1)));
    keepGarps('A preempts', 'vrrpd', garpBurst(snap, restartT, A_MAC));
    wire.runs.push({ who: 'keepalived B', adverts: kaAdverts });
  }, 15_000);

  it('SIGTERM vrrpd: keepalived takes over within Skew_Time + 100 ms of vrrpd\'s priority 0', async () => {
    const since = ka.logMark();
    expect(await vd.stop()).toEqual({ code: 0, signal: null });
    expect(vd.logLines()).toContain('(VI_1) sent 0 priority');
    unwrap(await ka.waitForLog(/^\(VI_1\) Backup received priority 0 advertisement$/, { timeoutMs: 1000, since }));
    unwrap(await ka.waitForState('VI_1', 'MASTER', { timeoutMs: 3000, since }));
    await sleep(300);
    const snap = snapshot(pair.capture);
    const all = snap.frames;
    const run = advertsFrom(all, A_IP).filter((f) => f.t > vdRestartT);
    const zero = run.filter((f) => f.priority === 0);
    expect(zero).toHaveLength(1);
    const takeover = takeoverAfter(all, zero[0]?.t ?? 0, B_MAC);
    console.info(
      `(2) vrrpd SIGTERM: A's priority-0 advert -> keepalived B's first GARP ${ms(takeover)} (Skew_Time ${ms(SKEW_B)}; ` +
        `B's first advert after ${ms(firstAdvertAfter(all, B_IP, zero[0]?.t ?? 0))})`,
    );
    expect(takeover).toBeGreaterThan(SKEW_B - 0.02);
    expect(takeover).toBeLessThan(SKEW_B + SLACK);
    expect(await pair.lab.hasAddress('a', LAB_VIP)).toBe(false);
    expect(await pair.lab.hasAddress('b', LAB_VIP)).toBe(true);
    expect(await vipMac()).toBe(B_MAC);
    expect(ka.logLines().filter((l) => DROP_LINE.test(l))).toEqual([]);

    keepAdvert('A, priority 0', 'vrrpd', advertSample(snap, zero[0]));
    wire.runs.push({ who: 'vrrpd A (restarted)', adverts: run });
  }, 15_000);
});

describeUnless(!available.ok)(`the same config on the wire: keepalived's frames vs vrrpd's${skipped}`, () => {
  const advertPairs = (): [AdvertKind, AdvertSample | undefined, AdvertSample | undefined][] =>
    (['A, priority 150', 'B, priority 100', 'A, priority 0'] as const).map((k) => [k, wire.adverts.get(k)?.keepalived, wire.adverts.get(k)?.vrrpd]);

  it('adverts: the VRRP part is byte-identical (checksum included)', () => {
    for (const [what, ka, vd] of advertPairs()) {
      expect(ka, `keepalived's advert from ${what}`).toBeDefined();
      expect(vd, `vrrpd's advert from ${what}`).toBeDefined();
      console.info(`wire, VRRP part from ${what}: keepalived ${ka?.frame.rawVrrp.toString('hex')} / vrrpd ${vd?.frame.rawVrrp.toString('hex')}`);
      expect({ what, vrrp: vd?.frame.rawVrrp.toString('hex') }).toEqual({ what, vrrp: ka?.frame.rawVrrp.toString('hex') });
    }
  });

  it('adverts: the whole frame is identical but for the IP id (and so the IP checksum): TOS 0xc0, TTL 255, no DF', () => {
    // Ethernet 14 bytes, then the IP header: id at 4..5, header checksum at 10..11.
    const masked = (b: Buffer | undefined): string => {
      const c = Buffer.from(b ?? Buffer.alloc(0));
      c.fill(0, 18, 20);
      c.fill(0, 24, 26);
      return c.toString('hex');
    };
    for (const [what, ka, vd] of advertPairs()) {
      expect(ka?.bytes.length, what).toBe(54);
      expect({ what, frame: masked(vd?.bytes) }).toEqual({ what, frame: masked(ka?.bytes) });
      expect(ka?.frame).toMatchObject({ dstMac: '01:00:5e:00:00:12', dst: '224.0.0.18', tos: 0xc0, ttl: 255, df: false });
    }
  });

  it('GARPs: the same burst of identical broadcast ARP requests from the new master', () => {
    for (const kind of ['B takes over', 'A preempts'] as const) {
      const ka = wire.garps.get(kind)?.keepalived;
      const vd = wire.garps.get(kind)?.vrrpd;
      const spread = (g: GarpBurst | undefined): string => ms((g?.frames.at(-1)?.t ?? 0) - (g?.frames[0]?.t ?? 0));
      console.info(`wire, GARPs when ${kind}: keepalived ${ka?.frames.length} in ${spread(ka)}, vrrpd ${vd?.frames.length} in ${spread(vd)}`);
      expect(ka?.frames.length, `keepalived's GARPs when ${kind}`).toBe(5);
      expect(vd?.frames.length, `vrrpd's GARPs when ${kind}`).toBe(ka?.frames.length);
      const all = [...(ka?.bytes ?? []), ...(vd?.bytes ?? [])].map((b) => b.toString('hex'));
      expect({ kind, distinct: [...new Set(all)] }).toEqual({ kind, distinct: [all[0]] });
      expect(ka?.frames[0]).toMatchObject({ op: 1, dstMac: 'ff:ff:ff:ff:ff:ff', targetMac: 'ff:ff:ff:ff:ff:ff' });
    }
  });

  it("and both equal keepalived's frames stored in ../shared/captures (test/fixtures/captures), but for the IP id", () => {
    // The stored captures were taken with h1.conf/h2.conf: the same VRID, priorities, password, VIP
    // and MACs as etc/node-a.conf / node-b.conf.
    const masked = (b: Buffer | undefined): string => {
      const c = Buffer.from(b ?? Buffer.alloc(0));
      c.fill(0, 18, 20);
      c.fill(0, 24, 26);
      return c.toString('hex');
    };
    const stored = (name: CaptureName, prio: number): Buffer | undefined =>
      readCapture(name).find((f) => f.fields['vrrp.prio'] === String(prio))?.frame;
    const storedAdverts: [AdvertKind, Buffer | undefined][] = [
      ['A, priority 150', stored('keepalived-adverts-steady', 150)],
      ['A, priority 0', stored('keepalived-prio0-sigterm', 0)],
    ];
    for (const [what, frame] of storedAdverts) {
      expect(frame, `stored advert from ${what}`).toBeDefined();
      const live = wire.adverts.get(what);
      expect({ what, vrrpd: masked(live?.vrrpd?.bytes) }).toEqual({ what, vrrpd: masked(frame) });
      expect({ what, keepalived: masked(live?.keepalived?.bytes) }).toEqual({ what, keepalived: masked(frame) });
    }
    const storedGarp = readCapture('keepalived-garp-takeover').find((f) => f.frame.readUInt16BE(12) === 0x0806)?.frame;
    expect(storedGarp, 'stored GARP of B taking over').toBeDefined();
    const liveGarps = wire.garps.get('B takes over');
    for (const b of [...(liveGarps?.vrrpd?.bytes ?? []), ...(liveGarps?.keepalived?.bytes ?? [])]) {
      expect(b.toString('hex')).toBe(storedGarp?.toString('hex'));
    }
    expect(liveGarps?.vrrpd?.bytes.length).toBe(5);
  });

  it('IP ids: each daemon process counts its adverts from 1, +1 per advert', () => {
    expect(wire.runs.length).toBe(6);
    for (const run of wire.runs) {
      const ids = run.adverts.map((f) => f.ipId);
      console.info(`wire, IP ids of ${run.who}: ${ids.join(', ')}`);
      const steps = ids.slice(1).map((id, i) => (id - (ids[i] ?? 0) + 0x10000) % 0x10000);
      expect({ who: run.who, first: ids[0], steps: [...new Set(steps)] }).toEqual({
        who: run.who,
        first: 1,
        steps: ids.length > 1 ? [1] : [],
      });
    }
  });
});
