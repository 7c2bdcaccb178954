// A small, pure reader of classic pcap files (what `tcpdump -w` writes), for tests and the lab
// harness. No I/O: hand it the file's bytes (readFileSync, or what a running tcpdump has written so
// far) and it returns the records. pcapng is not supported (tcpdump writes classic pcap unless told).
//
// Format (https://www.tcpdump.org/manpages/pcap-savefile.5.html, draft-ietf-opsawg-pcap):
//   24-byte file header: magic, version 2.4, thiszone, sigfigs, snaplen, linktype
//   per record, 16 bytes: ts_sec, ts_frac, incl_len, orig_len, then incl_len bytes of frame.
// The magic tells the byte order and the timestamp unit: 0xa1b2c3d4 = microseconds,
// 0xa1b23c4d = nanoseconds (`tcpdump --time-stamp-precision=nano`); either may appear byte-swapped.

import { err, ok, type Result } from '../src/types.js';

export interface PcapRecord {
  /** Capture time, seconds since the epoch as a float (sub-microsecond precision is lost). */
  readonly t: number;
  /** The exact capture time: whole seconds and nanoseconds within the second. */
  readonly seconds: number;
  readonly nanoseconds: number;
  /** The captured bytes (a copy, safe to keep). May be shorter than originalLength (snaplen). */
  readonly data: Buffer;
  readonly originalLength: number;
}

export interface PcapFile {
  /** LINKTYPE_* of every record: 1 Ethernet, 113 Linux cooked (SLL), 276 SLL2, 101/228 raw IPv4. */
  readonly linkType: number;
  readonly snapLen: number;
  readonly nanosecondResolution: boolean;
  readonly records: readonly PcapRecord[];
  /**
   * The file ended inside a record: normal while tcpdump is still writing (it buffers), so the
   * complete records are returned and the partial one is left out.
   */
  readonly truncated: boolean;
}

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_LINUX_SLL2 = 276;

const FILE_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;
const MAGIC_MICROSECONDS = 0xa1b2c3d4;
const MAGIC_NANOSECONDS = 0xa1b23c4d;
const MAGIC_PCAPNG = 0x0a0d0d0a;

export function parsePcap(bytes: Uint8Array): Result<PcapFile, string> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < FILE_HEADER_LENGTH) return err(`pcap: ${buf.length} bytes, shorter than the file header`);

  const magicLE = buf.readUInt32LE(0);
  const magicBE = buf.readUInt32BE(0);
  let littleEndian: boolean;
  let nanosecondResolution: boolean;
  if (magicLE === MAGIC_MICROSECONDS || magicLE === MAGIC_NANOSECONDS) {
    littleEndian = true;
    nanosecondResolution = magicLE === MAGIC_NANOSECONDS;
  } else if (magicBE === MAGIC_MICROSECONDS || magicBE === MAGIC_NANOSECONDS) {
    littleEndian = false;
    nanosecondResolution = magicBE === MAGIC_NANOSECONDS;
  } else if (magicBE === MAGIC_PCAPNG) {
    return err('pcap: this is pcapng; write classic pcap (tcpdump -w, or editcap -F pcap)');
  } else {
    return err(`pcap: unknown magic 0x${magicBE.toString(16).padStart(8, '0')}`);
  }

  const u32 = (offset: number): number => (littleEndian ? buf.readUInt32LE(offset) : buf.readUInt32BE(offset));
  const snapLen = u32(16);
  // The top bits of the link-type word may carry an FCS length; the link type is the low 16 bits.
  const linkType = u32(20) & 0xffff;
  const fractionToNanoseconds = nanosecondResolution ? 1 : 1000;
  const fractionLimit = nanosecondResolution ? 1e9 : 1e6;

  const records: PcapRecord[] = [];
  let offset = FILE_HEADER_LENGTH;
  let truncated = false;
  while (offset < buf.length) {
    if (offset + RECORD_HEADER_LENGTH > buf.length) {
      truncated = true;
      break;
    }
    const seconds = u32(offset);
    const fraction = u32(offset + 4);
    const includedLength = u32(offset + 8);
    const originalLength = u32(offset + 12);
    if (fraction >= fractionLimit) {
      return err(`pcap: record at byte ${offset} has timestamp fraction ${fraction} out of range`);
    }
    const dataStart = offset + RECORD_HEADER_LENGTH;
    if (dataStart + includedLength > buf.length) {
      truncated = true;
      break;
    }
    const nanoseconds = fraction * fractionToNanoseconds;
    records.push({
      t: seconds + nanoseconds / 1e9,
      seconds,
      nanoseconds,
      data: Buffer.from(buf.subarray(dataStart, dataStart + includedLength)),
      originalLength,
    });
    offset = dataStart + includedLength;
  }

  return ok({ linkType, snapLen, nanosecondResolution, records, truncated });
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_VLAN = 0x8100;

/**
 * The IPv4 datagram inside one captured frame, or undefined when the frame carries something
 * else (ARP, IPv6, ...). Trailing link-layer padding is kept: Ethernet pads short frames to 60
 * bytes on real NICs (veth and bridges don't), so trim to the IP total length yourself if needed.
 */
export function ipv4FromFrame(linkType: number, frame: Buffer): Buffer | undefined {
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      if (frame.length < 14) return undefined;
      let typeOffset = 12;
      // One 802.1Q tag at most: the lab uses none, a trunk capture might.
      if (frame.readUInt16BE(typeOffset) === ETHERTYPE_VLAN && frame.length >= 18) typeOffset += 4;
      return frame.readUInt16BE(typeOffset) === ETHERTYPE_IPV4 ? frame.subarray(typeOffset + 2) : undefined;
    }
    case LINKTYPE_LINUX_SLL:
      // 16-byte header, protocol type in its last two bytes (`tcpdump -i any`, older libpcap).
      return frame.length >= 16 && frame.readUInt16BE(14) === ETHERTYPE_IPV4 ? frame.subarray(16) : undefined;
    case LINKTYPE_LINUX_SLL2:
      // 20-byte header, protocol type first (`tcpdump -i any`, libpcap >= 1.10).
      return frame.length >= 20 && frame.readUInt16BE(0) === ETHERTYPE_IPV4 ? frame.subarray(20) : undefined;
    case LINKTYPE_RAW:
    case LINKTYPE_IPV4:
      return frame.length >= 1 && (frame[0] ?? 0) >> 4 === 4 ? frame : undefined;
    default:
      return undefined;
  }
}
