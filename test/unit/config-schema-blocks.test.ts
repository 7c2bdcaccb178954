// The blocks around the instances: global_defs beyond the seed, vrrp_script, track_file,
// vrrp_track_process, garp_group, vrrp_sync_group, static_*, and the LVS/BFD blocks skipped whole.
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/config/config.js';
import type { Config } from '../../src/config/config.js';
import { parseConfigText } from '../../src/config/load.js';

const lines = (...ls: string[]): string => `${ls.join('\n')}\n`;
/** A 4-line instance; tracked objects are resolved by name, wherever they are. */
const vi = (name: string, vrid: number, ...body: string[]): string[] => [
  `vrrp_instance ${name} {`, 'interface eth0', `virtual_router_id ${vrid}`, 'no_virtual_ipaddress', ...body, '}',
];
const secure = ['global_defs {', 'enable_script_security', '}'];

const load = (text: string) => parseConfigText(text, 's.conf');
const errors = (text: string): string[] => load(text).diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
const warnings = (text: string): string[] => load(text).diagnostics.filter((d) => d.severity === 'warning').map(formatDiagnostic);

function config(text: string): Config {
  const result = load(text);
  expect(result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
  if (result.config === undefined) throw new Error('no config');
  return result.config;
}

describe('global_defs: every keepalived 2.2 keyword recognised, the VRRP ones typed', () => {
  const globals = [
    'global_defs {',
    'router_id r1', 'smtp_helo_name helo', 'smtp_alert', 'smtp_alert_vrrp off', 'no_email_faults',
    'startup_script "/s.sh a" root', 'startup_script_timeout 20', 'shutdown_script /d.sh', 'default_interface eth9',
    'dynamic_interfaces allow_if_changes', 'disable_local_igmp', 'v3_checksum_as_v2', 'vrrp_check_unicast_src',
    'vrrp_garp_master_refresh 30', 'vrrp_garp_master_refresh_repeat 3', 'vrrp_min_garp', 'vrrp_garp_extra_if 10 all',
    'vrrp_lower_prio_no_advert false', 'vrrp_higher_prio_send_advert yes', 'vrrp_mcast_group6 ff02::12',
    'vrrp_iptables IN OUT', 'vrrp_ipsets a b', 'nftables', 'nftables_priority -5', 'nftables_ifindex', 'nftables_counters',
    'notify_fifo /run/f root', 'notify_fifo_script "/f.sh x"', 'vrrp_notify_fifo /run/vf', 'vrrp_notify_priority_changes',
    'fifo_write_vrrp_states_on_reload', 'vrrp_startup_delay 2.5', 'log_unknown_vrids', 'vmac_prefix vr', 'vmac_addr_prefix va',
    'vrrp_priority -10', 'enable_snmp_vrrp', 'umask 0022', 'lvs_flush', 'checker_priority 3', 'script_user nobody',
    '}',
  ];
  const text = lines(...globals, ...vi('VI_1', 1));

  it('types them with keepalived\'s defaults (vrrp_min_garp: one GARP, no second burst, unless set)', () => {
    expect(config(text).global).toMatchObject({
      routerId: 'r1', smtpHeloName: 'helo', smtpAlert: true, smtpAlertVrrp: false, noEmailFaults: true,
      startupScript: { argv: ['/s.sh', 'a'], user: 'root', group: undefined }, startupScriptTimeoutSec: 20,
      shutdownScript: { argv: ['/d.sh'] }, shutdownScriptTimeoutSec: 10, defaultInterface: 'eth9', dynamicInterfaces: 'allow_if_changes',
      disableLocalIgmp: true, v3ChecksumAsV2: true, checkUnicastSrc: true, garpMasterRefreshMs: 30_000, garpMasterRefreshRepeat: 3,
      minGarp: true, garpMasterRepeat: 1, garpMasterDelayMs: 0, garpLowerPrioRepeat: 1, garpLowerPrioDelayMs: 0,
      garpExtraIf: { intervalSec: 10, all: true }, lowerPrioNoAdvert: false, higherPrioSendAdvert: true, mcastGroup6: 'ff02::12',
      firewall: { iptables: { inChain: 'IN', outChain: 'OUT' }, ipsets: ['a', 'b'], nftablesTable: 'keepalived', nftablesPriority: -5, nftablesIfindex: true, nftablesCounters: true },
      notifyFifo: { path: '/run/f', user: 'root', group: undefined, script: { argv: ['/f.sh', 'x'] } },
      vrrpNotifyFifo: { path: '/run/vf', script: undefined }, notifyPriorityChanges: true, fifoWriteVrrpStatesOnReload: true,
      startupDelayMs: 2500, logUnknownVrids: true, vmacPrefix: 'vr', vmacAddrPrefix: 'va', scriptUser: { user: 'nobody', group: undefined },
    });
  });

  it('instances inherit the global values (smtp_alert_vrrp wins over smtp_alert, as in keepalived)', () => {
    expect(config(text).instances[0]).toMatchObject({
      smtpAlert: false, garpMasterRefreshMs: 30_000, garpMasterRefreshRepeat: 3, garpMasterRepeat: 1, garpMasterDelayMs: 0,
      garpExtraIf: { intervalSec: 10, all: true }, higherPrioSendAdvert: true, checkUnicastSrc: true, notifyPriorityChanges: true,
    });
  });

  it('reports what is not acted on once, at the line it is written; process/SNMP knobs kept raw; LVS ones not applicable', () => {
    expect(warnings(text)).toEqual([
      "s.conf:7: 'startup_script' is not supported yet - the script will not be run",
      's.conf:7: SECURITY VIOLATION - start/shutdown scripts are being executed but script_security not enabled.',
      "s.conf:9: 'shutdown_script' is not supported yet - the script will not be run",
      "s.conf:10: 'default_interface' is not supported yet - it only applies to static_ipaddress/static_routes/static_rules, which are not supported yet either",
      "s.conf:11: 'dynamic_interfaces' is not supported yet - an instance whose interface is missing still refuses to start",
      "s.conf:12: 'disable_local_igmp' is not supported yet - IGMP reports are left as the kernel sends them",
      "s.conf:18: 'vrrp_garp_extra_if' is not supported yet - no periodic GARP is sent on extra interfaces",
      "s.conf:23: 'vrrp_ipsets' is not supported yet - the iptables drop rules name each VIP instead of using ipsets",
      "s.conf:26: 'nftables_ifindex' is not supported yet - the nftables drop rules match the VIPs on every interface",
      "s.conf:27: 'nftables_counters' is not supported yet - the nftables drop rules carry no counters",
      "s.conf:28: 'notify_fifo' is not supported yet - nothing is written to the FIFO",
      "s.conf:29: 'notify_fifo_script' is not supported yet - the script will not be run",
      "s.conf:29: SECURITY VIOLATION - scripts are being executed but script_security not enabled. (add 'enable_script_security' to global_defs, and make sure no user but root can change the scripts)",
      "s.conf:30: 'vrrp_notify_fifo' is not supported yet - nothing is written to the FIFO",
      "s.conf:31: 'vrrp_notify_priority_changes' is not supported yet - nothing is written to the FIFO",
      "s.conf:32: 'fifo_write_vrrp_states_on_reload' is not supported yet - nothing is written to the FIFO",
      "s.conf:34: 'log_unknown_vrids' is not supported yet - adverts for other VRIDs are dropped without a log line",
      "s.conf:37: 'vrrp_priority' is not supported yet",
      "s.conf:38: 'enable_snmp_vrrp' is not supported yet",
      "s.conf:39: 'umask' is not supported yet",
      "s.conf:40: 'lvs_flush' ignored: vrrpd implements only keepalived's VRRP side",
      "s.conf:41: 'checker_priority' ignored: vrrpd implements only keepalived's VRRP side",
    ]);
    expect(config(text).recognised.map((r) => [r.keyword, r.args, r.pos.line])).toEqual([
      ['vrrp_priority', ['-10'], 37], ['enable_snmp_vrrp', [], 38], ['umask', ['0022'], 39], ['lvs_flush', [], 40], ['checker_priority', ['3'], 41],
    ]);
  });

  it('the presence flags keepalived sets whatever follows: `vrrp_strict off` is strict, and says so', () => {
    const strict = lines('global_defs {', 'vrrp_strict off', '}', ...vi('VI_1', 1, 'virtual_ipaddress {', '192.0.2.1', '}'));
    expect(config(strict).global.vrrpStrict).toBe(true);
    expect(warnings(strict)[0]).toBe("s.conf:2: 'vrrp_strict' takes no value: keepalived turns it on whenever it is present, so 'off' is ignored");
  });

  it('keepalived\'s ranges and checks', () => {
    const bad = (line: string): string[] => errors(lines('global_defs {', line, '}', ...vi('VI_1', 1)));
    expect(bad('vrrp_mcast_group4 10.0.0.1')).toEqual(['s.conf:2: vrrp_mcast_group4 [10.0.0.1] is not multicast']);
    expect(bad('vrrp_mcast_group6 2001:db8::1')).toEqual(['s.conf:2: vrrp_mcast_group6 [2001:db8::1] is not an IPv6 multicast address']);
    expect(bad('startup_script_timeout 1001')).toEqual(["s.conf:2: 'startup_script_timeout' value '1001' is not valid: must be an integer 1..1000"]);
    expect(bad('vrrp_garp_extra_if all')).toEqual(['s.conf:2: vrrp_garp_extra_if specified without a time (1..86400 seconds)']);
    expect(bad('dynamic_interfaces sometimes')).toEqual(["s.conf:2: Unknown dynamic_interfaces option 'sometimes': only allow_if_changes"]);
    expect(bad('smtp_server 192.0.2.25 70000')).toEqual(["s.conf:2: 'smtp_server' value '70000' is not valid: must be an integer 1..65535"]);
    expect(bad('vrrp_garp_master_refresh_repeat 0')).toEqual(["s.conf:2: 'vrrp_garp_master_refresh_repeat' must be greater than 0 (keepalived sets it to 1)"]);
  });

  it('an explicit value wins over vrrp_min_garp, whatever the order of the lines', () => {
    const g = config(lines('global_defs {', 'vrrp_garp_master_repeat 5', 'vrrp_min_garp', '}', ...vi('VI_1', 1))).global;
    expect([g.garpMasterRepeat, g.garpMasterDelayMs, g.garpLowerPrioRepeat]).toEqual([5, 0, 5]);
    expect(config(lines('global_defs {', 'vrrp_min_garp off', '}', ...vi('VI_1', 1))).global.garpMasterRepeat).toBe(5);
  });

  it('top-level process keywords are kept raw; net_namespace is refused (the VIPs would land in the wrong namespace)', () => {
    const text = lines('instance lb1', 'use_pid_dir', 'child_wait_time 10', ...vi('VI_1', 1));
    expect(warnings(text)).toEqual([
      "s.conf:1: 'instance' is not supported yet", "s.conf:2: 'use_pid_dir' is not supported yet", "s.conf:3: 'child_wait_time' is not supported yet",
    ]);
    expect(config(text).recognised.map((r) => r.keyword)).toEqual(['instance', 'use_pid_dir', 'child_wait_time']);
  });
});

describe('vrrp_script', () => {
  const tracking = vi('VI_1', 1, 'track_script {', 'chk', '}');

  it('keepalived\'s defaults: interval 1 s, timeout = interval, weight 0, rise 1, fall 1', () => {
    const [script] = config(lines(...secure, 'vrrp_script chk {', 'script "/bin/true"', '}', ...tracking)).scripts;
    expect(script).toEqual({
      name: 'chk', pos: { file: 's.conf', line: 4 }, command: { argv: ['/bin/true'], user: undefined, group: undefined, pos: { file: 's.conf', line: 5 } },
      intervalMs: 1000, timeoutMs: 1000, weight: 0, reverse: false, rise: 1, fall: 1, initFail: false,
    });
  });

  it('every keyword typed', () => {
    const [script] = config(lines(...secure, 'vrrp_script chk {', 'script "/bin/true"', 'interval 3', 'timeout 2', 'weight -20 reverse',
      'rise 2', 'fall 4', 'user nobody nogroup', 'init_fail', '}', ...tracking)).scripts;
    expect(script).toMatchObject({
      command: { argv: ['/bin/true'], user: 'nobody', group: 'nogroup' }, intervalMs: 3000, timeoutMs: 2000, weight: -20, reverse: true, rise: 2, fall: 4, initFail: true,
    });
  });

  it('keepalived\'s errors; a second definition of a name is not used; no script line removes it', () => {
    const text = lines(...secure, 'vrrp_script chk {', 'script "/bin/true"', 'interval 0', 'timeout 0', 'weight 254', 'weight 5 sideways',
      'rise 0', 'fall x', '}', 'vrrp_script chk {', 'script /bin/false', '}', 'vrrp_script empty {', 'interval 2', '}', ...tracking);
    expect(errors(text)).toEqual([
      's.conf:6: (chk): vrrp script interval must be greater than 0, setting to 1',
      's.conf:7: (chk): vrrp script timeout must be greater than 0, setting to 1',
      's.conf:8: vrrp_script chk weight 254 must be in [-253, 253]',
      "s.conf:9: vrrp_script chk unknown weight option sideways: only 'reverse'",
      "s.conf:10: 'rise' value '0' is not valid: must be an integer 1..2147483647",
      "s.conf:11: 'fall' value 'x' is not valid: must be an integer 1..2147483647",
      's.conf:16: No script set for vrrp_script empty - removing',
    ]);
    expect(warnings(text)).toContain('s.conf:13: vrrp_script chk is already defined at line 4 - this one is never used (keepalived uses the first)');
  });

  it('a script nobody tracks: keepalived\'s "not used" warning', () => {
    expect(warnings(lines(...secure, 'vrrp_script idle {', 'script /bin/true', '}', ...vi('VI_1', 1)))).toEqual([
      's.conf:4: Warning - script idle is not used by any vrrp_instance or vrrp_sync_group',
    ]);
  });

  it('a script tracked only through its sync group counts as used', () => {
    const text = lines(...secure, 'vrrp_script chk {', 'script /bin/true', '}', 'vrrp_sync_group G {', 'group {', 'A B', '}', 'track_script {', 'chk', '}', '}',
      ...vi('A', 1), ...vi('B', 2));
    expect(warnings(text).filter((w) => w.includes('not used'))).toEqual([]);
    expect(config(text).syncGroups[0]?.trackScripts.map((t) => [t.name, t.weight])).toEqual([['chk', 0]]);
  });
});

describe('track_file and vrrp_track_process', () => {
  it('track_file: default weight 1; file, weight [reverse], init_file [VALUE] [overwrite]', () => {
    const c = config(lines('track_file tf {', 'file /tmp/a', 'weight -254 reverse', 'init_file 3 overwrite', '}', 'track_file plain {', 'file /tmp/b', '}',
      ...vi('VI_1', 1, 'track_file {', 'tf', 'plain', '}')));
    expect(c.trackFiles).toEqual([
      { name: 'tf', pos: { file: 's.conf', line: 1 }, path: '/tmp/a', weight: -254, reverse: true, init: { value: 3, overwrite: true } },
      { name: 'plain', pos: { file: 's.conf', line: 6 }, path: '/tmp/b', weight: 1, reverse: false, init: undefined },
    ]);
    expect(c.instances[0]?.trackFiles.map((t) => [t.name, t.weight, t.reverse])).toEqual([['tf', -254, true], ['plain', 1, false]]);
  });

  it('track_file: keepalived\'s messages; vrrp_track_file is its deprecated name', () => {
    const text = lines('track_file tf {', 'file /tmp/a', 'file /tmp/b', 'weight -254 reverse', 'weight 3', 'init_file 300 overwrite', '}',
      'vrrp_track_file old {', 'file /tmp/c', 'weight 255', 'init_file x', '}', 'track_file nofile {', 'weight 2', '}', ...vi('VI_1', 1));
    expect(warnings(text)).toEqual([
      's.conf:3: File already set for track file tf (line 2) - ignoring /tmp/b',
      's.conf:5: Weight already set for track file tf (line 4) - ignoring 3',
      's.conf:6: Track file tf init value 300 is outside sensible range [-254, 254]',
      's.conf:8: "vrrp_track_file" is deprecated, please use "track_file"',
    ]);
    expect(errors(text)).toEqual([
      's.conf:10: Weight (255) for track_file old must be between [-254..254] inclusive',
      "s.conf:11: Unknown track file init option x: a number or 'overwrite'",
      's.conf:13: No file set for track_file nofile - ignoring',
    ]);
  });

  it('vrrp_track_process: typed; parameters mean matching the full command line', () => {
    const c = config(lines('vrrp_track_process tp {', 'process nginx -g daemon', 'param_match partial', 'weight 10 reverse', 'quorum 2', 'quorum_max 4',
      'delay 1.5', 'fork_delay 0.25', '}', 'vrrp_track_process plain {', 'process sshd', '}', ...vi('VI_1', 1, 'track_process {', 'tp', 'plain weight -3', '}')));
    expect(c.trackProcesses).toEqual([
      {
        name: 'tp', pos: { file: 's.conf', line: 1 }, process: 'nginx', params: ['-g', 'daemon'], paramMatch: 'partial', fullCommand: true,
        weight: 10, reverse: true, quorum: 2, quorumMax: 4, terminateDelayMs: 1500, forkDelayMs: 250,
      },
      {
        name: 'plain', pos: { file: 's.conf', line: 10 }, process: 'sshd', params: undefined, paramMatch: 'none', fullCommand: false,
        weight: 0, reverse: false, quorum: 1, quorumMax: undefined, terminateDelayMs: 0, forkDelayMs: 0,
      },
    ]);
    expect(c.instances[0]?.trackProcesses.map((t) => [t.name, t.weight])).toEqual([['tp', 10], ['plain', -3]]);
  });

  it('vrrp_track_process: keepalived\'s checks', () => {
    expect(errors(lines('vrrp_track_process tp {', 'quorum_max 2', 'quorum 3', 'param_match foo', 'delay 0', 'weight 255', '}', ...vi('VI_1', 1)))).toEqual([
      "s.conf:1: track process 'tp' process name not specified",
      's.conf:3: Quorum 3 is greater than quorum_max 2 for vrrp_track_process tp - ignoring',
      's.conf:4: Invalid param_match type foo: initial or partial',
      "s.conf:5: 'delay' value '0' is not valid: must be a number of seconds 0.000001..3600",
      's.conf:6: Weight (255) for vrrp_track_process tp must be between [-254..254] inclusive',
    ]);
  });
});

describe('garp_group', () => {
  it('intervals and interfaces typed; a group without a delay is dropped; an interface belongs to one group', () => {
    const text = lines('garp_group {', 'garp_interval 0.005', 'interface eth0', '}', 'garp_group {', 'gna_interval 1', 'interfaces {', 'eth0 eth1', 'eth2', '}', '}',
      'garp_group {', 'interface eth3', '}', ...vi('VI_1', 1));
    const c = config(text);
    expect(c.garpGroups.map((g) => [g.garpIntervalMs, g.gnaIntervalMs, g.interfaces])).toEqual([[5, undefined, ['eth0']], [undefined, 1000, ['eth1', 'eth2']]]);
    expect(warnings(text)).toEqual([
      "s.conf:1: 'garp_group' is not supported yet - GARPs are paced by vrrp_garp_interval only",
      's.conf:8: garp_group already specified for eth0 (line 3) - ignoring',
      's.conf:12: garp_group does not have any delay set (garp_interval or gna_interval) - removing',
    ]);
  });
});

describe('vrrp_sync_group', () => {
  const script = ['vrrp_script chk {', 'script /bin/true', 'weight -20', '}'];

  it('members, group tracking and notify typed; members\' own weights forced to 0 (keepalived rule), with why', () => {
    const text = lines(...secure, ...script,
      'vrrp_sync_group G {', 'group {', 'A B', '}', 'track_interface {', 'eth1 weight 10', '}', 'notify_master "/g.sh m"', 'smtp_alert', '}',
      ...vi('A', 1, 'track_script {', 'chk', '}', 'track_interface {', 'eth3 weight 5', '}'), ...vi('B', 2));
    const c = config(text);
    expect(c.syncGroups).toEqual([expect.objectContaining({
      name: 'G', members: ['A', 'B'], trackingWeight: false, smtpAlert: true,
      trackInterfaces: [{ name: 'eth1', weight: 10, reverse: false, pos: { file: 's.conf', line: 13 } }],
    })]);
    expect(c.syncGroups[0]?.notify.master?.argv).toEqual(['/g.sh', 'm']);
    const a = c.instances[0];
    expect([a?.syncGroup, a?.trackScripts.map((t) => t.weight), a?.trackInterfaces.map((t) => t.weight)]).toEqual(['G', [0], [0]]);
    expect(warnings(text)).toEqual([
      // The group's track_interface entry (line 13) comes before the instance's: reported there, once.
      "s.conf:16: 'smtp_alert' is not supported yet - no e-mail is sent",
      's.conf:23: (A) track_script chk: weight -20 ignored because A is in sync group G without sync_group_tracking_weight - a failure puts the whole group in FAULT (keepalived drops a weighted track_script here altogether)',
      's.conf:26: (A) track_interface eth3: weight 5 ignored because A is in sync group G without sync_group_tracking_weight - a failure puts the whole group in FAULT (keepalived sets it to 0 too)',
    ]);
  });

  it('sync_group_tracking_weight (or the deprecated global_tracking) keeps the members\' weights', () => {
    for (const keyword of ['sync_group_tracking_weight', 'global_tracking']) {
      const c = config(lines(...secure, ...script, 'vrrp_sync_group G {', 'group {', 'A B', '}', keyword, '}',
        ...vi('A', 1, 'track_script {', 'chk', '}'), ...vi('B', 2)));
      expect([c.syncGroups[0]?.trackingWeight, c.instances[0]?.trackScripts[0]?.weight]).toEqual([true, -20]);
    }
  });

  it('a member that is no instance, or in two groups, is an error naming it; a duplicate group name too', () => {
    const text = lines('vrrp_sync_group G1 {', 'group {', 'A B', '}', '}', 'vrrp_sync_group G2 {', 'group {', 'B C', '}', '}', 'vrrp_sync_group G1 {', '}',
      ...vi('A', 1), ...vi('B', 2));
    expect(errors(text)).toEqual([
      's.conf:7: vrrp_instance B cannot be in more than one sync group: it is already in G1 (line 1)',
      's.conf:7: sync group G2: member C is not a vrrp_instance defined in the configuration',
      's.conf:11: vrrp sync group G1 already defined at line 1 - block skipped',
    ]);
    expect(warnings(text)).toContain('s.conf:6: Sync group G2, no matching virtual router found in group declaration - removing');
  });

  it('one member, no members, mixed owners: keepalived\'s warnings', () => {
    expect(warnings(lines('vrrp_sync_group G {', 'group {', 'A', '}', '}', ...vi('A', 1)))).toContain(
      "s.conf:1: Sync group G has only 1 virtual router(s) - this probably isn't what you want",
    );
    expect(warnings(lines('vrrp_sync_group G {', 'group {', '}', '}', ...vi('A', 1)))).toEqual([
      's.conf:2: Warning - sync group G has empty group block',
      "s.conf:1: Sync group G has no members - removing (members go inside 'group { ... }')",
    ].sort((a, b) => Number(a.split(':')[1]) - Number(b.split(':')[1])));
    const mixed = lines('vrrp_sync_group G {', 'group {', 'A B', '}', 'track_interface {', 'eth1 weight 4', '}', '}',
      ...vi('A', 1, 'priority 255'), ...vi('B', 2, 'state BACKUP'));
    expect(warnings(mixed)).toEqual(expect.arrayContaining([
      "s.conf:1: Sync group G has some member(s) as address owner and some not as address owner. This won't work.",
      "s.conf:6: (G) Cannot have weighted track_interface 'eth1' with member having priority 255 - setting weight 0",
    ]));
    const c = config(mixed);
    expect(c.instances.map((i) => [i.name, i.wantState])).toEqual([['A', 'BACKUP'], ['B', 'BACKUP']]);
    expect(c.syncGroups[0]?.trackInterfaces[0]?.weight).toBe(0);
  });

  it('notify_priority_changes: instance, else group, else global', () => {
    const c = config(lines('vrrp_sync_group G {', 'group {', 'A B', '}', 'notify_priority_changes', '}', ...vi('A', 1), ...vi('B', 2, 'notify_priority_changes off')));
    expect(c.instances.map((i) => i.notifyPriorityChanges)).toEqual([true, false]);
  });
});

describe('static_*, track_group, BFD and LVS blocks', () => {
  it('static addresses typed with the ip address syntax, routes and rules kept as words, track_group read', () => {
    const text = lines('static_ipaddress {', '192.0.2.16/24 dev eth0 scope link track_group tg', '2001:db8::5 dev eth1', '}',
      'static_routes {', '192.0.2.0/24 via 192.0.2.254 dev eth0', '}', 'static_rules {', 'from 192.0.2.0/24 table 1', '}',
      'track_group tg {', 'group {', 'VI_1', '}', '}', 'linkbeat_interfaces {', 'eth0 MII', '}', 'interface_up_down_delays {', 'eth0 1 2', '}', ...vi('VI_1', 1));
    const c = config(text);
    expect(c.statics.addresses.map((a) => [a.address, a.family, a.prefixLength, a.dev, a.scope])).toEqual([
      ['192.0.2.16', 4, 24, 'eth0', 253], ['2001:db8::5', 6, 128, 'eth1', undefined],
    ]);
    expect(c.statics.routes.map((r) => r.words)).toEqual([['192.0.2.0/24', 'via', '192.0.2.254', 'dev', 'eth0']]);
    expect(c.statics.rules.map((r) => r.words)).toEqual([['from', '192.0.2.0/24', 'table', '1']]);
    expect(c.statics.trackGroups).toEqual([{ name: 'tg', instances: ['VI_1'], pos: { file: 's.conf', line: 11 } }]);
    expect(c.statics.linkbeatInterfaces.map((r) => r.words)).toEqual([['eth0', 'MII']]);
    expect(c.statics.interfaceUpDownDelays.map((r) => r.words)).toEqual([['eth0', '1', '2']]);
    expect(warnings(text)).toEqual([
      "s.conf:1: 'static_ipaddress' is not supported yet - these addresses are not added",
      "s.conf:5: 'static_routes' is not supported yet - these routes are not added",
      "s.conf:8: 'static_rules' is not supported yet - these rules are not added",
      "s.conf:11: 'track_group' is not supported yet - static addresses are not set, so nothing tracks them",
      "s.conf:16: 'linkbeat_interfaces' is not supported yet - the link state is not polled",
      "s.conf:19: 'interface_up_down_delays' is not supported yet - link changes are not debounced",
    ]);
  });

  it('LVS and BFD blocks are skipped whole with one warning each, whatever they contain', () => {
    const text = lines('virtual_server 192.0.2.9 80 {', 'real_server 192.0.2.10 80 {', 'HTTP_GET {', 'url {', 'path /', '}', '}', '}', '}',
      'virtual_server_group VSG {', '192.0.2.9 80', '}', 'SSL {', 'ca /x', '}', 'bfd_instance b1 {', 'neighbor_ip 192.0.2.2', '}', 'net_namespace_ipvs blue',
      ...vi('VI_1', 1, 'track_bfd {', 'b1 weight -10', '}'));
    expect(warnings(text)).toEqual([
      "s.conf:1: 'virtual_server' ignored: vrrpd implements only keepalived's VRRP side",
      "s.conf:10: 'virtual_server_group' ignored: vrrpd implements only keepalived's VRRP side",
      "s.conf:13: 'SSL' ignored: vrrpd implements only keepalived's VRRP side",
      "s.conf:16: 'bfd_instance' ignored: vrrpd implements only keepalived's VRRP side",
      "s.conf:19: 'net_namespace_ipvs' ignored: vrrpd implements only keepalived's VRRP side",
      "s.conf:25: 'track_bfd' is not supported yet - BFD sessions are not watched",
    ]);
    // track_bfd still resolves against the skipped bfd_instance names.
    expect(config(text).instances[0]?.trackBfds).toEqual([{ name: 'b1', weight: -10, reverse: false, pos: { file: 's.conf', line: 25 } }]);
  });
});
