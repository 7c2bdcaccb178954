// VRRPv2 advertisement codec (RFC 3768 §5) with keepalived 2.2's receive checks.
//
// Pure: bytes in, values out. No sockets, no clock, no logging. The shell owns I/O and decides what
// to do with a Drop (count it, log its detail behind `(VI_1) `, rate-limit it).
//
// Wire layout (RFC 3768 §5.1), after a 20-byte IPv4 header we build ourselves (IP_HDRINCL):
//
//    0                   1                   2                   3
//   |Version| Type  | Virtual Rtr ID|   Priority    | Count IP Addrs|
//   |   Auth Type   |   Adver Int   |          Checksum             |
//   |                         IP Address (1..n)                     |
//   |                     Authentication Data (1)                   |
//   |                     Authentication Data (2)                   |
import { IPPROTO_VRRP, VRRP_MULTICAST_GROUP, VRRP_TOS, VRRP_TTL } from './ip-fields.js';
import {
  ipv4FromBytes,
  ipv4ToBytes,
  toVrid,
  type Ipv4,
  type Priority,
  type Vrid,
} from '../types.js';


const VRRP_VERSION = 2;
const VRRP_TYPE_ADVERTISEMENT = 1;
const IPV4_HEADER_LENGTH = 20;
/** Version/type, VRID, priority, count, auth type, adver int, checksum. */
const VRRP_FIXED_LENGTH = 8;
/** "Authentication Data ... 8 octets" (RFC 2338 §5.3.10, kept as reserved in RFC 3768). */
const VRRP_AUTH_LENGTH = 8;

/** Auth Type field values (RFC 2338 §5.3.6): keepalived accepts exactly these three. */
export const AUTH_TYPE_NONE = 0;
export const AUTH_TYPE_PASS = 1;
export const AUTH_TYPE_AH = 2;

/** An instance's authentication as adverts carry it (config: `authentication { auth_type auth_pass }`). */
export type Auth =
  | { readonly type: 'NONE' }
  /** PASS: the password as it goes on the wire, at most 8 bytes (keepalived truncates longer). */
  | { readonly type: 'PASS'; readonly password: string };

// ---------------------------------------------------------------------------------------------
// Encoding

export interface AdvertToSend {
  readonly vrid: Vrid;
  /** The effective priority, or 0 when the master is leaving (RFC 3768 §6.4.3 Shutdown). */
  readonly priority: Priority;
  /** VRRPv2 advert_int in whole seconds, 1..255. */
  readonly advertIntSec: number;
  readonly auth: Auth;
  readonly addresses: readonly Ipv4[];
}

export interface Ipv4HeaderToSend {
  readonly src: Ipv4;
  readonly dst: Ipv4;
  /** IP identification; see nextIpId. */
  readonly id: number;
  /** Length of what follows the header (the VRRP message). */
  readonly payloadLength: number;
  /** 255 unless keepalived's `unicast_ttl` says otherwise for a unicast peer. */
  readonly ttl?: number;
}

/**
 * The Internet checksum (RFC 1071): one's-complement of the one's-complement sum of 16-bit
 * big-endian words, an odd last byte padded with zero. Over a message that already carries its
 * checksum the result is 0, which is how the receive side verifies it.
 */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  let i = start;
  for (; i + 1 < end; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  if (i < end) sum += (bytes[i] ?? 0) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The 8-byte auth field: the PASS password zero-padded (keepalived truncates at 8), zeros for NONE. */
function authData(auth: Auth): Buffer {
  const field = Buffer.alloc(VRRP_AUTH_LENGTH);
  if (auth.type === 'PASS') Buffer.from(auth.password, 'utf8').copy(field, 0, 0, VRRP_AUTH_LENGTH);
  return field;
}

/** The Auth Type field for `auth`. */
export function authTypeNumber(auth: Auth): number {
  return auth.type === 'PASS' ? AUTH_TYPE_PASS : AUTH_TYPE_NONE;
}

/**
 * The VRRPv2 message: 8-byte fixed part, the addresses, the 8-byte auth field. The checksum covers
 * "the entire VRRP message starting with the version field" (RFC 3768 §5.3.8), which keepalived
 * takes to include the auth field; no pseudo-header in v2.
 *
 * Throws RangeError for values a validated Config can't produce (a bug, not an input error).
 */
export function encodeAdvert(a: AdvertToSend): Buffer {
  if (a.addresses.length > 255) throw new RangeError(`${a.addresses.length} addresses: an advert holds at most 255`);
  if (!Number.isInteger(a.advertIntSec) || a.advertIntSec < 1 || a.advertIntSec > 255) {
    throw new RangeError(`advert interval ${a.advertIntSec}: VRRPv2 carries whole seconds 1..255`);
  }
  const length = VRRP_FIXED_LENGTH + 4 * a.addresses.length + VRRP_AUTH_LENGTH;
  const msg = Buffer.alloc(length);
  msg[0] = (VRRP_VERSION << 4) | VRRP_TYPE_ADVERTISEMENT;
  msg[1] = a.vrid;
  msg[2] = a.priority;
  msg[3] = a.addresses.length;
  msg[4] = authTypeNumber(a.auth);
  msg[5] = a.advertIntSec;
  a.addresses.forEach((address, i) => ipv4ToBytes(address).copy(msg, VRRP_FIXED_LENGTH + 4 * i));
  authData(a.auth).copy(msg, length - VRRP_AUTH_LENGTH);
  msg.writeUInt16BE(internetChecksum(msg), 6);
  return msg;
}

/**
 * The IPv4 header keepalived builds for an advert (`vrrp_build_ip4`,
 * docs/reference/keepalived-behaviour.md#sockets-and-the-ip-header): version 4, IHL 5, TOS 0xc0, no
 * fragmentation flags (in particular no DF), TTL 255, protocol 112. We compute the header checksum
 * ourselves rather than rely on the kernel filling it in for IP_HDRINCL.
 */
export function encodeIpv4Header(h: Ipv4HeaderToSend): Buffer {
  const header = Buffer.alloc(IPV4_HEADER_LENGTH);
  header[0] = 0x45;
  header[1] = VRRP_TOS;
  header.writeUInt16BE(IPV4_HEADER_LENGTH + h.payloadLength, 2);
  header.writeUInt16BE(h.id & 0xffff, 4);
  header.writeUInt16BE(0, 6);
  header[8] = h.ttl ?? VRRP_TTL;
  header[9] = IPPROTO_VRRP;
  ipv4ToBytes(h.src).copy(header, 12);
  ipv4ToBytes(h.dst).copy(header, 16);
  header.writeUInt16BE(internetChecksum(header), 10);
  return header;
}

/** IP header + VRRP message, ready for a raw IP_HDRINCL socket. */
export function encodeDatagram(
  a: AdvertToSend & { readonly src: Ipv4; readonly dst: Ipv4; readonly id: number; readonly ttl?: number },
): Buffer {
  const advert = encodeAdvert(a);
  const header = encodeIpv4Header({ src: a.src, dst: a.dst, id: a.id, payloadLength: advert.length, ttl: a.ttl });
  return Buffer.concat([header, advert]);
}

/**
 * An advert's bytes differ from one second to the next only in the IP id (the priority, source,
 * destination and TTL change rarely), so the shell encodes a datagram once and patches the id
 * in place before each send, as keepalived's vrrp_update_pkt does. The header checksum is
 * recomputed so the buffer stays exactly what encodeDatagram would build (the kernel recomputes
 * it for IP_HDRINCL anyway).
 */
export function setIpId(datagram: Buffer, id: number): void {
  datagram.writeUInt16BE(id & 0xffff, 4);
  datagram.writeUInt16BE(0, 10);
  datagram.writeUInt16BE(internetChecksum(datagram, 0, IPV4_HEADER_LENGTH), 10);
}

/**
 * keepalived's per-instance IP id: incremented before every advert and never 0, because with
 * IP_HDRINCL "kernel will fill in ID if left to 0, so we overflow to 1" (`vrrp_update_pkt`). The
 * counter starts at 0, so an instance's first advert carries id 1 (seen in keepalived-startup).
 */
export function nextIpId(prev: number): number {
  const next = (prev + 1) & 0xffff;
  return next === 0 ? 1 : next;
}

// ---------------------------------------------------------------------------------------------
// Decoding and validation

/**
 * Why a received datagram was not accepted, one name per check, in the order the checks run
 * (OpenBSD carp keeps a counter per reason; so do we, see stats.ts). The order from `tooShort` to
 * `unknownVrid` is keepalived's dispatcher (`vrrp_dispatcher_read`, `vrrp_get_header`); the rest is
 * `vrrp_check_packet()` of keepalived 2.2.7, vrrp.c
 * (docs/reference/keepalived-behaviour.md#receive-checks), except the version, checked before the
 * length (keepalived judges another version's length as v2's).
 */
export const DROP_REASONS = [
  /** Shorter than an IPv4 header plus the 8-byte VRRP fixed part. */
  'tooShort',
  /** Not IPv4, IHL < 5, or protocol not 112: cannot be ours (the raw socket normally filters these). */
  'notIpv4Vrrp',
  /** No instance for this VRID (and source): keepalived ignores it silently (log_unknown_vrids). */
  'unknownVrid',
  /** Version nibble != 2, whatever the length. */
  'badVersion',
  /** Received length != IP header + VRRP message for the advert's own address count. */
  'badLength',
  /** TTL != 255 on a multicast instance (RFC 3768 §7.1; not checked for unicast). */
  'badTtl',
  /** Auth type not 0, 1 or 2. */
  'badAuthType',
  /** Auth type differs from ours. */
  'authTypeMismatch',
  /** PASS password differs (compared in constant time). */
  'badPassword',
  /** Advert interval differs from ours (RFC 3768 §7.1: MUST verify in v2). */
  'advertIntervalMismatch',
  /** Type nibble != 1 (advertisement). */
  'badType',
  /** Address count differs from our VIP count (when addresses are checked). */
  'addressCountMismatch',
  /** IP header total length != received length. */
  'badTotalLength',
  /** VRRP checksum does not verify. */
  'badChecksum',
  /** Multicast instance got a non-224.0.0.18 destination, or unicast instance got multicast. */
  'badDestination',
  /** One of our VIPs is not in the advert (when addresses are checked). */
  'addressMissing',
  /** check_unicast_src: the unicast advert's source is not one of our unicast_peer addresses. */
  'notUnicastPeer',
  /** The unicast advert's TTL is outside its peer's min_ttl..max_ttl. */
  'ttlOutOfRange',
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

/** What the receiving instance expects; the shell builds it from InstanceConfig and its state. */
export interface Expectation {
  readonly advertIntSec: number;
  readonly auth: Auth;
  readonly vips: readonly Ipv4[];
  /**
   * Verify the address count and list (RFC 3768 §7.1 "MAY"). false when keepalived's
   * `vrrp_skip_check_adv_addr` applies: in BACKUP, advert from the master we last accepted.
   */
  readonly checkAddresses: boolean;
  /** true: adverts come to the multicast group with TTL 255; false: unicast peers. */
  readonly multicast: boolean;
  /** Multicast instances: the group (mcast_dst_ip / vrrp_mcast_group4); default 224.0.0.18. */
  readonly group?: Ipv4;
  /**
   * Unicast instances: the address our peers must send to (unicast_src_ip, else the interface's
   * primary). keepalived binds its unicast socket to it, so an advert to another of our addresses
   * never reaches the instance; our one raw socket per interface sees it, and drops it by name.
   */
  readonly localAddress?: Ipv4;
  /**
   * Unicast instances with check_unicast_src (instance keyword, global vrrp_check_unicast_src, or
   * implied by a peer's min_ttl/max_ttl): the peers an advert may come from, with their TTL range.
   * Undefined: any source is accepted (keepalived's default).
   */
  readonly peers?: readonly PeerTtlRange[];
}

/** A unicast_peer as the receive checks need it. */
export interface PeerTtlRange {
  readonly address: Ipv4;
  readonly minTtl: number;
  readonly maxTtl: number;
}

/** A received advertisement that passed every check. Holds no reference to the received buffer. */
export interface Advert {
  readonly vrid: Vrid;
  readonly priority: Priority;
  readonly advertIntSec: number;
  readonly authType: number;
  readonly addresses: Ipv4[];
  /** Source address from the IP header (the tie-break of RFC 3768 §6.4.3 compares it). */
  readonly src: Ipv4;
  readonly dst: Ipv4;
  readonly ttl: number;
}

export interface Drop {
  readonly reason: DropReason;
  /** Set once the VRRP header could be read. */
  readonly vrid?: Vrid;
  /**
   * keepalived's log text where it has one, without its `(VI_1) ` instance prefix, which the
   * shell adds; e.g. `received an unexpected ip number count 2, expected 1!`.
   */
  readonly detail: string;
}

export type Decoded = { readonly ok: true; readonly advert: Advert } | { readonly ok: false; readonly drop: Drop };

const drop = (reason: DropReason, detail: string, vrid?: Vrid): Decoded => ({
  ok: false,
  drop: vrid === undefined ? { reason, detail } : { reason, vrid, detail },
});

function isMulticast(bytes: Uint8Array, offset: number): boolean {
  return ((bytes[offset] ?? 0) & 0xf0) === 0xe0;
}

/**
 * Decode a whole received IPv4 datagram (the raw socket hands us the IP header too) and run
 * keepalived's receive checks against the instance `lookup` finds for the advert's VRID and the
 * sender `from` (unicast instances sharing a VRID are told apart by source, as keepalived does).
 *
 * Never throws: every byte string yields an Advert or a Drop with a reason.
 */
export function decodeDatagram(
  bytes: Buffer,
  from: Ipv4,
  lookup: (vrid: Vrid, from: Ipv4, dst: Ipv4) => Expectation | undefined,
): Decoded {
  const received = bytes.length;

  // Dispatcher, `vrrp_get_header`: "Ensure we have received the full vrrp header".
  if (received < IPV4_HEADER_LENGTH) return drop('tooShort', `IPv4 VRRP packet too short - ${received} bytes`);
  const version = (bytes[0] ?? 0) >> 4;
  const ihl = ((bytes[0] ?? 0) & 0x0f) * 4;
  const protocol = bytes[9] ?? 0;
  if (version !== 4 || ihl < IPV4_HEADER_LENGTH || protocol !== IPPROTO_VRRP) {
    return drop('notIpv4Vrrp', `not an IPv4 VRRP datagram: IP version ${version}, IHL ${ihl / 4}, protocol ${protocol}`);
  }
  if (received < ihl + VRRP_FIXED_LENGTH) return drop('tooShort', `IPv4 VRRP packet too short - ${received} bytes`);

  const vrrp = ihl; // offset of the VRRP message
  const vrid = bytes[vrrp + 1] ?? 0;
  const knownVrid = toVrid(vrid);
  // VRID 0 is not a valid VRID; no instance can have it, so it is unknown like any unconfigured one.
  // The destination helps the lookup tell a multicast instance from a unicast one with the same VRID.
  const expected = knownVrid === undefined ? undefined : lookup(knownVrid, from, ipv4FromBytes(bytes, 16));
  if (knownVrid === undefined || expected === undefined) {
    // The VRID rides along (when it is a valid one) so the shell can tell "another cluster uses
    // VRID 52 on this LAN" apart from noise
    // (docs/reference/keepalived-behaviour.md#another-cluster-on-our-vrid).
    return drop('unknownVrid', `Unknown VRID(${vrid}) received from ${from}. ignoring...`, knownVrid);
  }

  const versionType = bytes[vrrp] ?? 0;
  const vrrpVersion = versionType >> 4;
  const vrrpType = versionType & 0x0f;
  const priority = bytes[vrrp + 2] ?? 0;
  const count = bytes[vrrp + 3] ?? 0;
  const authType = bytes[vrrp + 4] ?? 0;
  const advertIntSec = bytes[vrrp + 5] ?? 0;
  const ttl = bytes[8] ?? 0;
  const totalLength = bytes.readUInt16BE(2);

  // "MUST verify that the version is 2" first: the length of a message of another version is not
  // ours to judge. keepalived sizes the message from the advert's version before it compares it, so
  // a version 0, 1 or 3 advert with a v2 advert's length is a length error there; here it is what
  // it is, a version mismatch, at any length.
  if (vrrpVersion !== VRRP_VERSION) {
    return drop('badVersion', `wrong version. Received ${vrrpVersion} and expect ${VRRP_VERSION}`, knownVrid);
  }

  // "MUST verify that the received packet contains the complete VRRP packet".
  const expectedLength = ihl + VRRP_FIXED_LENGTH + 4 * count + VRRP_AUTH_LENGTH;
  if (received !== expectedLength) {
    const longOrShort = received > expectedLength ? 'long' : 'short';
    return drop('badLength', `vrrp packet too ${longOrShort}, length ${received} and expect ${expectedLength}`, knownVrid);
  }

  // "MUST verify that the IP TTL is 255" — keepalived skips this for unicast
  // (docs/reference/keepalived-behaviour.md#receive-checks).
  if (expected.multicast && ttl !== VRRP_TTL) {
    return drop('badTtl', `invalid TTL/HL. Received ${ttl} and expect ${VRRP_TTL}`, knownVrid);
  }

  if (authType !== AUTH_TYPE_NONE && authType !== AUTH_TYPE_PASS && authType !== AUTH_TYPE_AH) {
    return drop('badAuthType', `Invalid auth type: ${authType}`, knownVrid);
  }
  const ourAuthType = authTypeNumber(expected.auth);
  if (authType !== ourAuthType) {
    return drop('authTypeMismatch', `received a ${authType} auth, expecting ${ourAuthType}!`, knownVrid);
  }
  if (expected.auth.type === 'PASS') {
    // keepalived compares all 8 bytes against the zero-padded password, in constant time.
    const theirs = bytes.subarray(received - VRRP_AUTH_LENGTH, received);
    if (!sameBytesConstantTime(theirs, authData(expected.auth))) {
      return drop('badPassword', 'received an invalid passwd!', knownVrid);
    }
  }

  // "MUST verify that the Adver Interval in the packet is the same as the locally configured"
  // (RFC 3768 §7.1); keepalived: "to prevent concurent VRID running => multiple master in 1 VRID".
  if (advertIntSec !== expected.advertIntSec) {
    return drop(
      'advertIntervalMismatch',
      `advertisement interval mismatch mine=${expected.advertIntSec} sec rcv'd=${advertIntSec} sec`,
      knownVrid,
    );
  }

  if (vrrpType !== VRRP_TYPE_ADVERTISEMENT) {
    return drop('badType', `Invalid packet type. ${vrrpType} and expect ${VRRP_TYPE_ADVERTISEMENT}`, knownVrid);
  }

  if (expected.checkAddresses && count !== expected.vips.length) {
    return drop(
      'addressCountMismatch',
      `received an unexpected ip number count ${count}, expected ${expected.vips.length}!`,
      knownVrid,
    );
  }

  if (totalLength !== received) {
    return drop(
      'badTotalLength',
      `ip_tot_len mismatch against received length. ${totalLength} and received ${received}`,
      knownVrid,
    );
  }

  if (internetChecksum(bytes, vrrp, received) !== 0) {
    return drop('badChecksum', 'Invalid VRRPv2 checksum', knownVrid);
  }

  const dst = ipv4FromBytes(bytes, 16);
  const dstIsMulticast = isMulticast(bytes, 16);
  const misdirected = destinationRefusal(expected, VRRP_MULTICAST_GROUP, dst, dstIsMulticast);
  if (misdirected !== undefined) return drop('badDestination', misdirected, knownVrid);

  const addresses: Ipv4[] = [];
  for (let i = 0; i < count; i++) addresses.push(ipv4FromBytes(bytes, vrrp + VRRP_FIXED_LENGTH + 4 * i));

  // "MAY verify that the IP address(es) associated with the VRID are valid" (RFC 3768 §7.1).
  if (expected.checkAddresses) {
    const missing = missingAddress(vrid, expected.vips, addresses);
    if (missing !== undefined) return drop(missing.reason, missing.detail, knownVrid);
  }

  // check_unicast_src (docs/reference/keepalived-behaviour.md#receive-checks step 13: "unicast
  // source address X not a unicast peer", then the peer's "TTL/HL N not in range MIN - MAX").
  // keepalived runs these only when it checks the address list, so skip_check_adv_addr also skips
  // them for the master it last accepted; we always run them: the peer set and TTL range do not
  // depend on who is master.
  if (!expected.multicast && expected.peers !== undefined) {
    const refused = unicastPeerRefusal(expected.peers, from, ttl);
    if (refused !== undefined) return drop(refused.reason, refused.detail, knownVrid);
  }

  return {
    ok: true,
    advert: {
      vrid: knownVrid,
      priority: priority as Priority, // any byte is a valid Priority (0..255)
      advertIntSec,
      authType,
      addresses,
      src: ipv4FromBytes(bytes, 12),
      dst,
      ttl,
    },
  };
}

/**
 * Equal lengths and bytes, in a time that does not depend on where they differ (a password guessed
 * byte by byte). Written out rather than node:crypto's timingSafeEqual: loading node:crypto costs
 * every start ~4 ms for an 8-byte compare, and the core then imports nothing of Node's.
 */
export function sameBytesConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** The first address the config gives this VRID that the advert lacks, in keepalived's words (both versions). */
export function missingAddress<A extends string>(
  vrid: number,
  vips: readonly A[],
  advertised: readonly A[],
): { readonly reason: 'addressMissing'; readonly detail: string } | undefined {
  const missing = vips.find((vip) => !advertised.includes(vip));
  return missing === undefined ? undefined : { reason: 'addressMissing', detail: `ip address associated with VRID ${vrid} not present in MASTER advert: ${missing}` };
}

/**
 * check_unicast_src: a source that is no configured peer, or a TTL/hop limit outside the peer's
 * range, in keepalived's words (both versions). `ttl` undefined: not known, not checked.
 */
export function unicastPeerRefusal<A extends string>(
  peers: readonly { readonly address: A; readonly minTtl: number; readonly maxTtl: number }[],
  from: A,
  ttl: number | undefined,
): { readonly reason: 'notUnicastPeer' | 'ttlOutOfRange'; readonly detail: string } | undefined {
  const peer = peers.find((p) => p.address === from);
  if (peer === undefined) return { reason: 'notUnicastPeer', detail: `unicast source address ${from} not a unicast peer` };
  if (ttl !== undefined && (ttl < peer.minTtl || ttl > peer.maxTtl)) {
    return { reason: 'ttlOutOfRange', detail: `TTL/HL ${ttl} not in range ${peer.minTtl} - ${peer.maxTtl}` };
  }
  return undefined;
}

/**
 * Why an advert's destination is not this instance's, in keepalived's words where it has them (both
 * versions): multicast against unicast, another group, another unicast address. keepalived accepts
 * any multicast destination (its socket is bound to the group); our one socket per interface may
 * have joined several groups, so another group is a misdirected packet and says so.
 */
export function destinationRefusal<A extends string>(
  expected: { readonly multicast: boolean; readonly group?: A; readonly localAddress?: A },
  defaultGroup: A,
  dst: A,
  dstIsMulticast: boolean,
): string | undefined {
  if (dstIsMulticast !== expected.multicast) {
    const [want, got] = expected.multicast ? ['mult', 'un'] : ['un', 'mult'];
    return `Expected ${want}icast packet but received ${got}icast packet`;
  }
  const group = expected.group ?? defaultGroup;
  if (expected.multicast && dst !== group) return `received an advert for group ${dst}, expected ${group}`;
  if (!expected.multicast && expected.localAddress !== undefined && dst !== expected.localAddress) {
    return `received a unicast advert for ${dst}, expected ${expected.localAddress}`;
  }
  return undefined;
}
