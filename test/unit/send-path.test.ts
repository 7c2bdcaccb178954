// The synchronous send path: an advert's datagram is encoded once and only its IP id patched per
// send (packet.setIpId), and with synchronous ports a takeover's advert, VIPs and GARP all leave
// inside the event that caused it, before anything is awaited. Ports are recorded, nothing is timed.
import { describe, expect, it } from 'vitest';
import { hostFor, instanceConfig } from '../helpers/instance.js';
import { ok, parseIpv4, type Ipv4, type Result } from '../../src/types.js';
import { Instance, type InstancePorts } from '../../src/instance/instance.js';
import { AdvertSender } from '../../src/instance/advert-sender.js';
import { createStats } from '../../src/instance/stats.js';
import type { LineLog } from '../../src/log/lines.js';
import { virtualTimers, type VirtualTimers } from '../../src/timers/virtual-timers.js';
import { timeoutScheduler } from '../../src/timers/clock.js';
import { ADVER_GRID_MS } from '../../src/vrrp/fsm.js';
import { encodeDatagram, internetChecksum, setIpId, type Advert, type AdvertToSend } from '../../src/vrrp/packet.js';

const ip = (s: string): Ipv4 => parseIpv4(s) as Ipv4;



const advert: AdvertToSend & { src: Ipv4; dst: Ipv4; id: number } = {
  vrid: 51 as AdvertToSend['vrid'],
  priority: 150 as AdvertToSend['priority'],
  advertIntSec: 1,
  auth: { type: 'PASS', password: 'secret' },
  addresses: [ip('192.0.2.200'), ip('192.0.2.201')],
  src: ip('192.0.2.11'),
  dst: ip('224.0.0.18'),
  id: 1,
};

describe('setIpId: the cached advert with a new IP id', () => {
  it('gives the bytes encodeDatagram builds for that id, header checksum included', () => {
    const cached = encodeDatagram(advert);
    for (const id of [2, 0xff, 0x1234, 0xffff, 1]) {
      setIpId(cached, id);
      expect(cached.toString('hex')).toBe(encodeDatagram({ ...advert, id }).toString('hex'));
      expect(internetChecksum(cached, 0, 20)).toBe(0);
    }
  });

  it('touches only the id and the header checksum', () => {
    const cached = encodeDatagram(advert);
    const before = Buffer.from(cached);
    setIpId(cached, 0x4242);
    const changed = [...cached.keys()].filter((i) => cached[i] !== before[i]);
    expect(changed.every((i) => i === 4 || i === 5 || i === 10 || i === 11)).toBe(true);
    expect(cached.subarray(20)).toEqual(before.subarray(20));
  });
});

function recorder() {
  const events: string[] = [];
  const datagrams: Buffer[] = [];
  const quiet = (): void => undefined;
  const log: LineLog = { info: (m: string) => void events.push(`log ${m}`), warn: quiet, error: quiet, debug: quiet };
  const ports: InstancePorts = {
    timers: timeoutScheduler(),
    sendDatagram: (d, dst): Result<number, string> => {
      datagrams.push(Buffer.from(d));
      events.push(`advert prio ${d[22]} id ${d.readUInt16BE(4)} to ${dst}`);
      return ok(d.length);
    },
    addAddress: (a) => (events.push(`add ${a.address}`), ok(undefined)),
    delAddress: (a) => (events.push(`del ${a.address}`), ok(undefined)),
    sendFrames: (_ifname, frames) => (events.push(`garp ${frames.length}`), ok(frames.length)),
    now: () => 0,
    log,
    onNotify: (_name, state) => events.push(`notify ${state}`),
  };
  return { events, datagrams, ports };
}

/** The instance's advert sender (advert-sender.ts), as the core's sendAdvert runs it. */
const senderFor = (config: ReturnType<typeof instanceConfig>, ports: InstancePorts): AdvertSender =>
  new AdvertSender({ ports, counters: createStats(), say: () => undefined, resumeAt: () => undefined }, { config, ownAddress: hostFor(config).ownAddress, peers: [] });

describe('the advert sender: adverts from one encoding', () => {
  it('successive adverts differ only in the IP id, which counts up; a new priority is a new encoding', async () => {
    const config = instanceConfig('priority 150\nauthentication {\nauth_type PASS\nauth_pass secret\n}\nvirtual_ipaddress {\n192.0.2.200\n192.0.2.201\n}');
    const rec = recorder();
    const sender = senderFor(config, rec.ports);
    for (const priority of [150, 150, 150, 0]) sender.send(priority);
    const [a, b, c, zero] = rec.datagrams;
    expect(rec.datagrams).toHaveLength(4);
    expect(a?.toString('hex')).toBe(encodeDatagram({ ...advert, id: 1, dst: config.multicastGroup }).toString('hex'));
    expect(b?.toString('hex')).toBe(encodeDatagram({ ...advert, id: 2, dst: config.multicastGroup }).toString('hex'));
    expect(c?.readUInt16BE(4)).toBe(3);
    expect(zero?.toString('hex')).toBe(encodeDatagram({ ...advert, priority: 0 as never, id: 4, dst: config.multicastGroup }).toString('hex'));
  });

  it('a reload with another VIP set is a new encoding', async () => {
    const config = instanceConfig('priority 150\nvirtual_ipaddress {\n192.0.2.200\n}');
    const rec = recorder();
    const sender = senderFor(config, rec.ports);
    sender.send(150);
    const next = instanceConfig('priority 150\nvirtual_ipaddress {\n192.0.2.200\n192.0.2.201\n}');
    sender.configure({ config: next, ownAddress: hostFor(next).ownAddress, peers: [] });
    sender.send(150);
    expect(rec.datagrams.map((d) => d[23])).toEqual([1, 2]);
    expect(rec.datagrams.at(-1)?.subarray(28, 36)).toEqual(Buffer.from([192, 0, 2, 200, 192, 0, 2, 201]));
  });
});

describe('Instance: a takeover with synchronous ports awaits nothing', () => {
  it('the Master_Down event sends the advert, adds the VIPs, sends the GARPs, logs and notifies before it returns', () => {
    const config = instanceConfig('priority 100\nvirtual_ipaddress {\n192.0.2.200\n}');
    const rec = recorder();
    const instance = new Instance(config, hostFor(config), rec.ports, 0);
    instance.start();
    rec.events.length = 0;
    instance.feed({ type: 'timer', timer: 'masterDown' });
    instance.dispose();
    // The packets first; the log lines after them, in keepalived's order; then notify.
    expect(rec.events).toEqual([
      'advert prio 100 id 1 to 224.0.0.18',
      'add 192.0.2.200',
      'garp 1',
      'garp 1',
      'garp 1',
      'garp 1',
      'garp 1',
      'log (VI_1) Entering MASTER STATE',
      'log (VI_1) setting VIPs.',
      'log (VI_1) Sending/queueing gratuitous ARPs on eth0 for 192.0.2.200',
      'notify MASTER',
    ]);
  });

  it('an asynchronous address port holds the GARP back until the VIP is there', async () => {
    const config = instanceConfig('priority 100\nvirtual_ipaddress {\n192.0.2.200\n}');
    const rec = recorder();
    let added: () => void = () => undefined;
    const ports: InstancePorts = {
      ...rec.ports,
      addAddress: (a) =>
        new Promise<Result<void, string>>((resolve) => {
          added = () => {
            rec.events.push(`add ${a.address}`);
            resolve(ok(undefined));
          };
        }),
    };
    const instance = new Instance(config, hostFor(config), ports, 0);
    instance.start();
    rec.events.length = 0;
    instance.feed({ type: 'timer', timer: 'masterDown' });
    expect(rec.events.some((e) => e.startsWith('garp'))).toBe(false);
    added();
    await instance.idle();
    instance.dispose();
    const order = rec.events.filter((e) => e.startsWith('add') || e.startsWith('garp') || e.startsWith('advert'));
    expect(order.slice(0, 3)).toEqual(['advert prio 100 id 1 to 224.0.0.18', 'add 192.0.2.200', 'garp 1']);
  });
});

/** An instance on a virtual clock that records when each of its adverts left; `extra` replaces ports. */
function onVirtualClock(body: string, extra: (t: VirtualTimers) => Partial<InstancePorts> = () => ({})) {
  const config = instanceConfig(body);
  const rec = recorder();
  const t = virtualTimers();
  const sentAt: number[] = [];
  const ports: InstancePorts = {
    ...rec.ports,
    now: () => t.clock.now,
    timers: t.scheduler,
    sendDatagram: (d, dst) => (sentAt.push(t.clock.now), rec.ports.sendDatagram(d, dst)),
    ...extra(t),
  };
  return { config, t, sentAt, instance: new Instance(config, hostFor(config), ports, 0) };
}

describe('Instance: the Adver_Timer on the shared grid (timer coalescing)', () => {
  it('the first period is rounded to the grid, every later one is exactly advert_int, late wakeups or not', () => {
    const { t, sentAt, instance } = onVirtualClock('priority 150\nvirtual_ipaddress {\n192.0.2.200\n}');
    t.clock.now = 1.3;
    instance.start();
    // Master_Down_Interval at priority 150: 3414.0625 ms after start; it is not on the grid.
    t.advance(3500, 0);
    expect(sentAt).toEqual([3415.3625]);
    // (Up to 8000: garp_master_delay's timer at 8415.36 would wake the batch that holds the next one.)
    t.advance(8000, 0.7);
    instance.dispose();
    // 3415.3625 + 1000 = 4415.36..: the nearest grid point is 4416; then whole seconds from there.
    expect(sentAt.slice(1).map((x) => Math.round((x - 0.7) * 1000) / 1000)).toEqual([4416, 5416, 6416, 7416]);
    expect(4416 % ADVER_GRID_MS).toBe(0);
  });
});

describe('Instance: a timer counts from the step that armed it', () => {
  it('the Master_Down_Timer is not pushed back by the slow log write and notify before it', () => {
    const { t, sentAt, instance } = onVirtualClock('priority 150\nvirtual_ipaddress {\n192.0.2.200\n}', (t) => {
      const slow = (ms: number) => (): void => void (t.clock.now += ms);
      return { log: { info: slow(0.6), warn: slow(0.6), error: slow(0.6), debug: slow(0.6) }, onNotify: slow(0.4) };
    });
    t.clock.now = 1.3;
    instance.start();
    expect(t.clock.now).toBeCloseTo(2.3, 9); // "Entering BACKUP STATE (init)" and its notify ran first
    t.advance(3500, 0);
    instance.dispose();
    // Master_Down_Interval at priority 150 (3414.0625 ms) from the start-up step at 1.3, as the core's `due` says.
    expect(sentAt[0]).toBeCloseTo(1.3 + 3414.0625, 9);
  });

  it("an advert's Master_Down_Timer counts from the datagram's arrival, not from after its decoding", () => {
    const { config, t, sentAt, instance } = onVirtualClock('priority 100\nvirtual_ipaddress {\n192.0.2.200\n}');
    instance.start();
    t.advance(1000, 0);
    const master: Advert = {
      vrid: config.vrid,
      priority: 150 as Advert['priority'],
      advertIntSec: 1,
      authType: 0,
      addresses: [ip('192.0.2.200')],
      src: ip('192.0.2.12'),
      dst: ip('224.0.0.18'),
      ttl: 255,
    };
    t.clock.now = 1000.8; // read at 1000, decoded and handed over 0.8 ms later
    instance.receive(master, 1000);
    t.advance(6000, 0);
    instance.dispose();
    // Master_Down_Interval at priority 100: 3 x 1000 + 609.375 ms after the arrival.
    expect(sentAt[0]).toBeCloseTo(1000 + 3609.375, 9);
  });
});

describe('Instance: GARPs spaced by vrrp_garp_interval never hold anything back', () => {
  /** A MASTER on a virtual clock with vrrp_garp_interval `intervalMs`, every port recorded with its time. */
  function spacedMaster(intervalMs: number, vips = '192.0.2.200') {
    const config = instanceConfig(`priority 100\nvirtual_ipaddress {\n${vips.split(' ').join('\n')}\n}`);
    const rec = recorder();
    const t = virtualTimers();
    const at = (what: string): void => void rec.events.push(`${t.clock.now} ${what}`);
    const ports: InstancePorts = {
      ...rec.ports,
      now: () => t.clock.now,
      timers: t.scheduler,
      sendDatagram: (d) => (at(`advert prio ${d[22]}`), ok(d.length)),
      addAddress: (a) => (at(`add ${a.address}`), ok(undefined)),
      delAddress: (a) => (at(`del ${a.address}`), ok(undefined)),
      sendFrames: (_ifname, frames) => (at(`garp ${frames.map((f) => f.subarray(28, 32).join('.')).join(' ')}`), ok(frames.length)),
    };
    const instance = new Instance(config, hostFor(config), ports, intervalMs);
    instance.start();
    t.advance(3700, 0); // Master_Down_Interval at priority 100: 3609.375 ms
    expect(instance.fsmState.role).toBe('MASTER');
    const garps = (): string[] => rec.events.filter((e) => e.includes(' garp '));
    return { config, t, rec, instance, garps };
  }

  it.each([5000, 256_000])('interval %i ms: stop() resolves at once with priority 0 and the VIP removed; no queued GARP follows', async (intervalMs) => {
    const { t, rec, instance, garps } = spacedMaster(intervalMs);
    expect(garps()).toEqual(['3609.375 garp 192.0.2.200']);
    t.advance(4000, 0);
    rec.events.length = 0;
    await instance.stop();
    expect(rec.events.filter((e) => !e.includes('log') && !e.includes('notify'))).toEqual(['4000 advert prio 0', '4000 del 192.0.2.200']);
    t.advance(600_000, 0);
    expect(garps()).toEqual([]);
    instance.dispose();
  });

  it('while MASTER they are `interval` apart (garp_master_delay merged in); a step-down drops the rest', () => {
    const { t, instance, garps } = spacedMaster(5000);
    t.advance(13_700, 0);
    expect(garps().map((g) => g.split(' ')[0])).toEqual(['3609.375', '8609.375', '13609.375']);
    instance.feed({ type: 'advert', priority: 200 as never, from: parseIpv4('192.0.2.12') as Ipv4 });
    expect(instance.fsmState.role).toBe('BACKUP');
    // Up to its own Master_Down_Interval (3609 ms later): it would be MASTER again then.
    t.advance(17_000, 0);
    expect(instance.fsmState.role).toBe('BACKUP');
    expect(garps()).toHaveLength(3);
    instance.dispose();
  });

  it('a reload that drops a VIP drops its queued GARPs; the kept VIP is announced again', async () => {
    const { t, instance, garps, rec } = spacedMaster(5000, '192.0.2.200 192.0.2.201');
    expect(garps()).toEqual(['3609.375 garp 192.0.2.200']);
    t.advance(4000, 0);
    const next = instanceConfig('priority 100\nvirtual_ipaddress {\n192.0.2.200\n}');
    instance.reconfigure(next, hostFor(next), 5000);
    await instance.idle();
    t.advance(60_000, 0);
    expect(rec.events).toContain('4000 del 192.0.2.201');
    expect(garps().filter((g) => g.endsWith('192.0.2.201'))).toEqual([]);
    // The reload's burst of 5 for the kept VIP, from the interface's next free slot on.
    expect(garps().slice(1).map((g) => g.split(' ')[0])).toEqual(['8609.375', '13609.375', '18609.375', '23609.375', '28609.375']);
    instance.dispose();
  });
});
