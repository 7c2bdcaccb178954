// IPv6 addresses in the core: inet_ntop's canonical text, bytes both ways, link-local and multicast.
import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { ipv6FromBytes, ipv6ToBytes, isLinkLocalIpv6, isMulticastIpv6, parseIpv6, type Ipv6 } from '../../src/vrrp/ipv6.js';

/** WHATWG URL's IPv6 serializer: RFC 5952, as inet_ntop but never with a dotted IPv4 tail. */
const whatwg = (groups: readonly number[]): string =>
  new URL(`http://[${groups.map((g) => g.toString(16)).join(':')}]/`).hostname.slice(1, -1);

const arbGroups = fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.nat(0xffff)), { minLength: 8, maxLength: 8 });
const bytesOf = (groups: readonly number[]): Buffer => {
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(g, 2 * i));
  return b;
};
/** glibc prints these with a dotted IPv4 tail. */
const dottedForm = (g: readonly number[]): boolean =>
  g.slice(0, 5).every((x) => x === 0) && (g[5] === 0 || g[5] === 0xffff) && !(g[5] === 0 && g[6] === 0);

describe('parseIpv6 / ipv6FromBytes', () => {
  it.each([
    ['FE80::C0FF:FE00:020B', 'fe80::c0ff:fe00:20b'],
    ['ff02:0:0:0:0:0:0:12', 'ff02::12'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group stays
    ['::', '::'],
    ['::1', '::1'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['::ffff:c000:201', '::ffff:192.0.2.1'],
    ['::192.0.2.1', '::192.0.2.1'],
    ['1:2:3:4:5:6:192.0.2.1', '1:2:3:4:5:6:c000:201'],
  ])('%s is %s', (text, canonical) => {
    expect(parseIpv6(text)).toBe(canonical);
  });

  it.each(['', '1', '192.0.2.1', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '::1:2:3:4:5:6:7:8', '12345::', 'g::', 'fe80::1%eth0', '::ffff:256.0.0.1', '::ffff:01.0.0.1', '2001:db8::/64', ':1::', '1::2:'])(
    '%j is not an address',
    (text) => {
      expect(parseIpv6(text)).toBeUndefined();
    },
  );

  it('formats as inet_ntop: WHATWG URL agrees except for the dotted tails glibc prints', () => {
    fc.assert(
      fc.property(arbGroups, (g) => {
        const ours = ipv6FromBytes(bytesOf(g));
        if (!dottedForm(g)) expect(ours).toBe(whatwg(g));
        expect(parseIpv6(ours)).toBe(ours);
        expect(ipv6ToBytes(ours)).toEqual(bytesOf(g));
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts exactly what node:net calls IPv6 (without zone ids), canonicalised', () => {
    const arbText = fc.oneof(
      arbGroups.map((g) => g.map((x) => x.toString(16)).join(':')),
      arbGroups.map((g) => whatwg(g)),
      fc.stringMatching(/^[0-9a-f:.]{0,24}$/),
    );
    fc.assert(
      fc.property(arbText, (text) => {
        const parsed = parseIpv6(text);
        expect(parsed !== undefined).toBe(isIPv6(text));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('address classes', () => {
  it('link-local is fe80::/10', () => {
    expect(isLinkLocalIpv6('fe80::1' as Ipv6)).toBe(true);
    expect(isLinkLocalIpv6('febf:ffff::1' as Ipv6)).toBe(true);
    expect(isLinkLocalIpv6('fec0::1' as Ipv6)).toBe(false);
    expect(isLinkLocalIpv6('2001:db8::1' as Ipv6)).toBe(false);
  });
  it('multicast is ff00::/8, by the first byte, not the text', () => {
    expect(isMulticastIpv6('ff02::12' as Ipv6)).toBe(true);
    expect(isMulticastIpv6('ff::' as Ipv6)).toBe(false);
  });
});
