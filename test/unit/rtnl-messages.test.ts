// src/net/rtnl-messages.ts on real kernel bytes: test/fixtures/rtnl/*.hex are datagrams (one a line,
// hex) read with native/netlink-socket.cc in a lab namespace (kernel 6.18): `links` and `addrs` the
// replies to vrrpd's two dump requests (lo; v1@v0 up with 198.51.100.7/32; v0@v1 up with
// 192.0.2.1/24 and the secondary 192.0.2.200/24 labelled v0:vip), `mon` what a monitor bound to
// RTMGRP_LINK|RTMGRP_IPV4_IFADDR got for `ip addr del 192.0.2.200/24 dev v0`, `ip link set v1 down`,
// `ip link del v0`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NLMSG_DONE,
  RTM_NEWADDR,
  RTM_NEWLINK,
  dumpRequest,
  errorCode,
  eventOf,
  parseIpv4Address,
  parseLink,
  splitMessages,
  type NetlinkMessage,
} from '../../src/net/rtnl-messages.js';

const fixture = (name: string): Buffer[] =>
  readFileSync(join(import.meta.dirname, '../fixtures/rtnl', `${name}.hex`), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => Buffer.from(l, 'hex'));
const messages = (name: string): NetlinkMessage[] => fixture(name).flatMap(splitMessages);

describe('rtnetlink messages', () => {
  it('dump requests are the kernel layout: nlmsghdr + ifinfomsg (AF_UNSPEC) or ifaddrmsg (AF_INET), REQUEST|DUMP', () => {
    expect(dumpRequest('links', 7).toString('hex')).toBe('20000000120001030700000000000000' + '00'.repeat(16));
    expect(dumpRequest('ipv4Addresses', 0x01020304).toString('hex')).toBe('18000000160001030403020100000000' + '0200000000000000');
  });

  it('a link dump: every link with its index, name, flags and MAC, then NLMSG_DONE', () => {
    const ms = messages('links');
    expect(ms.at(-1)?.type).toBe(NLMSG_DONE);
    const links = ms.filter((m) => m.type === RTM_NEWLINK).map((m) => parseLink(m.payload));
    expect(links.map((l) => [l?.index, l?.name, l?.up, l?.lowerUp, l?.running, l?.loopback])).toEqual([
      [1, 'lo', true, true, true, true],
      [2, 'v1', true, true, true, false],
      [3, 'v0', true, true, true, false],
    ]);
    expect(links[0]?.mac?.toString('hex')).toBe('000000000000');
    expect(links[1]?.mac?.toString('hex')).toBe('f61fa5443f56');
    expect(links[2]?.mac?.toString('hex')).toBe('6e5fcc010b25');
  });

  it('an IPv4 address dump: address, prefix, label and secondary, in kernel order', () => {
    const ms = messages('addrs');
    expect(ms.at(-1)?.type).toBe(NLMSG_DONE);
    expect(ms.filter((m) => m.type === RTM_NEWADDR).map((m) => parseIpv4Address(m.payload))).toEqual([
      { index: 1, address: '127.0.0.1', prefixLength: 8, label: 'lo', secondary: false },
      { index: 2, address: '198.51.100.7', prefixLength: 32, label: 'v1', secondary: false },
      { index: 3, address: '192.0.2.1', prefixLength: 24, label: 'v0', secondary: false },
      { index: 3, address: '192.0.2.200', prefixLength: 24, label: 'v0:vip', secondary: true },
    ]);
  });

  it('monitor notifications: NEW and DEL of addresses and links told apart', () => {
    const events = messages('mon').map(eventOf);
    expect(events[0]).toEqual({
      kind: 'addressRemoved',
      address: { index: 3, address: '192.0.2.200', prefixLength: 24, label: 'v0:vip', secondary: true },
    });
    const v1Down = events.find((e) => e?.kind === 'link' && e.link.name === 'v1' && !e.link.up);
    expect(v1Down).toMatchObject({ kind: 'link', link: { index: 2, up: false, lowerUp: false, running: false } });
    expect(events).toContainEqual({ kind: 'linkDeleted', index: 3, name: 'v0' });
    expect(events).toContainEqual({
      kind: 'addressRemoved',
      address: { index: 3, address: '192.0.2.1', prefixLength: 24, label: 'v0', secondary: false },
    });
  });

  it('NLMSG_ERROR: the errno, positive; 0 is an ack; too short is undefined', () => {
    const e = Buffer.alloc(20);
    e.writeInt32LE(-17, 0);
    expect(errorCode(e)).toBe(17);
    expect(errorCode(Buffer.alloc(20))).toBe(0);
    expect(errorCode(Buffer.alloc(3))).toBeUndefined();
  });

  it('the wide IFA_FLAGS attribute wins over ifa_flags; a non-IPv4 address is no address', () => {
    // ifaddrmsg: AF_INET /24, ifa_flags 0, scope 0, index 5; IFA_LOCAL 192.0.2.9; IFA_FLAGS 0x81 (secondary|permanent).
    const p = Buffer.from('02180000' + '05000000' + '08000200c0000209' + '0800080081000000', 'hex');
    expect(parseIpv4Address(p)).toEqual({ index: 5, address: '192.0.2.9', prefixLength: 24, label: undefined, secondary: true });
    p[0] = 10;
    expect(parseIpv4Address(p)).toBeUndefined();
  });

  it('a truncated datagram keeps its whole messages and drops the rest', () => {
    const d = fixture('addrs')[0] ?? Buffer.alloc(0);
    const whole = splitMessages(d).length;
    expect(splitMessages(d.subarray(0, d.length - 1)).length).toBe(whole - 1);
    expect(splitMessages(Buffer.alloc(0))).toEqual([]);
  });

  it('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.integer({ min: 0, max: 0xffff }), (bytes, type) => {
        const b = Buffer.from(bytes);
        for (const m of splitMessages(b)) eventOf(m);
        parseLink(b);
        parseIpv4Address(b);
        errorCode(b);
        eventOf({ type, flags: 0, seq: 0, payload: b });
        eventOf({ type: RTM_NEWADDR, flags: 0, seq: 0, payload: Buffer.concat([Buffer.from([2]), b]) });
      }),
      { numRuns: 2000 },
    );
  });
});
