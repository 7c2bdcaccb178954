// SIGUSR1's file against keepalived 2.2.7's own keepalived.data from the captured pair: the pair's
// configs (h1.conf, h2.conf) rendered in the fixture's states must give the fixture line for line,
// apart from the short lists below, each with its reason.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Priority } from '../../src/types.js';
import { ctimeUs, formatData, masterDownUs } from '../../src/dump/data.js';
import type { DumpInput } from '../../src/dump/input.js';
import { dumpFixture, nodeA, nodeB } from '../helpers/dump-pair.js';

/**
 * Fixture lines vrrpd does not write, because vrrpd has no such thing: LVS/checker/BFD, SNMP,
 * DBus, nftables, process scheduling and netlink buffer knobs, keepalived's reload test, socket
 * fds, and the interface details vrrpd does not track (IPv6, flags, MTU, debounce, ARP sysctls).
 */
const OMITTED: readonly RegExp[] = [
  /^ Network namespace ipvs = /,
  /^ Default smtp_alert_checker = /,
  /^ Checkers log all failures = /,
  /^ No test config before reload$/,
  /^ LVS flush/,
  /^ nftables with/,
  /^ libnftnl version /,
  /^ Max auto priority = /,
  /^ Min auto priority delay = /,
  /^ (VRRP|Checker|BFD) (process priority|don't swap|realtime priority|realtime limit) = /,
  /^ SNMP /,
  /^ DBus /,
  /^ (vrrp|lvs)_netlink_(cmd|monitor)_rcv_bufs(_force)? = /,
  /^ process_monitor_rcv_bufs(_force)? = /,
  /^ rs_init_notifies = /,
  /^ no_checker_emails = /,
  /^ rx_bufs_multiples = /,
  /^ umask = /,
  /^ fd_in \d+ fd_out = \d+$/,
  /^ {3}fd_in \d+, fd_out \d+$/,
  /^ {3}IPv6 address = /,
  /^ {3}State = (not )?UP, /,
  /^ {3}Seen up = /,
  /^ {3}Delayed state change running = /,
  /^ {3}(Up|Down) debounce timer = /,
  /^ {3}MTU = /,
  /^ {3}HW Type = /,
  /^ {3}NIC netlink status update$/,
  /^ {3}Reset ARP config counter /,
  /^ {3}Original (arp_ignore|arp_filter|promote_secondaries) /,
  /^ {3}Reset promote_secondaries counter /,
];

/**
 * Lines whose label is the same but whose value may differ: the fixture was captured before the
 * lab additions to h1.conf/h2.conf (enable_script_security, the notify script) and with the
 * sender renamed to vrrpd@localhost, so these follow the config, not the fixture.
 */
const VALUE_FOLLOWS_CONFIG: readonly RegExp[] = [
  /^ Email notification from = /,
  /^ Script security (enabled|disabled)$/,
  // vrrpd's default differs on purpose (docs/keepalived-differences.md "Faster heal"): true here,
  // false in keepalived.
  /^ {1,3}Send advert after receive higher priority advert = /,
];

/** Lines ours has and the fixture lacks, for the same reason: the lab's notify script. */
const EXTRA: readonly RegExp[] = [/^ {3}Generic state transition script = /];

/** The Interfaces section without interfaces no instance uses (keepalived lists them all: lo). */
function withoutUnusedInterfaces(lines: readonly string[], used: ReadonlySet<string>): string[] {
  const out: string[] = [];
  let inInterfaces = false;
  let skipping = false;
  for (const line of lines) {
    if (line.startsWith('------<')) inInterfaces = line === '------< Interfaces >------';
    const name = /^ Name = (.+)$/.exec(line)?.[1];
    if (inInterfaces && name !== undefined) skipping = !used.has(name);
    else if (!inInterfaces) skipping = false;
    if (!skipping) out.push(line);
  }
  return out;
}

function compare(ours: string, fixture: string, input: DumpInput): void {
  const used = new Set(input.instances.map((d) => d.snapshot.ifname));
  const expected = withoutUnusedInterfaces(fixture.split('\n'), used).filter((l) => !OMITTED.some((r) => r.test(l)));
  const actual = ours.split('\n').filter((l) => !EXTRA.some((r) => r.test(l)));
  const norm = (l: string): string => {
    const r = VALUE_FOLLOWS_CONFIG.find((x) => x.test(l));
    return r ? `${r.source} <value follows the config>` : l;
  };
  expect(actual.map(norm)).toEqual(expected.map(norm));
}

describe('SIGUSR1 data dump against keepalived.data', () => {
  // keepalived prints local time; the fixture was written on a UTC host.
  let tz: string | undefined;
  beforeAll(() => {
    tz = process.env['TZ'];
    process.env['TZ'] = 'UTC';
  });
  afterAll(() => {
    if (tz === undefined) delete process.env['TZ'];
    else process.env['TZ'] = tz;
  });

  it('node A (MASTER) matches keepalived.data line for line', () => {
    const input = nodeA();
    compare(formatData(input), dumpFixture('keepalived.data'), input);
  });

  it('node B (BACKUP, master 192.0.2.11 priority 150) matches keepalived-backup.data', () => {
    const input = nodeB();
    compare(formatData(input), dumpFixture('keepalived-backup.data'), input);
  });

  it('the lines that follow the config show the config', () => {
    const text = formatData(nodeA());
    expect(text).toContain(' Email notification from = keepalived@localhost\n');
    expect(text).toContain(' Script security enabled\n');
    expect(text).toContain("   Generic state transition script = '/usr/local/bin/notify.sh', uid:gid 0:0\n");
    // The password in clear, as keepalived writes it: why the file is 0600.
    expect(text).toContain('   Password = 1111\n');
  });

  it('keeps keepalived\'s time and timer formats', () => {
    expect(ctimeUs(1795599833833275)).toBe('Wed Nov 25 09:43:53.833275 2026');
    expect(ctimeUs(1796112000000001)).toBe('Tue Dec  1 08:00:00.000001 2026');
    const vi = nodeA().config.instances[0];
    expect(vi && masterDownUs(vi, 150)).toBe(3414062);
    expect(vi && masterDownUs(vi, 100)).toBe(3609375);
  });
});

describe('SIGUSR1 data dump: what the captured pair does not have', () => {
  it('sync groups, scripts, tracked files and interfaces in keepalived\'s words', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vrrpd-dump-'));
    try {
      const path = join(dir, 'vrrpd.conf');
      writeFileSync(
        path,
        `vrrp_script chk { \n script "/bin/true x" \n interval 2 \n weight -20 \n rise 2 \n fall 3 \n }
track_file tf { \n file ${join(dir, 'prio')} \n weight 1 \n }
vrrp_sync_group G1 { \n group { \n VI_1 \n VI_2 \n } \n }
vrrp_instance VI_1 { \n interface eth0 \n virtual_router_id 51 \n priority 100 \n nopreempt \n track_script { \n chk \n } \n track_file { \n tf weight 2 \n } \n virtual_ipaddress { \n 192.0.2.200/24 label eth0:1 \n } \n notify_master "/bin/echo m" root \n }
vrrp_instance VI_2 { \n interface eth0 \n virtual_router_id 52 \n priority 100 \n track_interface { \n eth1 weight -10 \n } \n virtual_ipaddress { \n 198.51.100.1 \n } \n }
`,
      );
      const loaded = loadConfig(path);
      expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const config = loaded.config;
      if (!config) throw new Error('no config');
      const base = nodeA();
      const one = base.instances[0];
      if (!one) throw new Error('no instance');
      const snap = (name: string, vrid: number): DumpInput['instances'][number] => ({
        ...one,
        snapshot: { ...one.snapshot, name, state: 'BACKUP', wantState: 'BACKUP', basePriority: 100 as Priority, effectivePriority: 80 as Priority, master: undefined, vipSet: false },
        readTimeoutUs: undefined,
        trackFaults: vrid === 52 ? 1 : 0,
      });
      const text = formatData({
        ...base,
        config,
        instances: [snap('VI_1', 51), snap('VI_2', 52)],
        tracked: [
          { kind: 'script', name: 'chk', trackedBy: ['VI_1'], state: 'up', counter: 4, phase: 'idle', pid: undefined, runs: 3, skipped: 0, lastStartedAt: undefined, lastDurationMs: undefined, lastResult: undefined, lastExitStatus: 0 },
          { kind: 'file', name: 'tf', trackedBy: ['VI_1'], path: join(dir, 'prio'), value: 7, lastReadAt: undefined, note: undefined },
        ],
      });
      const lines = text.split('\n');
      const after = (header: string, n: number): string[] => lines.slice(lines.indexOf(header) + 1, lines.indexOf(header) + 1 + n);
      expect(after(' VRRP Instance = VI_1', 2)).toEqual(['   VRRP Version = 2', '   Sync group = G1']);
      expect(text).toContain('   State = BACKUP\n   Flags:\n   Wantstate = BACKUP\n');
      expect(text).toContain('   Read timeout = DISABLED\n   Master down timer = 3687500 usecs\n');
      expect(text).toContain('   Preempt = disabled\n');
      expect(text).toContain('   Virtual IP (1):\n     192.0.2.200/24 dev eth0 scope global label eth0:1\n');
      // Members of a sync group without sync_group_tracking_weight track with weight 0 (keepalived).
      expect(text).toContain('   Tracked scripts :\n     chk weight 0\n   Tracked files :\n     tf, weight 0\n');
      expect(text).toContain("   Master state transition script = '/bin/echo' 'm', uid:gid 0:0\n");
      expect(text).toContain('   Number of interface and track script faults = 1\n');
      expect(text).toContain('   Tracked interfaces :\n     eth1 weight 0\n');
      expect(text).toContain('------< VRRP Sockpool >------\n   Interface = eth0\n   Family = IPv4\n   Protocol = VRRP\n   Type = Multicast\n   Rx buf size = 0\n   VRRP instances\n     VI_1 vrid 51\n     VI_2 vrid 52\n');
      expect(after('------< VRRP Sync groups >------', 5)).toEqual([' VRRP Sync Group = G1, BACKUP', '   Num member fault 0, num member init 0', '   VRRP member instances :', '     VI_1', '     VI_2']);
      expect(after('------< VRRP Scripts >------', 15)).toEqual([
        ' VRRP Script = chk',
        "   Command = '/bin/true' 'x'",
        '   Interval = 2 sec',
        '   Timeout = 2 sec',
        '   Weight = -20',
        '   Rise = 2',
        '   Fall = 3',
        '   Result = 4',
        '   Insecure = no',
        '   Init state = unknown',
        '   Status = GOOD',
        '   Script uid:gid = 0:0',
        '   VRRP instances :',
        '     VI_1, weight 0',
        '   State = idle',
      ]);
      expect(after('------< VRRP Track files >------', 5)).toEqual([' Track file = tf', `   File = ${join(dir, 'prio')}`, '   Status = 7', '   Weight = 1', '     VI_1, weight 0']);
      expect(text).toContain('   Tracking VRRP instances :\n     VI_1, weight 0\n     VI_2, weight 0\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
