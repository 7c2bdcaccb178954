// The instance's side of the advert repeater (net/repeater.ts): when it hands its periodic advert
// over, what it hands (the bytes it just sent, the next deadline, the period, the IP id), and that
// it takes the advert back before stepping anything else, resuming the Adver_Timer at the advert
// the repeater did not send, with its count and IP id. The repeater here is a model on the same
// virtual clock as the scheduler (an advert at first, first + period, ... up to now); the addon's
// own is tested in namespaces (net-lab.test.ts).
import { describe, expect, it } from 'vitest';
import { hostFor, instanceConfig } from '../helpers/instance.js';
import type { Logger } from '../../src/log/logger.js';
import type { RepeatHandle, RepeatJob, RepeatProgress } from '../../src/net/repeater.js';
import { nextIpId } from '../../src/vrrp/packet.js';
import { err, ok, parseIpv4, type Ipv4, type Result } from '../../src/types.js';
import { Instance, type InstancePorts } from '../../src/instance/instance.js';
import { virtualTimers } from '../../src/timers/virtual-timers.js';

const ip = (s: string): Ipv4 => parseIpv4(s) as Ipv4;



interface ModelJob {
  readonly job: RepeatJob;
  readonly datagram: Buffer;
  stopped: boolean;
}

function lab(options: { sendFails?: () => boolean } = {}) {
  const { clock, scheduler, advance } = virtualTimers();
  const sent: { at: number; id: number; priority: number }[] = [];
  const warnings: string[] = [];
  const garps: number[] = [];
  const jobs: ModelJob[] = [];
  /** What the model repeater has sent of `m` by now: every deadline first + k·period <= now. */
  const progressOf = (m: ModelJob): RepeatProgress => {
    const count = clock.now < m.job.first ? 0 : Math.floor((clock.now - m.job.first) / m.job.periodMs) + 1;
    let id = m.job.ipId;
    for (let i = 0; i < count; i++) id = nextIpId(id);
    return { sent: count, next: m.job.first + count * m.job.periodMs, ipId: id };
  };
  const quiet = (): void => undefined;
  const log = { info: quiet, warn: (m: string) => warnings.push(m), error: quiet, debug: quiet } as unknown as Logger;
  const ports: InstancePorts = {
    sendDatagram: (d: Buffer): Result<number, string> => {
      if (options.sendFails?.() === true) return err('send to 224.0.0.18: Network is down (ENETDOWN)');
      sent.push({ at: clock.now, id: d.readUInt16BE(4), priority: d[22] ?? -1 });
      return ok(d.length);
    },
    repeatAdvert: (job): RepeatHandle => {
      const m: ModelJob = { job, datagram: Buffer.from(job.datagram), stopped: false };
      jobs.push(m);
      let last: RepeatProgress | undefined;
      return {
        progress: () => (m.stopped ? (last as RepeatProgress) : progressOf(m)),
        stop: () => {
          if (!m.stopped) last = progressOf(m);
          m.stopped = true;
          return last as RepeatProgress;
        },
      };
    },
    addAddress: () => ok(undefined),
    delAddress: () => ok(undefined),
    sendFrames: (_ifname, frames) => (garps.push(clock.now), ok(frames.length)),
    now: () => clock.now,
    timers: scheduler,
    log,
  };
  /** The first job gives itself back, as the addon's does: the advert due at `progress.next` was not sent. */
  const giveBack = (progress: RepeatProgress): void => {
    const [m] = jobs;
    if (m === undefined) throw new Error('no job to give back');
    m.stopped = true;
    m.job.onGiveBack(progress);
  };
  return { clock, sent, warnings, garps, jobs, ports, advance, giveBack, running: () => jobs.filter((j) => !j.stopped) };
}

const MASTER_CONFIG = 'priority 150\nvirtual_ipaddress {\n192.0.2.200\n}';

/** A MASTER since 3415 (Master_Down_Interval at priority 150), adverts on the 4 ms grid from 4416. */
function master(l: ReturnType<typeof lab>, body = MASTER_CONFIG): Instance {
  const config = instanceConfig(body);
  const instance = new Instance(config, hostFor(config), l.ports, 0);
  l.clock.now = 1.3;
  instance.start();
  l.advance(5000);
  expect(instance.fsmState.role).toBe('MASTER');
  return instance;
}

describe('handing the steady advert over', () => {
  it('after the first periodic advert: the bytes just sent, the next deadline, advert_int, the IP id', () => {
    const l = lab();
    const instance = master(l);
    // The takeover's advert (id 1) and the first periodic one (id 2), then the repeater's.
    expect(l.sent.map((s) => s.id)).toEqual([1, 2]);
    expect(l.sent[1]?.at).toBeCloseTo(4416.05, 6);
    const [m] = l.jobs;
    expect(l.jobs).toHaveLength(1);
    expect(m?.job).toMatchObject({ dst: '224.0.0.18', first: 5416, periodMs: 1000, ipId: 2 });
    expect(m?.datagram.readUInt16BE(4)).toBe(2);
    expect(m?.datagram[22]).toBe(150);
    // No Adver_Timer of our own meanwhile: nothing is sent from JS up to 8000.
    l.advance(8000);
    expect(l.sent).toHaveLength(2);
    instance.dispose();
  });

  it('its adverts count in the stats and its next deadline is the status next timer', () => {
    const l = lab();
    const instance = master(l);
    l.advance(7500); // the repeater's 5416, 6416, 7416
    expect(instance.stats.advertSent).toBe(5);
    expect(instance.snapshot().nextTimerAt).toBe(8416);
    expect(instance.snapshot().stats.advertSent).toBe(5);
    instance.dispose();
    expect(l.running()).toHaveLength(0);
  });

  it('a step that changes neither state nor adverts leaves it running: the garp_master_delay round', () => {
    const l = lab();
    const instance = master(l);
    const takeoverGarps = l.garps.length;
    l.advance(9000); // garp_master_delay's timer at 8415.36: five more GARPs
    expect(l.garps.length).toBe(takeoverGarps + 5);
    expect(l.jobs).toHaveLength(1);
    expect(l.running()).toEqual(l.jobs);
    expect(l.sent).toHaveLength(2);
    expect(instance.stats.advertSent).toBe(2 + 4); // the repeater's 5416 .. 8416
    instance.dispose();
  });

  it('any other event takes it back first: the Adver_Timer resumes at the advert not sent, ids go on', () => {
    const l = lab();
    const instance = master(l);
    l.advance(7500);
    // A lower priority advert: the MASTER stays MASTER, answers it at once (keepalived's "forcing
    // new election") with the id after the repeater's last (2 + 3 = 5, so 6) and keeps its timer.
    instance.receive({ vrid: 51, priority: 100, src: ip('192.0.2.12') } as never);
    expect(l.running()).toHaveLength(0);
    expect(l.sent.at(-1)).toMatchObject({ id: 6, at: 7500 });
    expect(instance.stats.advertSent).toBe(6);
    l.advance(8417);
    // JS sends 8416 (the repeater's next deadline), then hands over again.
    expect(l.sent.at(-1)).toMatchObject({ id: 7 });
    expect(l.sent.at(-1)?.at).toBeCloseTo(8416.05, 6);
    expect(l.running()).toHaveLength(1);
    expect(l.running()[0]?.job).toMatchObject({ first: 9416, ipId: 7 });
    instance.dispose();
  });

  it('a higher priority advert: taken back, BACKUP, nothing more sent by either', () => {
    const l = lab();
    const instance = master(l);
    l.advance(6000);
    instance.receive({ vrid: 51, priority: 200, src: ip('192.0.2.12') } as never);
    expect(instance.fsmState.role).toBe('BACKUP');
    expect(l.running()).toHaveLength(0);
    const before = l.sent.length;
    l.advance(9000);
    expect(l.sent).toHaveLength(before);
    instance.dispose();
  });

  it('stopping takes it back and sends priority 0 from JS with the next id', async () => {
    const l = lab();
    const instance = master(l);
    l.advance(6500); // repeater: 5416, 6416 -> last id 4
    await instance.stop();
    expect(l.running()).toHaveLength(0);
    expect(l.sent.at(-1)).toMatchObject({ id: 5, priority: 0 });
    expect(instance.stats.advertSent).toBe(5);
    expect(instance.stats.priorityZeroSent).toBe(1);
  });

  it('a reload takes it back before the new configuration is encoded', async () => {
    const l = lab();
    const instance = master(l);
    l.advance(6500);
    const next = instanceConfig('priority 150\nvirtual_ipaddress {\n192.0.2.200\n192.0.2.201\n}');
    instance.reconfigure(next, hostFor(next), 0);
    // The old job is stopped at once; the new configuration's advert leaves from JS.
    expect(l.jobs[0]?.stopped).toBe(true);
    await instance.idle(); // the VIP change (a promise), then the re-announcement behind it
    expect(l.sent.at(-1)).toMatchObject({ at: 6500, id: 5 });
    l.advance(9000);
    const job = l.running()[0];
    expect(job?.datagram[23]).toBe(2); // two addresses in the advert it now repeats
    instance.dispose();
  });
});

describe('the repeater giving an advert back', () => {
  it('is sent from JS at once; a failure is reported as ever and nothing is handed over until one succeeds', () => {
    let failing = false;
    const l = lab({ sendFails: () => failing });
    const instance = master(l);
    l.advance(6500); // repeater sent 5416 and 6416
    failing = true;
    l.clock.now = 7416.2;
    // The model says 7416 was sent by now; a real give-back reports the advert it could not send.
    l.giveBack({ sent: 2, next: 7416, ipId: 4 });
    l.advance(7417);
    expect(l.warnings).toEqual(['(VI_1) cannot send advert on eth0: send to 224.0.0.18: Network is down (ENETDOWN)']);
    expect(l.running()).toHaveLength(0);
    l.advance(8417); // fails again at 8416: reported again, still not handed over
    expect(l.warnings).toHaveLength(2);
    expect(l.running()).toHaveLength(0);
    failing = false;
    l.advance(9417);
    // 9416 left from JS with the id after the repeater's last (4 -> 5; failed sends used 5 and 6), and handed over.
    expect(l.sent.at(-1)?.at).toBeCloseTo(9416.05, 6);
    expect(l.running()).toHaveLength(1);
    expect(l.running()[0]?.job.first).toBe(10416);
    expect(instance.stats.advertSent).toBe(2 + 2 + 1);
    instance.dispose();
  });

  it('held up a whole period: the model gives back, JS sends once and the period restarts from then', () => {
    const l = lab();
    const instance = master(l);
    l.clock.now = 7600; // the loop was stalled from before 5416 to 7600
    l.giveBack({ sent: 0, next: 5416, ipId: 2 });
    l.advance(7601);
    expect(l.sent.at(-1)).toMatchObject({ at: 7600, id: 3 });
    // fsm: a whole interval on from now (8600, on the grid), no burst for what was missed. That
    // answer is not "one interval after the deadline that fired": JS keeps the next one, and the
    // repeater takes over after it.
    expect(l.running()).toHaveLength(0);
    l.advance(8601);
    expect(l.sent.at(-1)).toMatchObject({ id: 4 });
    expect(l.sent.at(-1)?.at).toBeCloseTo(8600.05, 6);
    expect(l.running()[0]?.job).toMatchObject({ first: 9600, ipId: 4 });
    instance.dispose();
  });
});

describe('not handed over', () => {
  it('with two unicast peers (a copy may fail alone; only the JS path reports it per peer)', () => {
    const l = lab();
    const instance = master(l, 'priority 150\nunicast_src_ip 192.0.2.11\nunicast_peer {\n192.0.2.12\n192.0.2.13\n}\nvirtual_ipaddress {\n192.0.2.200\n}');
    l.advance(8000);
    expect(l.jobs).toHaveLength(0);
    expect(l.sent.length).toBeGreaterThan(4);
    instance.dispose();
  });

  it('with one unicast peer it is: the datagram to that peer', () => {
    const l = lab();
    const instance = master(l, 'priority 150\nunicast_src_ip 192.0.2.11\nunicast_peer {\n192.0.2.12\n}\nvirtual_ipaddress {\n192.0.2.200\n}');
    expect(l.jobs[0]?.job.dst).toBe('192.0.2.12');
    instance.dispose();
  });
});
