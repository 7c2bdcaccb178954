// IPv6 addresses as the VRRPv3 core needs them (RFC 5798 §5.1.2), and the header fields keepalived
// gives a VRRPv3 IPv6 advert. Pure, like the rest of vrrp/: text and bytes in, values out.
//
// An address is kept as text in the form glibc's inet_ntop prints (RFC 5952: lower case, the
// longest run of two or more zero groups as `::`, the first of equal runs), because that is what
// keepalived logs and what `ip -6 addr` shows; two spellings of one address are one value here.

declare const ipv6Brand: unique symbol;
/** An IPv6 address in inet_ntop's canonical text (`fe80::c0ff:fe00:20b`). */
export type Ipv6 = string & { readonly [ipv6Brand]: 'Ipv6' };

/** The IPv6 multicast group of VRRP (RFC 5798 §5.1.2.2); keepalived's INADDR6_VRRP_GROUP. */
export const VRRP_MULTICAST_GROUP6 = 'ff02::12' as Ipv6;
/** "The hop limit MUST be set to 255" (RFC 5798 §5.1.2.3); keepalived sets IPV6_MULTICAST_HOPS 255. */
export const VRRP_HOP_LIMIT = 255;
/** Traffic class keepalived sets with IPV6_TCLASS (vrrp_if.c), as IPv4's TOS 0xc0. */
export const VRRP_TRAFFIC_CLASS = 0xc0;
/** IPv6 header length; next header 112 (VRRP) follows it directly in an advert. */
export const IPV6_HEADER_LENGTH = 40;

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const DOTTED_TAIL = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The 8 groups of a textual address, or undefined when it is not one (no zone ids, no prefixes). */
function groupsOf(text: string): number[] | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  const lastColon = text.lastIndexOf(':');
  if (lastColon < 0) return undefined;
  let body = text;
  let tail: number[] = [];
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // An embedded IPv4 tail (`::ffff:192.0.2.1`) stands for the last two groups.
    const m = DOTTED_TAIL.exec(last);
    if (m === null) return undefined;
    const parts = m.slice(1, 5);
    if (parts.some((o) => Number(o) > 255 || (o.length > 1 && o.startsWith('0')))) return undefined;
    const [a, b, c, d] = parts.map(Number) as [number, number, number, number];
    tail = [(a << 8) | b, (c << 8) | d];
    body = text.slice(0, lastColon + 1);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!HEX_GROUP.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (head === undefined || rest === undefined) return undefined;
  const explicit = head.length + rest.length + tail.length;
  if (halves.length === 2) {
    // `::` stands for at least one zero group.
    if (explicit > 7) return undefined;
    return [...head, ...new Array<number>(8 - explicit).fill(0), ...rest, ...tail];
  }
  return explicit === 8 ? [...head, ...tail] : undefined;
}

function format(groups: readonly number[]): Ipv6 {
  // Longest run of at least two zero groups (the first of equal runs), as glibc's inet_ntop.
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  if (bestLength < 2) bestStart = -1;
  const hex = (from: number, to: number): string =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(':');
  // glibc prints an IPv4-compatible (::a.b.c.d) or IPv4-mapped (::ffff:a.b.c.d) address's tail dotted.
  const g6 = groups[6] ?? 0;
  const g7 = groups[7] ?? 0;
  const dottedTail = `${g6 >> 8}.${g6 & 0xff}.${g7 >> 8}.${g7 & 0xff}`;
  if (bestStart === 0 && (bestLength === 6 || (bestLength === 5 && groups[5] === 0xffff))) {
    return `::${bestLength === 5 ? 'ffff:' : ''}${dottedTail}` as Ipv6;
  }
  if (bestStart < 0) return hex(0, 8) as Ipv6;
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}` as Ipv6;
}

/** Any RFC 4291 textual form (no zone index, no prefix length) to the canonical one. */
export function parseIpv6(text: string): Ipv6 | undefined {
  const groups = groupsOf(text);
  return groups === undefined ? undefined : format(groups);
}

export function ipv6FromBytes(bytes: Uint8Array, offset = 0): Ipv6 {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((bytes[offset + 2 * i] ?? 0) << 8) | (bytes[offset + 2 * i + 1] ?? 0));
  return format(groups);
}

export function ipv6ToBytes(ip: Ipv6): Buffer {
  const groups = groupsOf(ip);
  if (groups === undefined) throw new RangeError(`${ip}: not an IPv6 address`);
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, 2 * i));
  return out;
}

/** fe80::/10, the only source RFC 5798 §5.1.2.1 allows a multicast advert. */
export function isLinkLocalIpv6(ip: Ipv6): boolean {
  const first = ipv6ToBytes(ip);
  return first[0] === 0xfe && ((first[1] ?? 0) & 0xc0) === 0x80;
}

/** ff00::/8. */
export function isMulticastIpv6(ip: Ipv6): boolean {
  return ipv6ToBytes(ip)[0] === 0xff;
}
