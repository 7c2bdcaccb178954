// Malformed and hostile adverts from a third host, against a running MASTER: every one is dropped,
// logged with keepalived's text and counted, and the master neither steps down nor crashes. Each
// crafted advert claims priority 200 (> A's 150), so any of them wrongly accepted would show as A
// giving up the VIP; a well-formed one at the end proves the injector works. Then kind by kind,
// each sent several times: keepalived's counters in the JSON dump (signal 36) move by exactly what
// was sent, nothing else moves, and the state stays MASTER. Last, hostile local clients of the
// control socket against a running MASTER.
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { advertsFrom, startCapture } from '../../lab/capture.js';
import { createLab, LAB_VIP, labAvailable, pairLabSpec, type Lab } from '../../lab/netns.js';
import type { ClientKind } from '../../lab/control-clients.js';
import { execBounded, sleep, waitUntil } from '../../lab/process.js';
import { pairConfig } from '../../lab/pair.js';
import { repoRoot, startVrrpd, vrrpdCli, type Vrrpd } from '../../lab/vrrpd.js';
import type { AuthConfig } from '../../src/config/config.js';
import { parseIpv4, toPriority, toVrid, type Ipv4 } from '../../src/types.js';
import { encodeDatagram, internetChecksum } from '../../src/vrrp/packet.js';
import { unwrap } from '../helpers/lab.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();
const CLIENT_IP = parseIpv4('192.0.2.100') as Ipv4;
const VIP = parseIpv4(LAB_VIP) as Ipv4;
const OTHER = parseIpv4('192.0.2.201') as Ipv4;

function advert(over: { priority?: number; vrid?: number; advertIntSec?: number; auth?: AuthConfig; addresses?: Ipv4[]; src?: Ipv4 } = {}): Buffer {
  return encodeDatagram({
    vrid: toVrid(over.vrid ?? 51)!,
    priority: toPriority(over.priority ?? 200)!,
    advertIntSec: over.advertIntSec ?? 1,
    auth: over.auth ?? { type: 'PASS', password: '1111' },
    addresses: over.addresses ?? [VIP],
    src: over.src ?? CLIENT_IP,
    dst: parseIpv4('224.0.0.18') as Ipv4,
    id: 7,
  });
}

function mutate(datagram: Buffer, offset: number, value: number): Buffer {
  const copy = Buffer.from(datagram);
  copy[offset] = value;
  return copy;
}

/** A mutated advert with a correct VRRP checksum again, so only the intended check can catch it. */
function mutateSigned(datagram: Buffer, offset: number, value: number): Buffer {
  const copy = mutate(datagram, offset, value);
  copy.writeUInt16BE(0, 26);
  copy.writeUInt16BE(internetChecksum(copy, 20, copy.length), 26);
  return copy;
}

/** IPv4 header is 20 bytes; VRRP byte 0 = version/type, 6-7 = checksum. */
const hostile: Record<string, { datagram: Buffer; log: RegExp }> = {
  badTtl: { datagram: mutate(advert(), 8, 64), log: /^\(VI_1\) invalid TTL\/HL\. Received 64 and expect 255/ },
  // A VRRPv3-shaped advert (no 8-byte auth field), so the length check passes and the version is what fails.
  badVersion: { datagram: mutate(advert(), 20, 0x31).subarray(0, 32), log: /^\(VI_1\) wrong version\. Received 3 and expect 2/ },
  badType: { datagram: mutate(advert(), 20, 0x22), log: /^\(VI_1\) Invalid packet type\. 2 and expect 1/ },
  authTypeMismatch: { datagram: advert({ auth: { type: 'NONE' } }), log: /^\(VI_1\) received a 0 auth, expecting 1!/ },
  badPassword: { datagram: advert({ auth: { type: 'PASS', password: 'guess' } }), log: /^\(VI_1\) received an invalid passwd!/ },
  advertIntervalMismatch: { datagram: advert({ advertIntSec: 2 }), log: /^\(VI_1\) advertisement interval mismatch mine=1 sec rcv'd=2 sec/ },
  addressCountMismatch: { datagram: advert({ addresses: [VIP, OTHER] }), log: /^\(VI_1\) received an unexpected ip number count 2, expected 1!/ },
  addressMissing: { datagram: advert({ addresses: [OTHER] }), log: /^\(VI_1\) ip address associated with VRID 51 not present in MASTER advert: 192\.0\.2\.200/ },
  badChecksum: { datagram: mutate(advert(), 26, (advert()[26] ?? 0) ^ 0xff), log: /^\(VI_1\) Invalid VRRPv2 checksum/ },
  badLength: { datagram: advert().subarray(0, 36), log: /^\(VI_1\) vrrp packet too short/ },
};

describeUnless(!available.ok)(`hostile adverts against a running master${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  let lab: Lab;
  let a: Vrrpd;

  const inject = async (datagrams: Buffer[]): Promise<void> => {
    const r = await lab.exec('client', [process.execPath, join(repoRoot(), 'dist', 'lab', 'inject.js'), 'eth0', ...datagrams.map((d) => d.toString('hex'))], {
      timeoutMs: 10_000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`sent ${datagrams.length}`);
  };

  beforeAll(async () => {
    lab = await createLab(pairLabSpec());
    const config = readFileSync(join(repoRoot(), 'etc', 'node-a.conf'), 'utf8');
    const started = await startVrrpd(lab, 'a', config);
    if (!started.ok) throw new Error(started.error);
    a = started.value;
    const master = await a.waitForState('VI_1', 'MASTER', { timeoutMs: 6000 });
    if (!master.ok) throw new Error(master.error);
  }, 20_000);

  afterAll(async () => {
    await lab?.destroy();
  }, 20_000);

  it('drops each malformed advert by name, logs it as keepalived does, and stays MASTER', async () => {
    const mark = a.logMark();
    await inject([...Object.values(hostile).map((h) => h.datagram), advert({ vrid: 52 })]);
    await sleep(500);
    const logged = a.logLines().slice(mark);
    for (const [reason, h] of Object.entries(hostile)) {
      expect(logged.some((l) => h.log.test(l)), `${reason}: no log line matching ${h.log}`).toBe(true);
    }
    expect(logged.some((l) => /Entering (BACKUP|FAULT) STATE/.test(l))).toBe(false);
    expect(a.process.running()).toBe(true);
    expect(await lab.hasAddress('a', LAB_VIP)).toBe(true);

    // keepalived's SIGUSR2 counters, written to $TMPDIR/vrrpd.stats.
    a.signal('SIGUSR2');
    const statsFile = join(a.dir, 'vrrpd.stats');
    await waitUntil(() => {
      try {
        return readFileSync(statsFile, 'utf8').length > 0;
      } catch {
        return false;
      }
    }, { timeoutMs: 3000 });
    const stats = readFileSync(statsFile, 'utf8');
    const counter = (section: string, name: string): number => {
      const m = new RegExp(`${section}:\\n(?:    .*\\n)*?    ${name}: (\\d+)`).exec(stats);
      return Number(m?.[1] ?? NaN);
    };
    expect(counter('Packet Errors', 'TTL')).toBe(1);
    expect(counter('Packet Errors', 'Length')).toBe(1);
    expect(counter('Packet Errors', 'Invalid Type')).toBe(1);
    expect(counter('Packet Errors', 'Advertisement Interval')).toBe(1);
    expect(counter('Packet Errors', 'Address List')).toBe(2);
    expect(counter('Authentication Errors', 'Type Mismatch')).toBe(1);
    expect(counter('Authentication Errors', 'Failure')).toBe(1);
  }, 15_000);

  it('a well-formed higher-priority advert from the same injector is obeyed (the control)', async () => {
    const mark = a.logMark();
    await inject([advert()]);
    const yielded = await a.waitForLog(/^\(VI_1\) Master received advert from 192\.0\.2\.100 with higher priority 200, ours 150$/, {
      timeoutMs: 2000,
      since: mark,
    });
    expect(yielded.ok).toBe(true);
    expect((await a.waitForState('VI_1', 'BACKUP', { timeoutMs: 1000, since: mark })).ok).toBe(true);
    // Nobody keeps advertising 200, so A takes the VIP back after Master_Down_Interval.
    expect((await a.waitForState('VI_1', 'MASTER', { timeoutMs: 5000, since: mark })).ok).toBe(true);
  }, 15_000);

  /**
   * Each crafted kind, sent COPIES times, and the keepalived.json counters it must move (by COPIES
   * each; every other counter but advert_sent stays put). badVersion, badChecksum and an unknown
   * VRID feed none of keepalived's counters (src/instance/stats.ts KEEPALIVED_COUNTERS_FOR_DROP).
   */
  const COPIES = 3;
  const counted: Record<string, { datagram: Buffer; counters: string[] }> = {
    badTtl: { datagram: hostile['badTtl']!.datagram, counters: ['ip_ttl_err'] },
    badChecksum: { datagram: hostile['badChecksum']!.datagram, counters: [] },
    badVersion: { datagram: hostile['badVersion']!.datagram, counters: [] },
    badType: { datagram: mutateSigned(advert(), 20, 0x22), counters: ['invalid_type_rcvd'] },
    unknownVrid: { datagram: advert({ vrid: 52 }), counters: [] },
    vridZero: { datagram: mutateSigned(advert(), 21, 0), counters: [] },
    badAuthType: { datagram: mutateSigned(advert(), 24, 3), counters: ['invalid_authtype'] },
    authTypeMismatch: { datagram: hostile['authTypeMismatch']!.datagram, counters: ['authtype_mismatch'] },
    badPassword: { datagram: hostile['badPassword']!.datagram, counters: ['auth_failure'] },
    advertIntervalMismatch: { datagram: hostile['advertIntervalMismatch']!.datagram, counters: ['advert_interval_err'] },
    addressCountMismatch: { datagram: hostile['addressCountMismatch']!.datagram, counters: ['addr_list_err'] },
    // keepalived counts advert_rcvd before it compares the VIP list.
    addressMissing: { datagram: hostile['addressMissing']!.datagram, counters: ['advert_rcvd', 'addr_list_err'] },
    // Another version at a v2 advert's length (auth field included): a version drop, which feeds no
    // keepalived counter, not a length error.
    versionZeroV2Sized: { datagram: mutateSigned(advert(), 20, 0x01), counters: [] },
    versionOneV2Sized: { datagram: mutateSigned(advert(), 20, 0x11), counters: [] },
    versionThreeV2Sized: { datagram: mutateSigned(advert(), 20, 0x31), counters: [] },
    truncated: { datagram: hostile['badLength']!.datagram, counters: ['packet_len_err'] },
    oversized: { datagram: Buffer.concat([advert(), Buffer.alloc(16, 0xab)]), counters: ['packet_len_err'] },
    // Spoofed from the VIP the master holds, priority 200: if accepted, A would yield. Nothing is
    // counted (most likely the kernel's source validation drops a datagram from a local address
    // before the raw socket sees it; not verified beyond the counters and the state).
    fromOwnVip: { datagram: advert({ src: VIP }), counters: [] },
  };

  const jsonDump = async (): Promise<{ state: number; stats: Record<string, number> }> => {
    const file = join(a.dir, 'vrrpd.json');
    rmSync(file, { force: true });
    process.kill(a.pid, 36);
    await waitUntil(() => existsSync(file) && readFileSync(file, 'utf8').endsWith('\n'), { timeoutMs: 3000 });
    const [entry] = JSON.parse(readFileSync(file, 'utf8')) as { data: { state: number }; stats: Record<string, number> }[];
    if (!entry) throw new Error('empty JSON dump');
    return { state: entry.data.state, stats: entry.stats };
  };

  it.each(Object.keys(counted))('%s: the counters move by exactly what was sent, the state does not', async (kind) => {
    const { datagram, counters } = counted[kind]!;
    const before = await jsonDump();
    expect(before.state).toBe(2);
    await inject(Array.from({ length: COPIES }, () => datagram));
    await sleep(300);
    const after = await jsonDump();
    expect(after.state, 'still MASTER (keepalived.json state 2)').toBe(2);
    const delta = Object.fromEntries(Object.keys(after.stats).filter((k) => k !== 'advert_sent').map((k) => [k, (after.stats[k] ?? 0) - (before.stats[k] ?? 0)]));
    const expected = Object.fromEntries(Object.keys(delta).map((k) => [k, counters.includes(k) ? COPIES : 0]));
    expect(delta).toEqual(expected);
    expect(await lab.hasAddress('a', LAB_VIP)).toBe(true);
  }, 10_000);
});

// A flood of spoofed priority-0 adverts from a third host at a BACKUP started with -D (as the lab
// runs it): keepalived logs "Backup received priority 0 advertisement" for every one (3,000 lines
// a second took 93 % of a CPU); here a handful, while every advert is still counted (keepalived's
// pri_zero_rcvd, plus what the kernel dropped before the daemon read it) and acted on: the
// Master_Down_Timer goes to Skew_Time, so B, alone, is MASTER well before its Master_Down_Interval.
describeUnless(!available.ok)(`a priority-0 flood against a BACKUP${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  const FLOOD = 3000;
  let lab: Lab;

  beforeAll(async () => {
    lab = await createLab(pairLabSpec());
  }, 20_000);

  afterAll(async () => {
    await lab?.destroy();
  }, 20_000);

  /** Datagrams the kernel dropped on the host's VRRP (protocol 112) raw sockets: /proc/net/raw's last column. */
  const rawDrops = async (host: string): Promise<number> => {
    const r = await lab.exec(host, ['cat', '/proc/net/raw'], { timeoutMs: 5000 });
    return r.stdout
      .split('\n')
      .filter((l) => /^\s*\d+: [0-9A-F]{8}:0070 /.test(l))
      .reduce((sum, l) => sum + Number(l.trim().split(/\s+/).at(-1)), 0);
  };

  it(`${FLOOD} priority-0 adverts: at most 5 log lines, every one counted, the advert acted on`, async () => {
    const b = unwrap(await startVrrpd(lab, 'b', readFileSync(join(repoRoot(), 'etc', 'node-b.conf'), 'utf8')));
    const initAt = Date.now();
    unwrap(await b.waitForLog(/^\(VI_1\) Entering BACKUP STATE \(init\)$/, { timeoutMs: 3000 }));
    const mark = b.logMark();
    const dropsBefore = await rawDrops('b');
    const zero = advert({ priority: 0 }).toString('hex');
    const sent = await lab.exec('client', [process.execPath, join(repoRoot(), 'dist', 'lab', 'inject.js'), 'eth0', ...Array.from({ length: FLOOD }, () => zero)], {
      timeoutMs: 10_000,
    });
    const floodEnd = Date.now();
    expect(sent.stdout.trim()).toBe(`sent ${FLOOD}`);
    unwrap(await b.waitForLog(/^\(VI_1\) Entering MASTER STATE$/, { timeoutMs: 3000, since: mark }));
    const masterAt = Date.now();
    const file = join(b.dir, 'vrrpd.json');
    process.kill(b.pid, 36);
    await waitUntil(() => existsSync(file) && readFileSync(file, 'utf8').endsWith('\n'), { timeoutMs: 3000 });
    const [entry] = JSON.parse(readFileSync(file, 'utf8')) as { stats: Record<string, number> }[];
    const dropped = (await rawDrops('b')) - dropsBefore;
    const lines = b.logLines().slice(mark).filter((l) => l.startsWith('(VI_1) Backup received priority 0 advertisement'));
    console.info(
      `${FLOOD} priority-0 adverts in ${floodEnd - initAt} ms after B's init: ${lines.length} log lines, pri_zero_rcvd ${entry?.stats['pri_zero_rcvd']}, ` +
        `kernel drops ${dropped}; MASTER ${masterAt - floodEnd} ms after the flood, ${masterAt - initAt} ms after init`,
    );
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(5);
    expect((entry?.stats['pri_zero_rcvd'] ?? 0) + dropped).toBe(FLOOD);
    // Skew_Time at priority 100 is 609 ms; Master_Down_Interval 3609 ms from init.
    expect(masterAt - initAt).toBeLessThan(3609);
    await b.stop();
  }, 30_000);
});

/**
 * Issue 22 item 3, the attack itself: a check script running as nobody tries every descriptor it
 * inherited as a socket and sends a priority-255 advert (TTL 255) on each raw IPv4 one. Before the
 * fix it found the daemon's raw VRRP receive socket (bound to eth0) and the client saw its adverts.
 */
const ATTACK = `import socket, sys
payload = bytes.fromhex(sys.argv[2])
usable = 0
for fd in range(3, 1024):
    try:
        s = socket.socket(fileno=fd)
    except OSError:
        continue
    try:
        if s.family == socket.AF_INET and s.type == socket.SOCK_RAW:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
            s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)
            s.sendto(payload, ('224.0.0.18', 0))
            usable += 1
    except OSError:
        pass
    finally:
        s.detach()
with open(sys.argv[1], 'a') as out:
    out.write(f'{usable}\\n')
`;

describeUnless(!available.ok)(`a hostile script as nobody${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  it('finds no raw socket among its descriptors: no priority-255 advert reaches the wire', async () => {
    const lab = await createLab(pairLabSpec());
    const dir = mkdtempSync(join(tmpdir(), 'vrrpd-hostile-script-'));
    try {
      chmodSync(dir, 0o755);
      mkdirSync(join(dir, 'out'));
      chownSync(join(dir, 'out'), 65534, 65534);
      writeFileSync(join(dir, 'attack.py'), ATTACK, { mode: 0o755 });
      // The VRRP part only: the kernel writes the IPv4 header of a raw protocol-112 socket.
      const payload = advert({ priority: 255, src: parseIpv4('192.0.2.11') as Ipv4 }).subarray(20).toString('hex');
      const results = join(dir, 'out', 'usable');
      const script = ['global_defs {', '   script_user nobody', '}', 'vrrp_script attack {', `   script "/usr/bin/python3 ${join(dir, 'attack.py')} ${results} ${payload}"`, '   interval 1', '}', ''].join('\n');
      const config = script + pairConfig('master').replace('    virtual_ipaddress {', '    track_script {\n        attack\n    }\n    virtual_ipaddress {');
      const capture = await startCapture(lab, 'client');
      if (!capture.ok) throw new Error(capture.error);
      const started = await startVrrpd(lab, 'a', config);
      if (!started.ok) throw new Error(started.error);
      // Four runs, all after the socket was open. (Before the fix A never became MASTER: its own
      // receive socket heard the script's priority-255 adverts.)
      await waitUntil(() => existsSync(results) && readFileSync(results, 'utf8').split('\n').length >= 5, { timeoutMs: 10_000 });
      const master = await started.value.waitForState('VI_1', 'MASTER', { timeoutMs: 1000 });
      const frames = await capture.value.stop();
      if (!frames.ok) throw new Error(frames.error);
      const usable = readFileSync(results, 'utf8').trim().split('\n').map(Number);
      expect(usable.filter((n) => n !== 0)).toEqual([]);
      expect(advertsFrom(frames.value, '192.0.2.11').filter((f) => f.priority === 255)).toEqual([]);
      expect(master.ok).toBe(true);
      expect(advertsFrom(frames.value, '192.0.2.11').length).toBeGreaterThan(0);
      await started.value.stop();
    } finally {
      await lab.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});

/**
 * Hostile local clients of the control socket (a process of the daemon's own uid, all kinds at
 * once: trickling, silent, a bad line then silence, never reading, 10 MB of random bytes, a flood
 * of short ones) against a running MASTER: `vrrpd status` is answered every time, each kind of
 * complaint is logged under its own rate limit, and the master keeps its VIP.
 */
describeUnless(!available.ok)(`hostile clients on the control socket of a running master${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  let lab: Lab;
  let a: Vrrpd;
  const MIX: readonly [ClientKind, number][] = [
    ['drip', 4],
    ['silent', 4],
    ['bad-line-open', 4],
    ['no-read', 4],
    ['random-10mb', 4],
    ['mixed', 16],
  ];

  beforeAll(async () => {
    lab = await createLab(pairLabSpec());
    a = unwrap(await startVrrpd(lab, 'a', readFileSync(join(repoRoot(), 'etc', 'node-a.conf'), 'utf8')));
    unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 6000 }));
  }, 20_000);

  afterAll(async () => {
    await lab?.destroy();
  }, 20_000);

  it('all kinds at once for 8 s: every vrrpd status is answered, each complaint has its own line, the VIP stays', async () => {
    const socket = join(a.dir, 'vrrpd.sock');
    const mark = a.logMark();
    const runs = MIX.map(([kind, count]) => {
      const p = lab.spawn('client', [process.execPath, join(repoRoot(), 'dist', 'lab', 'control-clients.js'), socket, kind, String(count), '8000']);
      return p.exited.then(() => p.stdoutLines()[0] ?? '');
    });
    await sleep(1000);
    const results: (number | null)[] = [];
    const failures: string[] = [];
    const until = Date.now() + 6000;
    while (Date.now() < until) {
      const r = await execBounded([process.execPath, vrrpdCli(), 'status', '--control-socket', socket], { timeoutMs: 10_000 });
      results.push(r.code);
      if (r.code !== 0) failures.push(r.stderr.trim());
    }
    const counts = await Promise.all(runs);
    console.log(`HOSTILE control clients: status ${results.filter((c) => c === 0).length}/${results.length}; clients ${MIX.map(([k], i) => `${k} ${counts[i]}`).join(', ')}`);
    expect(failures).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(5);
    const complaints = a.logLines().slice(mark).filter((l) => l.startsWith('control socket: '));
    // Dawdlers are dropped for newcomers long before their deadline here: "busy" is their kind.
    const kinds = [/^control socket: (all \d+ connections in use|turned a connection away)/, /^control socket: malformed request/, /^control socket: request longer than 4096 bytes/];
    for (const kind of kinds) {
      expect(complaints.filter((l) => kind.test(l)), String(kind)).toHaveLength(1);
    }
    expect(a.process.running()).toBe(true);
    expect(a.logLines().slice(mark).some((l) => /Entering (BACKUP|FAULT) STATE/.test(l))).toBe(false);
    expect(await lab.hasAddress('a', LAB_VIP)).toBe(true);
  }, 30_000);
});
