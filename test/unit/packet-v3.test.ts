// The VRRPv3 codec against keepalived 2.2.7's own v3 adverts (IPv4 and IPv6), byte for byte, and
// every receive check as its named drop.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { ownerConfig, v3Config } from '../../lab/capture-v3.js';
import type { Ipv4, Vrid } from '../../src/types.js';
import { internetChecksum, nextIpId } from '../../src/vrrp/packet.js';
import {
  checksumV3,
  decodeAdvertV3Ipv6,
  decodeDatagramV3Ipv4,
  encodeAdvertV3,
  encodeDatagramV3Ipv4,
  splitIpv6Packet,
  V3_DROP_REASONS,
  type Family,
  type V3Decoded,
  type V3DropReason,
  type V3Expectation,
} from '../../src/vrrp/packet-v3.js';
import {
  ipv6FromBytes,
  parseIpv6,
  VRRP_HOP_LIMIT,
  VRRP_MULTICAST_GROUP6,
  VRRP_TRAFFIC_CLASS,
  type Ipv6,
} from '../../src/vrrp/ipv6.js';
import {
  readV3Capture,
  readV3HexDump,
  V3_ADVERT_CAPTURES,
  V3_CAPTURE_INTERVAL_CS,
  V3_INTERVAL_40955,
  v3CapturePath,
  type V3Frame,
} from '../helpers/captures-v3.js';
import { prio, vrid } from '../helpers/values.js';

function v6(text: string): Ipv6 {
  const a = parseIpv6(text);
  if (a === undefined) throw new Error(`bad IPv6 ${text}`);
  return a;
}

// The captures' lab (lab/capture-v3.ts): node A's two instances.
const A4 = '192.0.2.11' as Ipv4;
const GROUP4 = '224.0.0.18' as Ipv4;
const VIP4 = '192.0.2.200' as Ipv4;
const A6 = v6('fe80::c0ff:fe00:20b');
const VIPS6 = [v6('fe80::200'), v6('2001:db8::200')];

const expect4: V3Expectation<'ipv4'> = { family: 'ipv4', vips: [VIP4], checkAddresses: true, multicast: true };
const expect6: V3Expectation<'ipv6'> = { family: 'ipv6', vips: VIPS6, checkAddresses: true, multicast: true };
const for4 = (e: V3Expectation<'ipv4'>) => (v: Vrid) => (v === 51 ? e : undefined);
const for6 = (e: V3Expectation<'ipv6'>) => (v: Vrid) => (v === 52 ? e : undefined);

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const isVrrp4 = (f: V3Frame): boolean => f.etherType === ETHERTYPE_IPV4 && f.ip[9] === 112;
const isVrrp6 = (f: V3Frame): boolean => f.etherType === ETHERTYPE_IPV6 && f.ip[6] === 112;

function decode4(datagram: Buffer, e: V3Expectation<'ipv4'> = expect4): V3Decoded<'ipv4'> {
  return decodeDatagramV3Ipv4(datagram, datagram.subarray(12, 16).join('.') as Ipv4, for4(e));
}
function decode6(packet: Buffer, e: V3Expectation<'ipv6'> = expect6): V3Decoded<'ipv6'> {
  const split = splitIpv6Packet(packet);
  if (split === undefined) throw new Error('not an IPv6 VRRP packet');
  return decodeAdvertV3Ipv6(split.payload, split.arrival, for6(e));
}

describe('keepalived 2.2.7 VRRPv3 captures', () => {
  for (const name of V3_ADVERT_CAPTURES) {
    const frames = readV3Capture(name);
    const intervalCs = V3_CAPTURE_INTERVAL_CS[name];

    it(`${name}: the .hex.txt dump is the .pcap's frames`, () => {
      expect(readV3HexDump(name)).toEqual(frames.map((f) => f.frame));
    });

    it(`${name}: every IPv4 advert decodes as tcpdump read it, and our encoder rebuilds it byte for byte`, () => {
      const adverts = frames.filter(isVrrp4);
      expect(adverts.length).toBeGreaterThanOrEqual(4);
      let id = 0;
      for (const f of adverts) {
        const d = decode4(f.ip);
        if (!d.ok) throw new Error(`frame ${f.number}: ${d.drop.reason}: ${d.drop.detail}`);
        const t = f.tcpdump;
        expect(t).toBeDefined();
        expect(d.advert).toMatchObject({ vrid: t?.vrid, priority: t?.priority, advertIntCs: t?.intervalCs, src: t?.src, dst: t?.dst, ttl: t?.ttl });
        expect(d.advert.addresses).toEqual(t?.addresses);
        expect(d.advert.advertIntCs).toBe(intervalCs);
        expect(d.advert.oldUnicastChecksum).toBe(false);
        // keepalived's IP id: one counter per instance, from 1.
        id = nextIpId(id);
        expect(f.ip.readUInt16BE(4)).toBe(id);
        const ours = encodeDatagramV3Ipv4({
          vrid: vrid(51),
          priority: prio(d.advert.priority === 0 ? 0 : 150),
          advertIntCs: intervalCs,
          addresses: [VIP4],
          src: A4,
          dst: GROUP4,
          id,
        });
        expect(ours.toString('hex')).toBe(f.ip.toString('hex'));
      }
      // The SIGTERM at the end: priority 0 (RFC 5798 §6.4.3), the checksum moved with it.
      expect(adverts.at(-1)?.tcpdump?.priority).toBe(0);
    });

    it(`${name}: every IPv6 advert decodes as tcpdump read it, and our message and checksum are the kernel's`, () => {
      const adverts = frames.filter(isVrrp6);
      expect(adverts.length).toBeGreaterThanOrEqual(4);
      for (const f of adverts) {
        // The header keepalived asks the kernel for: traffic class 0xc0, hop limit 255, from the
        // interface's link-local address to ff02::12, next header 112.
        const trafficClass = (f.ip.readUInt16BE(0) >> 4) & 0xff;
        expect(trafficClass).toBe(VRRP_TRAFFIC_CLASS);
        expect(f.ip[7]).toBe(VRRP_HOP_LIMIT);
        expect(ipv6FromBytes(f.ip, 8)).toBe(A6);
        expect(ipv6FromBytes(f.ip, 24)).toBe(VRRP_MULTICAST_GROUP6);
        const d = decode6(f.ip);
        if (!d.ok) throw new Error(`frame ${f.number}: ${d.drop.reason}: ${d.drop.detail}`);
        const t = f.tcpdump;
        expect(d.advert).toMatchObject({ vrid: t?.vrid, priority: t?.priority, advertIntCs: t?.intervalCs, src: t?.src, dst: t?.dst, ttl: t?.ttl });
        expect(d.advert.addresses).toEqual(t?.addresses);
        const ours = encodeAdvertV3({
          family: 'ipv6',
          vrid: vrid(52),
          priority: prio(d.advert.priority === 0 ? 0 : 150),
          advertIntCs: intervalCs,
          addresses: VIPS6,
          src: A6,
          dst: VRRP_MULTICAST_GROUP6,
        });
        expect(ours.toString('hex')).toBe(f.ip.subarray(40).toString('hex'));
      }
      expect(adverts.at(-1)?.tcpdump?.priority).toBe(0);
    });
  }

  it('the .conf beside each capture is what lab/capture-v3.ts gives keepalived', () => {
    expect(readFileSync(v3CapturePath('keepalived-v3-adverts-1s', '.conf'), 'utf8')).toBe(v3Config('1'));
    expect(readFileSync(v3CapturePath('keepalived-v3-adverts-100ms', '.conf'), 'utf8')).toBe(v3Config('0.1'));
    expect(readFileSync(v3CapturePath(V3_INTERVAL_40955, '.conf'), 'utf8')).toBe(ownerConfig('40.955'));
  });

  it('advert_int 40.955: keepalived rounds up to 4096 cs and sends Max Adver Int 0, which we drop by name', () => {
    expect(readV3HexDump(V3_INTERVAL_40955)).toEqual(readV3Capture(V3_INTERVAL_40955).map((f) => f.frame));
    const adverts = readV3Capture(V3_INTERVAL_40955).filter(isVrrp4);
    expect(adverts.length).toBeGreaterThanOrEqual(2);
    for (const f of adverts) {
      expect(f.tcpdump?.intervalCs).toBe(0);
      expect(f.ip.readUInt16BE(24)).toBe(0);
      // Otherwise a sound advert: the checksum verifies.
      expect(checksumV3('ipv4', A4, GROUP4, f.ip.subarray(20))).toBe(0);
      const d = decode4(f.ip);
      expect(!d.ok && d.drop.reason).toBe('badAdvertInterval');
    }
  });

  it('keepalived includes the IPv4 pseudo-header in the v3 checksum: without it the sum does not verify', () => {
    const f = readV3Capture('keepalived-v3-adverts-1s').find(isVrrp4);
    if (f === undefined) throw new Error('no IPv4 advert');
    const message = f.ip.subarray(20);
    expect(checksumV3('ipv4', A4, GROUP4, message)).toBe(0);
    expect(internetChecksum(message)).not.toBe(0);
    // The reserved bits are zero and the interval is in centiseconds: 0x0064 = 100 cs = 1 s.
    expect(message.readUInt16BE(4)).toBe(0x0064);
  });
});

// ---------------------------------------------------------------------------------------------
// Receive checks

const B4 = '192.0.2.12' as Ipv4;
const advert4 = (over: Partial<Parameters<typeof encodeDatagramV3Ipv4>[0]> = {}): Buffer =>
  encodeDatagramV3Ipv4({
    vrid: vrid(51),
    priority: prio(150),
    advertIntCs: 100,
    addresses: [VIP4],
    src: A4,
    dst: GROUP4,
    id: 1,
    ...over,
  });

/** An IPv6 packet around a v3 message, as a packet socket would see it. */
function packet6(message: Buffer, opts: { src?: Ipv6; dst?: Ipv6; hopLimit?: number } = {}): Buffer {
  const header = Buffer.alloc(40);
  header.writeUInt32BE((6 << 28) | (VRRP_TRAFFIC_CLASS << 20), 0);
  header.writeUInt16BE(message.length, 4);
  header[6] = 112;
  header[7] = opts.hopLimit ?? 255;
  Buffer.from(v6ToHex(opts.src ?? A6), 'hex').copy(header, 8);
  Buffer.from(v6ToHex(opts.dst ?? VRRP_MULTICAST_GROUP6), 'hex').copy(header, 24);
  return Buffer.concat([header, message]);
}
function v6ToHex(a: Ipv6): string {
  // Through the codec's own reader's inverse, spelled out: 8 groups, each 4 hex digits.
  const [head = '', tail = ''] = a.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = a.includes('::') ? [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.map((g) => g.padStart(4, '0')).join('');
}
const advert6 = (over: Partial<Parameters<typeof encodeAdvertV3<'ipv6'>>[0]> = {}): Buffer =>
  encodeAdvertV3<'ipv6'>({
    family: 'ipv6',
    vrid: vrid(52),
    priority: prio(150),
    advertIntCs: 10,
    addresses: VIPS6,
    src: A6,
    dst: VRRP_MULTICAST_GROUP6,
    ...over,
  });
/** Recompute an IPv4 v3 datagram's VRRP checksum after a mutation (so the check under test is reached). */
function resum4(d: Buffer, dst: Ipv4 = d.subarray(16, 20).join('.') as Ipv4): Buffer {
  d.writeUInt16BE(0, 26);
  d.writeUInt16BE(checksumV3('ipv4', d.subarray(12, 16).join('.') as Ipv4, dst, d.subarray(20)), 26);
  return d;
}
function resum6(m: Buffer, src: Ipv6 = A6, dst: Ipv6 = VRRP_MULTICAST_GROUP6): Buffer {
  m.writeUInt16BE(0, 6);
  m.writeUInt16BE(checksumV3('ipv6', src, dst, m), 6);
  return m;
}

interface DropCase {
  readonly name: string;
  readonly reason: V3DropReason;
  readonly detail: string | RegExp;
  readonly run: () => V3Decoded<Family>;
}

const unicast4: V3Expectation<'ipv4'> = {
  family: 'ipv4',
  vips: [VIP4],
  checkAddresses: true,
  multicast: false,
  localAddress: A4,
  peers: [{ address: B4, minTtl: 250, maxTtl: 255 }],
};
const fromB = (d: Buffer, e: V3Expectation<'ipv4'>): V3Decoded<'ipv4'> => decodeDatagramV3Ipv4(d, B4, for4(e));

const DROP_CASES: readonly DropCase[] = [
  { name: 'IPv4: 19 bytes', reason: 'tooShort', detail: 'IPv4 VRRP packet too short - 19 bytes', run: () => decode4(advert4().subarray(0, 19)) },
  { name: 'IPv4: header but no fixed part', reason: 'tooShort', detail: 'IPv4 VRRP packet too short - 27 bytes', run: () => decode4(advert4().subarray(0, 27)) },
  { name: 'IPv6: 7 bytes', reason: 'tooShort', detail: 'IPv6 VRRP packet too short - 7 bytes', run: () => decode6(packet6(advert6().subarray(0, 7))) },
  {
    name: 'IPv4: protocol 113',
    reason: 'notIpv4Vrrp',
    detail: 'not an IPv4 VRRP datagram: IP version 4, IHL 5, protocol 113',
    run: () => {
      const d = advert4();
      d[9] = 113;
      return decode4(d);
    },
  },
  { name: 'IPv4: VRID 52 unconfigured', reason: 'unknownVrid', detail: 'Unknown VRID(52) received from 192.0.2.11. ignoring...', run: () => decode4(advert4({ vrid: vrid(52) })) },
  { name: 'IPv6: VRID 51 unconfigured', reason: 'unknownVrid', detail: 'Unknown VRID(51) received from fe80::c0ff:fe00:20b. ignoring...', run: () => decode6(packet6(advert6({ vrid: vrid(51) }))) },
  {
    name: 'IPv4: a VRRPv2 advert (with its 8 auth bytes) on a v3 instance',
    reason: 'badVersion',
    detail: 'wrong version. Received 2 and expect 3',
    run: () => {
      const v3 = advert4();
      const v2 = Buffer.concat([v3, Buffer.alloc(8)]);
      v2.writeUInt16BE(v2.length, 2);
      v2[20] = 0x21;
      v2[24] = 0; // auth type NONE
      v2[25] = 1; // 1 s
      return decode4(v2);
    },
  },
  {
    name: 'IPv6: version 2',
    reason: 'badVersion',
    detail: 'wrong version. Received 2 and expect 3',
    run: () => {
      const m = advert6();
      m[0] = 0x21;
      return decode6(packet6(resum6(m)));
    },
  },
  {
    name: 'IPv4: one address too few on the wire',
    reason: 'badLength',
    detail: 'vrrp packet too short, length 32 and expect 36',
    run: () => {
      const d = advert4();
      d[23] = 2;
      return decode4(d);
    },
  },
  {
    name: 'IPv6: a truncated address list',
    reason: 'badLength',
    detail: 'vrrp packet too short, length 30 and expect 40',
    run: () => decode6(packet6(advert6().subarray(0, 30))),
  },
  { name: 'IPv4: TTL 254', reason: 'badTtl', detail: 'invalid TTL/HL. Received 254 and expect 255', run: () => decode4(advert4({ ttl: 254 })) },
  { name: 'IPv6: hop limit 64', reason: 'badTtl', detail: 'invalid TTL/HL. Received 64 and expect 255', run: () => decode6(packet6(advert6(), { hopLimit: 64 })) },
  {
    name: 'IPv4: type 2',
    reason: 'badType',
    detail: 'Invalid packet type. 2 and expect 1',
    run: () => {
      const d = advert4();
      d[20] = 0x32;
      return decode4(resum4(d));
    },
  },
  {
    name: 'IPv4: Max Adver Int 0 (reserved bits set)',
    reason: 'badAdvertInterval',
    detail: 'received an advert with Max Adver Int 0, expected 1..4095 centiseconds',
    run: () => {
      const d = advert4();
      d.writeUInt16BE(0xf000, 24);
      return decode4(resum4(d));
    },
  },
  {
    name: 'IPv6: two addresses for our one',
    reason: 'addressCountMismatch',
    detail: 'received an unexpected ip number count 2, expected 1!',
    run: () => decode6(packet6(advert6()), { ...expect6, vips: [v6('fe80::200')] }),
  },
  {
    name: 'IPv4: total length field 1 too big',
    reason: 'badTotalLength',
    detail: 'ip_tot_len mismatch against received length. 33 and received 32',
    run: () => {
      const d = advert4();
      d.writeUInt16BE(33, 2);
      return decode4(d);
    },
  },
  {
    name: 'IPv4: checksum computed the v2 way (no pseudo-header)',
    reason: 'badChecksum',
    detail: 'Invalid VRRPv3 checksum',
    run: () => {
      const d = advert4();
      d.writeUInt16BE(0, 26);
      d.writeUInt16BE(internetChecksum(d, 20), 26);
      return decode4(d);
    },
  },
  {
    name: 'IPv6: one bit flipped',
    reason: 'badChecksum',
    detail: 'Invalid VRRPv3 checksum',
    run: () => {
      const m = advert6();
      m[2] = (m[2] ?? 0) ^ 1;
      return decode6(packet6(m));
    },
  },
  {
    name: 'IPv4: unicast advert on a multicast instance',
    reason: 'badDestination',
    detail: 'Expected multicast packet but received unicast packet',
    run: () => decode4(advert4({ dst: B4 })),
  },
  {
    name: 'IPv4: multicast advert on a unicast instance',
    reason: 'badDestination',
    detail: 'Expected unicast packet but received multicast packet',
    run: () => fromB(advert4({ src: B4 }), unicast4),
  },
  {
    name: 'IPv6: another group',
    reason: 'badDestination',
    detail: 'received an advert for group ff02::13, expected ff02::12',
    run: () => decode6(packet6(advert6({ dst: v6('ff02::13') }), { dst: v6('ff02::13') })),
  },
  {
    name: 'IPv6: a global source address',
    reason: 'sourceNotLinkLocal',
    detail: 'received an advert from 2001:db8::11, which is not a link-local address',
    run: () => decode6(packet6(advert6({ src: v6('2001:db8::11') }), { src: v6('2001:db8::11') })),
  },
  {
    name: 'IPv6: our VIP not in the advert',
    reason: 'addressMissing',
    detail: 'ip address associated with VRID 52 not present in MASTER advert: 2001:db8::201',
    run: () => decode6(packet6(advert6()), { ...expect6, vips: [v6('fe80::200'), v6('2001:db8::201')] }),
  },
  {
    name: 'IPv4 unicast: not a peer',
    reason: 'notUnicastPeer',
    detail: 'unicast source address 192.0.2.12 not a unicast peer',
    run: () => fromB(advert4({ src: B4, dst: A4 }), { ...unicast4, peers: [{ address: '192.0.2.13' as Ipv4, minTtl: 0, maxTtl: 255 }] }),
  },
  {
    name: 'IPv4 unicast: TTL below the peer range',
    reason: 'ttlOutOfRange',
    detail: 'TTL/HL 64 not in range 250 - 255',
    run: () => fromB(advert4({ src: B4, dst: A4, ttl: 64 }), unicast4),
  },
];

describe('VRRPv3 receive checks: each failure a named drop with keepalived\'s words', () => {
  for (const c of DROP_CASES) {
    it(`${c.name} -> ${c.reason}`, () => {
      const d = c.run();
      if (d.ok) throw new Error('accepted');
      expect(d.drop.reason).toBe(c.reason);
      if (typeof c.detail === 'string') expect(d.drop.detail).toBe(c.detail);
      else expect(d.drop.detail).toMatch(c.detail);
    });
  }

  it('has a case for every drop reason', () => {
    expect(new Set(DROP_CASES.map((c) => c.reason))).toEqual(new Set(V3_DROP_REASONS));
  });

  it('does not drop an interval that differs from ours: the backup adopts it (RFC 5798 §6.4.2)', () => {
    const d = decode4(advert4({ advertIntCs: 4095 }));
    expect(d.ok && d.advert.advertIntCs).toBe(4095);
  });

  it('ignores the reserved bits above the 12-bit interval', () => {
    const d = advert4();
    d.writeUInt16BE(0xa064, 24);
    const decoded = decode4(resum4(d));
    expect(decoded.ok && decoded.advert.advertIntCs).toBe(100);
  });

  it('skips the address checks when told (vrrp_skip_check_adv_addr)', () => {
    const d = decode4(advert4({ addresses: ['192.0.2.201' as Ipv4, '192.0.2.202' as Ipv4] }), { ...expect4, checkAddresses: false });
    expect(d.ok).toBe(true);
  });

  it('skips the hop limit check when the kernel did not report one, as keepalived (-1)', () => {
    const m = advert6();
    const d = decodeAdvertV3Ipv6(m, { src: A6, dst: VRRP_MULTICAST_GROUP6, hopLimit: undefined }, for6(expect6));
    expect(d.ok && d.advert.ttl).toBe(undefined);
  });

  it('accepts a unicast IPv6 advert from a global address (keepalived allows a global unicast_src_ip)', () => {
    const src = v6('2001:db8::12');
    const dst = v6('2001:db8::11');
    const m = advert6({ src, dst });
    const d = decodeAdvertV3Ipv6(m, { src, dst, hopLimit: 255 }, for6({ ...expect6, multicast: false, localAddress: dst }));
    expect(d.ok).toBe(true);
  });
});

describe('the pre-1.3.6 unicast checksum (old_unicast_checksum)', () => {
  // A unicast advert whose pseudo-header names the group instead of us: keepalived before 1.3.6.
  const oldStyle = (): Buffer => resum4(advert4({ src: B4, dst: A4 }), GROUP4);
  const peerless: V3Expectation<'ipv4'> = { ...unicast4, peers: undefined };

  it('auto (the default): accepted, and flagged so the shell switches the instance to the old way', () => {
    const d = fromB(oldStyle(), peerless);
    expect(d.ok && d.advert.oldUnicastChecksum).toBe(true);
  });
  it('never: dropped as a bad checksum', () => {
    const d = fromB(oldStyle(), { ...peerless, oldUnicastChecksum: 'never' });
    expect(!d.ok && d.drop.reason).toBe('badChecksum');
  });
  it('old: accepted without a flag; the standard checksum then fails', () => {
    const d = fromB(oldStyle(), { ...peerless, oldUnicastChecksum: 'old' });
    expect(d.ok && d.advert.oldUnicastChecksum).toBe(false);
    const standard = fromB(advert4({ src: B4, dst: A4 }), { ...peerless, oldUnicastChecksum: 'old' });
    expect(!standard.ok && standard.drop.reason).toBe('badChecksum');
  });
  it('the encoder writes it with checksumDst', () => {
    expect(advert4({ src: B4, dst: A4, checksumDst: GROUP4 })).toEqual(oldStyle());
  });
  it('a multicast instance never falls back', () => {
    const d = decode4(resum4(advert4(), '224.0.0.19' as Ipv4));
    expect(!d.ok && d.drop.reason).toBe('badChecksum');
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const arbVrid = fc.integer({ min: 1, max: 255 }).map(vrid);
const arbPrio = fc.integer({ min: 0, max: 255 }).map(prio);
const arbCs = fc.integer({ min: 1, max: 4095 });
const arbV4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.') as Ipv4);
const arbV6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => ipv6FromBytes(b));
const arbLinkLocal = fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => ipv6FromBytes(Buffer.concat([Buffer.from([0xfe, 0x80, 0, 0, 0, 0, 0, 0]), b])));

describe('properties', () => {
  it('IPv4: decode(encode(a)) is a, multicast and unicast', () => {
    fc.assert(
      fc.property(arbVrid, arbPrio, arbCs, fc.uniqueArray(arbV4, { minLength: 1, maxLength: 20 }), arbV4, fc.boolean(), fc.nat(0xffff), (v, p, cs, vips, src, multicast, id) => {
        const dst = multicast ? GROUP4 : ('192.0.2.1' as Ipv4);
        const d = encodeDatagramV3Ipv4({ vrid: v, priority: p, advertIntCs: cs, addresses: vips, src, dst, id });
        const e: V3Expectation<'ipv4'> = { family: 'ipv4', vips, checkAddresses: true, multicast, ...(multicast ? {} : { localAddress: dst }) };
        const r = decodeDatagramV3Ipv4(d, src, (got) => (got === v ? e : undefined));
        if (!r.ok) throw new Error(`${r.drop.reason}: ${r.drop.detail}`);
        expect(r.advert).toEqual({ family: 'ipv4', vrid: v, priority: p, advertIntCs: cs, addresses: vips, src, dst, ttl: 255, oldUnicastChecksum: false });
      }),
    );
  });

  it('IPv6: decode(encode(a)) is a', () => {
    fc.assert(
      fc.property(arbVrid, arbPrio, arbCs, fc.uniqueArray(arbV6, { minLength: 1, maxLength: 20 }), arbLinkLocal, (v, p, cs, vips, src) => {
        const m = encodeAdvertV3({ family: 'ipv6', vrid: v, priority: p, advertIntCs: cs, addresses: vips, src, dst: VRRP_MULTICAST_GROUP6 });
        const e: V3Expectation<'ipv6'> = { family: 'ipv6', vips, checkAddresses: true, multicast: true };
        const r = decodeAdvertV3Ipv6(m, { src, dst: VRRP_MULTICAST_GROUP6, hopLimit: 255 }, (got) => (got === v ? e : undefined));
        if (!r.ok) throw new Error(`${r.drop.reason}: ${r.drop.detail}`);
        expect(r.advert).toEqual({ family: 'ipv6', vrid: v, priority: p, advertIntCs: cs, addresses: vips, src, dst: VRRP_MULTICAST_GROUP6, ttl: 255, oldUnicastChecksum: false });
      }),
    );
  });

  it('fuzz: any bytes decode to an advert or a listed drop, never a throw', () => {
    const reasons = new Set<string>(V3_DROP_REASONS);
    const any4 = (): V3Expectation<'ipv4'> => expect4;
    const any6 = (): V3Expectation<'ipv6'> => expect6;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.option(fc.nat(255), { nil: undefined }), (raw, hop) => {
        const bytes = Buffer.from(raw);
        for (const r of [
          decodeDatagramV3Ipv4(bytes, A4, any4),
          decodeAdvertV3Ipv6(bytes, { src: A6, dst: VRRP_MULTICAST_GROUP6, hopLimit: hop }, any6),
        ]) {
          if (!r.ok) expect(reasons.has(r.drop.reason)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('fuzz: single-byte corruptions of keepalived\'s IPv6 adverts never throw, and only the header\'s unchecked bytes pass', () => {
    const captured = V3_ADVERT_CAPTURES.flatMap((name) => readV3Capture(name).filter(isVrrp6)).map((f) => f.ip);
    fc.assert(
      fc.property(fc.constantFrom(...captured), fc.nat(93 - 14), fc.integer({ min: 1, max: 255 }), (packet, at, x) => {
        const d = Buffer.from(packet);
        d[at] = (d[at] ?? 0) ^ x;
        const split = splitIpv6Packet(d);
        if (split === undefined) return; // not IPv6 VRRP any more: the raw socket would not deliver it
        const r = decodeAdvertV3Ipv6(split.payload, split.arrival, for6(expect6));
        // Traffic class, flow label, and a payload length the kernel would have trimmed to.
        if (r.ok) expect([0, 1, 2, 3, 4, 5]).toContain(at);
      }),
      { numRuns: 3000 },
    );
  });

  it('fuzz: single-byte corruptions of a real advert never throw and are mostly dropped', () => {
    const base = advert4();
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const d = Buffer.from(base);
        d[at] = (d[at] ?? 0) ^ x;
        const r = decode4(d);
        // Only TOS, IP id, flags and fragment offset, and header checksum are outside every check
        // (keepalived's too: the kernel has dealt with them before a raw socket sees the datagram).
        if (r.ok) expect([1, 4, 5, 6, 7, 10, 11]).toContain(at);
      }),
    );
  });
});
