// Packet capture from inside a lab host: tcpdump writes a nanosecond pcap, we decode its Ethernet
// frames into typed VRRP / ARP records so tests can assert on what really went over the wire.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Result } from '../src/types.js';
import { err, ipv4FromBytes, ok } from '../src/types.js';
import type { Lab } from './netns.js';
import { LINKTYPE_ETHERNET, parsePcap } from './pcap.js';
import type { ExitInfo, TrackedProcess } from './process.js';

// ---------------------------------------------------------------------------------------------
// Frames

interface FrameBase {
  /** Capture time, seconds since the epoch (compare with wallClockSeconds()). */
  readonly t: number;
  readonly srcMac: string;
  readonly dstMac: string;
}

export interface VrrpFrame extends FrameBase {
  readonly kind: 'vrrp';
  readonly src: string;
  readonly dst: string;
  readonly ttl: number;
  readonly tos: number;
  readonly ipId: number;
  /** The IPv4 "don't fragment" flag. */
  readonly df: boolean;
  readonly version: number;
  /** 1 = advertisement. */
  readonly type: number;
  readonly vrid: number;
  readonly priority: number;
  readonly advertInt: number;
  readonly authType: number;
  /** The 8 authentication bytes as text with trailing NULs removed (auth_type PASS). */
  readonly authData: string;
  readonly checksum: number;
  readonly addresses: readonly string[];
  /** The VRRP payload (from the version/type byte to the end of the IP datagram). */
  readonly rawVrrp: Buffer;
}

export interface ArpFrame extends FrameBase {
  readonly kind: 'arp';
  /** 1 = request, 2 = reply. */
  readonly op: number;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
}

export interface OtherFrame extends FrameBase {
  readonly kind: 'other';
  readonly etherType: number;
  /** For IPv4 frames that are not VRRP. */
  readonly ipProtocol: number | undefined;
}

export type Frame = VrrpFrame | ArpFrame | OtherFrame;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const IPPROTO_VRRP = 112;

function macAt(b: Buffer, offset: number): string {
  return [...b.subarray(offset, offset + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Decode one Ethernet frame. Short or malformed frames come back as kind 'other'. */
export function decodeEthernetFrame(t: number, data: Buffer): Frame {
  const srcMac = data.length >= 12 ? macAt(data, 6) : '';
  const dstMac = data.length >= 6 ? macAt(data, 0) : '';
  const etherType = data.length >= 14 ? data.readUInt16BE(12) : 0;
  const other: OtherFrame = { kind: 'other', t, srcMac, dstMac, etherType, ipProtocol: undefined };
  if (etherType === ETHERTYPE_ARP) return decodeArp(t, srcMac, dstMac, data.subarray(14)) ?? other;
  if (etherType !== ETHERTYPE_IPV4) return other;
  const ip = data.subarray(14);
  if (ip.length < 20 || (ip[0] ?? 0) >> 4 !== 4) return other;
  const ihl = ((ip[0] ?? 0) & 0x0f) * 4;
  const totalLength = ip.readUInt16BE(2);
  const protocol = ip[9] ?? 0;
  if (protocol !== IPPROTO_VRRP) return { ...other, ipProtocol: protocol };
  // Trim Ethernet padding: the datagram ends at the IP total length.
  const vrrp = ip.subarray(ihl, Math.min(totalLength, ip.length));
  if (vrrp.length < 8) return { ...other, ipProtocol: protocol };
  const count = vrrp[3] ?? 0;
  const addresses: string[] = [];
  for (let i = 0; i < count && 8 + i * 4 + 4 <= vrrp.length; i++) addresses.push(ipv4FromBytes(vrrp, 8 + i * 4));
  const authStart = 8 + count * 4;
  const authData = vrrp.subarray(authStart, authStart + 8).toString('latin1').replace(/\0+$/, '');
  return {
    kind: 'vrrp',
    t,
    srcMac,
    dstMac,
    src: ipv4FromBytes(ip, 12),
    dst: ipv4FromBytes(ip, 16),
    ttl: ip[8] ?? 0,
    tos: ip[1] ?? 0,
    ipId: ip.readUInt16BE(4),
    df: (ip.readUInt16BE(6) & 0x4000) !== 0,
    version: (vrrp[0] ?? 0) >> 4,
    type: (vrrp[0] ?? 0) & 0x0f,
    vrid: vrrp[1] ?? 0,
    priority: vrrp[2] ?? 0,
    authType: vrrp[4] ?? 0,
    advertInt: vrrp[5] ?? 0,
    checksum: vrrp.readUInt16BE(6),
    addresses,
    authData,
    rawVrrp: Buffer.from(vrrp),
  };
}

function decodeArp(t: number, srcMac: string, dstMac: string, arp: Buffer): ArpFrame | undefined {
  // Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4.
  if (arp.length < 28 || arp.readUInt16BE(0) !== 1 || arp.readUInt16BE(2) !== ETHERTYPE_IPV4) return undefined;
  if (arp[4] !== 6 || arp[5] !== 4) return undefined;
  return {
    kind: 'arp',
    t,
    srcMac,
    dstMac,
    op: arp.readUInt16BE(6),
    senderMac: macAt(arp, 8),
    senderIp: ipv4FromBytes(arp, 14),
    targetMac: macAt(arp, 18),
    targetIp: ipv4FromBytes(arp, 24),
  };
}

/** Decode a whole pcap file's bytes (Ethernet link type only, which is what a veth gives). */
export function decodePcap(bytes: Uint8Array): Result<Frame[], string> {
  const file = parsePcap(bytes);
  if (!file.ok) return file;
  if (file.value.linkType !== LINKTYPE_ETHERNET) return err(`capture: link type ${file.value.linkType}, expected Ethernet`);
  return ok(file.value.records.map((r) => decodeEthernetFrame(r.t, r.data)));
}

// ---------------------------------------------------------------------------------------------
// Queries

export function advertsFrom(frames: readonly Frame[], src: string): VrrpFrame[] {
  return frames.filter((f): f is VrrpFrame => f.kind === 'vrrp' && f.src === src);
}

/**
 * Intervals between `src`'s adverts (priority > 0) sent between `from` and `to` (capture seconds),
 * in ms: an advert's lateness is its interval minus advert_int. The status flood's probe.
 */
export function advertIntervalsMs(frames: readonly Frame[], src: string, from: number, to: number): number[] {
  const times = advertsFrom(frames, src)
    .filter((f) => f.priority > 0 && f.t >= from && f.t <= to)
    .map((f) => f.t);
  return times.slice(1).map((t, i) => (t - (times[i] ?? t)) * 1000);
}

export function lastAdvertBefore(frames: readonly Frame[], src: string, beforeT: number): VrrpFrame | undefined {
  return advertsFrom(frames, src)
    .filter((f) => f.t < beforeT)
    .at(-1);
}

/** A gratuitous ARP announces `ip`: sender and target address are both the announced address. */
export function isGarpFor(f: Frame, ip: string): f is ArpFrame {
  return f.kind === 'arp' && f.senderIp === ip && f.targetIp === ip;
}

export function garpsFor(frames: readonly Frame[], ip: string, fromMac?: string): ArpFrame[] {
  return frames.filter((f): f is ArpFrame => isGarpFor(f, ip) && (fromMac === undefined || f.senderMac === fromMac.toLowerCase()));
}

export function firstGarpAfter(frames: readonly Frame[], ip: string, afterT: number, fromMac?: string): ArpFrame | undefined {
  return garpsFor(frames, ip, fromMac).find((f) => f.t > afterT);
}

// ---------------------------------------------------------------------------------------------
// Running tcpdump

export interface CaptureOptions {
  readonly iface?: string;
  /** pcap-filter expression; default `vrrp or arp`. */
  readonly filter?: string;
  readonly startTimeoutMs?: number;
  /**
   * tcpdump -B: the kernel ring in KiB (libpcap's default is 2 MiB). A burst bigger than the ring
   * (255 adverts sent in the same ms) is dropped by the kernel before tcpdump sees it.
   */
  readonly bufferKiB?: number;
}

export interface Capture {
  readonly file: string;
  readonly process: TrackedProcess;
  /** Frames written so far (tcpdump -U flushes per packet), while it keeps running. */
  framesSoFar(): Result<Frame[], string>;
  /** Stop tcpdump (SIGTERM, it flushes and exits) and decode everything it captured. */
  stop(): Promise<Result<Frame[], string>>;
  /** After stop(): tcpdump's "N packets dropped by kernel" (frames the capture missed), if it said. */
  kernelDrops(): number | undefined;
}

/** Start tcpdump in a host and resolve once it is really capturing (its "listening on" line). */
export async function startCapture(lab: Lab, host: string, opts: CaptureOptions = {}): Promise<Result<Capture, string>> {
  const dir = mkdtempSync(join(tmpdir(), `${lab.id}-cap-`));
  lab.onDestroy(
    () => rmSync(dir, { recursive: true, force: true }),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  const file = join(dir, `${host}.pcap`);
  const iface = opts.iface ?? 'eth0';
  const argv = [
    'tcpdump',
    '-i', iface,
    // Stay root: Debian's tcpdump otherwise drops to user tcpdump before opening the file.
    '-Z', 'root',
    // Without immediate mode libpcap hands packets over a ring block at a time (up to ~1 s late), and
    // SIGTERM abandons whatever is still in the ring: "4 packets received by filter, 0 captured".
    '--immediate-mode',
    '-U', '-n', '-w', file,
    ...(opts.bufferKiB === undefined ? [] : ['-B', String(opts.bufferKiB)]),
    '--time-stamp-precision=nano',
    opts.filter ?? 'vrrp or arp',
  ];
  const proc = lab.spawn(host, argv);
  // tcpdump prints this after the device is activated and the filter installed: packets from now on are seen.
  const listening = await proc.waitForLine(/listening on /, { timeoutMs: opts.startTimeoutMs ?? 5000, stream: 'stderr' });
  if (!listening.ok) {
    await proc.stop(500);
    return err(`tcpdump in ${host}: ${listening.error}`);
  }
  const read = (): Result<Frame[], string> => {
    try {
      return decodePcap(readFileSync(file));
    } catch (e) {
      return err(`capture ${file}: ${(e as Error).message}`);
    }
  };
  let stopped: Promise<ExitInfo> | undefined;
  return ok({
    file,
    process: proc,
    framesSoFar: read,
    stop: async () => {
      stopped ??= proc.stop(2000);
      await stopped;
      return read();
    },
    kernelDrops: () => {
      const said = proc.stderrLines().map((l) => /^(\d+) packets? dropped by kernel/.exec(l)).find((m) => m !== null);
      return said === undefined || said === null ? undefined : Number(said[1]);
    },
  });
}
