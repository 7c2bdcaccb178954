// lab/pcap.ts, the reader the capture tests stand on: checked against the .hex.txt dumps and tshark's
// timestamps, and on synthetic files for the variants the captures don't have (nanosecond magic,
// big-endian, truncated tail, pcapng).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { ipv4FromFrame, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW, parsePcap } from '../../lab/pcap.js';
import { CAPTURE_NAMES, capturePath, readFieldsTsv, readHexDump } from '../helpers/captures.js';

describe('parsePcap on the real captures', () => {
  for (const name of CAPTURE_NAMES) {
    it(`${name}: frames equal the hex dump, times equal tshark's`, () => {
      const parsed = parsePcap(readFileSync(capturePath(name, '.pcap')));
      if (!parsed.ok) throw new Error(parsed.error);
      const file = parsed.value;
      expect(file.linkType).toBe(LINKTYPE_ETHERNET);
      expect(file.truncated).toBe(false);
      const hex = readHexDump(name);
      const fields = readFieldsTsv(name);
      expect(file.records.length).toBe(hex.length);
      expect(file.records.length).toBe(fields.length);
      file.records.forEach((record, i) => {
        expect(record.data.toString('hex')).toBe(hex[i]?.toString('hex'));
        expect(record.originalLength).toBe(record.data.length);
        // tshark prints seconds.nanoseconds; compare exactly through the integer parts.
        const [sec, frac] = (fields[i]?.['frame.time_epoch'] ?? '').split('.');
        expect(record.seconds).toBe(Number(sec));
        expect(record.nanoseconds).toBe(Number(frac));
        expect(Math.abs(record.t - Number(fields[i]?.['frame.time_epoch']))).toBeLessThan(1e-6);
      });
    });
  }
});

/** A pcap file built by hand: header fields in the given byte order. */
function synthetic(opts: { magic: number; bigEndian: boolean; linkType: number; records: { sec: number; frac: number; data: Buffer }[] }): Buffer {
  const put = (b: Buffer, value: number, offset: number): void => {
    if (opts.bigEndian) b.writeUInt32BE(value, offset);
    else b.writeUInt32LE(value, offset);
  };
  const header = Buffer.alloc(24);
  put(header, opts.magic, 0);
  if (opts.bigEndian) {
    header.writeUInt16BE(2, 4);
    header.writeUInt16BE(4, 6);
  } else {
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
  }
  put(header, 262144, 16);
  put(header, opts.linkType, 20);
  const parts: Buffer[] = [header];
  for (const r of opts.records) {
    const rh = Buffer.alloc(16);
    put(rh, r.sec, 0);
    put(rh, r.frac, 4);
    put(rh, r.data.length, 8);
    put(rh, r.data.length, 12);
    parts.push(rh, r.data);
  }
  return Buffer.concat(parts);
}

describe('parsePcap on synthetic files', () => {
  const data = Buffer.from('450000140000000040700000c0a80001e0000012', 'hex');

  it('nanosecond magic 0xa1b23c4d keeps nanoseconds', () => {
    const parsed = parsePcap(synthetic({ magic: 0xa1b23c4d, bigEndian: false, linkType: LINKTYPE_RAW, records: [{ sec: 1795596804, frac: 66050123, data }] }));
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.value.nanosecondResolution).toBe(true);
    expect(parsed.value.records[0]).toMatchObject({ seconds: 1795596804, nanoseconds: 66050123 });
    expect(parsed.value.records[0]?.t).toBeCloseTo(1795596804.066050123, 6);
  });

  it('big-endian microsecond files', () => {
    const parsed = parsePcap(synthetic({ magic: 0xa1b2c3d4, bigEndian: true, linkType: LINKTYPE_RAW, records: [{ sec: 10, frac: 250000, data }] }));
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.value.nanosecondResolution).toBe(false);
    expect(parsed.value.records[0]).toMatchObject({ t: 10.25, seconds: 10, nanoseconds: 250_000_000 });
    expect(parsed.value.records[0]?.data.equals(data)).toBe(true);
  });

  it('a file cut inside a record (tcpdump still writing) returns the complete records', () => {
    const whole = synthetic({
      magic: 0xa1b2c3d4,
      bigEndian: false,
      linkType: LINKTYPE_RAW,
      records: [
        { sec: 1, frac: 0, data },
        { sec: 2, frac: 0, data },
      ],
    });
    for (const cut of [whole.length - 1, whole.length - data.length - 8]) {
      const parsed = parsePcap(whole.subarray(0, cut));
      if (!parsed.ok) throw new Error(parsed.error);
      expect(parsed.value.truncated).toBe(true);
      expect(parsed.value.records.length).toBe(1);
    }
  });

  it('says why it cannot read pcapng, garbage, or a stub', () => {
    const ng = Buffer.from('0a0d0d0a000000004d3c2b1a', 'hex');
    const ngResult = parsePcap(Buffer.concat([ng, Buffer.alloc(20)]));
    expect(!ngResult.ok && ngResult.error).toMatch(/pcapng/);
    const garbage = parsePcap(Buffer.alloc(40, 0x55));
    expect(!garbage.ok && garbage.error).toMatch(/unknown magic 0x55555555/);
    expect(parsePcap(Buffer.alloc(3)).ok).toBe(false);
  });

  it('records are copies, not views of the input', () => {
    const file = synthetic({ magic: 0xa1b2c3d4, bigEndian: false, linkType: LINKTYPE_RAW, records: [{ sec: 1, frac: 0, data }] });
    const parsed = parsePcap(file);
    file.fill(0);
    expect(parsed.ok && parsed.value.records[0]?.data.equals(data)).toBe(true);
  });
});

describe('ipv4FromFrame', () => {
  const ip = Buffer.from('45c00028', 'hex');
  it('Ethernet, with and without an 802.1Q tag; not ARP', () => {
    const eth = Buffer.concat([Buffer.alloc(12), Buffer.from('0800', 'hex'), ip]);
    expect(ipv4FromFrame(LINKTYPE_ETHERNET, eth)?.equals(ip)).toBe(true);
    const tagged = Buffer.concat([Buffer.alloc(12), Buffer.from('81000033', 'hex'), Buffer.from('0800', 'hex'), ip]);
    expect(ipv4FromFrame(LINKTYPE_ETHERNET, tagged)?.equals(ip)).toBe(true);
    const arp = Buffer.concat([Buffer.alloc(12), Buffer.from('0806', 'hex'), ip]);
    expect(ipv4FromFrame(LINKTYPE_ETHERNET, arp)).toBeUndefined();
  });
  it('Linux cooked v2 (tcpdump -i any)', () => {
    const sll2 = Buffer.concat([Buffer.from('0800', 'hex'), Buffer.alloc(18), ip]);
    expect(ipv4FromFrame(LINKTYPE_LINUX_SLL2, sll2)?.equals(ip)).toBe(true);
  });
});
