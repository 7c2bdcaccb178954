// VRRPv3 advertisement codec (RFC 5798 §5) for IPv4 and IPv6, with keepalived 2.2.7's checksum and
// receive checks (docs/reference/keepalived-behaviour.md#vrrpv3-and-ipv6).
//
// Pure: bytes in, values out. The shell owns I/O and decides what to do with a Drop (count it, log
// its detail behind `(VI_1) `, rate-limit it), as with the VRRPv2 codec in packet.ts.
//
// Wire layout (RFC 5798 §5.1):
//
//    0                   1                   2                   3
//   |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
//   |(rsvd) |     Max Adver Int     |          Checksum             |
//   |                       IPvX Address(es)                        |
//
// No authentication data. An IPv4 advert goes out behind a 20-byte header we build (IP_HDRINCL, as
// for v2); an IPv6 one behind the kernel's header (raw IPv6 socket, hop limit 255, source the
// interface's link-local address), so the IPv6 side here is the VRRP message and the checksum.
import { destinationRefusal, encodeIpv4Header, internetChecksum, missingAddress, unicastPeerRefusal } from './packet.js';
import { IPPROTO_VRRP, VRRP_MULTICAST_GROUP, VRRP_TTL } from './ip-fields.js';
import {
  IPV6_HEADER_LENGTH,
  VRRP_HOP_LIMIT,
  VRRP_MULTICAST_GROUP6,
  ipv6FromBytes,
  ipv6ToBytes,
  isLinkLocalIpv6,
  isMulticastIpv6,
  type Ipv6,
} from './ipv6.js';
import { ipv4FromBytes, ipv4ToBytes, toVrid, type Ipv4, type Priority, type Vrid } from '../types.js';

export const VRRP_VERSION_3 = 3;
const VRRP_TYPE_ADVERTISEMENT = 1;
const IPV4_HEADER_LENGTH = 20;
/** Version/type, VRID, priority, count, rsvd + Max Adver Int, checksum. */
export const VRRP_V3_FIXED_LENGTH = 8;
/** Max Adver Int is the low 12 bits of bytes 4-5; the top 4 are reserved (zero out, ignored in). */
const ADVER_INT_MASK = 0x0fff;
/** The largest interval the field carries: 4095 centiseconds, 40.95 s. */
export const MAX_ADVER_INT_CS = ADVER_INT_MASK;

/** Address families a v3 instance runs on; an instance's VIPs are all of one family (keepalived). */
export type Family = 'ipv4' | 'ipv6';
/** The address type of a family. */
export type AddressOf<F extends Family> = F extends 'ipv4' ? Ipv4 : Ipv6;

// ---------------------------------------------------------------------------------------------
// Checksum

/**
 * The pseudo-header the VRRPv3 checksum covers (RFC 5798 §5.2.8, "as defined in Section 8.1 of
 * RFC 2460"). keepalived includes one for IPv4 too (`vrrp_build_vrrp_v3`, `vrrp_check_packet`):
 * source, destination, a zero byte, protocol 112 and the VRRP message's length as 16 bits. For IPv6
 * the kernel computes it (IPV6_CHECKSUM at offset 6): source, destination, the length as 32 bits,
 * three zero bytes and next header 112.
 */
export function pseudoHeader(family: Family, src: Ipv4 | Ipv6, dst: Ipv4 | Ipv6, vrrpLength: number): Buffer {
  if (family === 'ipv4') {
    const p = Buffer.alloc(12);
    ipv4ToBytes(src as Ipv4).copy(p, 0);
    ipv4ToBytes(dst as Ipv4).copy(p, 4);
    p[9] = IPPROTO_VRRP;
    p.writeUInt16BE(vrrpLength, 10);
    return p;
  }
  const p = Buffer.alloc(40);
  ipv6ToBytes(src as Ipv6).copy(p, 0);
  ipv6ToBytes(dst as Ipv6).copy(p, 16);
  p.writeUInt32BE(vrrpLength, 32);
  p[39] = IPPROTO_VRRP;
  return p;
}

/**
 * The VRRPv3 checksum of `message` (its checksum field as it stands: zero to compute one, the
 * received value to verify, which then yields 0), over the pseudo-header and the message.
 */
export function checksumV3(family: Family, src: Ipv4 | Ipv6, dst: Ipv4 | Ipv6, message: Uint8Array): number {
  const pseudo = pseudoHeader(family, src, dst, message.length);
  // Both parts have even length (12 or 40; 8 + 4n or 8 + 16n), so summing their concatenation
  // is summing the two.
  return internetChecksum(Buffer.concat([pseudo, message]));
}

// ---------------------------------------------------------------------------------------------
// Encoding

export interface V3AdvertToSend<F extends Family = Family> {
  readonly family: F;
  readonly vrid: Vrid;
  /** The effective priority, or 0 when the master is leaving (RFC 5798 §6.4.3). */
  readonly priority: Priority;
  /** Max Adver Int in centiseconds, 1..4095 (the config's advert_int, rounded as keepalived does). */
  readonly advertIntCs: number;
  readonly addresses: readonly AddressOf<F>[];
  /** The advert's IP source: the checksum covers it. */
  readonly src: AddressOf<F>;
  /** The advert's IP destination (the group, or one unicast peer). */
  readonly dst: AddressOf<F>;
  /**
   * IPv4 unicast with keepalived's `old_unicast_checksum` (or its auto-detection): the checksum's
   * pseudo-header names this group instead of `dst`, as keepalived before 1.3.6 computed it.
   */
  readonly checksumDst?: AddressOf<F>;
}

/**
 * The VRRPv3 message: 8 bytes, then the addresses; Max Adver Int in the low 12 bits with the
 * reserved bits zero; the checksum over the pseudo-header (keepalived's IPv4 rule, RFC 2460's for
 * IPv6) and the message.
 *
 * Throws RangeError for values a validated Config can't produce (a bug, not an input error).
 */
export function encodeAdvertV3<F extends Family>(a: V3AdvertToSend<F>): Buffer {
  if (a.addresses.length > 255) throw new RangeError(`${a.addresses.length} addresses: an advert holds at most 255`);
  if (!Number.isInteger(a.advertIntCs) || a.advertIntCs < 1 || a.advertIntCs > MAX_ADVER_INT_CS) {
    throw new RangeError(`advert interval ${a.advertIntCs} cs: VRRPv3 carries 1..${MAX_ADVER_INT_CS} centiseconds`);
  }
  const size = a.family === 'ipv4' ? 4 : 16;
  const msg = Buffer.alloc(VRRP_V3_FIXED_LENGTH + size * a.addresses.length);
  msg[0] = (VRRP_VERSION_3 << 4) | VRRP_TYPE_ADVERTISEMENT;
  msg[1] = a.vrid;
  msg[2] = a.priority;
  msg[3] = a.addresses.length;
  msg.writeUInt16BE(a.advertIntCs & ADVER_INT_MASK, 4);
  a.addresses.forEach((address, i) => {
    const bytes = a.family === 'ipv4' ? ipv4ToBytes(address as Ipv4) : ipv6ToBytes(address as Ipv6);
    bytes.copy(msg, VRRP_V3_FIXED_LENGTH + size * i);
  });
  msg.writeUInt16BE(checksumV3(a.family, a.src, a.checksumDst ?? a.dst, msg), 6);
  return msg;
}

/**
 * IPv4 header + VRRPv3 message for a raw IP_HDRINCL socket: the header keepalived builds for every
 * version (`vrrp_build_ip4`: TOS 0xc0, TTL 255 or `unicast_ttl`, no DF, the instance's IP id).
 * The IP id is outside the VRRP checksum, so packet.ts's setIpId patches this datagram as it does
 * a v2 one.
 */
export function encodeDatagramV3Ipv4(
  a: Omit<V3AdvertToSend<'ipv4'>, 'family'> & { readonly id: number; readonly ttl?: number },
): Buffer {
  const advert = encodeAdvertV3({ ...a, family: 'ipv4' });
  const header = encodeIpv4Header({ src: a.src, dst: a.dst, id: a.id, payloadLength: advert.length, ttl: a.ttl ?? VRRP_TTL });
  return Buffer.concat([header, advert]);
}

// ---------------------------------------------------------------------------------------------
// Decoding and validation

/**
 * Why a received VRRPv3 datagram was not accepted, one name per check, in the order the checks
 * run. From `tooShort` to `unknownVrid`: keepalived's dispatcher (`vrrp_dispatcher_read`,
 * `vrrp_get_header`); the rest `vrrp_check_packet` of keepalived 2.2.7 for a v3 instance, with the
 * version first as in packet.ts, and three checks keepalived does not make (marked "vrrpd").
 */
export const V3_DROP_REASONS = [
  /** IPv4: shorter than a header plus the 8-byte fixed part; IPv6: shorter than the fixed part. */
  'tooShort',
  /** IPv4 only: not IPv4, IHL < 5, or protocol not 112. */
  'notIpv4Vrrp',
  /** No instance for this VRID (and source): keepalived ignores it silently (log_unknown_vrids). */
  'unknownVrid',
  /** Version nibble != 3 (a VRRPv2 advert on a v3 instance), whatever the length. */
  'badVersion',
  /** Received length != (IPv4 header +) 8 + the advert's own address count × 4 or 16. */
  'badLength',
  /** Multicast instance: IPv4 TTL or IPv6 hop limit != 255 (RFC 5798 §7.1). */
  'badTtl',
  /** Type nibble != 1 (advertisement). */
  'badType',
  /** vrrpd: Max Adver Int 0 (keepalived would take it as Master_Adver_Interval and time out at once). */
  'badAdvertInterval',
  /** Address count differs from our VIP count (when addresses are checked). */
  'addressCountMismatch',
  /** IPv4: IP header total length != received length. */
  'badTotalLength',
  /** The checksum does not verify (IPv6: the kernel drops these first when IPV6_CHECKSUM is set). */
  'badChecksum',
  /** Multicast instance got unicast, unicast instance got multicast, or another group / address. */
  'badDestination',
  /** vrrpd, IPv6 multicast: the source is not link-local (RFC 5798 §5.1.2.1). */
  'sourceNotLinkLocal',
  /** One of our VIPs is not in the advert (when addresses are checked). */
  'addressMissing',
  /** check_unicast_src: the unicast advert's source is not one of our unicast_peer addresses. */
  'notUnicastPeer',
  /** The unicast advert's TTL / hop limit is outside its peer's min_ttl..max_ttl. */
  'ttlOutOfRange',
] as const;

export type V3DropReason = (typeof V3_DROP_REASONS)[number];

/** A unicast_peer as the receive checks need it. */
export interface V3PeerTtlRange<F extends Family> {
  readonly address: AddressOf<F>;
  readonly minTtl: number;
  readonly maxTtl: number;
}

/**
 * keepalived's `old_unicast_checksum` state for an IPv4 unicast instance (its
 * CHKSUM_COMPATIBILITY_*): `auto` (the default: the standard checksum, but an advert that only
 * verifies the pre-1.3.6 way switches the instance to it), `never` (standard only), `old` (the
 * pre-1.3.6 way only: configured, or switched to by `auto`).
 */
export type OldUnicastChecksum = 'auto' | 'never' | 'old';

/** What the receiving v3 instance expects; the shell builds it from its config and state. */
export interface V3Expectation<F extends Family> {
  readonly family: F;
  readonly vips: readonly AddressOf<F>[];
  /** Verify the address count and list; false under vrrp_skip_check_adv_addr for the known master. */
  readonly checkAddresses: boolean;
  /** true: adverts come to the multicast group with TTL / hop limit 255; false: unicast peers. */
  readonly multicast: boolean;
  /** Multicast instances: the group (mcast_dst_ip, vrrp_mcast_group4/6); default 224.0.0.18 / ff02::12. */
  readonly group?: AddressOf<F>;
  /** Unicast instances: the address our peers send to (unicast_src_ip, else the interface's). */
  readonly localAddress?: AddressOf<F>;
  /** Unicast instances with check_unicast_src: the peers an advert may come from. */
  readonly peers?: readonly V3PeerTtlRange<F>[];
  /** IPv4 unicast only; default `auto`, as keepalived built with OLD_CHKSUM_COMPAT (Debian's 2.2.7). */
  readonly oldUnicastChecksum?: OldUnicastChecksum;
  /** The global vrrp_mcast_group4 the pre-1.3.6 checksum names; default 224.0.0.18. */
  readonly globalGroup4?: Ipv4;
}

/** A received VRRPv3 advertisement that passed every check. Holds no reference to the buffer. */
export interface V3Advert<F extends Family> {
  readonly family: F;
  readonly vrid: Vrid;
  readonly priority: Priority;
  /**
   * Max Adver Int in centiseconds: a backup takes it as its Master_Adver_Interval (RFC 5798
   * §6.4.2, keepalived `vrrp_state_backup`); there is no interval mismatch in v3.
   */
  readonly advertIntCs: number;
  readonly addresses: AddressOf<F>[];
  readonly src: AddressOf<F>;
  readonly dst: AddressOf<F>;
  /** TTL or hop limit; undefined when the socket did not report the hop limit (keepalived: -1). */
  readonly ttl: number | undefined;
  /**
   * true: only the pre-1.3.6 unicast checksum verified it, with the instance in `auto`; the shell
   * switches the instance to `old` and logs keepalived's "Setting unicast VRRPv3 checksum to old
   * version".
   */
  readonly oldUnicastChecksum: boolean;
}

export interface V3Drop {
  readonly reason: V3DropReason;
  /** Set once the VRRP header could be read. */
  readonly vrid?: Vrid;
  /** keepalived's log text where it has one, without the `(VI_1) ` prefix the shell adds. */
  readonly detail: string;
}

export type V3Decoded<F extends Family> =
  | { readonly ok: true; readonly advert: V3Advert<F> }
  | { readonly ok: false; readonly drop: V3Drop };

const drop = (reason: V3DropReason, detail: string, vrid?: Vrid): { ok: false; drop: V3Drop } => ({
  ok: false,
  drop: vrid === undefined ? { reason, detail } : { reason, vrid, detail },
});

/** What arrives with an IPv6 advert besides its bytes (recvmsg's address and ancillary data). */
export interface Ipv6Arrival {
  /** The sender (recvmsg's source address). */
  readonly src: Ipv6;
  /** IPV6_PKTINFO's destination. */
  readonly dst: Ipv6;
  /** IPV6_HOPLIMIT; undefined when the kernel did not report it (keepalived then skips the check). */
  readonly hopLimit: number | undefined;
}

interface Located<F extends Family> {
  readonly family: F;
  /** The VRRP message's offset and the received length the checks compare against. */
  readonly vrrp: number;
  readonly received: number;
  readonly src: AddressOf<F>;
  readonly dst: AddressOf<F>;
  readonly ttl: number | undefined;
  readonly dstIsMulticast: boolean;
}

const addressLength = (family: Family): number => (family === 'ipv4' ? 4 : 16);
const readAddress = <F extends Family>(family: F, bytes: Uint8Array, offset: number): AddressOf<F> =>
  (family === 'ipv4' ? ipv4FromBytes(bytes, offset) : ipv6FromBytes(bytes, offset)) as AddressOf<F>;

/**
 * Decode a whole received IPv4 datagram (the raw socket hands us the header too) for a VRRPv3
 * instance `lookup` finds by VRID, sender and destination. Never throws.
 */
export function decodeDatagramV3Ipv4(
  bytes: Buffer,
  from: Ipv4,
  lookup: (vrid: Vrid, from: Ipv4, dst: Ipv4) => V3Expectation<'ipv4'> | undefined,
): V3Decoded<'ipv4'> {
  const received = bytes.length;
  if (received < IPV4_HEADER_LENGTH) return drop('tooShort', `IPv4 VRRP packet too short - ${received} bytes`);
  const version = (bytes[0] ?? 0) >> 4;
  const ihl = ((bytes[0] ?? 0) & 0x0f) * 4;
  const protocol = bytes[9] ?? 0;
  if (version !== 4 || ihl < IPV4_HEADER_LENGTH || protocol !== IPPROTO_VRRP) {
    return drop('notIpv4Vrrp', `not an IPv4 VRRP datagram: IP version ${version}, IHL ${ihl / 4}, protocol ${protocol}`);
  }
  if (received < ihl + VRRP_V3_FIXED_LENGTH) return drop('tooShort', `IPv4 VRRP packet too short - ${received} bytes`);
  const dst = ipv4FromBytes(bytes, 16);
  const located: Located<'ipv4'> = {
    family: 'ipv4',
    vrrp: ihl,
    received,
    src: ipv4FromBytes(bytes, 12),
    dst,
    ttl: bytes[8] ?? 0,
    dstIsMulticast: ((bytes[16] ?? 0) & 0xf0) === 0xe0,
  };
  return check(bytes, located, (vrid) => lookup(vrid, from, dst), from);
}

/**
 * Decode a received IPv6 VRRP message (a raw IPv6 socket gives the payload only; the rest comes
 * as `arrival`) for the VRRPv3 instance `lookup` finds. Never throws.
 */
export function decodeAdvertV3Ipv6(
  payload: Buffer,
  arrival: Ipv6Arrival,
  lookup: (vrid: Vrid, from: Ipv6, dst: Ipv6) => V3Expectation<'ipv6'> | undefined,
): V3Decoded<'ipv6'> {
  if (payload.length < VRRP_V3_FIXED_LENGTH) return drop('tooShort', `IPv6 VRRP packet too short - ${payload.length} bytes`);
  const located: Located<'ipv6'> = {
    family: 'ipv6',
    vrrp: 0,
    received: payload.length,
    src: arrival.src,
    dst: arrival.dst,
    ttl: arrival.hopLimit,
    dstIsMulticast: isMulticastIpv6(arrival.dst),
  };
  return check(payload, located, (vrid) => lookup(vrid, arrival.src, arrival.dst), arrival.src);
}

/**
 * A whole IPv6 packet (a packet socket or a capture, Ethernet header removed) as the raw socket
 * would hand it over: the VRRP payload and its arrival. undefined unless it is IPv6 with next
 * header 112 straight after the fixed header (an advert carries no extension header).
 */
export function splitIpv6Packet(packet: Buffer): { payload: Buffer; arrival: Ipv6Arrival } | undefined {
  if (packet.length < IPV6_HEADER_LENGTH || (packet[0] ?? 0) >> 4 !== 6 || packet[6] !== IPPROTO_VRRP) return undefined;
  const payloadLength = packet.readUInt16BE(4);
  return {
    payload: packet.subarray(IPV6_HEADER_LENGTH, Math.min(packet.length, IPV6_HEADER_LENGTH + payloadLength)),
    arrival: { src: ipv6FromBytes(packet, 8), dst: ipv6FromBytes(packet, 24), hopLimit: packet[7] ?? 0 },
  };
}

function check<F extends Family>(
  bytes: Buffer,
  at: Located<F>,
  lookup: (vrid: Vrid) => V3Expectation<F> | undefined,
  from: AddressOf<F>,
): V3Decoded<F> {
  const { family, vrrp, received, ttl } = at;
  const size = addressLength(family);
  const vrid = bytes[vrrp + 1] ?? 0;
  const knownVrid = toVrid(vrid);
  const expected = knownVrid === undefined ? undefined : lookup(knownVrid);
  if (knownVrid === undefined || expected === undefined) {
    return drop('unknownVrid', `Unknown VRID(${vrid}) received from ${from}. ignoring...`, knownVrid);
  }

  const versionType = bytes[vrrp] ?? 0;
  const vrrpVersion = versionType >> 4;
  const vrrpType = versionType & 0x0f;
  const priority = bytes[vrrp + 2] ?? 0;
  const count = bytes[vrrp + 3] ?? 0;
  const advertIntCs = bytes.readUInt16BE(vrrp + 4) & ADVER_INT_MASK;

  // As packet.ts: the version first, since the length of another version's message is not ours
  // to judge (keepalived sizes a v2 advert with its 8 auth bytes, then says "wrong version").
  if (vrrpVersion !== VRRP_VERSION_3) {
    return drop('badVersion', `wrong version. Received ${vrrpVersion} and expect ${VRRP_VERSION_3}`, knownVrid);
  }

  const expectedLength = vrrp + VRRP_V3_FIXED_LENGTH + size * count;
  if (received !== expectedLength) {
    const longOrShort = received > expectedLength ? 'long' : 'short';
    return drop('badLength', `vrrp packet too ${longOrShort}, length ${received} and expect ${expectedLength}`, knownVrid);
  }

  // keepalived: "MUST verify that the IPv4 TTL/IPv6 HL is 255 (but not if unicast)", and not when
  // the hop limit was not reported.
  if (expected.multicast && ttl !== undefined && ttl !== VRRP_HOP_LIMIT) {
    return drop('badTtl', `invalid TTL/HL. Received ${ttl} and expect ${VRRP_HOP_LIMIT}`, knownVrid);
  }

  if (vrrpType !== VRRP_TYPE_ADVERTISEMENT) {
    return drop('badType', `Invalid packet type. ${vrrpType} and expect ${VRRP_TYPE_ADVERTISEMENT}`, knownVrid);
  }

  if (advertIntCs === 0) {
    return drop('badAdvertInterval', 'received an advert with Max Adver Int 0, expected 1..4095 centiseconds', knownVrid);
  }

  if (expected.checkAddresses && count !== expected.vips.length) {
    return drop(
      'addressCountMismatch',
      `received an unexpected ip number count ${count}, expected ${expected.vips.length}!`,
      knownVrid,
    );
  }

  let oldUnicastChecksum = false;
  if (family === 'ipv4') {
    const totalLength = bytes.readUInt16BE(2);
    if (totalLength !== received) {
      return drop(
        'badTotalLength',
        `ip_tot_len mismatch against received length. ${totalLength} and received ${received}`,
        knownVrid,
      );
    }
    const message = bytes.subarray(vrrp, received);
    const e4 = expected as V3Expectation<'ipv4'>;
    const group4 = e4.globalGroup4 ?? VRRP_MULTICAST_GROUP;
    const mode = e4.oldUnicastChecksum ?? 'auto';
    const src4 = at.src as Ipv4;
    const dst4 = at.dst as Ipv4;
    if (checksumV3('ipv4', src4, mode === 'old' ? group4 : dst4, message) !== 0) {
      // keepalived's auto-detection of a pre-1.3.6 peer: unicast, not yet decided, and the advert
      // was not sent to the group (else both ways are one).
      const oldWay = !e4.multicast && mode === 'auto' && dst4 !== group4;
      if (oldWay && checksumV3('ipv4', src4, group4, message) === 0) {
        oldUnicastChecksum = true;
      } else {
        return drop('badChecksum', 'Invalid VRRPv3 checksum', knownVrid);
      }
    }
  } else if (checksumV3('ipv6', at.src, at.dst, bytes.subarray(vrrp, received)) !== 0) {
    return drop('badChecksum', 'Invalid VRRPv3 checksum', knownVrid);
  }

  const defaultGroup: string = family === 'ipv4' ? VRRP_MULTICAST_GROUP : VRRP_MULTICAST_GROUP6;
  const misdirected = destinationRefusal<string>(expected, defaultGroup, at.dst, at.dstIsMulticast);
  if (misdirected !== undefined) return drop('badDestination', misdirected, knownVrid);

  if (family === 'ipv6' && expected.multicast && !isLinkLocalIpv6(at.src as Ipv6)) {
    return drop('sourceNotLinkLocal', `received an advert from ${at.src}, which is not a link-local address`, knownVrid);
  }

  const addresses: AddressOf<F>[] = [];
  for (let i = 0; i < count; i++) addresses.push(readAddress(family, bytes, vrrp + VRRP_V3_FIXED_LENGTH + size * i));

  if (expected.checkAddresses) {
    const missing = missingAddress(vrid, expected.vips, addresses);
    if (missing !== undefined) return drop(missing.reason, missing.detail, knownVrid);
  }

  if (!expected.multicast && expected.peers !== undefined) {
    const refused = unicastPeerRefusal(expected.peers, from, ttl);
    if (refused !== undefined) return drop(refused.reason, refused.detail, knownVrid);
  }

  return {
    ok: true,
    advert: {
      family,
      vrid: knownVrid,
      priority: priority as Priority, // any byte is a valid Priority (0..255)
      advertIntCs,
      addresses,
      src: at.src,
      dst: at.dst,
      ttl,
      oldUnicastChecksum,
    },
  };
}
