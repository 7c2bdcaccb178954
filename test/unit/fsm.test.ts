// The core's small pure helpers; step() itself is covered by test/conformance.
import { describe, expect, it } from 'vitest';
import { parseIpv4, toPriority, type Ipv4, type Priority } from '../../src/types.js';
import { adverDeadline, ADVER_GRID_MS, initialState, masterDownIntervalMs, mustCheckAddresses, skewTimeMs, step, type InstanceParams } from '../../src/vrrp/fsm.js';

const ip = (s: string): Ipv4 => parseIpv4(s) as Ipv4;
const prio = (n: number): Priority => toPriority(n) as Priority;

const params = (over: Partial<InstanceParams> = {}): InstanceParams => ({
  name: 'VI_1',
  basePriority: prio(100),
  advertIntMs: 1000,
  preempt: true,
  wantState: 'BACKUP',
  ownAddress: ip('192.0.2.12'),
  downTimerAdverts: 3,
  garpMasterDelayMs: 5000,
  garpMasterRepeat: 5,
  garpLowerPrioDelayMs: 5000,
  garpLowerPrioRepeat: 5,
  skipCheckAdvAddr: true,
  preemptDelayMs: 0,
  garpMasterRefreshMs: 0,
  garpMasterRefreshRepeat: 1,
  lowerPrioNoAdvert: false,
  higherPrioSendAdvert: false,
  faultNoPeer: false,
  inSyncGroup: false,
  notifyDeleted: false,
  vips: [],
  ...over,
});

describe('RFC 3768 §6.1 timers', () => {
  it('Skew_Time = (256 - Priority) / 256 s', () => {
    expect(skewTimeMs(prio(100))).toBe(609.375);
    expect(skewTimeMs(prio(150))).toBe(414.0625);
    expect(skewTimeMs(prio(254))).toBe(7.8125);
  });
  it('Master_Down_Interval = 3 × Advertisement_Interval + Skew_Time (keepalived-behaviour.md#timers examples)', () => {
    expect(masterDownIntervalMs(params(), prio(100))).toBe(3609.375);
    expect(masterDownIntervalMs(params(), prio(150))).toBe(3414.0625);
    expect(masterDownIntervalMs(params(), prio(254))).toBe(3007.8125);
    expect(masterDownIntervalMs(params({ advertIntMs: 2000, downTimerAdverts: 5 }), prio(100))).toBe(10609.375);
  });
});

describe('vrrp_skip_check_adv_addr (keepalived-behaviour.md#receive-checks)', () => {
  const backupFollowing = (p: InstanceParams) => {
    const started = step(initialState(p), { type: 'startup' }, 0).state;
    return step(started, { type: 'advert', priority: prio(150), from: ip('192.0.2.11') }, 500).state;
  };
  it('a BACKUP skips the address check only for the master it accepted', () => {
    const s = backupFollowing(params());
    expect(s.role).toBe('BACKUP');
    expect(mustCheckAddresses(s, ip('192.0.2.11'))).toBe(false);
    expect(mustCheckAddresses(s, ip('192.0.2.13'))).toBe(true);
  });
  it('without the option every advert is checked', () => {
    expect(mustCheckAddresses(backupFollowing(params({ skipCheckAdvAddr: false })), ip('192.0.2.11'))).toBe(true);
  });
  it('a MASTER always checks', () => {
    const master = step(initialState(params()), { type: 'startup' }, 0).state;
    const s = step(master, { type: 'timer', timer: 'masterDown' }, 3609.375).state;
    expect(s.role).toBe('MASTER');
    expect(mustCheckAddresses(s, ip('192.0.2.11'))).toBe(true);
  });
});

describe('RFC 3768 §6.4.3 Adver_Timer', () => {
  const master = () => {
    const started = step(initialState(params()), { type: 'startup' }, 0).state;
    return step(started, { type: 'timer', timer: 'masterDown' }, 3609.375).state;
  };
  it('the first deadline after becoming MASTER is on the ADVER_GRID_MS grid; an interval off the grid stays exact', () => {
    const armed = step(step(initialState(params()), { type: 'startup' }, 0).state, { type: 'timer', timer: 'masterDown' }, 3609.375).actions;
    expect(armed).toContainEqual({ type: 'armTimer', timer: 'adver', at: 4608 });
    expect(4608 % ADVER_GRID_MS).toBe(0);
    expect(adverDeadline(params(), 4610)).toBe(4612);
    expect(adverDeadline(params({ advertIntMs: 1001 }), 4609.375)).toBe(4609.375);
  });
  it('the next period counts from the deadline that fired, not from a late wakeup, and says it is the steady answer', () => {
    const s = master();
    const r = step(s, { type: 'timer', timer: 'adver', deadline: 4608 }, 4611);
    expect(r.actions).toEqual([
      { type: 'sendAdvert', priority: 100 },
      { type: 'armTimer', timer: 'adver', at: 5608 },
      { type: 'steadyAdvert', priority: 100, periodMs: 1000 },
    ]);
    // Nothing about the MASTER changes per advert: the same state object comes back.
    expect(r.state).toBe(s);
  });
  it('an unchanged MASTER gets the same answer at every firing (the advert repeater relies on it, net/repeater.ts)', () => {
    for (const over of [{}, { advertIntMs: 3000 }, { preempt: false }, { garpMasterRefreshMs: 60_000 }, { lowerPrioNoAdvert: true }]) {
      const started = step(initialState(params(over)), { type: 'startup' }, 0).state;
      const s = step(started, { type: 'timer', timer: 'masterDown' }, 3 * (over.advertIntMs ?? 1000) + 609.375).state;
      expect(s.role).toBe('MASTER');
      const interval = s.params.advertIntMs;
      for (let k = 0; k < 5; k++) {
        const deadline = 20_000 + k * interval;
        const r = step(s, { type: 'timer', timer: 'adver', deadline }, deadline + 0.3);
        expect(r.state).toBe(s);
        expect(r.actions).toEqual([
          { type: 'sendAdvert', priority: s.effectivePriority },
          { type: 'armTimer', timer: 'adver', at: deadline + interval },
          { type: 'steadyAdvert', priority: s.effectivePriority, periodMs: interval },
        ]);
      }
    }
  });
  it('after a stall longer than an interval it does not burst: one advert, a whole interval on, not steady', () => {
    const r = step(master(), { type: 'timer', timer: 'adver', deadline: 4608 }, 6001);
    expect(r.actions).toEqual([
      { type: 'sendAdvert', priority: 100 },
      { type: 'armTimer', timer: 'adver', at: 7000 },
    ]);
  });
});

describe("tracking's verdict said again", () => {
  it('changes nothing: the same state object and no action (a reload feeds every kept instance its outcome)', () => {
    const started = step(initialState(params()), { type: 'startup' }, 0).state;
    const master = step(started, { type: 'timer', timer: 'masterDown' }, 3609.375).state;
    // A MASTER told "tracking ok" again: the repeater keeps its advert (Instance.setState takes it
    // back on any new state object).
    const cleared = step(master, { type: 'faultCleared' }, 4000);
    expect(cleared.state).toBe(master);
    expect(cleared.actions).toEqual([]);
    const faulty = step(master, { type: 'fault' }, 4000).state;
    expect(faulty.role).toBe('FAULT');
    const again = step(faulty, { type: 'fault' }, 4500);
    expect(again.state).toBe(faulty);
    expect(again.actions).toEqual([]);
  });
});
