// One test per DropReason, each built by mutating a real keepalived advert (keepalived-adverts-steady
// frame 1: 192.0.2.11 -> 224.0.0.18, vrid 51, prio 150, PASS 1111, VIP 192.0.2.200, IP id 0x000a).
import { describe, expect, it } from 'vitest';

import type { AuthConfig } from '../../src/config/config.js';
import { toPriority, toVrid, type Ipv4, type Priority, type Vrid } from '../../src/types.js';
import {
  decodeDatagram,
  DROP_REASONS,
  encodeDatagram,
  internetChecksum,
  type Decoded,
  type DropReason,
  type Expectation,
} from '../../src/vrrp/packet.js';
import { vrrpFrames } from '../helpers/captures.js';

const VIP = '192.0.2.200' as Ipv4;
const MASTER = '192.0.2.11' as Ipv4;
const PASS_1111: AuthConfig = { type: 'PASS', password: '1111' };
const VRID_51 = toVrid(51) as Vrid;
const PRIO_150 = toPriority(150) as Priority;
const pair: Expectation = { advertIntSec: 1, auth: PASS_1111, vips: [VIP], checkAddresses: true, multicast: true };

const captured = ((): Buffer => {
  const [frame] = vrrpFrames('keepalived-adverts-steady');
  if (!frame) throw new Error('no captured advert');
  return frame.datagram;
})();

/** A fresh copy of the captured advert with some bytes changed. */
function mutate(change: (d: Buffer) => void): Buffer {
  const copy = Buffer.from(captured);
  change(copy);
  return copy;
}

/** Recompute the VRRP checksum after a change, so that checks after the checksum are reached. */
function fixVrrpChecksum(d: Buffer): void {
  const ihl = ((d[0] ?? 0) & 0x0f) * 4;
  d.writeUInt16BE(0, ihl + 6);
  d.writeUInt16BE(internetChecksum(d, ihl, d.length), ihl + 6);
}

function decode(bytes: Buffer, expectation: Expectation = pair): Decoded {
  return decodeDatagram(bytes, MASTER, (vrid: Vrid) => (vrid === 51 ? expectation : undefined));
}

const BACKUP = '192.0.2.12' as Ipv4;
const STRANGER = '192.0.2.100' as Ipv4;
/** A unicast instance on 192.0.2.12 whose one peer, 192.0.2.11, sends with TTL 250..255 (check_unicast_src on). */
const unicastChecked: Expectation = {
  ...pair,
  multicast: false,
  localAddress: BACKUP,
  peers: [{ address: MASTER, minTtl: 250, maxTtl: 255 }],
};

function unicastAdvert(over: { src?: Ipv4; dst?: Ipv4; ttl?: number }): Buffer {
  return encodeDatagram({
    vrid: VRID_51,
    priority: PRIO_150,
    advertIntSec: 1,
    auth: PASS_1111,
    addresses: [VIP],
    src: over.src ?? MASTER,
    dst: over.dst ?? BACKUP,
    id: 1,
    ttl: over.ttl ?? 255,
  });
}

function decodeFrom(bytes: Buffer, from: Ipv4, expectation: Expectation): Decoded {
  return decodeDatagram(bytes, from, (vrid: Vrid) => (vrid === 51 ? expectation : undefined));
}

function expectDrop(decoded: Decoded, reason: DropReason, detail?: string): void {
  if (decoded.ok) throw new Error(`expected a drop (${reason}), got an advert`);
  expect(decoded.drop.reason).toBe(reason);
  if (detail !== undefined) expect(decoded.drop.detail).toBe(detail);
}

const tested = new Set<DropReason>();
function dropTest(reason: DropReason, name: string, body: () => void): void {
  tested.add(reason);
  it(`${reason}: ${name}`, body);
}

describe('the unmutated capture is accepted (the baseline every mutation departs from)', () => {
  it('decodes', () => {
    expect(decode(captured).ok).toBe(true);
  });
});

describe('one drop reason per check, keepalived 2.2.7 order', () => {
  dropTest('tooShort', 'less than an IPv4 header, or no room for the VRRP fixed part', () => {
    expectDrop(decode(captured.subarray(0, 19)), 'tooShort', 'IPv4 VRRP packet too short - 19 bytes');
    expectDrop(decode(captured.subarray(0, 27)), 'tooShort', 'IPv4 VRRP packet too short - 27 bytes');
    expectDrop(decode(Buffer.alloc(0)), 'tooShort');
    // IHL 15 (60-byte header) in a 40-byte datagram: the VRRP header is not there.
    expectDrop(decode(mutate((d) => (d[0] = 0x4f))), 'tooShort');
  });

  dropTest('notIpv4Vrrp', 'IPv6 version nibble, IHL below 5, another protocol', () => {
    expectDrop(
      decode(mutate((d) => (d[0] = 0x65))),
      'notIpv4Vrrp',
      'not an IPv4 VRRP datagram: IP version 6, IHL 5, protocol 112',
    );
    expectDrop(decode(mutate((d) => (d[0] = 0x44))), 'notIpv4Vrrp');
    expectDrop(decode(mutate((d) => (d[9] = 17))), 'notIpv4Vrrp');
  });

  dropTest('unknownVrid', 'a VRID we have no instance for, and VRID 0', () => {
    const other = decode(mutate((d) => (d[21] = 52)));
    expect(other).toEqual({
      ok: false,
      drop: { reason: 'unknownVrid', vrid: 52, detail: 'Unknown VRID(52) received from 192.0.2.11. ignoring...' },
    });
    const zero = decode(mutate((d) => (d[21] = 0)));
    expectDrop(zero, 'unknownVrid', 'Unknown VRID(0) received from 192.0.2.11. ignoring...');
    expect(!zero.ok && 'vrid' in zero.drop).toBe(false);
  });

  it('unknownVrid: the lookup gets the VRID and the sender (unicast instances sharing a VRID)', () => {
    const asked: [number, string][] = [];
    decodeDatagram(captured, '192.0.2.99' as Ipv4, (vrid, from) => {
      asked.push([vrid, from]);
      return undefined;
    });
    expect(asked).toEqual([[51, '192.0.2.99']]);
  });

  dropTest('badLength', 'datagram longer or shorter than its own address count says', () => {
    const longer = Buffer.concat([captured, Buffer.alloc(4)]);
    expectDrop(decode(longer), 'badLength', 'vrrp packet too long, length 44 and expect 40');
    // count 2 with one address present: 8 + 2*4 + 8 = 24 bytes of VRRP expected, 20 received.
    expectDrop(decode(mutate((d) => (d[23] = 2))), 'badLength', 'vrrp packet too short, length 40 and expect 44');
  });

  dropTest('badTtl', 'TTL 64 on a multicast instance; ignored for unicast', () => {
    const ttl64 = mutate((d) => (d[8] = 64));
    expectDrop(decode(ttl64), 'badTtl', 'invalid TTL/HL. Received 64 and expect 255');
    const unicastTtl64 = encodeDatagram({
      vrid: VRID_51,
      priority: PRIO_150,
      advertIntSec: 1,
      auth: PASS_1111,
      addresses: [VIP],
      src: MASTER,
      dst: '192.0.2.12' as Ipv4,
      id: 1,
      ttl: 64,
    });
    expect(decode(unicastTtl64, { ...pair, multicast: false }).ok).toBe(true);
  });

  dropTest('badVersion', 'a VRRPv3 advert (no auth field, so its length is right for v3)', () => {
    const v3 = mutate((d) => (d[20] = 0x31)).subarray(0, 32);
    v3.writeUInt16BE(32, 2);
    expectDrop(decode(v3), 'badVersion', 'wrong version. Received 3 and expect 2');
  });

  // keepalived sizes the message by its version first, so these were length errors there (and here).
  it.each([0, 1, 3, 4, 15])('badVersion: version %i is a version mismatch at a v2 length, a v3 length, or any other', (version) => {
    const v2Sized = mutate((d) => (d[20] = (version << 4) | 1));
    const v3Sized = v2Sized.subarray(0, 32);
    v3Sized.writeUInt16BE(32, 2);
    const odd = Buffer.concat([v2Sized, Buffer.alloc(5)]);
    for (const bytes of [v2Sized, v3Sized, odd, v2Sized.subarray(0, 28)]) {
      expectDrop(decode(bytes), 'badVersion', `wrong version. Received ${version} and expect 2`);
    }
  });

  dropTest('badAuthType', 'auth type 3', () => {
    expectDrop(decode(mutate((d) => (d[24] = 3))), 'badAuthType', 'Invalid auth type: 3');
  });

  dropTest('authTypeMismatch', 'no auth in the advert, PASS here; and the reverse', () => {
    expectDrop(decode(mutate((d) => (d[24] = 0))), 'authTypeMismatch', 'received a 0 auth, expecting 1!');
    expectDrop(decode(captured, { ...pair, auth: { type: 'NONE' } }), 'authTypeMismatch', 'received a 1 auth, expecting 0!');
    // AH (2) is a valid type, but never ours.
    expectDrop(decode(mutate((d) => (d[24] = 2))), 'authTypeMismatch', 'received a 2 auth, expecting 1!');
  });

  dropTest('badPassword', 'a different password, a prefix of it, a byte after the terminator', () => {
    expectDrop(decode(captured, { ...pair, auth: { type: 'PASS', password: '2222' } }), 'badPassword', 'received an invalid passwd!');
    expectDrop(decode(captured, { ...pair, auth: { type: 'PASS', password: '111' } }), 'badPassword');
    expectDrop(decode(captured, { ...pair, auth: { type: 'PASS', password: '11111' } }), 'badPassword');
    expectDrop(decode(mutate((d) => (d[39] = 0x31))), 'badPassword');
  });

  dropTest('advertIntervalMismatch', 'advert interval 2 against our 1', () => {
    expectDrop(
      decode(mutate((d) => (d[25] = 2))),
      'advertIntervalMismatch',
      "advertisement interval mismatch mine=1 sec rcv'd=2 sec",
    );
  });

  dropTest('badType', 'type 2', () => {
    expectDrop(decode(mutate((d) => (d[20] = 0x22))), 'badType', 'Invalid packet type. 2 and expect 1');
  });

  dropTest('addressCountMismatch', 'the peer advertises 2 VIPs, we have 1 (keepalived-behaviour.md#reload)', () => {
    const twoVips = encodeDatagram({
      vrid: VRID_51,
      priority: PRIO_150,
      advertIntSec: 1,
      auth: PASS_1111,
      addresses: [VIP, '192.0.2.201' as Ipv4],
      src: MASTER,
      dst: '224.0.0.18' as Ipv4,
      id: 1,
    });
    expectDrop(decode(twoVips), 'addressCountMismatch', 'received an unexpected ip number count 2, expected 1!');
    // vrrp_skip_check_adv_addr: not checked, accepted.
    expect(decode(twoVips, { ...pair, checkAddresses: false }).ok).toBe(true);
  });

  dropTest('badTotalLength', 'ip.tot_len says 41, 40 received', () => {
    expectDrop(
      decode(mutate((d) => d.writeUInt16BE(41, 2))),
      'badTotalLength',
      'ip_tot_len mismatch against received length. 41 and received 40',
    );
  });

  dropTest('badChecksum', 'priority changed without fixing the checksum; checksum field flipped', () => {
    expectDrop(decode(mutate((d) => (d[22] = 151))), 'badChecksum', 'Invalid VRRPv2 checksum');
    expectDrop(decode(mutate((d) => (d[26] = (d[26] ?? 0) ^ 0x01))), 'badChecksum');
    // The same priority change with the checksum fixed is a valid advert.
    const fixed = decode(mutate((d) => ((d[22] = 151), fixVrrpChecksum(d))));
    expect(fixed.ok && fixed.advert.priority).toBe(151);
  });

  dropTest('badDestination', 'unicast to a multicast instance, another group, multicast to a unicast instance', () => {
    // The VRRPv2 checksum does not cover the IP header, so these need no checksum fix.
    expectDrop(
      decode(mutate((d) => d.writeUInt32BE(0xc000020c, 16))),
      'badDestination',
      'Expected multicast packet but received unicast packet',
    );
    expectDrop(
      decode(mutate((d) => (d[19] = 19))),
      'badDestination',
      'received an advert for group 224.0.0.19, expected 224.0.0.18',
    );
    expectDrop(
      decode(captured, { ...pair, multicast: false }),
      'badDestination',
      'Expected unicast packet but received multicast packet',
    );
    // mcast_dst_ip: the instance's own group, not 224.0.0.18.
    const group19 = { ...pair, group: '224.0.0.19' as Ipv4 };
    expectDrop(decode(captured, group19), 'badDestination', 'received an advert for group 224.0.0.18, expected 224.0.0.19');
    expect(decode(mutate((d) => (d[19] = 19)), group19).ok).toBe(true);
    // A unicast advert to another of our addresses: keepalived's bound socket would never see it.
    expectDrop(
      decodeFrom(unicastAdvert({ dst: '192.0.2.13' as Ipv4 }), MASTER, unicastChecked),
      'badDestination',
      'received a unicast advert for 192.0.2.13, expected 192.0.2.12',
    );
  });

  dropTest('addressMissing', 'the advert names 192.0.2.201 instead of our 192.0.2.200', () => {
    const otherVip = mutate((d) => ((d[31] = 201), fixVrrpChecksum(d)));
    expectDrop(
      decode(otherVip),
      'addressMissing',
      // keepalived names our VIP that is missing, not the stranger it found.
      'ip address associated with VRID 51 not present in MASTER advert: 192.0.2.200',
    );
    expect(decode(otherVip, { ...pair, checkAddresses: false }).ok).toBe(true);
  });

  dropTest('notUnicastPeer', 'check_unicast_src: an advert from a host that is not a unicast_peer', () => {
    const fromStranger = unicastAdvert({ src: STRANGER });
    expectDrop(decodeFrom(fromStranger, STRANGER, unicastChecked), 'notUnicastPeer', 'unicast source address 192.0.2.100 not a unicast peer');
    // Without check_unicast_src any source is accepted (keepalived's default).
    expect(decodeFrom(fromStranger, STRANGER, { ...unicastChecked, peers: undefined }).ok).toBe(true);
    expect(decodeFrom(unicastAdvert({}), MASTER, unicastChecked).ok).toBe(true);
  });

  dropTest('ttlOutOfRange', "a peer's advert with a TTL outside its min_ttl..max_ttl", () => {
    expectDrop(decodeFrom(unicastAdvert({ ttl: 64 }), MASTER, unicastChecked), 'ttlOutOfRange', 'TTL/HL 64 not in range 250 - 255');
    expect(decodeFrom(unicastAdvert({ ttl: 250 }), MASTER, unicastChecked).ok).toBe(true);
    const window = { ...unicastChecked, peers: [{ address: MASTER, minTtl: 10, maxTtl: 20 }] };
    expectDrop(decodeFrom(unicastAdvert({ ttl: 21 }), MASTER, window), 'ttlOutOfRange', 'TTL/HL 21 not in range 10 - 20');
    expect(decodeFrom(unicastAdvert({ ttl: 10 }), MASTER, window).ok).toBe(true);
  });

  it('every reason in DROP_REASONS has a test above', () => {
    expect([...tested].sort()).toEqual([...DROP_REASONS].sort());
  });
});

describe('when several checks fail, the first in keepalived order wins', () => {
  it('TTL before password', () => {
    expectDrop(decode(mutate((d) => ((d[8] = 1), (d[39] = 1)))), 'badTtl');
  });
  it('advert interval before checksum (keepalived drops a mismatched interval even if corrupt)', () => {
    expectDrop(decode(mutate((d) => (d[25] = 3))), 'advertIntervalMismatch');
  });
  it('address count before total length before checksum', () => {
    const twoVips = encodeDatagram({
      vrid: VRID_51,
      priority: PRIO_150,
      advertIntSec: 1,
      auth: PASS_1111,
      addresses: [VIP, '192.0.2.201' as Ipv4],
      src: MASTER,
      dst: '224.0.0.18' as Ipv4,
      id: 1,
    });
    twoVips.writeUInt16BE(99, 2); // wrong total length
    twoVips[22] = 1; // priority changed under the checksum
    expectDrop(decode(twoVips), 'addressCountMismatch');
    expectDrop(decode(twoVips, { ...pair, checkAddresses: false }), 'badTotalLength');
    twoVips.writeUInt16BE(twoVips.length, 2);
    expectDrop(decode(twoVips, { ...pair, checkAddresses: false }), 'badChecksum');
  });
  it('version before length and TTL', () => {
    expectDrop(decode(mutate((d) => ((d[20] = 0x31), (d[8] = 64)))), 'badVersion');
    expectDrop(decode(Buffer.concat([mutate((d) => (d[20] = 0x11)), Buffer.alloc(4)])), 'badVersion');
  });
  it('version before auth type', () => {
    const v3 = mutate((d) => ((d[20] = 0x31), (d[24] = 9))).subarray(0, 32);
    expectDrop(decode(v3), 'badVersion');
  });
});

describe('drops carry the VRID once it is known', () => {
  it('has no vrid before the lookup, and the advert vrid after', () => {
    const early = decode(captured.subarray(0, 10));
    expect(!early.ok && early.drop.vrid).toBe(undefined);
    const late = decode(mutate((d) => (d[22] = 151)));
    expect(!late.ok && late.drop.vrid).toBe(51);
  });
});
