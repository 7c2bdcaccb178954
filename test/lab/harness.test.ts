// The lab harness itself: decoding (no root needed), then real namespaces, tcpdump and keepalived.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  advertsFrom,
  decodePcap,
  firstGarpAfter,
  garpsFor,
  lastAdvertBefore,
  startCapture,
  type ArpFrame,
  type Frame,
  type VrrpFrame,
} from '../../lab/capture.js';
import { keepalivedMessage, renderKeepalivedConfig, startKeepalived, stripNotifyLines } from '../../lab/keepalived.js';
import {
  checkLabAddress,
  createLab,
  LAB_VIP,
  labAvailable,
  namespacesOf,
  pairLabSpec,
  parseAddrJson,
  parseNeighJson,
  parsePingSummary,
  sweepStaleLabs,
  withLab,
  type Lab,
} from '../../lab/netns.js';
import { pidAlive, sleep, waitUntil, wallClockSeconds } from '../../lab/process.js';
import { CAPTURES_DIR } from '../helpers/captures.js';
import { A_MAC, B_MAC, CLIENT_MAC } from '../helpers/lab.js';

const CAPTURES = CAPTURES_DIR;

function framesOf(file: string): Frame[] {
  const r = decodePcap(readFileSync(join(CAPTURES, file)));
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('frame decoding (real keepalived 2.2.7 captures)', () => {
  it('decodes steady adverts field by field', () => {
    const frames = framesOf('keepalived-adverts-steady.pcap');
    const adverts = advertsFrom(frames, '192.0.2.11');
    expect(adverts.length).toBe(frames.length);
    const first = adverts[0] as VrrpFrame;
    // Values from keepalived-adverts-steady.fields.tsv, frame 1.
    expect(first).toMatchObject({
      kind: 'vrrp',
      srcMac: A_MAC,
      dstMac: '01:00:5e:00:00:12',
      src: '192.0.2.11',
      dst: '224.0.0.18',
      ttl: 255,
      tos: 0xc0,
      ipId: 0x000a,
      df: false,
      version: 2,
      type: 1,
      vrid: 51,
      priority: 150,
      authType: 1,
      advertInt: 1,
      checksum: 0x229f,
      addresses: ['192.0.2.200'],
      authData: '1111',
    });
    expect(first.t).toBeCloseTo(1795596804.06605, 5);
    expect(first.rawVrrp.length).toBe(20);
    expect(adverts[1]?.ipId).toBe(0x000b);
    expect(lastAdvertBefore(frames, '192.0.2.11', 1795596805.5)?.ipId).toBe(0x000b);
    expect(lastAdvertBefore(frames, '192.0.2.11', 1795596804)).toBeUndefined();
  });

  it('decodes the priority-0 advert', () => {
    const [f] = framesOf('keepalived-prio0-sigterm.pcap');
    expect(f?.kind === 'vrrp' && f.priority).toBe(0);
  });

  it('finds gratuitous ARPs by VIP, time and sender MAC', () => {
    const frames = framesOf('keepalived-garp-takeover.pcap');
    const garps = garpsFor(frames, '192.0.2.200');
    expect(garps.length).toBeGreaterThan(0);
    expect(garps[0]).toMatchObject<Partial<ArpFrame>>({
      op: 1,
      srcMac: B_MAC,
      dstMac: 'ff:ff:ff:ff:ff:ff',
      senderMac: B_MAC,
      senderIp: '192.0.2.200',
      targetMac: 'ff:ff:ff:ff:ff:ff',
      targetIp: '192.0.2.200',
    });
    expect(garpsFor(frames, '192.0.2.200', A_MAC)).toEqual([]);
    const t0 = garps[0]?.t ?? 0;
    expect(firstGarpAfter(frames, '192.0.2.200', t0, B_MAC)?.t).toBeGreaterThan(t0);
    expect(firstGarpAfter(frames, '192.0.2.201', 0)).toBeUndefined();
  });
});

describe('iproute2 / ping output parsing', () => {
  it('parses ip -j neigh', () => {
    const text =
      '[{"dst":"192.0.2.11","dev":"eth0","lladdr":"02:00:C0:00:02:0B","state":["REACHABLE"]},' +
      '{"dst":"192.0.2.12","dev":"eth0","state":["FAILED"]}]';
    expect(parseNeighJson(text, '192.0.2.11')).toEqual({ mac: A_MAC, state: 'REACHABLE' });
    expect(parseNeighJson(text, '192.0.2.12')).toEqual({ mac: undefined, state: 'FAILED' });
    expect(parseNeighJson(text, '192.0.2.13')).toBeUndefined();
    expect(parseNeighJson('', '192.0.2.13')).toBeUndefined();
  });

  it('parses ip -j addr', () => {
    const text =
      '[{"ifindex":2,"ifname":"eth0","addr_info":[{"family":"inet","local":"192.0.2.11","prefixlen":24,' +
      '"scope":"global","label":"eth0"},{"family":"inet","local":"192.0.2.200","prefixlen":32,"scope":"global"}]}]';
    expect(parseAddrJson(text)).toEqual([
      { ifname: 'eth0', family: 'inet', address: '192.0.2.11', prefixlen: 24, label: 'eth0', scope: 'global' },
      { ifname: 'eth0', family: 'inet', address: '192.0.2.200', prefixlen: 32, label: undefined, scope: 'global' },
    ]);
  });

  it('parses ping output', () => {
    const text =
      '64 bytes from 192.0.2.11: icmp_seq=1 ttl=64 time=0.438 ms\n64 bytes from 192.0.2.11: icmp_seq=2 ttl=64 time=0.05 ms\n' +
      '--- 192.0.2.11 ping statistics ---\n3 packets transmitted, 2 received, 33.3333% packet loss, time 402ms\n';
    expect(parsePingSummary(text)).toEqual({ transmitted: 3, received: 2, rttMs: [0.438, 0.05] });
  });

  it('accepts only documentation addresses', () => {
    expect(checkLabAddress('192.0.2.11/24')).toBeUndefined();
    expect(checkLabAddress('203.0.113.5/32')).toBeUndefined();
    expect(checkLabAddress('10.0.0.1/24')).toMatch(/outside/);
    expect(checkLabAddress('192.0.2.1/16')).toMatch(/prefix/);
    expect(checkLabAddress('192.0.2.1')).toMatch(/CIDR/);
  });

  it('rejects a bad spec before creating anything', async () => {
    await expect(createLab({ hosts: [{ name: 'x', address: '10.1.1.1/24' }] })).rejects.toThrow(/outside/);
    await expect(createLab({ hosts: [{ name: 'sw', address: '192.0.2.1/24' }] })).rejects.toThrow(/not allowed/);
  });
});

const availability = labAvailable();
const labDescribe = availability.ok ? describe : describe.skip;
if (!availability.ok) console.warn(`lab tests skipped: ${availability.reason}`);

function netnsInode(pid: number): string {
  return readlinkSync(`/proc/${pid}/ns/net`);
}

labDescribe('lab (network namespaces, as root)', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await createLab(pairLabSpec());
  }, 15_000);

  afterAll(async () => {
    const id = lab.id;
    await lab.destroy();
    expect(namespacesOf(id)).toEqual([]);
  }, 15_000);

  it('builds hosts with the captures’ addresses and MACs, nothing in the root namespace', async () => {
    expect(namespacesOf(lab.id).sort()).toEqual(
      [`${lab.id}-a`, `${lab.id}-b`, `${lab.id}-client`, `${lab.id}-sw`].sort(),
    );
    expect(lab.id).toMatch(new RegExp(`^vrl${process.pid}x\\d+$`));
    expect(lab.mac('a')).toBe(A_MAC);
    expect(lab.ip('client')).toBe('192.0.2.100');
    const addrs = await lab.addresses('a');
    expect(addrs.filter((x) => x.family === 'inet').map((x) => `${x.ifname} ${x.address}/${x.prefixlen}`).sort()).toEqual([
      'eth0 192.0.2.11/24',
      'lo 127.0.0.1/8',
    ]);
    // IPv6 is off by default, so captures carry no ND/MLD noise.
    expect(addrs.some((x) => x.family === 'inet6')).toBe(false);
    const link = await lab.exec('client', ['ip', '-j', 'link', 'show', 'eth0']);
    expect(link.stdout).toContain(CLIENT_MAC);
    const routes = await lab.exec('a', ['ip', 'route', 'show', 'default']);
    expect(routes.stdout.trim()).toBe('');
    // The bridge lives in the switch namespace, never in ours.
    const rootLinks = execFileSync('ip', ['-o', 'link', 'show']).toString();
    expect(rootLinks).not.toMatch(/\bh\di\d\b/);
    const arpAccept = await lab.exec('client', ['sysctl', '-n', 'net.ipv4.conf.eth0.arp_accept']);
    expect(arpAccept.stdout.trim()).toBe('1');
    const arpAcceptA = await lab.exec('a', ['sysctl', '-n', 'net.ipv4.conf.eth0.arp_accept']);
    expect(arpAcceptA.stdout.trim()).toBe('0');
  });

  it('pings between hosts and reads the neighbour table', async () => {
    const ping = await lab.ping('client', '192.0.2.11', { count: 2, intervalMs: 100 });
    expect(ping.received).toBe(2);
    expect(ping.rttMs.length).toBe(2);
    expect((await lab.ping('a', '192.0.2.12')).received).toBe(1);
    const n = await lab.neigh('client', '192.0.2.11');
    expect(n?.mac).toBe(A_MAC);
    expect(n?.state).toMatch(/REACHABLE|STALE|DELAY/);
    expect(await lab.neigh('client', '192.0.2.99')).toBeUndefined();
    // No route out: anything off-link is unreachable at once.
    const out = await lab.exec('client', ['ping', '-c', '1', '-W', '1', '198.51.100.1'], { timeoutMs: 3000 });
    expect(out.code).not.toBe(0);
  });

  it('spawns programs whose PID is the program itself, inside the host namespace', async () => {
    const p = lab.spawn('b', ['sh', '-c', 'echo ready; exec sleep 30']);
    expect((await p.waitForLine(/^ready$/, { timeoutMs: 2000 })).ok).toBe(true);
    const comm = (pid: number): string => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    // "ready" is printed by sh just before its exec: on a loaded machine the PID can still be sh.
    expect(await waitUntil(() => comm(p.pid) === 'sleep', { timeoutMs: 1000, intervalMs: 5 })).toBe(true);
    const probe = lab.spawn('b', ['sleep', '30']);
    // Until `ip` has exec'd, the PID still runs ip (in our namespace): wait for the switch.
    expect(await waitUntil(() => comm(probe.pid) === 'sleep', { timeoutMs: 1000, intervalMs: 5 })).toBe(true);
    expect(netnsInode(p.pid)).toBe(netnsInode(probe.pid));
    expect(netnsInode(p.pid)).not.toBe(netnsInode(process.pid));
    const missing = await p.waitForLine(/never/, { timeoutMs: 100 });
    expect(missing.ok).toBe(false);
    expect(p.kill('SIGTERM')).toBe(true);
    expect((await p.exited).signal).toBe('SIGTERM');
    expect(await probe.stop(500)).toEqual({ code: null, signal: 'SIGTERM' });
    expect(p.kill('SIGTERM')).toBe(false);
  });

  it('captures a ping with its ARP exchange', async () => {
    await lab.exec('client', ['ip', 'neigh', 'flush', 'dev', 'eth0']);
    const cap = await startCapture(lab, 'client', { filter: 'arp or icmp' });
    if (!cap.ok) throw new Error(cap.error);
    const before = wallClockSeconds();
    expect((await lab.ping('client', '192.0.2.12')).received).toBe(1);
    await sleep(100);
    const frames = await cap.value.stop();
    if (!frames.ok) throw new Error(frames.error);
    const arps = frames.value.filter((f): f is ArpFrame => f.kind === 'arp');
    const request = arps.find((f) => f.op === 1 && f.targetIp === '192.0.2.12');
    const reply = arps.find((f) => f.op === 2 && f.senderIp === '192.0.2.12');
    expect(request).toMatchObject({ senderMac: CLIENT_MAC, senderIp: '192.0.2.100', dstMac: 'ff:ff:ff:ff:ff:ff' });
    expect(reply).toMatchObject({ senderMac: B_MAC, srcMac: B_MAC, targetIp: '192.0.2.100' });
    expect(request?.t).toBeGreaterThan(before - 0.5);
    expect(frames.value.filter((f) => f.kind === 'other' && f.ipProtocol === 1).length).toBe(2);
  });

  it('takes a link down and up, and partitions with carrier kept', async () => {
    await lab.setLink('b', 'down');
    expect((await lab.ping('client', '192.0.2.12', { timeoutMs: 1000 })).received).toBe(0);
    await lab.setLink('b', 'up');
    expect(await waitUntil(async () => (await lab.ping('client', '192.0.2.12', { timeoutMs: 1000 })).received === 1, { timeoutMs: 4000 })).toBe(true);

    await lab.partition('b');
    expect((await lab.ping('client', '192.0.2.12', { timeoutMs: 1000 })).received).toBe(0);
    const link = await lab.exec('b', ['ip', '-j', 'link', 'show', 'eth0']);
    expect(link.stdout).toContain('"operstate":"UP"');
    expect((await lab.ping('a', '192.0.2.100')).received).toBe(1);
    await lab.heal();
    expect((await lab.ping('client', '192.0.2.12', { timeoutMs: 2000 })).received).toBe(1);
  });

  it('runs keepalived: MASTER adverts, GARP, VIP; graceful stop vs crash', async () => {
    const cap = await startCapture(lab, 'client');
    if (!cap.ok) throw new Error(cap.error);
    const h1 = stripNotifyLines(readFileSync(join(CAPTURES, 'h1.conf'), 'utf8'));
    expect(h1).not.toMatch(/^\s*notify/m);
    // A second, independent router on B (own VRID and VIP) so stop and crash can run side by side.
    const other = renderKeepalivedConfig({
      routerId: 'NodeB',
      instances: [{ state: 'MASTER', vrid: 52, priority: 120, authPass: '2222', vips: ['192.0.2.201'] }],
    });
    const [kaA, kaB] = await Promise.all([startKeepalived(lab, 'a', h1), startKeepalived(lab, 'b', other)]);
    if (!kaA.ok) throw new Error(kaA.error);
    if (!kaB.ok) throw new Error(kaB.error);
    expect(kaA.value.dir).not.toBe(kaB.value.dir);
    const [mA, mB] = await Promise.all([
      kaA.value.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 }),
      kaB.value.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 }),
    ]);
    expect(mA).toEqual({ ok: true, value: '(VI_1) Entering MASTER STATE' });
    expect(mB.ok).toBe(true);
    const childA = kaA.value.vrrpChildPid();
    const childB = kaB.value.vrrpChildPid();
    expect(childA).toBeGreaterThan(0);
    expect(childB).toBeGreaterThan(0);
    expect(kaA.value.logLines()).toContain('Startup complete');

    expect(await waitUntil(() => lab.hasAddress('a', LAB_VIP), { timeoutMs: 2000 })).toBe(true);
    expect(await lab.hasAddress('b', LAB_VIP)).toBe(false);
    await sleep(1300); // at least one advert after the transition
    const sofar = cap.value.framesSoFar();
    if (!sofar.ok) throw new Error(sofar.error);
    const adverts = advertsFrom(sofar.value, '192.0.2.11');
    expect(adverts.length).toBeGreaterThanOrEqual(1);
    expect(adverts.every((f) => f.vrid === 51 && f.priority === 150 && f.ttl === 255 && f.srcMac === A_MAC)).toBe(true);
    expect(firstGarpAfter(sofar.value, LAB_VIP, 0, A_MAC)?.senderMac).toBe(A_MAC);
    expect(advertsFrom(sofar.value, '192.0.2.12')[0]).toMatchObject({ vrid: 52, priority: 120, authData: '2222' });
    // arp_accept on the client: the GARP alone created the entry.
    expect((await lab.neigh('client', LAB_VIP))?.mac).toBe(A_MAC);

    const stopAt = wallClockSeconds();
    const [stopped, crashed] = await Promise.all([kaA.value.stop(), kaB.value.crash()]);
    expect(stopped).toEqual({ code: 0, signal: null });
    expect(crashed.signal).toBe('SIGKILL');
    expect(childA !== undefined && pidAlive(childA)).toBe(false);
    expect(childB !== undefined && pidAlive(childB)).toBe(false);
    await sleep(200);
    const frames = await cap.value.stop();
    if (!frames.ok) throw new Error(frames.error);
    const after = (src: string): VrrpFrame[] => advertsFrom(frames.value, src).filter((f) => f.t >= stopAt);
    // Graceful: priority 0 and the VIP removed. Crash: silence, and the VIP left behind.
    expect(after('192.0.2.11').map((f) => f.priority)).toEqual([0]);
    expect(after('192.0.2.12')).toEqual([]);
    expect(await lab.hasAddress('a', LAB_VIP)).toBe(false);
    expect(await lab.hasAddress('b', '192.0.2.201')).toBe(true);
    expect(kaA.value.logLines()).toContain('(VI_1) sent 0 priority');
    expect(kaB.value.logLines()).not.toContain('(VI_1) sent 0 priority');
  }, 20_000);
});

labDescribe('lab cleanup', () => {
  it('destroys the lab when the body throws, killing what it spawned', async () => {
    let id = '';
    let pid = 0;
    await expect(
      withLab({ hosts: [{ name: 'solo', address: '203.0.113.1/24' }] }, async (lab) => {
        id = lab.id;
        pid = lab.spawn('solo', ['sleep', '30']).pid;
        expect(namespacesOf(id).length).toBe(2);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(id).not.toBe('');
    expect(namespacesOf(id)).toEqual([]);
    expect(await waitUntil(() => !pidAlive(pid), { timeoutMs: 1000 })).toBe(true);
  });

  it('cleans up at process exit (uncaught exception, SIGTERM) and sweeps only dead creators', async () => {
    // Compile the harness to plain JS so a separate node process can use it and die.
    const out = mkdtempSync(join(tmpdir(), 'vrl-harness-js-'));
    try {
      const tsc = spawnSyncQuiet(process.execPath, [
        'node_modules/typescript/bin/tsc', '--outDir', out, '--rootDir', '.', '--module', 'nodenext',
        '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--strict', '--types', 'node', 'lab/netns.ts',
      ]);
      expect(tsc).toBe('');
      writeFileSync(join(out, 'package.json'), '{"type":"module"}');
      const script = (ending: string): string =>
        `import { createLab } from ${JSON.stringify(join(out, 'lab/netns.js'))};
         const lab = await createLab({ hosts: [{ name: 'h', address: '198.51.100.7/24' }] });
         lab.spawn('h', ['sleep', '30']);
         console.log(lab.id);
         ${ending}`;
      for (const ending of ["setTimeout(() => { throw new Error('uncaught'); }, 50);", 'setInterval(() => {}, 1000);']) {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script(ending)], { stdio: ['ignore', 'pipe', 'pipe'] });
        const id = await new Promise<string>((resolve) => child.stdout.once('data', (b: Buffer) => resolve(b.toString().trim())));
        expect(id).toMatch(/^vrl\d+x1$/);
        expect(namespacesOf(id).length).toBe(2);
        if (ending.startsWith('setInterval')) child.kill('SIGTERM');
        const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
        expect(code).not.toBe(0);
        expect(namespacesOf(id)).toEqual([]);
      }

      // A stale namespace: named like ours, creator PID dead. A live lab of ours must survive the sweep.
      const dead = spawn('true');
      await new Promise((resolve) => dead.on('close', resolve));
      const stale = `vrl${dead.pid}x1-stale`;
      execFileSync('ip', ['netns', 'add', stale]);
      const live = await createLab({ hosts: [{ name: 'keep', address: '192.0.2.77/24' }] });
      try {
        const removed = await sweepStaleLabs();
        // Another test process sweeping at the same moment may have deleted it first: both are fine.
        expect(namespacesOf(`vrl${dead.pid}x1`)).toEqual([]);
        expect(removed.every((ns) => /^vrl\d+x\d+-[a-z0-9]+$/.test(ns))).toBe(true);
        expect(removed).not.toContain(`${live.id}-keep`);
        expect(namespacesOf(live.id).length).toBe(2);
      } finally {
        await live.destroy();
        try {
          execFileSync('ip', ['netns', 'del', stale], { stdio: 'ignore' });
        } catch {
          // normally already swept
        }
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 20_000);
});

function spawnSyncQuiet(file: string, args: string[]): string {
  try {
    execFileSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 });
    return '';
  } catch (e) {
    const x = e as { stdout?: Buffer; message: string };
    return x.stdout?.toString() || x.message;
  }
}

it('strips keepalived console timestamps', () => {
  expect(keepalivedMessage('Wed Nov 25 09:50:36 2026: (VI_1) Entering MASTER STATE')).toBe('(VI_1) Entering MASTER STATE');
  expect(keepalivedMessage('Sun Nov  1 09:50:36 2026: Stopping')).toBe('Stopping');
});
