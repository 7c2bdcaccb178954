// vrrp_garp_interval's pacer on a hand-moved clock: keepalived's per-interface GARP spacing
// (vrrp_arp.c send_gratuitous_arp / queue_garp, vrrp_arp_thread), and what keepalived's
// vrrp_remove_delayed_arp does when an instance leaves MASTER: its queued GARPs are dropped.
import { describe, expect, it } from 'vitest';
import { createGarpPacer, type GarpOwner, type GarpTarget } from '../../src/instance/garp-pacer.js';
import { virtualTimers } from '../../src/timers/virtual-timers.js';
import { err, ok, type Result } from '../../src/types.js';

const target = (ifname: string, address: string): GarpTarget => ({ ifname, address, frame: Buffer.from(address) });
const V1 = target('eth0', '192.0.2.200');
const V2 = target('eth0', '192.0.2.201');
const W1 = target('eth1', '198.51.100.200');

function lab(fail: (ifname: string) => string | undefined = () => undefined) {
  const t = virtualTimers();
  const wire: string[] = [];
  const send = (ifname: string, frames: Buffer[]): Result<number, string> => {
    const why = fail(ifname);
    if (why !== undefined) return err(why);
    for (const f of frames) wire.push(`${t.clock.now} ${ifname} ${f.toString()}`);
    return ok(frames.length);
  };
  const pacer = createGarpPacer(send, t.scheduler);
  const owner = (name: string): GarpOwner & { said: string[] } => {
    const said: string[] = [];
    return { said, garpSent: (g) => void said.push(`sent ${g.address}`), garpFailed: (g, e) => void said.push(`failed ${g.ifname}: ${e}`) };
  };
  return { t, wire, pacer, owner };
}

describe('GARP pacer: back to back without an interval', () => {
  it('sends every round at once, VIP after VIP, and queues nothing', () => {
    const { wire, pacer, owner, t } = lab();
    const a = owner('a');
    pacer.burst(a, [V1, V2], 3, 0);
    expect(wire).toEqual(['0 eth0 192.0.2.200', '0 eth0 192.0.2.201', '0 eth0 192.0.2.200', '0 eth0 192.0.2.201', '0 eth0 192.0.2.200', '0 eth0 192.0.2.201']);
    expect(a.said).toHaveLength(6);
    expect(pacer.queued()).toBe(0);
    expect(t.scheduler.pending).toBe(0);
  });
});

describe('GARP pacer: vrrp_garp_interval is the least gap between two GARPs on an interface', () => {
  it('one VIP: the first now, the other rep - 1 one interval apart', () => {
    const { wire, pacer, owner, t } = lab();
    pacer.burst(owner('a'), [V1], 5, 5000);
    expect(wire).toEqual(['0 eth0 192.0.2.200']);
    expect(pacer.queued()).toBe(4);
    t.advance(60_000, 0);
    expect(wire.map((w) => Number(w.split(' ')[0]))).toEqual([0, 5000, 10_000, 15_000, 20_000]);
    expect(t.scheduler.pending).toBe(0);
  });

  it('two VIPs on one interface share the gap, round robin (keepalived: 2 x 5 GARPs over 45 s)', () => {
    const { wire, pacer, owner, t } = lab();
    pacer.burst(owner('a'), [V1, V2], 5, 5000);
    t.advance(60_000, 0);
    expect(wire).toHaveLength(10);
    const times = wire.map((w) => Number(w.split(' ')[0]));
    expect(times).toEqual([0, 5000, 10_000, 15_000, 20_000, 25_000, 30_000, 35_000, 40_000, 45_000]);
    expect(wire.filter((w) => w.endsWith('192.0.2.200'))).toHaveLength(5);
    expect(wire.slice(0, 3).map((w) => w.split(' ')[2])).toEqual(['192.0.2.200', '192.0.2.201', '192.0.2.200']);
  });

  it('each interface has its own gap', () => {
    const { wire, pacer, owner, t } = lab();
    pacer.burst(owner('a'), [V1, W1], 2, 1000);
    expect(wire).toEqual(['0 eth0 192.0.2.200', '0 eth1 198.51.100.200']);
    t.advance(5000, 0);
    expect(wire.slice(2)).toEqual(['1000 eth0 192.0.2.200', '1000 eth1 198.51.100.200']);
  });

  it("another instance's GARP on the same interface waits its turn too", () => {
    const { wire, pacer, owner, t } = lab();
    pacer.burst(owner('a'), [V1], 2, 1000);
    t.advance(300, 0);
    pacer.burst(owner('b'), [V2], 1, 1000);
    expect(wire).toEqual(['0 eth0 192.0.2.200']);
    t.advance(5000, 0);
    expect(wire).toEqual(['0 eth0 192.0.2.200', '1000 eth0 192.0.2.200', '2000 eth0 192.0.2.201']);
  });

  it('a second burst for a VIP still queued does not queue it twice: its count grows up to rep', () => {
    const { wire, pacer, owner, t } = lab();
    const a = owner('a');
    pacer.burst(a, [V1], 5, 5000);
    t.advance(5000, 0); // garp_master_delay's burst comes as the second GARP goes
    expect(pacer.queued(a)).toBe(3);
    pacer.burst(a, [V1], 5, 5000);
    expect(pacer.queued(a)).toBe(5);
    t.advance(100_000, 0);
    expect(wire.map((w) => Number(w.split(' ')[0]))).toEqual([0, 5000, 10_000, 15_000, 20_000, 25_000, 30_000]);
  });
});

describe('GARP pacer: cancelled GARPs never go', () => {
  it("cancel drops the owner's queued GARPs at once and leaves the others'", () => {
    const { wire, pacer, owner, t } = lab();
    const a = owner('a');
    const b = owner('b');
    pacer.burst(a, [V1], 5, 5000);
    pacer.burst(b, [V2], 2, 5000);
    expect(pacer.queued()).toBe(6);
    pacer.cancel(a);
    expect(pacer.queued(a)).toBe(0);
    expect(pacer.queued(b)).toBe(2);
    t.advance(100_000, 0);
    expect(wire).toEqual(['0 eth0 192.0.2.200', '5000 eth0 192.0.2.201', '10000 eth0 192.0.2.201']);
    expect(t.scheduler.pending).toBe(0);
  });

  it('the last owner cancelled takes the timer off the heap', () => {
    const { pacer, owner, t } = lab();
    const a = owner('a');
    pacer.burst(a, [V1, W1], 5, 256_000);
    expect(t.scheduler.pending).toBe(2);
    pacer.cancel(a);
    expect(t.scheduler.pending).toBe(0);
  });

  it("a failed send is reported once and drops the owner's queue on that interface only", () => {
    let down = false;
    const { wire, pacer, owner, t } = lab((ifname) => (down && ifname === 'eth0' ? 'ENETDOWN' : undefined));
    const a = owner('a');
    pacer.burst(a, [V1, W1], 3, 1000);
    down = true;
    t.advance(10_000, 0);
    expect(a.said.filter((s) => s.startsWith('failed'))).toEqual(['failed eth0: ENETDOWN']);
    expect(wire.filter((w) => w.includes('eth1'))).toHaveLength(3);
    expect(pacer.queued()).toBe(0);
  });

  it('a burst that fails at once sends nothing more on that interface', () => {
    const { wire, pacer, owner } = lab((ifname) => (ifname === 'eth0' ? 'ENETDOWN' : undefined));
    const a = owner('a');
    pacer.burst(a, [V1, V2, W1], 5, 0);
    expect(a.said.filter((s) => s.startsWith('failed'))).toEqual(['failed eth0: ENETDOWN']);
    expect(wire).toHaveLength(5);
  });
});
