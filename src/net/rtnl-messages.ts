// rtnetlink's messages as bytes: the dump requests vrrpd sends, and the links, IPv4 addresses,
// acks and notifications the kernel answers with, parsed from the datagrams native/netlink-socket.cc
// hands over. Layouts are the kernel's uapi (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h,
// linux/if_addr.h), host byte order, which is little-endian on every architecture vrrpd ships for.
// Pure: bad bytes give undefined or are skipped, never an exception.
import { ipv4FromBytes, type Ipv4 } from '../types.js';

export interface LinkInfo {
  index: number;
  name: string;
  /** IFF_UP: administratively up. */
  up: boolean;
  /** IFF_LOWER_UP: carrier. */
  lowerUp: boolean;
  /** IFF_RUNNING: operationally up; keepalived's link-up is IFF_UP && IFF_RUNNING. */
  running: boolean;
  /** IFF_LOOPBACK: keepalived refuses a loopback interface for an instance, whatever its name. */
  loopback: boolean;
  mac: Buffer | undefined;
}

export interface AddressInfo {
  index: number;
  address: Ipv4;
  prefixLength: number;
  label: string | undefined;
  secondary: boolean;
}

/**
 * `link`: an RTM_NEWLINK, sent by the kernel for any change to a link (flags, carrier, name,
 * MAC...), so the same state may repeat; compare with what you knew. A link deleted and created
 * again under the same name comes back with a new index.
 * `overrun`: the kernel dropped notifications (ENOBUFS) or the socket failed; re-read links()
 * and ipv4Addresses() to resynchronise.
 */
export type RtnlEvent =
  | { readonly kind: 'link'; readonly link: LinkInfo }
  | { readonly kind: 'linkDeleted'; readonly index: number; readonly name: string }
  | { readonly kind: 'addressAdded'; readonly address: AddressInfo }
  | { readonly kind: 'addressRemoved'; readonly address: AddressInfo }
  | { readonly kind: 'overrun'; readonly message: string };

/** One netlink message: its header's fields and the bytes after the header. */
export interface NetlinkMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly payload: Buffer;
}

export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
/** bind()'s legacy group bits: RTMGRP_LINK (group 1) | RTMGRP_IPV4_IFADDR (group 5). */
export const RTMGRP_LINK_AND_IPV4_IFADDR = 0x1 | 0x10;

const NLMSG_HDRLEN = 16;
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300;
const AF_INET = 2;
const IFINFOMSG_LEN = 16;
const IFADDRMSG_LEN = 8;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_LABEL = 3;
const IFA_FLAGS = 8;
const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const IFF_RUNNING = 0x40;
const IFF_LOWER_UP = 0x10000;
const IFA_F_SECONDARY = 0x1;

const align4 = (n: number): number => (n + 3) & ~3;

/**
 * A dump request: RTM_GETLINK (every link) or RTM_GETADDR (every IPv4 address). Filtering by
 * index would need strict checking on the socket; the caller filters instead.
 */
export function dumpRequest(what: 'links' | 'ipv4Addresses', seq: number): Buffer {
  const body = what === 'links' ? IFINFOMSG_LEN : IFADDRMSG_LEN;
  const b = Buffer.alloc(NLMSG_HDRLEN + body);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(what === 'links' ? RTM_GETLINK : RTM_GETADDR, 4);
  b.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
  b.writeUInt32LE(seq >>> 0, 8);
  // ifi_family AF_UNSPEC (0) for links; ifa_family AF_INET for addresses.
  if (what === 'ipv4Addresses') b[NLMSG_HDRLEN] = AF_INET;
  return b;
}

/** The messages of one datagram; a truncated or malformed tail is dropped. */
export function splitMessages(datagram: Buffer): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  let at = 0;
  while (at + NLMSG_HDRLEN <= datagram.length) {
    const len = datagram.readUInt32LE(at);
    if (len < NLMSG_HDRLEN || at + len > datagram.length) break;
    out.push({
      type: datagram.readUInt16LE(at + 4),
      flags: datagram.readUInt16LE(at + 6),
      seq: datagram.readUInt32LE(at + 8),
      payload: datagram.subarray(at + NLMSG_HDRLEN, at + len),
    });
    at += align4(len);
  }
  return out;
}

/** The attributes after a fixed header of `offset` bytes: type (without the nested/byte-order bits) to data. */
function attributes(payload: Buffer, offset: number): Map<number, Buffer> {
  const attrs = new Map<number, Buffer>();
  let at = offset;
  while (at + 4 <= payload.length) {
    const len = payload.readUInt16LE(at);
    if (len < 4 || at + len > payload.length) break;
    const type = payload.readUInt16LE(at + 2) & 0x3fff;
    if (!attrs.has(type)) attrs.set(type, payload.subarray(at + 4, at + len));
    at += align4(len);
  }
  return attrs;
}

/** A NUL-terminated string attribute. */
function text(data: Buffer | undefined): string | undefined {
  if (data === undefined) return undefined;
  const nul = data.indexOf(0);
  return data.toString('utf8', 0, nul < 0 ? data.length : nul);
}

/** An RTM_NEWLINK/RTM_DELLINK's payload: ifinfomsg, then IFLA_* attributes. */
export function parseLink(payload: Buffer): LinkInfo | undefined {
  if (payload.length < IFINFOMSG_LEN) return undefined;
  const index = payload.readInt32LE(4);
  const flags = payload.readUInt32LE(8);
  const attrs = attributes(payload, IFINFOMSG_LEN);
  const mac = attrs.get(IFLA_ADDRESS);
  return {
    index,
    name: text(attrs.get(IFLA_IFNAME)) ?? '',
    up: (flags & IFF_UP) !== 0,
    lowerUp: (flags & IFF_LOWER_UP) !== 0,
    running: (flags & IFF_RUNNING) !== 0,
    loopback: (flags & IFF_LOOPBACK) !== 0,
    mac: mac === undefined ? undefined : Buffer.from(mac),
  };
}

/** An RTM_NEWADDR/RTM_DELADDR's payload when it is IPv4: ifaddrmsg, then IFA_* attributes. */
export function parseIpv4Address(payload: Buffer): AddressInfo | undefined {
  if (payload.length < IFADDRMSG_LEN || payload[0] !== AF_INET) return undefined;
  const attrs = attributes(payload, IFADDRMSG_LEN);
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS differs only on point-to-point links.
  const bytes = attrs.get(IFA_LOCAL) ?? attrs.get(IFA_ADDRESS);
  if (bytes === undefined || bytes.length !== 4) return undefined;
  // The u32 IFA_FLAGS attribute, when present, supersedes the 8-bit ifa_flags field.
  const wide = attrs.get(IFA_FLAGS);
  const flags = wide !== undefined && wide.length >= 4 ? wide.readUInt32LE(0) : (payload[2] ?? 0);
  return {
    index: payload.readUInt32LE(4),
    address: ipv4FromBytes(bytes),
    prefixLength: payload[1] ?? 0,
    label: text(attrs.get(IFA_LABEL)),
    secondary: (flags & IFA_F_SECONDARY) !== 0,
  };
}

/** An NLMSG_ERROR's (or NLMSG_DONE's) error as a positive errno; 0 is an ack; undefined: too short. */
export function errorCode(payload: Buffer): number | undefined {
  return payload.length < 4 ? undefined : 0 - payload.readInt32LE(0);
}

/** A monitor's message as an event; undefined for anything else (other types, other families, bad bytes). */
export function eventOf(m: NetlinkMessage): RtnlEvent | undefined {
  if (m.type === RTM_NEWLINK || m.type === RTM_DELLINK) {
    const link = parseLink(m.payload);
    if (link === undefined) return undefined;
    return m.type === RTM_DELLINK ? { kind: 'linkDeleted', index: link.index, name: link.name } : { kind: 'link', link };
  }
  if (m.type === RTM_NEWADDR || m.type === RTM_DELADDR) {
    const address = parseIpv4Address(m.payload);
    if (address === undefined) return undefined;
    return m.type === RTM_DELADDR ? { kind: 'addressRemoved', address } : { kind: 'addressAdded', address };
  }
  return undefined;
}
