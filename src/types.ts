// Value types shared by every layer. Branded so that a VRID can't be passed where a priority is
// expected; constructors validate and return undefined instead of throwing (errors as values).

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Virtual Router Identifier, 1..255 (RFC 3768 §5.3.3). */
export type Vrid = Brand<number, 'Vrid'>;
/** VRRP priority, 0..255: 0 = master is leaving, 255 = address owner (RFC 3768 §5.3.4). */
export type Priority = Brand<number, 'Priority'>;
/** An IPv4 address in dotted-quad form, as the kernel, iproute2 and keepalived print it. */
export type Ipv4 = Brand<string, 'Ipv4'>;
/** Milliseconds, possibly fractional (Skew_Time is a multiple of 1/256 s). */
export type Millis = number;

export function toVrid(n: number): Vrid | undefined {
  return Number.isInteger(n) && n >= 1 && n <= 255 ? (n as Vrid) : undefined;
}

export function toPriority(n: number): Priority | undefined {
  return Number.isInteger(n) && n >= 0 && n <= 255 ? (n as Priority) : undefined;
}

const dottedQuad = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Strict dotted quad: four decimal octets, no leading zeros beyond "0" itself. */
export function parseIpv4(text: string): Ipv4 | undefined {
  const m = dottedQuad.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5);
  for (const o of octets) {
    if (o.length > 1 && o.startsWith('0')) return undefined;
    if (Number(o) > 255) return undefined;
  }
  return text as Ipv4;
}

export function ipv4ToUint32(ip: Ipv4): number {
  const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

export function ipv4FromUint32(n: number): Ipv4 {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.') as Ipv4;
}

export function ipv4ToBytes(ip: Ipv4): Buffer {
  return Buffer.from(ip.split('.').map(Number));
}

export function ipv4FromBytes(buf: Uint8Array, offset = 0): Ipv4 {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}` as Ipv4;
}

/** Where a config value came from, for `file:line: what is wrong` messages. */
export interface SourcePos {
  readonly file: string;
  readonly line: number;
}

export function formatPos(pos: SourcePos): string {
  return `${pos.file}:${pos.line}`;
}

/** Result type for the edges: parse, validate, decode. */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };
export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const err = <E>(error: E): { ok: false; error: E } => ({ ok: false, error });
