// A peer's configuration mismatch and a foreign router on our VRID: classified from the real
// decoder's drops, reported once per peer and cause with both sides named, reminded at most every
// REMINDER_MS, over when the peer's adverts pass again, and the table bounded under spoofing.
import { describe, expect, it } from 'vitest';
import type { AuthConfig } from '../../src/config/config.js';
import { toPriority, toVrid, type Ipv4, type Millis, type Priority, type Vrid } from '../../src/types.js';
import { decodeDatagram, encodeDatagram, type Drop, type Expectation } from '../../src/vrrp/packet.js';
import { causeOf, MAX_PEER_REPORTS, peerView, PeerReports, REMINDER_MS, type OwnSide } from '../../src/vrrp/peers.js';

const VIP = '192.0.2.200' as Ipv4;
const US = '192.0.2.11' as Ipv4;
const PEER = '192.0.2.12' as Ipv4;
const PASS: AuthConfig = { type: 'PASS', password: '1111' };
const own: OwnSide = { vrid: 51, address: US, vips: [VIP], advertIntSec: 1, authType: 1 };
const expectation: Expectation = { advertIntSec: 1, auth: PASS, vips: [VIP], checkAddresses: true, multicast: true };

interface Sent {
  readonly from?: Ipv4;
  readonly addresses?: readonly Ipv4[];
  readonly advertIntSec?: number;
  readonly auth?: AuthConfig;
  readonly ttl?: number;
}

function datagram(s: Sent): Buffer {
  return encodeDatagram({
    vrid: toVrid(51) as Vrid,
    priority: toPriority(100) as Priority,
    advertIntSec: s.advertIntSec ?? 1,
    auth: s.auth ?? PASS,
    addresses: s.addresses ?? [VIP],
    src: s.from ?? PEER,
    dst: '224.0.0.18' as Ipv4,
    id: 1,
    ttl: s.ttl ?? 255,
  });
}

function dropOf(bytes: Buffer, from: Ipv4): Drop {
  const d = decodeDatagram(bytes, from, () => expectation);
  if (d.ok) throw new Error('expected a drop');
  return d.drop;
}

function classify(s: Sent): { cause: string | undefined; drop: Drop; bytes: Buffer } {
  const bytes = datagram(s);
  const from = s.from ?? PEER;
  const drop = dropOf(bytes, from);
  return { cause: causeOf(drop.reason, peerView(bytes, from), own), drop, bytes };
}

describe('peers: what a dropped advert says about its sender', () => {
  it('reads the sender, its VIPs, advert_int, auth type and TTL from the datagram', () => {
    const view = peerView(datagram({ addresses: [VIP, '192.0.2.201' as Ipv4], advertIntSec: 3, ttl: 64 }), PEER);
    expect(view).toMatchObject({ src: PEER, dst: '224.0.0.18', ttl: 64, priority: 100, advertIntSec: 3, authType: 1, addresses: [VIP, '192.0.2.201'] });
  });

  it('never throws on a truncated datagram', () => {
    const whole = datagram({});
    for (let n = 0; n <= whole.length; n++) expect(() => peerView(whole.subarray(0, n), PEER)).not.toThrow();
  });

  it('classifies configuration mismatches, a foreign cluster, and leaves damage alone', () => {
    expect(classify({ advertIntSec: 2 }).cause).toBe('advertInterval');
    expect(classify({ auth: { type: 'PASS', password: 'other' } }).cause).toBe('password');
    expect(classify({ auth: { type: 'NONE' } }).cause).toBe('authType');
    expect(classify({ addresses: [VIP, '192.0.2.201' as Ipv4] }).cause).toBe('vipList');
    expect(classify({ ttl: 64 }).cause).toBe('ttl');
    // Not one VIP in common: another cluster on our VRID, whatever else differs.
    expect(classify({ addresses: ['198.51.100.7' as Ipv4] }).cause).toBe('foreignRouter');
    expect(classify({ addresses: ['198.51.100.7' as Ipv4], auth: { type: 'PASS', password: 'theirs' } }).cause).toBe('foreignRouter');
    const damaged = datagram({});
    damaged.writeUInt16BE(damaged.readUInt16BE(20 + 6) ^ 0xffff, 20 + 6); // the VRRP checksum field
    const drop = dropOf(damaged, PEER);
    expect(drop.reason).toBe('badChecksum');
    expect(causeOf(drop.reason, peerView(damaged, PEER), own)).toBeUndefined();
  });
});

describe('peers: reported once per peer and cause, naming both sides', () => {
  it('logs the first drop with keepalived\'s words, both addresses and the fix; then stays quiet', () => {
    const reports = new PeerReports();
    const { drop, bytes } = classify({ advertIntSec: 2 });
    const view = peerView(bytes, PEER);
    const first = reports.dropped('advertInterval', view, own, drop.detail, 0 as Millis);
    expect(first).toContain(drop.detail);
    expect(first).toContain(PEER);
    expect(first).toContain(US);
    expect(first).toMatch(/advert_int 2, ours \(192\.0\.2\.11\) 1/);
    expect(first).toMatch(/both nodes may be MASTER/);
    for (let t = 1000; t < REMINDER_MS; t += 1000) expect(reports.dropped('advertInterval', view, own, drop.detail, t as Millis)).toBeUndefined();
    const reminder = reports.dropped('advertInterval', view, own, drop.detail, REMINDER_MS as Millis);
    expect(reminder).toMatch(/still so: 60 adverts ignored since the last report/);
    expect(reports.all()).toMatchObject([{ peer: PEER, cause: 'advertInterval', count: 61, active: true }]);
  });

  it('another cause or another peer is a report of its own', () => {
    const reports = new PeerReports();
    const other = '192.0.2.13' as Ipv4;
    const a = classify({ advertIntSec: 2 });
    const b = classify({ auth: { type: 'NONE' } });
    const c = classify({ advertIntSec: 2, from: other });
    expect(reports.dropped('advertInterval', peerView(a.bytes, PEER), own, a.drop.detail, 0 as Millis)).toBeDefined();
    expect(reports.dropped('authType', peerView(b.bytes, PEER), own, b.drop.detail, 1 as Millis)).toMatch(/the peer is strict \(vrrp_strict there ignores auth_type PASS\), we are not/);
    expect(reports.dropped('advertInterval', peerView(c.bytes, other), own, c.drop.detail, 2 as Millis)).toContain(other);
    expect(reports.all()).toHaveLength(3);
  });

  it('an auth type mismatch says which side is strict', () => {
    // We are strict (auth none, as vrrp_strict makes it); the peer is not and sends PASS.
    const strictOwn: OwnSide = { ...own, authType: 0, strict: true };
    const strictExpectation: Expectation = { ...expectation, auth: { type: 'NONE' } };
    const decoded = decodeDatagram(datagram({}), PEER, () => strictExpectation);
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.drop.detail).toBe('received a 1 auth, expecting 0!');
    const line = new PeerReports().dropped('authType', peerView(datagram({}), PEER), strictOwn, decoded.drop.detail, 0 as Millis);
    expect(line).toBe(
      `received a 1 auth, expecting 0! - peer ${PEER} uses auth type PASS, ours (${US}) none: we are strict ` +
        '(vrrp_strict/strict_mode here: auth_type PASS is ignored, only auth type none is accepted), the peer is not: ' +
        'its adverts are ignored, so both nodes may be MASTER; make vrrp_strict (and the authentication) the same on both nodes',
    );
  });

  it('is over once the peer\'s adverts pass, and reported afresh if it comes back', () => {
    const reports = new PeerReports();
    const { drop, bytes } = classify({ addresses: [VIP, '192.0.2.201' as Ipv4] });
    const view = peerView(bytes, PEER);
    expect(reports.dropped('vipList', view, own, drop.detail, 0 as Millis)).toBeDefined();
    expect(reports.accepted(PEER)).toEqual([`adverts from ${PEER} are accepted again (vipList mismatch over after 1 ignored)`]);
    expect(reports.accepted(PEER)).toEqual([]);
    expect(reports.all()[0]?.active).toBe(false);
    expect(reports.dropped('vipList', view, own, drop.detail, 5 as Millis)).toBeDefined();
  });

  it('keeps at most MAX_PEER_REPORTS entries when sources are spoofed', () => {
    const reports = new PeerReports();
    const { drop, bytes } = classify({ addresses: ['198.51.100.7' as Ipv4] });
    for (let i = 0; i < 3 * MAX_PEER_REPORTS; i++) {
      const src = `203.0.113.${i % 250}` as Ipv4;
      reports.dropped('foreignRouter', peerView(bytes, src), own, drop.detail, i as Millis);
    }
    expect(reports.all().length).toBeLessThanOrEqual(MAX_PEER_REPORTS);
  });
});
