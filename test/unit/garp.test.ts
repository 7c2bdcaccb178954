// The GARP frame builder against keepalived 2.2.7's own takeover burst, byte for byte.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { buildGarpFrame, garpFrameLength } from '../../src/net/garp.js';
import type { Ipv4 } from '../../src/types.js';
import { CAPTURES_DIR } from '../helpers/captures.js';

const capturePath = join(CAPTURES_DIR, 'keepalived-garp-takeover.hex.txt');

/** The .hex.txt format: frames separated by blank lines, each line `OFFSET  hex bytes  ascii`. */
function parseHexDump(text: string): Buffer[] {
  return text
    .split(/\n\s*\n/)
    .map((block) =>
      block
        .split('\n')
        .map((line) => /^[0-9a-f]{4}\s+((?:[0-9a-f]{2} ?)+)/i.exec(line)?.[1] ?? '')
        .join('')
        .replace(/\s+/g, ''),
    )
    .filter((hex) => hex.length > 0)
    .map((hex) => Buffer.from(hex, 'hex'));
}

function mac(text: string): Buffer {
  return Buffer.from(text.split(':').join(''), 'hex');
}

describe('buildGarpFrame', () => {
  const captured = parseHexDump(readFileSync(capturePath, 'utf8'));

  it('reads the capture: ten GARPs (two bursts of five)', () => {
    expect(captured).toHaveLength(10);
  });

  it("equals every GARP node B (02:00:c0:00:02:0c) sent for 192.0.2.200 when taking over", () => {
    const frame = buildGarpFrame(mac('02:00:c0:00:02:0c'), '192.0.2.200' as Ipv4);
    expect(frame).toHaveLength(garpFrameLength);
    for (const c of captured) expect(frame.toString('hex')).toBe(c.toString('hex'));
  });

  it('puts the MAC in the Ethernet source and ARP sender fields, the VIP in both ARP IP fields', () => {
    const frame = buildGarpFrame(mac('02:00:c0:00:02:0b'), '198.51.100.7' as Ipv4);
    expect(frame.subarray(0, 6).toString('hex')).toBe('ffffffffffff');
    expect(frame.subarray(6, 12).toString('hex')).toBe('0200c000020b');
    expect(frame.readUInt16BE(12)).toBe(0x0806);
    expect(frame.readUInt16BE(20)).toBe(1); // request, not reply
    expect(frame.subarray(22, 28).toString('hex')).toBe('0200c000020b');
    expect([...frame.subarray(28, 32)]).toEqual([198, 51, 100, 7]);
    expect(frame.subarray(32, 38).toString('hex')).toBe('ffffffffffff');
    expect([...frame.subarray(38, 42)]).toEqual([198, 51, 100, 7]);
  });

  it('rejects a MAC that is not 6 bytes', () => {
    expect(() => buildGarpFrame(Buffer.alloc(5), '192.0.2.200' as Ipv4)).toThrow(RangeError);
  });
});
