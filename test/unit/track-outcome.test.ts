// keepalived 2.2.8's tracking arithmetic (vrrp_track.c, keepalived_netlink.c, track_file.c):
// weight/reverse per object kind, FAULT, the 1..254 clamp and the owner's 255.
import { describe, expect, it } from 'vitest';
import { computeOutcome, contribution, effectivePriority, sameOutcome, type TrackedObjectState } from '../../src/track/outcome.js';
import { toPriority, type Priority } from '../../src/types.js';

const p = (n: number): Priority => toPriority(n) as Priority;
const script = (status: 'unknown' | 'up' | 'down', weight: number, reverse = false, name = 's'): TrackedObjectState => ({ kind: 'script', name, weight, reverse, status });
const iface = (status: 'unknown' | 'up' | 'down', weight: number, reverse = false, name = 'eth1'): TrackedObjectState => ({ kind: 'interface', name, weight, reverse, status });
const file = (value: number | undefined, weight: number, reverse = false, name = 'f'): TrackedObjectState => ({ kind: 'file', name, weight, reverse, value });

describe('scripts and interfaces: weight and reverse', () => {
  it.each([
    // [status, weight, reverse, delta]
    ['up', 10, false, 10],
    ['down', 10, false, 0],
    ['up', -10, false, 0],
    ['down', -10, false, -10],
    // reverse negates what is added, in the same state
    ['up', 10, true, -10],
    ['down', 10, true, 0],
    ['up', -10, true, 0],
    ['down', -10, true, 10],
  ] as const)('%s with weight %d reverse=%s adds %d', (status, weight, reverse, delta) => {
    for (const o of [script(status, weight, reverse), iface(status, weight, reverse)]) {
      expect(contribution(o)).toEqual({ delta, fault: undefined, pending: false });
    }
  });

  it('weight 0: down is FAULT; with reverse, up is FAULT', () => {
    expect(contribution(script('down', 0)).fault).toBe('script s failed');
    expect(contribution(script('up', 0)).fault).toBeUndefined();
    expect(contribution(script('up', 0, true)).fault).toBe('script s succeeded (tracked reverse)');
    expect(contribution(script('down', 0, true)).fault).toBeUndefined();
    expect(contribution(iface('down', 0)).fault).toBe('interface eth1 down');
    expect(contribution(iface('up', 0, true)).fault).toBe('interface eth1 up (tracked reverse)');
    expect(contribution(iface('down', 0, true)).fault).toBeUndefined();
  });

  it('a weighted FAULT never happens, however large the weight', () => {
    expect(contribution(script('down', -253)).fault).toBeUndefined();
    expect(contribution(iface('down', -253)).fault).toBeUndefined();
  });

  it('no result yet: a weight-0 script holds the instance, a weighted one adds nothing and does not (num_script_init)', () => {
    expect(contribution(script('unknown', 0))).toEqual({ delta: 0, fault: undefined, pending: true });
    expect(contribution(script('unknown', 0, true))).toEqual({ delta: 0, fault: undefined, pending: true });
    expect(contribution(script('unknown', 20))).toEqual({ delta: 0, fault: undefined, pending: false });
    expect(contribution(script('unknown', -20))).toEqual({ delta: 0, fault: undefined, pending: false });
  });

  it('a link not read yet holds the instance whatever its weight', () => {
    expect(contribution(iface('unknown', 0)).pending).toBe(true);
    expect(contribution(iface('unknown', 50)).pending).toBe(true);
  });
});

describe('track_file: value × weight', () => {
  it('weight 0: non-zero is FAULT; with reverse, zero is FAULT', () => {
    expect(contribution(file(0, 0)).fault).toBeUndefined();
    expect(contribution(file(1, 0)).fault).toBe('tracked file f has value 1');
    expect(contribution(file(-7, 0)).fault).toBe('tracked file f has value -7');
    expect(contribution(file(0, 0, true)).fault).toBe('tracked file f has value 0');
    expect(contribution(file(3, 0, true)).fault).toBeUndefined();
  });

  it.each([
    // [value, weight, reverse, delta, fault]
    [5, 1, false, 5, false],
    [5, 10, false, 50, false],
    [-5, 10, false, -50, false],
    [5, 10, true, -50, false],
    [-5, -10, false, 50, false],
    [0, 10, false, 0, false],
    [100, 3, false, 253, false], // capped at 253
    [-253, 1, false, -253, false],
    [-254, 1, false, 0, true], // -254 and below: FAULT, adds nothing
    [-100, 3, false, 0, true],
    [100, 3, true, 0, true],
    [2 ** 31, 254, false, 253, false],
    [-(2 ** 31), 254, false, 0, true],
  ] as const)('value %d weight %d reverse=%s adds %d (fault %s)', (value, weight, reverse, delta, fault) => {
    const c = contribution(file(value, weight, reverse));
    expect(c.delta).toBe(delta);
    expect(c.fault !== undefined).toBe(fault);
  });

  it('not read yet: pending', () => {
    expect(contribution(file(undefined, 1))).toEqual({ delta: 0, fault: undefined, pending: true });
  });
});

describe('effective priority', () => {
  it('is base + Σ, clamped to 1..254', () => {
    expect(effectivePriority(p(100), 50)).toBe(150);
    expect(effectivePriority(p(100), 200)).toBe(254);
    expect(effectivePriority(p(254), 0)).toBe(254);
    expect(effectivePriority(p(100), -99)).toBe(1);
    expect(effectivePriority(p(100), -500)).toBe(1);
  });

  it('the address owner stays at 255', () => {
    expect(effectivePriority(p(255), -60)).toBe(255);
    expect(computeOutcome(p(255), [script('down', -60), file(200, 1)]).priority).toBe(255);
  });

  it('the owner still goes to FAULT on a weight-0 object', () => {
    const o = computeOutcome(p(255), [iface('down', 0, false, 'eth0')]);
    expect(o).toEqual({ fault: true, faultReasons: ['interface eth0 down'], priority: 255, pending: false });
  });
});

describe('computeOutcome', () => {
  it('the keepalived lab case: fall 2 weight -60 takes 150 to 90', () => {
    expect(computeOutcome(p(150), [script('down', -60, false, 'chk_nginx')]).priority).toBe(90);
    expect(computeOutcome(p(150), [script('up', -60, false, 'chk_nginx')]).priority).toBe(150);
  });

  it('sums every kind and lists every FAULT in order', () => {
    const o = computeOutcome(p(100), [iface('up', 0, false, 'eth0'), script('up', 20), iface('down', -30, false, 'eth2'), file(4, 5), script('down', 0, false, 'chk'), file(1, 0, false, 'g')]);
    expect(o).toEqual({ fault: true, faultReasons: ['script chk failed', 'tracked file g has value 1'], priority: 110, pending: false });
  });

  it('pending and fault are independent', () => {
    const o = computeOutcome(p(100), [script('unknown', 0, false, 'a'), iface('down', 0, false, 'eth0')]);
    expect(o.pending).toBe(true);
    expect(o.fault).toBe(true);
  });

  it('no tracked objects: the base priority, no fault, nothing pending', () => {
    expect(computeOutcome(p(100), [])).toEqual({ fault: false, faultReasons: [], priority: 100, pending: false });
  });

  it('sameOutcome compares every field', () => {
    const a = computeOutcome(p(100), [script('down', 0, false, 'a')]);
    expect(sameOutcome(a, computeOutcome(p(100), [script('down', 0, false, 'a')]))).toBe(true);
    expect(sameOutcome(a, computeOutcome(p(100), [script('down', 0, false, 'b')]))).toBe(false);
    expect(sameOutcome(a, computeOutcome(p(101), [script('down', 0, false, 'a')]))).toBe(false);
    expect(sameOutcome(a, computeOutcome(p(100), [script('down', 0, false, 'a'), script('unknown', 0, false, 'c')]))).toBe(false);
  });
});
