// Lines a received packet brings, rate-limited per kind: the pure limiter, then an instance fed a
// flood of spoofed adverts (priority 0 at a BACKUP, lower priority at a MASTER): a bounded number
// of lines, every advert still counted and acted on.
import { describe, expect, it } from 'vitest';
import { hostFor, instanceConfig } from '../helpers/instance.js';
import { ok, parseIpv4, type Ipv4 } from '../../src/types.js';
import { Instance, type InstancePorts } from '../../src/instance/instance.js';
import { createLogLimiter } from '../../src/log/limit.js';
import { decodeDatagram, encodeDatagram, type Advert } from '../../src/vrrp/packet.js';
import type { Vrid } from '../../src/types.js';
import { virtualTimers } from '../../src/timers/virtual-timers.js';

describe('LogLimiter', () => {
  it('lets `lines` through per window and key, then says how many it held back', () => {
    let t = 0;
    const limit = createLogLimiter(10_000, () => t, 2);
    const at = (time: number, kind: string, line: string): string | undefined => {
      t = time;
      return limit(kind, line);
    };
    const said = [0, 1, 2, 3, 9999].map((time) => at(time, 'a', 'x'));
    expect(said).toEqual(['x', 'x', undefined, undefined, undefined]);
    expect(at(5, 'b', 'y')).toBe('y');
    expect(at(10_000, 'a', 'x')).toBe('x (3 more since last report)');
    expect(at(10_001, 'a', 'x')).toBe('x');
    expect(at(10_002, 'a', 'x')).toBe(undefined);
  });

  it('one line per window: the drop lines as before', () => {
    let t = 0;
    const limit = createLogLimiter(10_000, () => t);
    const at = (time: number): string | undefined => {
      t = time;
      return limit('badTtl', 'd');
    };
    expect([0, 5000, 10_000, 19_999, 20_000].map(at)).toEqual(['d', undefined, 'd (1 more since last report)', undefined, 'd (1 more since last report)']);
  });
});

describe('Instance: a flood of spoofed adverts', () => {
  const FLOOD = 3000;
  const attacker = parseIpv4('192.0.2.100') as Ipv4;

  function backupOrMaster(state: 'BACKUP' | 'MASTER') {
    const config = instanceConfig(`priority 100\nauthentication {\nauth_type PASS\nauth_pass 1111\n}\nvirtual_ipaddress {\n192.0.2.200\n}`);
    const t = virtualTimers();
    const lines: string[] = [];
    let frames = 0;
    const log = (m: string): void => void lines.push(m);
    const ports: InstancePorts = {
      sendDatagram: (d) => ok(d.length),
      addAddress: () => ok(undefined),
      delAddress: () => ok(undefined),
      sendFrames: (_i, f) => ((frames += f.length), ok(f.length)),
      now: () => t.clock.now,
      timers: t.scheduler,
      log: { info: log, warn: log, error: log, debug: log },
    };
    const instance = new Instance(config, hostFor(config), ports, 0);
    instance.start();
    if (state === 'MASTER') t.advance(3700, 0);
    expect(instance.fsmState.role).toBe(state);
    const mark = lines.length;
    const framesBefore = frames;
    return { config, instance, t, lines: () => lines.slice(mark), garps: () => frames - framesBefore };
  }

  function flooded(priority: number, state: 'BACKUP' | 'MASTER') {
    const { config, instance, t, lines, garps } = backupOrMaster(state);
    const advert: Advert = { vrid: config.vrid, priority: priority as Advert['priority'], advertIntSec: 1, authType: 0, addresses: [], src: attacker, dst: config.multicastGroup, ttl: 255 };
    // 3000 a second for a second.
    for (let i = 0; i < FLOOD; i++) {
      t.advance(t.clock.now + 1000 / FLOOD, 0);
      // A different spoofed source (and priority) each time: the limit is per kind of line, not per text.
      instance.receive({ ...advert, src: `192.0.2.${100 + (i % 100)}` as Ipv4, priority: (priority === 0 ? 0 : 1 + (i % 90)) as Advert['priority'] }, t.clock.now);
    }
    return { instance, t, lines: lines(), garps };
  }

  it('priority 0 at a BACKUP: 5 lines, not 3000; every one counted, the Master_Down_Timer at Skew_Time', () => {
    const { instance, lines } = flooded(0, 'BACKUP');
    expect(lines.filter((l) => l === '(VI_1) Backup received priority 0 advertisement')).toHaveLength(5);
    expect(lines).toHaveLength(5);
    expect(instance.stats.priorityZeroReceived).toBe(FLOOD);
    expect(instance.fsmState.masterDown?.kind).toBe('skew');
    instance.dispose();
  });

  it('lower priority at a MASTER: "forcing new election" and its GARP lines 5 times each, every advert counted and answered', () => {
    const { instance, lines, garps } = flooded(50, 'MASTER');
    expect(lines.filter((l) => l.endsWith('forcing new election'))).toHaveLength(5);
    // Its GARP burst's lines too (keepalived's, for every advert): the frames still go.
    expect(lines.filter((l) => l.startsWith('(VI_1) Sending/queueing gratuitous ARPs'))).toHaveLength(5);
    expect(lines.filter((l) => l.startsWith('Sending gratuitous ARP on'))).toHaveLength(5);
    expect(lines).toHaveLength(15);
    expect(garps()).toBe(FLOOD * 5);
    expect(instance.stats.advertReceived).toBe(FLOOD);
    instance.dispose();
  });

  it('a wrong password from a new spoofed source each time, and one source flapping good and bad: 5 lines per kind', () => {
    const { config, instance, t, lines } = backupOrMaster('BACKUP');
    const datagram = (src: Ipv4, password: string): Buffer =>
      encodeDatagram({ vrid: config.vrid, priority: 150 as Advert['priority'], advertIntSec: 1, auth: { type: 'PASS', password }, addresses: [parseIpv4('192.0.2.200') as Ipv4], src, dst: config.multicastGroup, id: 1 });
    const deliver = (bytes: Buffer, from: Ipv4): void => {
      const decoded = decodeDatagram(bytes, from, (vrid: Vrid) => (vrid === config.vrid ? instance.expectation(from) : undefined));
      if (decoded.ok) instance.receive(decoded.advert, t.clock.now);
      else instance.dropped(decoded.drop, { bytes, from });
    };
    for (let i = 0; i < 1000; i++) {
      const from = `192.0.2.${1 + (i % 250)}` as Ipv4;
      deliver(datagram(from, 'guess'), from);
    }
    const flapper = parseIpv4('192.0.2.12') as Ipv4;
    for (let i = 0; i < 1000; i++) deliver(datagram(flapper, i % 2 === 0 ? 'guess' : '1111'), flapper);
    expect(lines().filter((l) => l.includes('received an invalid passwd!'))).toHaveLength(5);
    expect(lines().filter((l) => l.includes('are accepted again'))).toHaveLength(5);
    expect(instance.stats.authFailures).toBe(1500);
    instance.dispose();
  });
});
