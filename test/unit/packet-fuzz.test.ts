// decodeDatagram must never throw: random and mutated byte strings all come back as an Advert or a
// Drop with a named reason. Seeded PRNG, so a failure reproduces.
import { describe, expect, it } from 'vitest';

import type { AuthConfig } from '../../src/config/config.js';
import type { Ipv4, Vrid } from '../../src/types.js';
import { decodeDatagram, DROP_REASONS, internetChecksum, type Decoded, type Expectation } from '../../src/vrrp/packet.js';
import { vrrpFrames } from '../helpers/captures.js';

/** mulberry32: small, fast, good enough to spread bytes around. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) >>> 0;
  };
}

const VIP = '192.0.2.200' as Ipv4;
const auths: AuthConfig[] = [{ type: 'NONE' }, { type: 'PASS', password: '1111' }, { type: 'PASS', password: '' }];
const expectations: Expectation[] = auths.flatMap((auth) =>
  [true, false].flatMap((checkAddresses) =>
    [true, false].map((multicast) => ({ advertIntSec: 1, auth, vips: [VIP], checkAddresses, multicast })),
  ),
);

const reasons = new Set<string>(DROP_REASONS);

function assertWellFormed(decoded: Decoded, bytes: Buffer): void {
  if (decoded.ok) {
    const a = decoded.advert;
    expect(a.vrid).toBeGreaterThanOrEqual(1);
    expect(a.vrid).toBeLessThanOrEqual(255);
    expect(a.priority).toBeGreaterThanOrEqual(0);
    expect(a.priority).toBeLessThanOrEqual(255);
    expect(a.addresses.length).toBe(bytes[((bytes[0] ?? 0) & 0x0f) * 4 + 3]);
    expect(internetChecksum(bytes, ((bytes[0] ?? 0) & 0x0f) * 4, bytes.length)).toBe(0);
  } else {
    expect(reasons.has(decoded.drop.reason), decoded.drop.reason).toBe(true);
    expect(typeof decoded.drop.detail).toBe('string');
    expect(decoded.drop.detail.length).toBeGreaterThan(0);
  }
}

const captured = vrrpFrames('keepalived-sigterm-full').map((f) => f.datagram);

describe('decodeDatagram never throws', () => {
  it('on random byte strings of every length up to 100', () => {
    const random = prng(1);
    for (let run = 0; run < 20_000; run++) {
      const bytes = Buffer.from(Array.from({ length: random(101) }, () => random(256)));
      // Bias towards headers that get past the first checks, or nothing interesting is reached.
      if (bytes.length > 20 && random(2) === 0) {
        bytes[0] = 0x40 | (5 + random(3));
        bytes[9] = 112;
      }
      const expectation = expectations[random(expectations.length)];
      const decoded = decodeDatagram(bytes, '192.0.2.11' as Ipv4, () => expectation);
      assertWellFormed(decoded, bytes);
    }
  });

  it('on captured adverts with bytes flipped, cut off or appended', () => {
    const random = prng(2);
    const seen = new Set<string>();
    for (let run = 0; run < 20_000; run++) {
      let bytes = Buffer.from(captured[random(captured.length)] ?? Buffer.alloc(0));
      const edits = 1 + random(3);
      for (let e = 0; e < edits; e++) {
        const kind = random(4);
        if (kind === 0 || kind === 1) bytes[random(bytes.length)] = random(256);
        else if (kind === 2) bytes = bytes.subarray(0, random(bytes.length + 1));
        else bytes = Buffer.concat([bytes, Buffer.from([random(256), random(256), random(256), random(256)])]);
      }
      const expectation = expectations[random(expectations.length)];
      const decoded = decodeDatagram(bytes, '192.0.2.12' as Ipv4, (vrid: Vrid) => (vrid === 51 ? expectation : undefined));
      assertWellFormed(decoded, bytes);
      seen.add(decoded.ok ? 'ok' : decoded.drop.reason);
    }
    // The mutations reach deep into the checks, not just the first one.
    expect(seen.size).toBeGreaterThanOrEqual(12);
  });

  it('any single-byte change to the VRRP message of a valid advert is caught (exhaustive)', () => {
    const [original] = captured;
    if (!original) throw new Error('no capture');
    const expectation = expectations.find((e) => e.auth.type === 'PASS' && e.auth.password === '1111' && e.multicast && e.checkAddresses);
    for (let offset = 20; offset < original.length; offset++) {
      for (let value = 0; value < 256; value++) {
        if (value === original[offset]) continue;
        const bytes = Buffer.from(original);
        bytes[offset] = value;
        const decoded = decodeDatagram(bytes, '192.0.2.11' as Ipv4, (vrid) => (vrid === 51 ? expectation : undefined));
        expect(decoded.ok, `offset ${offset} value ${value}`).toBe(false);
      }
    }
  });
});
