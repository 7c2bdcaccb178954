// The core speaking VRRPv3 (RFC 5798): its timers from the Master_Adver_Interval, the advert grid
// for centisecond intervals, what keeps and what forgets an adopted interval, and keepalived's
// own captured v3 adverts driving a backup. The named steps are in test/conformance (38-44).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { parsePcap } from '../../lab/pcap.js';
import { parseConfigText } from '../../src/config/load.js';
import { instanceParams } from '../../src/instance/params.js';
import { parseIpv4, toPriority, type Ipv4, type Millis, type Priority } from '../../src/types.js';
import { advertEventV3 } from '../../src/vrrp/advert-event.js';
import {
  ADVER_GRID_MS,
  adverDeadline,
  adverIntervalMs,
  initialState,
  masterDownIntervalMs,
  step,
  versionOf,
  type Action,
  type FsmState,
  type InstanceParams,
} from '../../src/vrrp/fsm.js';
import { decodeDatagramV3Ipv4 } from '../../src/vrrp/packet-v3.js';
import { v3CapturePath } from '../helpers/captures-v3.js';

const ip = (s: string): Ipv4 => parseIpv4(s) as Ipv4;
const prio = (n: number): Priority => toPriority(n) as Priority;
const MASTER = ip('192.0.2.11');

// The shell's own builder on a VRRPv2 config, given the v3 interval (the configuration refuses
// `version 3` until the shell speaks it).
const BASE = parseConfigText(
  'vrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 51\n priority 100\n virtual_ipaddress {\n 192.0.2.200\n }\n}\n',
  'fsm-v3.conf',
).config?.instances[0];
if (BASE === undefined) throw new Error('the base config does not load');
const params = (cs: number, over: Partial<InstanceParams> = {}): InstanceParams => ({
  ...instanceParams(BASE, { ownAddress: ip('192.0.2.12'), vips: [] }),
  higherPrioSendAdvert: false,
  advertIntMs: cs * 10,
  v3: { advertIntCs: cs },
  ...over,
});

const masterDownAt = (actions: readonly Action[]): Millis | undefined =>
  actions.flatMap((a) => (a.type === 'armTimer' && a.timer === 'masterDown' ? [a.at] : [])).at(-1);

/** A v3 backup that accepted the master's advert at `at`, with the master's interval `cs`. */
function following(p: InstanceParams, cs: number, at: Millis): FsmState {
  const started = step(initialState(p), { type: 'startup' }, 0).state;
  return step(started, { type: 'advert', priority: prio(150), from: MASTER, advertIntCs: cs }, at).state;
}

describe('RFC 5798 §6.1 timers in the core', () => {
  it('a v3 instance says so; parameters without v3 are VRRPv2', () => {
    expect(versionOf(params(10))).toBe(3);
    const { v3: _, ...v2 } = params(100);
    expect(versionOf(v2)).toBe(2);
  });

  it('Master_Down_Interval from the centisecond interval, in keepalived whole microseconds', () => {
    expect(masterDownIntervalMs(params(10), prio(150))).toBe(341.406);
    // The master's interval when given: 3 s + 106 × 100 cs × 625/16 µs = 414 062.5 µs, truncated
    // (v2's exact arithmetic would say 3414.0625).
    expect(masterDownIntervalMs(params(10), prio(150), 100)).toBe(3414.062);
    expect(adverIntervalMs(params(10))).toBe(100);
  });

  it('the advert grid: an even number of centiseconds is on the 4 ms grid, an odd one stays off it', () => {
    expect(ADVER_GRID_MS).toBe(4);
    for (const cs of [2, 4, 10, 20, 100, 4094]) expect(adverDeadline(params(cs), 441.406)).toBe(440);
    for (const cs of [1, 3, 5, 11, 4095]) expect(adverDeadline(params(cs), 441.406)).toBe(441.406);
  });

  it('a steady master at 0.02 s: every period after the first is exactly 20 ms, each the steady advert', () => {
    let s = step(initialState(params(2, { basePriority: prio(255), wantState: 'MASTER' })), { type: 'startup' }, 1.3).state;
    expect(s.role).toBe('MASTER');
    let deadline: Millis = 20; // 21.3 on the grid
    for (let i = 0; i < 5; i++) {
      const r = step(s, { type: 'timer', timer: 'adver', deadline }, deadline + 0.4);
      expect(r.actions).toContainEqual({ type: 'armTimer', timer: 'adver', at: deadline + 20 });
      expect(r.actions).toContainEqual({ type: 'steadyAdvert', priority: prio(255), periodMs: 20 });
      s = r.state;
      deadline += 20;
    }
  });
});

describe('the Master_Adver_Interval a v3 backup holds', () => {
  it('a tracking priority change re-bases the running timer on the adopted interval', () => {
    const s = following(params(10), 100, 100);
    const r = step(s, { type: 'priorityChanged', priority: prio(200) }, 500);
    // 100 + 3 s + 56 × 100 cs × 625/16 µs
    expect(masterDownAt(r.actions)).toBe(3318.75);
  });

  it('leaving FAULT forgets it (keepalived vrrp_state_leave_fault): back to our own 0.1 s', () => {
    const s = following(params(10), 100, 100);
    expect(s.masterAdverIntCs).toBe(100);
    const faulty = step(s, { type: 'fault' }, 200).state;
    const r = step(faulty, { type: 'faultCleared' }, 300);
    expect(r.state.masterAdverIntCs).toBeUndefined();
    expect(masterDownAt(r.actions)).toBe(300 + 360.937);
  });

  it('the same interval as ours is held without a log line', () => {
    const started = step(initialState(params(10)), { type: 'startup' }, 0).state;
    const r = step(started, { type: 'advert', priority: prio(150), from: MASTER, advertIntCs: 10 }, 100);
    expect(r.actions.filter((a) => a.type === 'log')).toEqual([]);
    expect(masterDownAt(r.actions)).toBe(100 + 360.937);
  });

  it('a VRRPv2 instance ignores an interval in the event: its timers stay v2', () => {
    const { v3: _, ...v2 } = params(100);
    const s = following(v2, 10, 100);
    expect(s.masterAdverIntCs).toBeUndefined();
    expect(s.masterDown?.due).toBe(100 + 3609.375);
  });
});

describe("keepalived 2.2.7's captured v3 IPv4 adverts (advert_int 0.1) drive a v3 backup at 1 s", () => {
  const records = parsePcap(readFileSync(v3CapturePath('keepalived-v3-adverts-100ms', '.pcap')));
  if (!records.ok) throw new Error(records.error);
  const vrrp4 = records.value.records.filter((r) => r.data.readUInt16BE(12) === 0x0800 && r.data[14 + 9] === 112);
  const t0 = vrrp4[0]?.t ?? 0;
  const events = vrrp4.map((r) => {
    const ipPacket = r.data.subarray(14);
    const decoded = decodeDatagramV3Ipv4(ipPacket, ip(ipPacket.subarray(12, 16).join('.')), () => ({
      family: 'ipv4',
      vips: [ip('192.0.2.200')],
      checkAddresses: true,
      multicast: true,
    }));
    if (!decoded.ok) throw new Error(`capture advert dropped: ${decoded.drop.reason}`);
    // Our backup started 50 ms before the first advert; µs resolution keeps the sums exact.
    return { at: Math.round((r.t - t0) * 1e6) / 1e3 + 50, event: advertEventV3(decoded.advert) };
  });

  it('it adopts 100 ms, never times out between them, and takes over one Skew_Time of 100 ms after the priority 0', () => {
    expect(events.length).toBeGreaterThanOrEqual(5);
    let s = step(initialState(params(100)), { type: 'startup' }, 0).state;
    const logs: string[] = [];
    for (const { at, event } of events) {
      // Master_Down never came due between two adverts.
      expect(s.masterDown?.due ?? Infinity).toBeGreaterThan(at);
      const r = step(s, event, at);
      s = r.state;
      for (const a of r.actions) if (a.type === 'log') logs.push(a.message);
      expect(s.role).toBe('BACKUP');
    }
    expect(logs[0]).toBe('(VI_1) advertisement interval updated from 1000ms to 100ms by master');
    const last = events.at(-1);
    expect(last?.event).toMatchObject({ priority: 0, advertIntCs: 10 });
    // Skew_Time = 156 × 10 cs × 625/16 µs = 60 937.5 µs, truncated.
    expect(s.masterDown).toMatchObject({ kind: 'skew', due: (last?.at ?? 0) + 60.937 });
    const taken = step(s, { type: 'timer', timer: 'masterDown' }, s.masterDown?.due ?? 0);
    expect(taken.state.role).toBe('MASTER');
    expect(taken.actions).toContainEqual({ type: 'log', level: 'debug', message: '(VI_1) changing advert interval from 100ms to locally configured 1000ms' });
  });
});
