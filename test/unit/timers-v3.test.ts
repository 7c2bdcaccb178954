// VRRPv3 Skew_Time and Master_Down_Interval with keepalived's integer microseconds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { toPriority, type Priority } from '../../src/types.js';
import { skewTimeMs } from '../../src/vrrp/fsm.js';
import { masterDownIntervalMsV3, skewTimeMsV3 } from '../../src/vrrp/timers-v3.js';

const p = (n: number): Priority => {
  const v = toPriority(n);
  if (v === undefined) throw new Error(`bad priority ${n}`);
  return v;
};

describe('VRRPv3 timers', () => {
  it('advert_int 0.1, priority 150: 41.406 ms of skew (41 406.25 µs truncated), Master_Down 341.406 ms', () => {
    expect(skewTimeMsV3(p(150), 10)).toBe(41.406);
    expect(masterDownIntervalMsV3(3, 10, p(150))).toBe(341.406);
  });

  it('at 1 s they are keepalived\'s v2 figures (whole µs; fsm.ts keeps the fraction, under 1 µs more)', () => {
    expect(masterDownIntervalMsV3(3, 100, p(100))).toBe(3609.375);
    for (let prio = 0; prio <= 255; prio++) {
      expect(skewTimeMsV3(p(prio), 100)).toBe(Math.floor(((256 - prio) * 1e6) / 256) / 1000);
      expect(skewTimeMs(p(prio)) - skewTimeMsV3(p(prio), 100)).toBeLessThan(0.001);
    }
  });

  it('the truncation costs under a microsecond against the RFC formula', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 4095 }), (prio, cs) => {
        const exact = ((256 - prio) * cs * 10) / 256;
        const ours = skewTimeMsV3(p(prio), cs);
        expect(ours).toBeLessThanOrEqual(exact);
        expect(exact - ours).toBeLessThan(0.001);
      }),
    );
  });
});
