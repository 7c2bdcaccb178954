// The captured keepalived pair (test/fixtures/captures/h1.conf, h2.conf) in the states keepalived's
// dump files show (test/fixtures/captures/dumps/): node A MASTER, node B BACKUP behind A. The
// dump tests render these with vrrpd's formatters and compare with keepalived's own files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/config.js';
import type { DumpInput } from '../../src/dump/input.js';
import { createStats, type KeepalivedCounters } from '../../src/instance/stats.js';
import type { Ipv4, Priority } from '../../src/types.js';
import type { InstanceSnapshot } from '../../src/instance/snapshot.js';
import { CAPTURES_DIR } from './captures.js';

export const dumpFixture = (file: string): string => readFileSync(join(CAPTURES_DIR, 'dumps', file), 'utf8');

export function pairConfig(node: 'A' | 'B'): Config {
  const loaded = loadConfig(join(CAPTURES_DIR, node === 'A' ? 'h1.conf' : 'h2.conf'));
  if (!loaded.config) throw new Error(`cannot load the pair's config: ${JSON.stringify(loaded.diagnostics)}`);
  return loaded.config;
}

/** Microseconds since the epoch, from the fixture's "1795599833.833275". */
const us = (text: string): number => Number(text.replace('.', ''));

/** Node A as in keepalived.data: MASTER since 09:43:53, 4 adverts sent. */
export function nodeA(overrides: Partial<KeepalivedCounters> = {}): DumpInput {
  const stats = { ...createStats(), becameMaster: 1, advertSent: 4, ...overrides };
  const snapshot: InstanceSnapshot = {
    name: 'VI_1',
    state: 'MASTER',
    wantState: 'MASTER',
    basePriority: 150 as Priority,
    effectivePriority: 150 as Priority,
    master: undefined,
    ownAddress: '192.0.2.11' as Ipv4,
    ifname: 'eth0',
    ifindex: 2,
    mac: Buffer.from([0x02, 0x00, 0xc0, 0x00, 0x02, 0x0b]),
    vipSet: true,
    nextTimerAt: 0,
    takenAt: 0,
    stats,
    peers: [],
  };
  return input(pairConfig('A'), snapshot, us('1795599833.833275'), us('1795599836.833799'));
}

/** Node B as in keepalived-backup.data: BACKUP behind 192.0.2.11 (priority 150). */
export function nodeB(overrides: Partial<KeepalivedCounters> = {}): DumpInput {
  const stats = { ...createStats(), advertReceived: 13, ...overrides };
  const snapshot: InstanceSnapshot = {
    name: 'VI_1',
    state: 'BACKUP',
    wantState: 'BACKUP',
    basePriority: 100 as Priority,
    effectivePriority: 100 as Priority,
    master: { address: '192.0.2.11' as Ipv4, priority: 150 as Priority },
    ownAddress: '192.0.2.12' as Ipv4,
    ifname: 'eth0',
    ifindex: 2,
    mac: Buffer.from([0x02, 0x00, 0xc0, 0x00, 0x02, 0x0c]),
    vipSet: false,
    nextTimerAt: 0,
    takenAt: 0,
    stats,
    peers: [],
  };
  return input(pairConfig('B'), snapshot, us('1795599830.418716'), us('1795599849.445289'));
}

function input(config: Config, snapshot: InstanceSnapshot, lastTransitionUs: number, readTimeoutUs: number): DumpInput {
  return {
    config,
    instances: [{ snapshot, lastTransitionUs, readTimeoutUs, trackFaults: 0, scriptsInit: 0 }],
    tracked: [],
    // The capture VM's name: keepalived's default smtp_helo_name.
    hostname: 'vm',
    userName: 'root',
    scriptIds: () => ({ uid: 0, gid: 0 }),
  };
}
