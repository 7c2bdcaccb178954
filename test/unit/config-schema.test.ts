import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/config/config.js';
import type { InstanceConfig } from '../../src/config/config.js';
import { parseConfigText } from '../../src/config/load.js';

const FILE = 's.conf';

/** Join lines so that argument N is line N of the file (1-based). */
const lines = (...ls: string[]): string => `${ls.join('\n')}\n`;

/** A minimal valid instance around `body` (body starts at line 2). */
const instance = (...body: string[]): string =>
  lines('vrrp_instance VI_1 {', ...body, '}');

const base = ['interface eth0', 'virtual_router_id 51', 'virtual_ipaddress {', '192.0.2.200', '}'];

const load = (text: string) => parseConfigText(text, FILE);
const messages = (text: string): string[] => load(text).diagnostics.map(formatDiagnostic);
const errors = (text: string): string[] =>
  load(text).diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
const warnings = (text: string): string[] =>
  load(text).diagnostics.filter((d) => d.severity === 'warning').map(formatDiagnostic);

function only(text: string): InstanceConfig {
  const result = load(text);
  expect(result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
  const first = result.config?.instances[0];
  if (first === undefined) throw new Error('no instance');
  return first;
}

describe('schema: defaults (keepalived 2.2)', () => {
  it('gives an instance keepalived\'s defaults', () => {
    const vi = only(instance(...base));
    expect(vi).toMatchObject({
      name: 'VI_1',
      pos: { file: FILE, line: 1 },
      wantState: undefined,
      interface: 'eth0',
      vrid: 51,
      priority: 100,
      advertIntMs: 1000,
      auth: { type: 'NONE' },
      preempt: true,
      skipCheckAdvAddr: false,
      garpMasterDelayMs: 5000,
      garpMasterRepeat: 5,
      garpLowerPrioDelayMs: 5000,
      garpLowerPrioRepeat: 5,
      downTimerAdverts: 3,
      strict: false,
      version: 2,
      accept: true,
      preemptDelayMs: 0,
      excludedVips: [],
      allowNoVips: false,
      virtualRoutes: [],
      virtualRules: [],
      trackInterfaces: [],
      trackScripts: [],
      trackFiles: [],
      trackProcesses: [],
      trackBfds: [],
      dontTrackPrimary: false,
      syncGroup: undefined,
      notifyDeleted: false,
      smtpAlert: false,
      notifyPriorityChanges: false,
      sourceAddress: undefined,
      unicastPeers: [],
      unicastTtl: 255,
      checkUnicastSrc: false,
      unicastFaultNoPeer: false,
      oldUnicastChecksum: undefined,
      multicastGroup: '224.0.0.18',
      useVmac: undefined,
      useVmacAddr: false,
      vmacXmitBase: false,
      useIpvlan: undefined,
      vrf: undefined,
      trackSrcIp: false,
      garpMasterRefreshMs: 0,
      garpMasterRefreshRepeat: 1,
      garpExtraIf: undefined,
      lowerPrioNoAdvert: false,
      higherPrioSendAdvert: true, // vrrpd default (faster heal); keepalived: false
      timerExpiredBackup: undefined,
      promoteSecondaries: false,
      linkbeatUsePolling: false,
      v3ChecksumAsV2: false,
      kernelRxBufSize: undefined,
      debug: 0,
    });
    expect(Object.values(vi.notify).every((n) => n === undefined)).toBe(true);
    expect(vi.vips).toEqual([
      {
        address: '192.0.2.200', prefixLength: 32, dev: undefined, label: undefined, broadcast: undefined, scope: undefined,
        peer: undefined, home: false, noDad: false, mngTmpAddr: false, noPrefixRoute: false, autoJoin: false, noTrack: false,
        preferredLft: undefined, useVmac: false, pos: { file: FILE, line: 5 },
      },
    ]);
  });

  it('gives global_defs keepalived\'s defaults', () => {
    const result = load(instance(...base));
    expect(result.config?.global).toEqual({
      routerId: undefined,
      notificationEmail: [],
      notificationEmailFrom: undefined,
      smtpServer: undefined,
      smtpServerPort: 25,
      smtpHeloName: undefined,
      smtpConnectTimeoutSec: 30,
      smtpAlert: undefined,
      smtpAlertVrrp: undefined,
      noEmailFaults: false,
      skipCheckAdvAddr: false,
      vrrpStrict: false,
      checkUnicastSrc: false,
      garpIntervalMs: 0,
      gnaIntervalMs: 0,
      garpMasterDelayMs: 5000,
      garpMasterRepeat: 5,
      garpMasterRefreshMs: 0,
      garpMasterRefreshRepeat: 1,
      garpLowerPrioDelayMs: 5000,
      garpLowerPrioRepeat: 5,
      minGarp: false,
      garpExtraIf: undefined,
      lowerPrioNoAdvert: false,
      higherPrioSendAdvert: true, // vrrpd default (faster heal); keepalived: false
      downTimerAdverts: 3,
      vrrpVersion: 2,
      mcastGroup4: '224.0.0.18',
      mcastGroup6: 'ff02::12',
      defaultInterface: 'eth0',
      dynamicInterfaces: 'off',
      startupScript: undefined,
      startupScriptTimeoutSec: 0,
      shutdownScript: undefined,
      shutdownScriptTimeoutSec: 0,
      scriptUser: undefined,
      enableScriptSecurity: false,
      notifyFifo: undefined,
      vrrpNotifyFifo: undefined,
      notifyPriorityChanges: false,
      fifoWriteVrrpStatesOnReload: false,
      startupDelayMs: 0,
      logUnknownVrids: false,
      firewall: {
        iptables: undefined, ipsets: undefined, nftablesTable: undefined, nftablesPriority: undefined,
        nftablesIfindex: false, nftablesCounters: false,
      },
      vmacPrefix: undefined,
      vmacAddrPrefix: undefined,
      v3ChecksumAsV2: false,
      disableLocalIgmp: false,
    });
    expect(result.config).toMatchObject({
      syncGroups: [], scripts: [], trackFiles: [], trackProcesses: [], garpGroups: [], recognised: [],
      statics: { addresses: [], routes: [], rules: [], trackGroups: [], linkbeatInterfaces: [], interfaceUpDownDelays: [] },
    });
  });

  it("'state MASTER' without 'priority' means priority 255 (address owner)", () => {
    expect(only(instance('state MASTER', ...base)).priority).toBe(255);
    expect(only(instance('state MASTER', 'priority 150', ...base)).priority).toBe(150);
    expect(only(instance('state BACKUP', ...base)).priority).toBe(100);
  });

  it('lower-priority GARP settings default to the master ones (global chain)', () => {
    const text = lines(
      'global_defs {',
      'vrrp_garp_master_delay 2',
      'vrrp_garp_master_repeat 3',
      '}',
      'vrrp_instance VI_1 {',
      ...base,
      '}',
    );
    expect(only(text)).toMatchObject({
      garpMasterDelayMs: 2000,
      garpMasterRepeat: 3,
      garpLowerPrioDelayMs: 2000,
      garpLowerPrioRepeat: 3,
    });
  });

  it('instance GARP and timer keywords override the defaults', () => {
    const vi = only(
      instance(...base, 'garp_master_delay 0', 'garp_master_repeat 2', 'garp_lower_prio_delay 7', 'garp_lower_prio_repeat 0', 'down_timer_adverts 4'),
    );
    expect(vi).toMatchObject({
      garpMasterDelayMs: 0,
      garpMasterRepeat: 2,
      garpLowerPrioDelayMs: 7000,
      garpLowerPrioRepeat: 0,
      downTimerAdverts: 4,
    });
  });

  it('vrrp_skip_check_adv_addr is the default for every instance', () => {
    const text = lines('global_defs {', 'vrrp_skip_check_adv_addr', '}', 'vrrp_instance VI_1 {', ...base, '}');
    expect(only(text).skipCheckAdvAddr).toBe(true);
    const off = lines('global_defs {', 'vrrp_skip_check_adv_addr', '}', 'vrrp_instance VI_1 {', ...base, 'skip_check_adv_addr off', '}');
    expect(only(off).skipCheckAdvAddr).toBe(false);
  });
});

describe('schema: ranges', () => {
  it.each([
    ['virtual_router_id 0', "s.conf:3: 'virtual_router_id' value '0' is not valid: must be an integer 1..255"],
    ['virtual_router_id 256', "s.conf:3: 'virtual_router_id' value '256' is not valid: must be an integer 1..255"],
    ['virtual_router_id x', "s.conf:3: 'virtual_router_id' value 'x' is not valid: must be an integer 1..255"],
    ['priority 0', "s.conf:3: 'priority' value '0' is not valid: must be an integer 1..255"],
    ['priority 256', "s.conf:3: 'priority' value '256' is not valid: must be an integer 1..255"],
    ['priority -1', "s.conf:3: 'priority' value '-1' is not valid: must be an integer 1..255"],
    ['advert_int 0', "s.conf:3: 'advert_int' value '0' is not valid: must be a number of seconds 0.01..255"],
    ['advert_int 256', "s.conf:3: 'advert_int' value '256' is not valid: must be a number of seconds 0.01..255"],
    ['down_timer_adverts 101', "s.conf:3: 'down_timer_adverts' value '101' is not valid: must be an integer 1..100"],
    ['garp_master_repeat 0', "s.conf:3: 'garp_master_repeat' must be greater than 0 (keepalived sets it to 1)"],
  ])('%s is an error with file:line', (line, message) => {
    // The line under test is line 3, right after `interface eth0`.
    const vrid = line.startsWith('virtual_router_id') ? [] : ['virtual_router_id 51'];
    const text = instance('interface eth0', line, ...vrid, 'virtual_ipaddress { 192.0.2.200 }');
    const result = load(text);
    expect(result.config).toBeUndefined();
    expect(result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toContain(message);
  });

  it('accepts the edges 1 and 255', () => {
    expect(only(instance('interface eth0', 'virtual_router_id 1', 'priority 1')).vrid).toBe(1);
    const vi = only(instance('interface eth0', 'virtual_router_id 255', 'priority 255'));
    expect([vi.vrid, vi.priority]).toEqual([255, 255]);
  });
});

describe('schema: advert_int', () => {
  it('takes whole seconds', () => {
    expect(only(instance(...base, 'advert_int 3')).advertIntMs).toBe(3000);
    expect(only(instance(...base, 'advert_int 255')).advertIntMs).toBe(255_000);
  });

  it.each([
    ['1.5', 2],
    ['1.4', 1],
    ['0.5', 1],
    ['0.2', 1],
  ])('a fractional %s is rounded to %d, a correction keepalived also runs with (its -t exits 5)', (value, rounded) => {
    const result = load(instance(...base, `advert_int ${value}`));
    expect(result.config?.instances[0]?.advertIntMs).toBe(rounded * 1000);
    const corrected = result.diagnostics.filter((d) => d.kind === 'corrected').map(formatDiagnostic);
    expect(corrected).toEqual([`s.conf:7: (VI_1) VRRPv2 advert_int must be a whole number of seconds: ${value} rounded to ${rounded}`]);
  });
});

describe('schema: state and repeated keywords', () => {
  it('a repeated scalar: the last wins, with a warning', () => {
    const text = instance(...base, 'priority 120', 'priority 130');
    expect(only(text).priority).toBe(130);
    expect(warnings(text)).toContain("s.conf:8: 'priority' set again (before at line 7): the last value wins");
  });

  it('state MASTER then BACKUP keeps MASTER (keepalived)', () => {
    const text = instance(...base, 'state MASTER', 'state BACKUP');
    expect(only(text).wantState).toBe('MASTER');
    expect(warnings(text)).toContain('s.conf:8: state previously set as MASTER (line 7) - ignoring BACKUP');
  });

  it('state BACKUP then MASTER ends MASTER', () => {
    expect(only(instance(...base, 'state BACKUP', 'state MASTER')).wantState).toBe('MASTER');
  });

  it('states are case-sensitive', () => {
    expect(errors(instance(...base, 'state master'))).toEqual(["s.conf:7: unknown state 'master': must be MASTER or BACKUP"]);
  });
});

describe('schema: authentication', () => {
  it('reads PASS with its password', () => {
    const vi = only(instance(...base, 'authentication {', 'auth_type PASS', 'auth_pass 1111', '}'));
    expect(vi.auth).toEqual({ type: 'PASS', password: '1111' });
  });

  it('accepts a one-line block per keyword, including a quoted password with blanks', () => {
    const vi = only(instance(...base, 'authentication {', 'auth_type PASS', 'auth_pass "a b#c"', '}'));
    expect(vi.auth).toEqual({ type: 'PASS', password: 'a b#c' });
  });

  it('truncates a password longer than 8 characters and runs with it, as keepalived (a correction)', () => {
    const text = instance(...base, 'authentication {', 'auth_type PASS', 'auth_pass 123456789', '}');
    expect(errors(text)).toEqual([]);
    expect(only(text).auth).toEqual({ type: 'PASS', password: '12345678' });
    expect(load(text).diagnostics.filter((d) => d.kind === 'corrected').map(formatDiagnostic)).toEqual([
      "s.conf:9: Truncating auth_pass to 8 characters: '12345678' (keepalived does the same; a peer with the full password sends the same 8 bytes)",
    ]);
  });

  it('8 characters exactly is fine', () => {
    expect(only(instance(...base, 'authentication {', 'auth_type PASS', 'auth_pass 12345678', '}')).auth).toEqual({
      type: 'PASS',
      password: '12345678',
    });
  });

  it('PASS without auth_pass: warning and no authentication (keepalived wording)', () => {
    const text = instance(...base, 'authentication {', 'auth_type PASS', '}');
    expect(only(text).auth).toEqual({ type: 'NONE' });
    expect(warnings(text)).toContain('s.conf:8: (VI_1) Authentication specified but no password given. Ignoring');
  });

  it('several sub-keywords on one line: only the first counts, as in keepalived', () => {
    const text = instance(...base, 'authentication { auth_type PASS auth_pass 1111 }');
    expect(errors(text)).toEqual([]);
    expect(only(text).auth).toEqual({ type: 'NONE' });
    expect(warnings(text)).toEqual([
      "s.conf:7: 'auth_type' takes 1 argument - ignoring extra 'auth_pass 1111'",
      's.conf:7: (VI_1) Authentication specified but no password given. Ignoring',
    ]);
  });

  it('AH is not supported yet: an error that says what running without it would do', () => {
    expect(errors(instance(...base, 'authentication {', 'auth_type AH', 'auth_pass x', '}'))).toEqual([
      "s.conf:8: 'auth_type AH' is not supported yet; running without it would send adverts without the IPsec AH header the peers check",
    ]);
  });

  it('an unknown auth_type is an error (no ";" separators, keepalived)', () => {
    expect(errors(instance(...base, 'authentication {', 'auth_type PASS;', '}'))).toEqual([
      "s.conf:8: unknown authentication type 'PASS;': must be PASS or AH",
    ]);
  });

  it('auth_pass without auth_type: warning, no authentication', () => {
    const text = instance(...base, 'authentication {', 'auth_pass 1111', '}');
    expect(only(text).auth).toEqual({ type: 'NONE' });
    expect(warnings(text)).toEqual(['s.conf:8: (VI_1) auth_pass given without auth_type - no authentication used']);
  });
});

describe('schema: preempt', () => {
  it('nopreempt with state BACKUP and priority below 255 turns preemption off', () => {
    const text = instance(...base, 'state BACKUP', 'priority 100', 'nopreempt');
    expect(only(text).preempt).toBe(false);
    expect(warnings(text)).toEqual([]);
  });

  it('nopreempt with state MASTER is ignored with a warning saying why', () => {
    const text = instance(...base, 'state MASTER', 'priority 150', 'nopreempt');
    expect(only(text).preempt).toBe(true);
    expect(warnings(text)).toEqual([
      's.conf:9: (VI_1) Warning - nopreempt will not work with initial state MASTER - clearing: nopreempt only works with initial state BACKUP',
    ]);
  });

  it('nopreempt with priority 255 is ignored with a warning saying why', () => {
    const text = instance(...base, 'state BACKUP', 'priority 255', 'nopreempt');
    expect(only(text).preempt).toBe(true);
    expect(warnings(text)).toEqual([
      's.conf:9: (VI_1) nopreempt is incompatible with priority 255. resetting nopreempt: priority 255 makes this router the address owner, which always takes over at once (RFC 3768 §6.4.1)',
    ]);
  });

  it('nopreempt with state MASTER and no priority: the 255 explains it', () => {
    const text = instance(...base, 'state MASTER', 'nopreempt');
    expect(warnings(text)).toEqual([
      "s.conf:8: (VI_1) nopreempt is incompatible with priority 255. resetting nopreempt: priority 255 makes this router the address owner, which always takes over at once (RFC 3768 §6.4.1) - 255 comes from 'state MASTER' without 'priority'",
    ]);
  });

  it('a later preempt undoes nopreempt', () => {
    expect(only(instance(...base, 'nopreempt', 'preempt')).preempt).toBe(true);
  });
});

describe('schema: required keywords and interface', () => {
  it('missing virtual_router_id is an error at the instance line', () => {
    expect(errors(instance('interface eth0'))).toEqual([
      "s.conf:1: (VI_1) the virtual router id must be set ('virtual_router_id' 1..255)",
    ]);
  });

  it('missing interface is an error at the instance line', () => {
    // keepalived 2.2.7 -t: "(VI_1) Unknown interface!" even with default_interface set (verified).
    expect(errors(instance('virtual_router_id 5'))).toEqual([
      "s.conf:1: (VI_1) no 'interface' given (keepalived: 'Unknown interface!'; global default_interface only applies to static addresses)",
    ]);
    expect(errors(lines('global_defs {', 'default_interface eth0', '}', 'vrrp_instance VI_1 {', 'virtual_router_id 5', '}'))).toEqual([
      "s.conf:4: (VI_1) no 'interface' given (keepalived: 'Unknown interface!'; global default_interface only applies to static addresses)",
    ]);
  });

  it('interface lo is an error', () => {
    expect(errors(instance('interface lo', 'virtual_router_id 5'))).toEqual([
      's.conf:2: cannot use a loopback interface (lo) for vrrp',
    ]);
  });

  it('an interface name longer than IFNAMSIZ-1 is an error', () => {
    expect(errors(instance('interface abcdefghijklmnop', 'virtual_router_id 5'))).toContain(
      "s.conf:2: interface name 'abcdefghijklmnop' is too long (at most 15 characters)",
    );
  });

  it('a keyword missing its value is an error', () => {
    expect(errors(instance(...base, 'priority'))).toEqual(["s.conf:7: 'priority' needs 1 argument, got 0"]);
  });

  it('an instance needs a name, and one name only', () => {
    const nothingToRun = 's.conf: no vrrp_instance defined: there is nothing to run';
    expect(errors(lines('vrrp_instance {', '}'))).toEqual([nothingToRun, "s.conf:1: 'vrrp_instance' needs 1 argument, got 0"]);
    expect(errors(lines('vrrp_instance A B {', '}'))).toEqual([
      nothingToRun,
      "s.conf:1: vrrp_instance must have exactly one name, got 'A B' - block skipped",
    ]);
  });

  it('a duplicate instance name is an error', () => {
    const text = lines('vrrp_instance VI_1 {', ...base, '}', 'vrrp_instance VI_1 {', ...base, '}');
    expect(errors(text)).toEqual(['s.conf:8: vrrp_instance VI_1 already defined at line 1 - block skipped']);
  });
});

describe('schema: duplicate VRID', () => {
  it('the same VRID twice on one interface is an error at the second virtual_router_id', () => {
    const text = lines(
      'vrrp_instance A {', 'interface eth0', 'virtual_router_id 51', '}',
      'vrrp_instance B {', 'interface eth0', 'virtual_router_id 51', '}',
    );
    expect(errors(text)).toEqual(['s.conf:7: (B) virtual_router_id 51 is already used on eth0 by A (s.conf:1)']);
  });

  it('the same VRID on two interfaces is fine', () => {
    const text = lines(
      'vrrp_instance A {', 'interface eth0', 'virtual_router_id 51', '}',
      'vrrp_instance B {', 'interface eth1', 'virtual_router_id 51', '}',
    );
    const result = load(text);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(result.config?.instances.map((i) => i.name)).toEqual(['A', 'B']);
  });
});

describe('schema: virtual_ipaddress', () => {
  const vips = (...entries: string[]) => instance('interface eth0', 'virtual_router_id 1', 'virtual_ipaddress {', ...entries, '}');

  it('reads ADDR[/PREFIX] [dev IF] [label L]', () => {
    const vi = only(vips('192.0.2.200', '198.51.100.7/24 dev eth1 label eth1:vip', '203.0.113.0/0'));
    expect(vi.vips.map((v) => [v.address, v.prefixLength, v.dev, v.label, v.pos.line])).toEqual([
      ['192.0.2.200', 32, undefined, undefined, 5],
      ['198.51.100.7', 24, 'eth1', 'eth1:vip', 6],
      ['203.0.113.0', 0, undefined, undefined, 7],
    ]);
  });

  it('a one-line virtual_ipaddress block works', () => {
    const vi = only(instance('interface eth0', 'virtual_router_id 1', 'virtual_ipaddress { 192.0.2.200/24 dev eth0 }'));
    expect(vi.vips.map((v) => [v.address, v.prefixLength, v.dev])).toEqual([['192.0.2.200', 24, 'eth0']]);
  });

  it('repeated virtual_ipaddress blocks accumulate', () => {
    const text = instance('interface eth0', 'virtual_router_id 1', 'virtual_ipaddress { 192.0.2.1 }', 'virtual_ipaddress { 192.0.2.2 }');
    expect(only(text).vips.map((v) => v.address)).toEqual(['192.0.2.1', '192.0.2.2']);
  });

  it.each([
    ['192.0.2.256', "s.conf:5: invalid virtual IP address '192.0.2.256': expected A.B.C.D[/PREFIX]"],
    ['192.0.2', "s.conf:5: invalid virtual IP address '192.0.2': expected A.B.C.D[/PREFIX]"],
    ['vip.example', "s.conf:5: invalid virtual IP address 'vip.example': expected A.B.C.D[/PREFIX]"],
    ['192.0.2.1/33', "s.conf:5: invalid prefix length in '192.0.2.1/33': must be 0..32"],
    ['192.0.2.1/', "s.conf:5: invalid prefix length in '192.0.2.1/': must be 0..32"],
    ['192.0.2.1/x', "s.conf:5: invalid prefix length in '192.0.2.1/x': must be 0..32"],
    ['2001:db8::1', "s.conf:5: IPv6 virtual address '2001:db8::1' is not supported (VRRPv2 carries IPv4 addresses only)"],
    ['192.0.2.1 frob', "s.conf:5: unknown virtual_ipaddress option 'frob' for 192.0.2.1"],
    ['192.0.2.1 scope galaxy', "s.conf:5: Invalid scope 'galaxy' specified for 192.0.2.1: must be global, site, link, host, nowhere or 0..255"],
    ['192.0.2.1 scope 256', "s.conf:5: Invalid scope '256' specified for 192.0.2.1: must be global, site, link, host, nowhere or 0..255"],
    ['192.0.2.1 brd 1.2.3', "s.conf:5: invalid broadcast address '1.2.3' for 192.0.2.1"],
    ['192.0.2.1 label abcdefghijklmnop', "s.conf:5: label 'abcdefghijklmnop' is too long (at most 15 characters)"],
    ['192.0.2.1 peer 2001:db8::1', 's.conf:5: Peer address 2001:db8::1 does not match the address family of 192.0.2.1'],
    ['192.0.2.1 peer nope', 's.conf:5: Invalid peer address nope for 192.0.2.1'],
    ['192.0.2.1 peer 192.0.2.2 peer 192.0.2.3', 's.conf:5: Peer 192.0.2.3 - another peer has already been specified for 192.0.2.1'],
    ['192.0.2.1 preferred_lft soon', 's.conf:5: preferred_lft soon is invalid for 192.0.2.1: must be 0..4294967295 or forever'],
    ['192.0.2.1 track_group g', 's.conf:5: track_group only applies to static_ipaddress, not to virtual_ipaddress (192.0.2.1)'],
    ['192.0.2.1 scope', 's.conf:5: No scope parameter specified for 192.0.2.1'],
    ['192.0.2.1 dev', 's.conf:5: No dev parameter specified for 192.0.2.1'],
    ['192.0.2.1 dev a dev b', 's.conf:5: Cannot specify ipaddress device more than once for 192.0.2.1'],
  ])('%s is an error', (entry, message) => {
    const result = load(vips(entry));
    expect(result.config).toBeUndefined();
    expect(result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([message]);
  });

  it('known options not applied yet: warning, and the option value is skipped', () => {
    const text = vips('192.0.2.1/24 brd + scope global dev eth0 noprefixroute');
    const vi = only(text);
    expect(vi.vips[0]).toMatchObject({ address: '192.0.2.1', prefixLength: 24, dev: 'eth0' });
    expect(warnings(text)).toEqual([
      "s.conf:5: virtual_ipaddress option 'brd' is not supported yet - ignoring it",
      "s.conf:5: virtual_ipaddress option 'scope' is not supported yet - ignoring it",
      "s.conf:5: virtual_ipaddress option 'noprefixroute' is not supported yet - ignoring it",
    ]);
  });

  it('a duplicate VIP is kept, as keepalived advertises it twice (address counts must match)', () => {
    const text = vips('192.0.2.1', '192.0.2.1/24');
    expect(only(text).vips.map((v) => [v.address, v.prefixLength])).toEqual([['192.0.2.1', 32], ['192.0.2.1', 24]]);
    expect(warnings(text)).toEqual([
      's.conf:6: virtual IP 192.0.2.1 is listed twice (first at line 5): kept, because keepalived advertises it twice and peers compare the address count; remove it on every node',
    ]);
  });

  it('an instance with no VIP is allowed, with a warning', () => {
    const text = instance('interface eth0', 'virtual_router_id 1');
    expect(only(text).vips).toEqual([]);
    expect(warnings(text)).toEqual(['s.conf:1: (VI_1) no virtual_ipaddress: the instance will advertise no addresses']);
  });

  it('more than 255 VIPs: the excess becomes excluded VIPs, as keepalived does (the 8-bit count)', () => {
    const many = Array.from({ length: 257 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const text = vips(...many);
    const vi = only(text);
    expect(vi.vips).toHaveLength(255);
    expect(vi.excludedVips.map((v) => [v.address, v.family, v.pos.line])).toEqual([['10.0.0.255', 4, 260], ['10.0.1.0', 4, 261]]);
    expect(warnings(text)).toEqual([
      's.conf:1: (VI_1) Number of VIPs (257) exceeds maximum/space available in packet (max 255 addresses) - excess moved to eVIPs',
      "s.conf:260: 'virtual_ipaddress_excluded' is not supported yet - these addresses are not added",
    ]);
  });
});

describe('schema: global_defs', () => {
  it('reads the seed keywords', () => {
    const text = lines(
      'global_defs {',
      '  notification_email {',
      '    a@example.org',
      '    b@example.org c@example.org',
      '  }',
      '  notification_email_from vrrpd@example.org',
      '  smtp_server 192.0.2.25 2525',
      '  smtp_connect_timeout 12',
      '  router_id NodeA',
      '  vrrp_skip_check_adv_addr',
      '  vrrp_garp_interval 0.001',
      '  vrrp_gna_interval 0',
      '}',
      'vrrp_instance VI_1 {', ...base, '}',
    );
    const result = load(text);
    expect(result.diagnostics).toEqual([]);
    expect(result.config?.global).toMatchObject({
      routerId: 'NodeA',
      notificationEmail: ['a@example.org', 'b@example.org', 'c@example.org'],
      notificationEmailFrom: 'vrrpd@example.org',
      smtpServer: '192.0.2.25',
      smtpServerPort: 2525,
      smtpConnectTimeoutSec: 12,
      skipCheckAdvAddr: true,
      vrrpStrict: false,
      garpIntervalMs: 1,
      gnaIntervalMs: 0,
    });
  });

  it('accepts vrrp_garp_interval 0 and vrrp_gna_interval 0 (keepalived 2.2 wrongly rejects them)', () => {
    const text = lines('global_defs {', 'vrrp_garp_interval 0', 'vrrp_gna_interval 0', '}', 'vrrp_instance VI_1 {', ...base, '}');
    expect(messages(text)).toEqual([]);
  });

  it('rejects a negative or non-numeric garp interval', () => {
    expect(errors(lines('global_defs {', 'vrrp_garp_interval -1', '}', 'vrrp_instance VI_1 {', ...base, '}'))).toEqual([
      "s.conf:2: 'vrrp_garp_interval' value '-1' is not valid: must be a number of seconds 0..4294.967295",
    ]);
  });

  it('script_user and enable_script_security are typed (they govern scripts; no warning of their own)', () => {
    const text = lines('global_defs {', 'script_user root wheel', 'enable_script_security', '}', 'vrrp_instance VI_1 {', ...base, '}');
    expect(messages(text)).toEqual([]);
    expect(load(text).config?.global).toMatchObject({ scriptUser: { user: 'root', group: 'wheel' }, enableScriptSecurity: true });
  });

  it('vrrp_strict drops PASS authentication with keepalived\'s message, and the typed auth is NONE', () => {
    const text = lines(
      'global_defs {', 'vrrp_strict', '}',
      'vrrp_instance VI_1 {', ...base, 'authentication {', 'auth_type PASS', 'auth_pass 1111', '}', '}',
    );
    const result = load(text);
    expect(result.config?.global.vrrpStrict).toBe(true);
    expect(result.config?.instances[0]).toMatchObject({ strict: true, auth: { type: 'NONE' }, accept: false });
    expect(warnings(text)).toEqual([
      "s.conf:2: (VI_1) vrrp_strict: the VIPs 192.0.2.200 of VI_1 accept no traffic while this node is MASTER with priority 100 (strict mode implies no_accept: " +
        'firewall rules drop all packets to and from them, RFC 3768 §6.4.3), so a service behind them (nginx) is unreachable although the VIPs answer ARP; ' +
        "to serve traffic on them remove vrrp_strict (or add 'strict_mode off' to VI_1) - 'accept' is not allowed with VRRPv2 under strict mode",
      's.conf:11: (VI_1) Strict mode does not support authentication. Ignoring. (strict mode from line 2: adverts go out with auth type 0 and no password, as a strict keepalived sends them, and only such adverts are accepted: a peer that is not strict and uses auth_type PASS rejects them and both nodes become MASTER)',
    ]);
  });

  it('vrrp_version 3 is refused (VRRPv2 only)', () => {
    expect(errors(lines('global_defs {', 'vrrp_version 3', '}'))).toEqual([
      's.conf: no vrrp_instance defined: there is nothing to run',
      "s.conf:2: 'vrrp_version 3': VRRPv3 is not supported (vrrpd speaks VRRPv2, RFC 3768)",
    ]);
  });
});

describe('schema: unknown and not-yet-supported keywords', () => {
  it('an unknown keyword is a warning with file:line, and the config still loads', () => {
    const text = instance(...base, 'frobnicate 3');
    expect(warnings(text)).toEqual(["s.conf:7: unknown keyword 'frobnicate'"]);
    expect(load(text).config).toBeDefined();
  });

  it('an unknown block is skipped whole with a warning; nothing inside it is applied', () => {
    const text = instance(...base, 'priority 100', 'foo {', 'priority 200', 'state MASTER', 'vrrp_instance X {', '}', '}');
    const result = load(text);
    expect(warnings(text)).toEqual(["s.conf:8: unknown block 'foo' - skipped"]);
    expect(result.config?.instances.map((i) => [i.name, i.priority, i.wantState])).toEqual([['VI_1', 100, undefined]]);
  });

  it('an unknown top-level block is skipped whole too', () => {
    const text = lines('foo {', 'vrrp_instance VI_9 {', 'interface eth0', 'virtual_router_id 9', '}', '}', 'vrrp_instance VI_1 {', ...base, '}');
    expect(warnings(text)).toEqual(["s.conf:1: unknown block 'foo' - skipped"]);
    expect(load(text).config?.instances.map((i) => i.name)).toEqual(['VI_1']);
  });

  it('notify keywords are parsed, typed and run (no warning)', () => {
    const text = lines('global_defs {', 'enable_script_security', '}', 'vrrp_instance VI_1 {', ...base, 'notify "/usr/local/bin/notify.sh"', 'notify_master /bin/m.sh', '}');
    expect(warnings(text)).toEqual([]);
    expect(load(text).config?.instances[0]?.notify.master?.argv).toEqual(['/bin/m.sh']);
  });

  it('scripts without enable_script_security: keepalived\'s SECURITY VIOLATION, a warning of class security', () => {
    const result = load(instance(...base, 'notify "/usr/local/bin/notify.sh"'));
    const violation = result.diagnostics.find((d) => d.class === 'security');
    expect(violation).toMatchObject({ severity: 'warning', pos: { line: 7 } });
    expect(violation?.message).toBe(
      "SECURITY VIOLATION - scripts are being executed but script_security not enabled. (add 'enable_script_security' to global_defs, and make sure no user but root can change the scripts)",
    );
    expect(result.config).toBeDefined();
  });

  it('a tracked script gives no warning, and its block is typed', () => {
    const text = lines(
      'global_defs {', 'enable_script_security', '}',
      'vrrp_script chk {', 'script "/bin/true"', 'interval 2', '}', 'vrrp_instance VI_1 {', ...base, 'track_script {', 'chk', '}', '}',
    );
    expect(warnings(text)).toEqual([]);
    expect(load(text).config?.scripts.map((s) => [s.name, s.command.argv, s.intervalMs])).toEqual([['chk', ['/bin/true'], 2000]]);
  });

  it('unicast_peer is read and used: the instance is unicast', () => {
    const text = instance(...base, 'unicast_peer {', '192.0.2.2', '}');
    expect(errors(text)).toEqual([]);
    expect(load(text).config?.instances[0]?.unicastPeers.map((p) => p.address)).toEqual(['192.0.2.2']);
  });

  it('net_namespace is refused: ignoring it would put the VIPs in the wrong namespace', () => {
    expect(errors(lines('net_namespace blue', 'vrrp_instance VI_1 {', ...base, '}'))).toEqual([
      "s.conf:1: 'net_namespace' is not supported yet; running without it would run in the current network namespace instead of blue",
    ]);
  });

  it("keepalived's LVS blocks are ignored with one warning each", () => {
    const text = lines('virtual_server 192.0.2.9 80 {', 'real_server 192.0.2.10 80 {', 'weight 1', '}', '}', 'vrrp_instance VI_1 {', ...base, '}');
    expect(warnings(text)).toEqual(["s.conf:1: 'virtual_server' ignored: vrrpd implements only keepalived's VRRP side"]);
  });

  it('a flag keepalived sets whenever present ignores a value, and says so', () => {
    const text = instance(...base, 'nopreempt off');
    expect(only(text).preempt).toBe(false);
    expect(warnings(text)).toEqual([
      "s.conf:7: 'nopreempt' takes no value: keepalived turns it on whenever it is present, so 'off' is ignored",
    ]);
  });

  it('a flag with an optional boolean rejects a non-boolean', () => {
    expect(errors(instance(...base, 'strict_mode maybe'))).toEqual([
      "s.conf:7: 'strict_mode': 'maybe' is not a boolean (on|off|true|false|yes|no)",
    ]);
  });

  it('a block where a value is expected, and a value where a block is expected, are errors', () => {
    expect(errors(instance(...base, 'priority 100 {', '}'))).toEqual(["s.conf:7: 'priority' does not take a { ... } block - ignoring it"]);
    expect(errors(instance(...base, 'authentication PASS'))).toEqual([
      "s.conf:7: 'authentication' needs a { ... } block",
    ]);
  });

  it('keywords named like Object.prototype members are plain unknown keywords', () => {
    const text = instance(...base, 'constructor 1', '__proto__ 2', 'toString');
    expect(warnings(text)).toEqual([
      "s.conf:7: unknown keyword 'constructor'",
      "s.conf:8: unknown keyword '__proto__'",
      "s.conf:9: unknown keyword 'toString'",
    ]);
  });

  it('a file with no vrrp_instance is refused: there is nothing to run', () => {
    expect(errors(lines('global_defs {', 'router_id X', '}'))).toEqual(['s.conf: no vrrp_instance defined: there is nothing to run']);
  });
});

describe('schema: brace problems reach the loader', () => {
  it('a missing } makes the config invalid with the opening line', () => {
    const result = load(lines('vrrp_instance VI_1 {', ...base));
    expect(result.config).toBeUndefined();
    expect(result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([
      "s.conf:1: missing '}': the 'vrrp_instance' block opened here is never closed",
    ]);
  });

  it('diagnostics come out in line order', () => {
    const text = instance(...base, 'frob', 'priority 0', 'zap');
    const linesSeen = load(text).diagnostics.map((d) => d.pos.line);
    expect(linesSeen).toEqual([...linesSeen].sort((a, b) => a - b));
  });
});
