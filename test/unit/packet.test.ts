// The codec against real keepalived 2.2.7 and FRR 8.4 captures, byte for byte.
import { describe, expect, it } from 'vitest';

import type { AuthConfig } from '../../src/config/config.js';
import { ipv4FromUint32, type Ipv4, type Vrid } from '../../src/types.js';
import {
  decodeDatagram,
  encodeAdvert,
  encodeDatagram,
  encodeIpv4Header,
  internetChecksum,
  nextIpId,
  type Expectation,
} from '../../src/vrrp/packet.js';
import { vrrpFrames, type CapturedFrame, type CaptureName } from '../helpers/captures.js';
import { prio, vrid } from '../helpers/values.js';

const VIP = '192.0.2.200' as Ipv4;
const PASS_1111: AuthConfig = { type: 'PASS', password: '1111' };
const NONE: AuthConfig = { type: 'NONE' };

/** h1.conf / h2.conf: vrid 51, advert_int 1, PASS 1111, VIP 192.0.2.200, multicast. */
const pairExpectation: Expectation = { advertIntSec: 1, auth: PASS_1111, vips: [VIP], checkAddresses: true, multicast: true };
const only51 =
  (e: Expectation) =>
  (vrid: Vrid): Expectation | undefined =>
    vrid === 51 ? e : undefined;


const KEEPALIVED_PASS_CAPTURES: CaptureName[] = [
  'keepalived-adverts-steady',
  'keepalived-startup',
  'keepalived-prio0-sigterm',
  'keepalived-sigterm-full',
];

function sourceOf(frame: CapturedFrame & { datagram: Buffer }): Ipv4 {
  return ipv4FromUint32(frame.datagram.readUInt32BE(12));
}

describe('decodeDatagram on real keepalived 2.2.7 adverts', () => {
  for (const name of KEEPALIVED_PASS_CAPTURES) {
    it(`${name}: every VRRP frame is accepted with tshark's fields`, () => {
      const frames = vrrpFrames(name);
      expect(frames.length).toBeGreaterThan(0);
      for (const frame of frames) {
        const f = frame.fields;
        const decoded = decodeDatagram(frame.datagram, sourceOf(frame), only51(pairExpectation));
        if (!decoded.ok) throw new Error(`frame ${frame.number}: ${decoded.drop.reason} ${decoded.drop.detail}`);
        const a = decoded.advert;
        expect(a.vrid).toBe(Number(f['vrrp.virt_rtr_id']));
        expect(a.priority).toBe(Number(f['vrrp.prio']));
        expect(a.addresses.length).toBe(Number(f['vrrp.addr_count']));
        expect(a.authType).toBe(Number(f['vrrp.auth_type']));
        expect(a.advertIntSec).toBe(Number(f['vrrp.adver_int']));
        expect(a.addresses).toEqual([f['vrrp.ip_addr']]);
        expect(a.src).toBe(f['ip.src']);
        expect(a.dst).toBe(f['ip.dst']);
        expect(a.ttl).toBe(Number(f['ip.ttl']));
        // Header fields the Advert does not carry, straight from the bytes.
        expect(frame.datagram.readUInt16BE(4)).toBe(Number(f['ip.id']));
        expect(frame.datagram[1]).toBe(Number(f['ip.dsfield']));
        expect(frame.datagram.readUInt16BE(26)).toBe(Number(f['vrrp.checksum']));
        expect(frame.datagram.subarray(36, 40).toString('latin1')).toBe('\0\0\0\0');
        expect(frame.datagram.subarray(32, 36).toString('latin1')).toBe(f['vrrp.auth_string']);
      }
    });
  }

  it('sees the priority-0 advert of a SIGTERM as priority 0', () => {
    const [frame] = vrrpFrames('keepalived-prio0-sigterm');
    if (!frame) throw new Error('no frame');
    const decoded = decodeDatagram(frame.datagram, sourceOf(frame), only51(pairExpectation));
    expect(decoded.ok && decoded.advert.priority).toBe(0);
  });
});

describe('encodeDatagram reproduces keepalived 2.2.7 byte for byte', () => {
  for (const name of KEEPALIVED_PASS_CAPTURES) {
    it(`${name}: same IP header and VRRP message for every advert`, () => {
      for (const frame of vrrpFrames(name)) {
        const f = frame.fields;
        const built = encodeDatagram({
          vrid: vrid(51),
          priority: prio(Number(f['vrrp.prio'])),
          advertIntSec: 1,
          auth: PASS_1111,
          addresses: [VIP],
          src: f['ip.src'] as Ipv4,
          dst: '224.0.0.18' as Ipv4,
          id: Number(f['ip.id']),
        });
        expect(built.toString('hex'), `frame ${frame.number}`).toBe(frame.datagram.toString('hex'));
      }
    });
  }

  it('h1.conf as MASTER: 0x21 51 150 1 PASS 1 0x229f 192.0.2.200 "1111\\0\\0\\0\\0"', () => {
    const advert = encodeAdvert({ vrid: vrid(51), priority: prio(150), advertIntSec: 1, auth: PASS_1111, addresses: [VIP] });
    expect(advert.toString('hex')).toBe('21339601010122' + '9f' + 'c00002c8' + '3131313100000000');
  });

  it('the priority-0 advert (checksum 0xb89f)', () => {
    const advert = encodeAdvert({ vrid: vrid(51), priority: prio(0), advertIntSec: 1, auth: PASS_1111, addresses: [VIP] });
    expect(advert.readUInt16BE(6)).toBe(0xb89f);
    const [frame] = vrrpFrames('keepalived-prio0-sigterm');
    expect(advert.equals(frame?.datagram.subarray(20) ?? Buffer.alloc(0))).toBe(true);
  });

  it('keepalived-strict-adverts-steady (vrrp_strict: auth type 0) matches an auth NONE encoding', () => {
    const frames = vrrpFrames('keepalived-strict-adverts-steady');
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) {
      const built = encodeDatagram({
        vrid: vrid(51),
        priority: prio(150),
        advertIntSec: 1,
        auth: NONE,
        addresses: [VIP],
        src: '192.0.2.11' as Ipv4,
        dst: '224.0.0.18' as Ipv4,
        id: Number(frame.fields['ip.id']),
      });
      expect(built.toString('hex')).toBe(frame.datagram.toString('hex'));
      const strict = { ...pairExpectation, auth: NONE };
      expect(decodeDatagram(frame.datagram, sourceOf(frame), only51(strict)).ok).toBe(true);
    }
  });

  it('encodeIpv4Header: no DF, TTL 255, TOS 0xc0, protocol 112, a checksum that verifies', () => {
    const header = encodeIpv4Header({ src: '192.0.2.11' as Ipv4, dst: '224.0.0.18' as Ipv4, id: 0x000a, payloadLength: 20 });
    expect(header.toString('hex')).toBe('45c00028000a0000ff70187ec000020be0000012');
    expect(internetChecksum(header)).toBe(0);
  });

  it('encodeIpv4Header honours a unicast_ttl', () => {
    const header = encodeIpv4Header({ src: '192.0.2.11' as Ipv4, dst: '192.0.2.12' as Ipv4, id: 1, payloadLength: 20, ttl: 64 });
    expect(header[8]).toBe(64);
    expect(internetChecksum(header)).toBe(0);
  });

  it('several VIPs go in order and the count follows', () => {
    const addresses = ['192.0.2.200', '192.0.2.201', '198.51.100.7'] as Ipv4[];
    const advert = encodeAdvert({ vrid: vrid(7), priority: prio(100), advertIntSec: 3, auth: NONE, addresses });
    expect(advert.length).toBe(8 + 12 + 8);
    expect(advert[3]).toBe(3);
    expect(advert.subarray(8, 20).toString('hex')).toBe('c00002c8c00002c9c6336407');
    expect(internetChecksum(advert)).toBe(0);
  });

  it('a password longer than 8 bytes goes out truncated, as keepalived does', () => {
    const advert = encodeAdvert({ vrid: vrid(1), priority: prio(100), advertIntSec: 1, auth: { type: 'PASS', password: '0123456789' }, addresses: [] });
    expect(advert.subarray(8).toString('latin1')).toBe('01234567');
  });

  it('rejects what VRRPv2 cannot carry', () => {
    const base = { vrid: vrid(1), priority: prio(100), auth: NONE, addresses: [] };
    expect(() => encodeAdvert({ ...base, advertIntSec: 0 })).toThrow(RangeError);
    expect(() => encodeAdvert({ ...base, advertIntSec: 1.5 })).toThrow(RangeError);
    expect(() => encodeAdvert({ ...base, advertIntSec: 256 })).toThrow(RangeError);
    const tooMany = Array.from({ length: 256 }, (_, i) => ipv4FromUint32(0xc0000200 + i));
    expect(() => encodeAdvert({ ...base, advertIntSec: 1, addresses: tooMany })).toThrow(RangeError);
  });
});

describe('nextIpId', () => {
  it('counts up by one, as in keepalived-sigterm-full (0x0001, 0x0002, ...)', () => {
    const ids = vrrpFrames('keepalived-sigterm-full')
      .filter((f) => f.fields['ip.src'] === '192.0.2.12')
      .map((f) => Number(f.fields['ip.id']));
    expect(ids[0]).toBe(nextIpId(0));
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(nextIpId(ids[i - 1] ?? -1));
  });

  it('wraps at 16 bits and skips 0 (the kernel would fill in a 0 id)', () => {
    expect(nextIpId(0xfffe)).toBe(0xffff);
    expect(nextIpId(0xffff)).toBe(1);
    expect(nextIpId(0)).toBe(1);
  });
});

describe('FRR vrrpd 8.4 VRRPv2 adverts', () => {
  const frrExpectation: Expectation = { ...pairExpectation, auth: NONE };

  it('are accepted by an instance configured like frr-h1-vrrpd.conf (no auth)', () => {
    const frames = vrrpFrames('frr-adverts-steady');
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) {
      const decoded = decodeDatagram(frame.datagram, sourceOf(frame), only51(frrExpectation));
      if (!decoded.ok) throw new Error(`frame ${frame.number}: ${decoded.drop.detail}`);
      expect(decoded.advert).toMatchObject({ vrid: 51, priority: 150, authType: 0, advertIntSec: 1, addresses: [VIP] });
      // FRR sets DF and uses the kernel's IP ids; neither matters to the checks.
      expect(frame.datagram.readUInt16BE(6) & 0x4000).toBe(0x4000);
    }
  });

  it('carry the same VRRP message as our auth NONE encoding (8 zero auth bytes included)', () => {
    const [frame] = vrrpFrames('frr-adverts-steady');
    const ours = encodeAdvert({ vrid: vrid(51), priority: prio(150), advertIntSec: 1, auth: NONE, addresses: [VIP] });
    expect(frame?.datagram.subarray(20).toString('hex')).toBe(ours.toString('hex'));
  });

  it('are rejected by the keepalived pair config (PASS): auth type mismatch', () => {
    const [frame] = vrrpFrames('frr-adverts-steady');
    if (!frame) throw new Error('no frame');
    const decoded = decodeDatagram(frame.datagram, sourceOf(frame), only51(pairExpectation));
    expect(decoded).toEqual({ ok: false, drop: { reason: 'authTypeMismatch', vrid: 51, detail: 'received a 0 auth, expecting 1!' } });
  });
});

describe('encode/decode round trip', () => {
  it('random valid adverts decode to what was encoded', () => {
    let seed = 0x5eed;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let run = 0; run < 2000; run++) {
      const addresses = Array.from({ length: random(6) }, () => ipv4FromUint32(random(0x1000000) * 256 + random(256)));
      const password = 'abcdefgh'.slice(0, 1 + random(8));
      const auth: AuthConfig = random(2) === 0 ? NONE : { type: 'PASS', password };
      const advertIntSec = 1 + random(255);
      const sent = { vrid: vrid(1 + random(255)), priority: prio(random(256)), advertIntSec, auth, addresses };
      const multicast = random(2) === 0;
      const dst = (multicast ? '224.0.0.18' : '192.0.2.12') as Ipv4;
      const bytes = encodeDatagram({ ...sent, src: '192.0.2.11' as Ipv4, dst, id: random(65536) });
      const expectation: Expectation = { advertIntSec, auth, vips: addresses, checkAddresses: true, multicast };
      const decoded = decodeDatagram(bytes, '192.0.2.11' as Ipv4, (v) => (v === sent.vrid ? expectation : undefined));
      if (!decoded.ok) throw new Error(`run ${run}: ${decoded.drop.reason}: ${decoded.drop.detail}`);
      expect(decoded.advert).toEqual({
        vrid: sent.vrid,
        priority: sent.priority,
        advertIntSec,
        authType: auth.type === 'PASS' ? 1 : 0,
        addresses,
        src: '192.0.2.11',
        dst,
        ttl: 255,
      });
    }
  });
});
