// keepalived 2.2.7's own VRRPv3 adverts (lab/capture-v3.ts made them; test/fixtures/captures/README.md):
// the frames from the .pcap, the .hex.txt dump of the same frames, and tcpdump's independent
// decoding of each VRRP frame (.tcpdump.txt).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { LINKTYPE_ETHERNET, parsePcap } from '../../lab/pcap.js';
import { CAPTURES_DIR, parseHexDump } from './captures.js';

/** A VRRPv3 IPv4 and an IPv6 instance of node A (advert_int 1 and 0.1), until SIGTERM. */
export const V3_ADVERT_CAPTURES = ['keepalived-v3-adverts-1s', 'keepalived-v3-adverts-100ms'] as const;
/** advert_int 40.955: keepalived rounds it to 4096 cs and sends Max Adver Int 0. */
export const V3_INTERVAL_40955 = 'keepalived-v3-interval-40955';
export type V3CaptureName = (typeof V3_ADVERT_CAPTURES)[number] | typeof V3_INTERVAL_40955;

/** Each advert capture's advert_int in centiseconds, as its .conf says. */
export const V3_CAPTURE_INTERVAL_CS: Readonly<Record<(typeof V3_ADVERT_CAPTURES)[number], number>> = {
  'keepalived-v3-adverts-1s': 100,
  'keepalived-v3-adverts-100ms': 10,
};

export const v3CapturePath = (name: V3CaptureName, ext: '.pcap' | '.hex.txt' | '.tcpdump.txt' | '.conf'): string =>
  join(CAPTURES_DIR, `${name}${ext}`);

/** What tcpdump -vv printed for one VRRP frame. */
export interface TcpdumpVrrp {
  readonly src: string;
  readonly dst: string;
  readonly vrid: number;
  readonly priority: number;
  readonly intervalCs: number;
  readonly length: number;
  readonly addresses: readonly string[];
  /** IPv4 TTL or IPv6 hop limit. */
  readonly ttl: number;
}

export interface V3Frame {
  readonly number: number;
  readonly frame: Buffer;
  readonly etherType: number;
  /** The IP packet (Ethernet header removed). */
  readonly ip: Buffer;
  /** tcpdump's reading of it when it is a VRRP frame. */
  readonly tcpdump: TcpdumpVrrp | undefined;
}

const VRRP_LINE =
  /(\S+) > (\S+): VRRPv3, Advertisement, vrid (\d+), prio (\d+), intvl (\d+)cs, length (\d+), addrs(?:\(\d+\))?: (\S+)/;

function tcpdumpRecords(name: V3CaptureName): string[] {
  // One record per frame: a timestamped line and its indented continuation lines.
  const records: string[] = [];
  for (const line of readFileSync(v3CapturePath(name, '.tcpdump.txt'), 'utf8').split('\n')) {
    if (/^\d\d:\d\d:\d\d\.\d+ /.test(line)) records.push(line);
    else if (line.trim() !== '' && records.length > 0) records[records.length - 1] += ` ${line.trim()}`;
  }
  return records;
}

function parseTcpdumpVrrp(record: string): TcpdumpVrrp | undefined {
  const m = VRRP_LINE.exec(record);
  if (m === null) return undefined;
  const ttl = /(?:ttl|hlim) (\d+)/.exec(record);
  return {
    src: m[1] ?? '',
    dst: m[2] ?? '',
    vrid: Number(m[3]),
    priority: Number(m[4]),
    intervalCs: Number(m[5]),
    length: Number(m[6]),
    addresses: (m[7] ?? '').split(','),
    ttl: Number(ttl?.[1]),
  };
}

export function readV3Capture(name: V3CaptureName): V3Frame[] {
  const parsed = parsePcap(readFileSync(v3CapturePath(name, '.pcap')));
  if (!parsed.ok) throw new Error(`${name}: ${parsed.error}`);
  if (parsed.value.linkType !== LINKTYPE_ETHERNET) throw new Error(`${name}: link type ${parsed.value.linkType}`);
  const records = tcpdumpRecords(name);
  if (records.length !== parsed.value.records.length) {
    throw new Error(`${name}: ${records.length} tcpdump records for ${parsed.value.records.length} frames`);
  }
  return parsed.value.records.map((r, i) => ({
    number: i + 1,
    frame: r.data,
    etherType: r.data.readUInt16BE(12),
    ip: r.data.subarray(14),
    tcpdump: parseTcpdumpVrrp(records[i] ?? ''),
  }));
}

/** The frames of the .hex.txt dump (the v2 dumps' format). */
export function readV3HexDump(name: V3CaptureName): Buffer[] {
  return parseHexDump(readFileSync(v3CapturePath(name, '.hex.txt'), 'utf8'));
}
