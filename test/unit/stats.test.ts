// Counters against keepalived 2.2.7's own dump files from the captured pair.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import {
  createStats,
  formatKeepalivedStats,
  formatKeepalivedStatsFile,
  KEEPALIVED_COUNTERS_FOR_DROP,
  keepalivedJsonStats,
  recordAdvertReceived,
  recordAdvertSent,
  recordDrop,
  type InstanceStats,
  type KeepalivedCounter,
} from '../../src/instance/stats.js';
import { DROP_REASONS, type DropReason } from '../../src/vrrp/packet.js';
import { CAPTURES_DIR } from '../helpers/captures.js';

const dump = (file: string): string => readFileSync(join(CAPTURES_DIR, 'dumps', file), 'utf8');

function times(n: number, each: () => void): void {
  for (let i = 0; i < n; i++) each();
}

/** Node A (MASTER) when signalled: became master once, 4 adverts sent. */
function masterStats(): InstanceStats {
  const stats = createStats();
  stats.becameMaster++;
  times(4, () => recordAdvertSent(stats, 150));
  return stats;
}

function backupStats(received: number): InstanceStats {
  const stats = createStats();
  times(received, () => recordAdvertReceived(stats, 150));
  return stats;
}

const COUNTERS = Object.keys(createStats()).filter((k) => k !== 'drops') as KeepalivedCounter[];

describe('formatKeepalivedStats', () => {
  it("reproduces node A's keepalived.stats byte for byte", () => {
    expect(formatKeepalivedStats('VI_1', masterStats())).toBe(dump('keepalived.stats'));
  });

  it("reproduces node B's keepalived.stats (12 adverts received)", () => {
    expect(formatKeepalivedStats('VI_1', backupStats(12))).toBe(dump('keepalived-backup.stats'));
  });

  it('prints every counter in its own place (no two share a line)', () => {
    const distinct = createStats();
    COUNTERS.forEach((counter, i) => (distinct[counter] = 1000 + i));
    const text = formatKeepalivedStats('VI_1', distinct);
    COUNTERS.forEach((counter, i) => expect(text.split(`: ${1000 + i}\n`).length, counter).toBe(2));
  });

  it('a file with two instances is their blocks in order', () => {
    const text = formatKeepalivedStatsFile([
      { name: 'VI_1', stats: masterStats() },
      { name: 'VI_2', stats: createStats() },
    ]);
    expect(text).toBe(dump('keepalived.stats') + formatKeepalivedStats('VI_2', createStats()));
    expect(text.match(/^VRRP Instance: /gm)?.length).toBe(2);
  });
});

describe('keepalivedJsonStats', () => {
  it("equals the stats object of node A's keepalived.json, keys in keepalived's order", () => {
    const json = JSON.parse(dump('keepalived.json')) as { stats: Record<string, number> }[];
    const theirs = json[0]?.stats ?? {};
    const ours = keepalivedJsonStats(masterStats());
    expect(ours).toEqual(theirs);
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
  });

  it("equals node B's (13 adverts received by the time of the JSON dump)", () => {
    const json = JSON.parse(dump('keepalived-backup.json')) as { stats: Record<string, number> }[];
    expect(keepalivedJsonStats(backupStats(13))).toEqual(json[0]?.stats);
  });
});

describe('recordDrop', () => {
  for (const reason of DROP_REASONS) {
    it(`${reason}: counts the reason and exactly the keepalived counters it maps to`, () => {
      const stats = createStats();
      recordDrop(stats, reason);
      expect(stats.drops[reason]).toBe(1);
      expect(Object.values(stats.drops).reduce((a, b) => a + b, 0)).toBe(1);
      const changed = COUNTERS.filter((c) => stats[c] !== 0);
      expect(changed.sort()).toEqual([...KEEPALIVED_COUNTERS_FOR_DROP[reason]].sort());
    });
  }

  it('maps the checks to the counters keepalived 2.2.7 bumps', () => {
    const after = (reason: DropReason): Record<string, number> => {
      const stats = createStats();
      recordDrop(stats, reason);
      return keepalivedJsonStats(stats);
    };
    expect(after('badLength').packet_len_err).toBe(1);
    expect(after('badTotalLength').packet_len_err).toBe(1);
    expect(after('badTtl').ip_ttl_err).toBe(1);
    expect(after('badType').invalid_type_rcvd).toBe(1);
    expect(after('badAuthType').invalid_authtype).toBe(1);
    expect(after('authTypeMismatch').authtype_mismatch).toBe(1);
    expect(after('badPassword').auth_failure).toBe(1);
    expect(after('addressCountMismatch').addr_list_err).toBe(1);
    expect(after('badDestination').addr_list_err).toBe(1);
    // keepalived counts an advert as received before it compares the VIP list.
    expect(after('addressMissing')).toMatchObject({ addr_list_err: 1, advert_rcvd: 1 });
    // Ours on purpose: keepalived prints this counter but never increments it.
    expect(after('advertIntervalMismatch').advert_interval_err).toBe(1);
  });

  it('accumulates, and one set of counters does not leak into another', () => {
    const a = createStats();
    const b = createStats();
    recordDrop(a, 'badPassword');
    recordDrop(a, 'badPassword');
    recordDrop(a, 'badTtl');
    expect(a.drops.badPassword).toBe(2);
    expect(a.authFailures).toBe(2);
    expect(a.ttlErrors).toBe(1);
    expect(b).toEqual(createStats());
  });
});

describe('priority zero', () => {
  it('counts priority 0 adverts both ways, on top of the advert counts', () => {
    const stats = createStats();
    recordAdvertReceived(stats, 0);
    recordAdvertReceived(stats, 100);
    recordAdvertSent(stats, 0);
    expect(keepalivedJsonStats(stats)).toMatchObject({ advert_rcvd: 2, pri_zero_rcvd: 1, advert_sent: 1, pri_zero_sent: 1 });
  });
});
