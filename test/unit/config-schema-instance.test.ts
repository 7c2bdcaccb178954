// vrrp_instance keywords beyond the seed: strict mode, preempt_delay, accept mode, unicast and
// multicast addressing, VMAC, tracking, the full `ip address` syntax of VIPs, excluded VIPs,
// routes and rules, and the "not supported yet" reporting (once per config, at the first use).
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/config/config.js';
import type { InstanceConfig } from '../../src/config/config.js';
import { parseConfigText } from '../../src/config/load.js';

const lines = (...ls: string[]): string => `${ls.join('\n')}\n`;
/** Lines 2..6. */
const base = ['interface eth0', 'virtual_router_id 51', 'virtual_ipaddress {', '192.0.2.200', '}'];
/** An instance whose extra lines start at line 7. */
const instance = (...body: string[]): string => lines('vrrp_instance VI_1 {', ...base, ...body, '}');
/** The same after a 3-line global_defs with `globals` (extra lines then start at line 7 + globals.length + 2). */
const withGlobals = (globals: string[], ...body: string[]): string =>
  lines('global_defs {', ...globals, '}', 'vrrp_instance VI_1 {', ...base, ...body, '}');

const load = (text: string) => parseConfigText(text, 's.conf');
const errors = (text: string): string[] => load(text).diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
const warnings = (text: string): string[] => load(text).diagnostics.filter((d) => d.severity === 'warning').map(formatDiagnostic);

function only(text: string): InstanceConfig {
  const result = load(text);
  expect(result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
  const first = result.config?.instances[0];
  if (first === undefined) throw new Error('no instance');
  return first;
}

const UNREACHABLE_STRICT_MODE =
  "(VI_1) vrrp_strict: the VIPs 192.0.2.200 of VI_1 accept no traffic while this node is MASTER with priority 100 (strict mode implies no_accept: " +
  'firewall rules drop all packets to and from them, RFC 3768 §6.4.3), so a service behind them (nginx) is unreachable although the VIPs answer ARP; ' +
  "to serve traffic on them remove 'strict_mode' from VI_1 - 'accept' is not allowed with VRRPv2 under strict mode";

describe('strict mode (vrrp_strict / strict_mode), as vrrp_complete_instance applies it', () => {
  it('state BACKUP at priority 255: becomes MASTER with keepalived\'s message', () => {
    const text = withGlobals(['vrrp_strict'], 'state BACKUP', 'priority 255');
    expect(only(text)).toMatchObject({ strict: true, wantState: 'MASTER', accept: true, lowerPrioNoAdvert: true, higherPrioSendAdvert: false });
    expect(warnings(text)).toEqual([
      's.conf:10: (VI_1) State MASTER must match being address owner (strict mode from line 2): priority 255 starts as MASTER',
    ]);
  });

  it('strict_mode on the instance alone; without it the global default (off) applies', () => {
    expect(only(instance('strict_mode')).strict).toBe(true);
    expect(only(instance('strict_mode off')).strict).toBe(false);
    expect(only(withGlobals(['vrrp_strict'], 'strict_mode no')).strict).toBe(false);
  });

  it('no VIP is an error in strict mode, and no_virtual_ipaddress is cleared', () => {
    const text = lines('vrrp_instance VI_1 {', 'interface eth0', 'virtual_router_id 51', 'strict_mode on', 'no_virtual_ipaddress', '}');
    expect(errors(text)).toEqual(['s.conf:1: (VI_1) No VIP specified; at least one is required (strict mode)']);
    expect(warnings(text)).toContain('s.conf:5: (VI_1) no_virtual_ipaddress and strict mode incompatible, clearing no_virtual_ipaddress');
  });

  it('explicit values strict mode forbids are reset, each with keepalived\'s message', () => {
    const text = instance('strict_mode', 'priority 255', 'higher_prio_send_advert', 'garp_lower_prio_delay 2', 'garp_lower_prio_repeat 3',
      'lower_prio_no_advert off', 'down_timer_adverts 5', 'preempt_delay 4');
    expect(only(text)).toMatchObject({
      higherPrioSendAdvert: false, garpLowerPrioDelayMs: 0, garpLowerPrioRepeat: 0, lowerPrioNoAdvert: true, downTimerAdverts: 3, preemptDelayMs: 0,
    });
    expect(warnings(text)).toEqual([
      's.conf:9: (VI_1) strict mode requires higher_prio_send_advert to be clear. resetting',
      's.conf:10: (VI_1) Strict mode requires no repeat garp delay. resetting',
      's.conf:11: (VI_1) Strict mode requires no repeat garps. resetting',
      's.conf:12: (VI_1) Strict mode requires no lower priority advert. resetting',
      's.conf:13: (VI_1) down_timer_adverts is incompatible with strict mode - resetting',
      's.conf:14: (VI_1) preempt_delay is incompatible with strict mode - resetting',
    ]);
  });

  it('accept mode: on by default, off in strict mode below 255, and an explicit accept is reset there', () => {
    expect(only(instance()).accept).toBe(true);
    expect(only(instance('no_accept')).accept).toBe(false);
    const text = instance('strict_mode', 'accept');
    expect(only(text).accept).toBe(false);
    expect(warnings(text)).toEqual([
      `s.conf:7: ${UNREACHABLE_STRICT_MODE}`,
      's.conf:8: (VI_1) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting',
    ]);
    // Asked for without strict mode: enforced with firewall rules, nothing to warn about.
    expect(warnings(instance('no_accept'))).toEqual([]);
  });

  it('the unreachable-VIP warning: once, only where strict mode makes the master drop traffic', () => {
    const global = withGlobals(['vrrp_strict'], 'priority 150');
    expect(warnings(global).filter((w) => w.includes('accept no traffic'))).toEqual([
      "s.conf:2: (VI_1) vrrp_strict: the VIPs 192.0.2.200 of VI_1 accept no traffic while this node is MASTER with priority 150 (strict mode implies no_accept: " +
        'firewall rules drop all packets to and from them, RFC 3768 §6.4.3), so a service behind them (nginx) is unreachable although the VIPs answer ARP; ' +
        "to serve traffic on them remove vrrp_strict (or add 'strict_mode off' to VI_1) - 'accept' is not allowed with VRRPv2 under strict mode",
    ]);
    // The address owner accepts (RFC 3768 §6.4.3); strict_mode off or no strict at all: accept.
    for (const text of [withGlobals(['vrrp_strict'], 'priority 255'), withGlobals(['vrrp_strict'], 'strict_mode off'), instance('no_accept')]) {
      expect(warnings(text).filter((w) => w.includes('accept no traffic'))).toEqual([]);
    }
  });

  it('the strict lower-priority defaults come from strict mode, not from the globals', () => {
    const vi = only(withGlobals(['vrrp_strict', 'vrrp_garp_lower_prio_repeat 4', 'vrrp_garp_lower_prio_delay 3']));
    expect([vi.garpLowerPrioRepeat, vi.garpLowerPrioDelayMs]).toEqual([0, 0]);
  });
});

describe('preempt_delay', () => {
  it('0..1000 s with fractions; typed, no warning (the core acts on it)', () => {
    const text = instance('preempt_delay 2.5');
    expect(only(text).preemptDelayMs).toBe(2500);
    expect(warnings(text)).toEqual([]);
    expect(errors(instance('preempt_delay 1001'))).toEqual(["s.conf:7: 'preempt_delay' value '1001' is not valid: must be a number of seconds 0..1000"]);
  });

  it('cleared with state MASTER and with nopreempt, with keepalived\'s messages', () => {
    const master = instance('state MASTER', 'priority 100', 'preempt_delay 2');
    expect(only(master).preemptDelayMs).toBe(0);
    expect(warnings(master)).toEqual(['s.conf:9: (VI_1) Warning - preempt delay will not work with initial state MASTER - clearing']);
    const nopreempt = instance('nopreempt', 'preempt_delay 2');
    expect(only(nopreempt)).toMatchObject({ preempt: false, preemptDelayMs: 0 });
    expect(warnings(nopreempt)).toEqual(['s.conf:8: (VI_1) preempt_delay is incompatible with nopreempt mode - resetting']);
  });
});

describe('unicast and multicast addressing', () => {
  it('unicast keywords without peers are errors: keepalived falls back to multicast, vrrpd refuses', () => {
    const text = instance('check_unicast_src', 'unicast_ttl 5');
    expect(errors(text)).toEqual([
      's.conf:7: (VI_1) A unicast keyword (check_unicast_src) has been specified without any unicast peers: keepalived defaults to multicast (deprecated); vrrpd refuses - add a unicast_peer block or remove the keyword',
      's.conf:8: (VI_1) unicast_ttl without any unicast_peer: keepalived resets it and runs multicast; vrrpd refuses',
    ]);
    expect(errors(instance('unicast_src_ip 192.0.2.11'))).toEqual([
      's.conf:7: (VI_1) A unicast keyword (unicast_src_ip) has been specified without any unicast peers: keepalived defaults to multicast (deprecated); vrrpd refuses - add a unicast_peer block or remove the keyword',
    ]);
    expect(errors(instance('unicast_peer {', '}'))).toEqual([
      's.conf:7: (VI_1) unicast_peer has no valid peer: vrrpd would have no one to send adverts to',
    ]);
  });

  it('unicast_fault_no_peer without peers: accepted with keepalived\'s warning (the instance sits in FAULT until a reload adds peers)', () => {
    expect(errors(instance('unicast_fault_no_peer'))).toEqual([]);
    expect(warnings(instance('unicast_fault_no_peer'))).toEqual(['s.conf:7: (VI_1) Cannot use unicast without any peers - going to fault state']);
    expect(only(instance('unicast_fault_no_peer', 'unicast_peer {', '192.0.2.12', '}'))).toMatchObject({ unicastFaultNoPeer: true });
  });

  it('a unicast instance: peers with their TTL range, unicast_ttl, the source, check_unicast_src implied by min_ttl', () => {
    const c = only(instance('unicast_src_ip 192.0.2.11', 'unicast_ttl 64', 'unicast_peer {', '192.0.2.12 min_ttl 60', '192.0.2.13', '}'));
    expect(c).toMatchObject({ sourceAddress: '192.0.2.11', unicastTtl: 64, checkUnicastSrc: true });
    expect(c.unicastPeers.map((p) => [p.address, p.minTtl, p.maxTtl])).toEqual([['192.0.2.12', 60, 255], ['192.0.2.13', 0, 255]]);
    expect(only(instance('unicast_peer {', '192.0.2.12', '}'))).toMatchObject({ unicastTtl: 255, checkUnicastSrc: false });
    expect(only(withGlobals(['vrrp_check_unicast_src'], 'unicast_peer {', '192.0.2.12', '}')).checkUnicastSrc).toBe(true);
  });

  it('track_src_ip with a source address is not acted on yet: said once; without one keepalived clears it', () => {
    expect(warnings(instance('unicast_src_ip 192.0.2.11', 'track_src_ip', 'unicast_peer {', '192.0.2.12', '}'))).toEqual([
      "s.conf:8: 'track_src_ip' is not supported yet - the instance does not go to FAULT when 192.0.2.11 is removed",
    ]);
    expect(only(instance('track_src_ip')).trackSrcIp).toBe(false);
  });

  it('unicast_peer entries are read fully, each bad one an error; mcast_dst_ip is ignored with unicast', () => {
    const text = instance('unicast_peer {', '192.0.2.2 min_ttl 10 max_ttl 5', '192.0.2.3 min_ttl', '192.0.2.4 foo 3', '2001:db8::1',
      '192.0.2.5 max_ttl 300', '192.0.2.6 min_ttl 250', '}', 'mcast_dst_ip 224.0.0.19');
    expect(errors(text)).toEqual([
      's.conf:8: (VI_1) min_ttl 10 > max_ttl 5 - all packets will be discarded',
      's.conf:9: (VI_1) min_ttl is missing a value',
      's.conf:10: (VI_1) unknown unicast_peer option foo: min_ttl or max_ttl',
      's.conf:11: (VI_1) unicast peer 2001:db8::1 is IPv6: the instance is IPv4 (VRRPv2), peers MUST be of the same family',
      "s.conf:12: 'max_ttl' value '300' is not valid: must be an integer 0..255",
    ]);
    expect(warnings(text)).toEqual(['s.conf:15: (VI_1) multicast destination specified with unicast - ignoring']);
  });

  it('unicast peers are refused in strict mode, with keepalived\'s message', () => {
    expect(errors(instance('strict_mode', 'unicast_peer {', '192.0.2.2', '}'))).toEqual([
      's.conf:8: (VI_1) Unicast peers are not supported in strict mode',
    ]);
  });

  it('mcast_src_ip is the source address; an IPv6 one or a non-multicast mcast_dst_ip is an error', () => {
    expect(only(instance('mcast_src_ip 192.0.2.1'))).toMatchObject({ sourceAddress: '192.0.2.1', unicastPeers: [] });
    expect(errors(instance('mcast_dst_ip 10.0.0.1', 'mcast_src_ip 2001:db8::1'))).toEqual([
      's.conf:7: (VI_1) mcast_dst_ip 10.0.0.1 not multicast',
      's.conf:8: (VI_1) mcast_src_ip 2001:db8::1 is IPv6: VRRP instance and src address MUST be of the same family (IPv4 for VRRPv2)',
    ]);
  });

  it('mcast_dst_ip, else vrrp_mcast_group4, else 224.0.0.18 is the instance\'s group', () => {
    expect(only(instance()).multicastGroup).toBe('224.0.0.18');
    expect(only(instance('mcast_dst_ip 224.0.0.19')).multicastGroup).toBe('224.0.0.19');
    expect(only(withGlobals(['vrrp_mcast_group4 224.0.0.100'])).multicastGroup).toBe('224.0.0.100');
    expect(only(withGlobals(['vrrp_mcast_group4 224.0.0.100'], 'mcast_dst_ip 224.0.0.19')).multicastGroup).toBe('224.0.0.19');
  });
});

describe('VMAC, ipvlan, VRF, IPv6: would move the VIPs or change the wire, so refused', () => {
  it('use_vmac: read (name, MAC with the VRID as 6th octet), then refused', () => {
    const result = load(instance('use_vmac vrrp51 00:00:5e:00:01', 'vmac_xmit_base'));
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      "s.conf:7: 'use_vmac' is not supported yet; running without it would put the VIPs on eth0 and send adverts and GARPs from its own MAC instead of a VMAC interface with 00:00:5e:00:01:33",
    ]);
  });

  it('use_vmac syntax errors come first', () => {
    expect(errors(instance('use_vmac a/b 01:00:5e:00:01:02')).slice(0, 2)).toEqual([
      "s.conf:7: (VI_1) VMAC interface name 'a/b' too long or invalid characters",
      's.conf:7: (VI_1) VMAC MAC address is multicast 01:00:5e:00:01:02',
    ]);
  });

  it('vmac_xmit_base alone is cleared; vrf, use_ipvlan, use_vmac_addr, native_ipv6 refused', () => {
    const text = instance('vmac_xmit_base', 'vrf red', 'use_ipvlan', 'native_ipv6', 'use_vmac_addr');
    expect(warnings(text)).toEqual(['s.conf:7: (VI_1) vmac_xmit_base is only valid with a vmac - ignoring']);
    expect(errors(text)).toEqual([
      "s.conf:8: 'vrf' is not supported yet; running without it would run the instance in the default VRF instead of red",
      "s.conf:9: 'use_ipvlan' is not supported yet; running without it would put the VIPs on eth0 instead of an ipvlan interface",
      's.conf:10: (VI_1) native_ipv6: IPv6 instances need VRRPv3, which vrrpd does not speak (VRRPv2, RFC 3768)',
      "s.conf:11: 'use_vmac_addr' is not supported yet; running without it would put VIPs of other interfaces on those interfaces instead of VMAC interfaces",
    ]);
  });
});

describe('tracking: entries, weights and their rules', () => {
  const tracked = (...body: string[]): string =>
    lines(
      'global_defs {', 'enable_script_security', '}',
      'vrrp_instance VI_1 {', ...base, ...body, '}',
      'vrrp_script chk {', 'script /bin/true', 'weight -10 reverse', '}',
      'vrrp_script chk2 {', 'script /bin/false', '}',
      'track_file tf {', 'file /tmp/x', '}',
      'vrrp_track_process tp {', 'process nginx', 'weight 7', '}',
    );

  it('weights resolve: the entry\'s own, else the tracked object\'s; forward references work', () => {
    const vi = only(tracked(
      'track_interface {', 'eth1 weight 5 reverse', 'eth2', '}',
      'track_script {', 'chk', 'chk2 weight 3', 'chk weight 2', '}',
      'track_file {', 'tf', '}',
      'track_process {', 'tp weight -4 noreverse', '}',
    ));
    expect(vi.trackInterfaces.map((t) => [t.name, t.weight, t.reverse])).toEqual([['eth1', 5, true], ['eth2', 0, false]]);
    expect(vi.trackScripts.map((t) => [t.name, t.weight, t.reverse])).toEqual([['chk', -10, true], ['chk2', 3, false]]);
    expect(vi.trackFiles.map((t) => [t.name, t.weight, t.reverse])).toEqual([['tf', 1, false]]);
    expect(vi.trackProcesses.map((t) => [t.name, t.weight, t.reverse])).toEqual([['tp', -4, false]]);
  });

  it('entry errors, the +/-254 correction, duplicates and the own interface', () => {
    const text = tracked('track_interface {', 'eth0', 'eth1 weight 254', 'eth2 weight -300', 'eth4 weight 5 noreverse', 'eth1', 'eth5 foo', 'eth6 weight', '}');
    expect(errors(text)).toEqual([
      "s.conf:13: (VI_1) track_interface eth2: weight '-300' must be between -253 and 253",
      "s.conf:14: (VI_1) unknown track_interface eth4 weight option 'noreverse': must be reverse",
      "s.conf:16: (VI_1) unknown track_interface option 'foo' for eth5 - only 'weight N' may follow the name",
      's.conf:17: (VI_1) weight without value specified for track_interface eth6',
    ]);
    expect(warnings(text)).toEqual([
      's.conf:11: (VI_1) Ignoring track_interface eth0 since own interface',
      's.conf:12: (VI_1) weight for eth1 cannot be +/-254. Setting to +/-253',
      's.conf:15: (VI_1) duplicate track_interface eth1 (first at line 12) - ignoring',
      's.conf:20: Warning - script chk is not used by any vrrp_instance or vrrp_sync_group',
      's.conf:24: Warning - script chk2 is not used by any vrrp_instance or vrrp_sync_group',
    ]);
  });

  it('a track_script naming a script defined nowhere is an error (keepalived runs without the check)', () => {
    expect(errors(tracked('track_script {', 'nothere', '}'))).toEqual([
      "s.conf:11: (VI_1) track_script nothere: no vrrp_script nothere is defined anywhere in the configuration (keepalived would only log 'track script nothere not found, ignoring...' and run without this check)",
    ]);
    expect(errors(tracked('track_file {', 'nofile', '}'))[0]).toMatch(/^s\.conf:11: \(VI_1\) track_file nofile: no track_file nofile is defined anywhere/);
    expect(errors(tracked('track_process {', 'noproc', '}'))[0]).toMatch(/^s\.conf:11: \(VI_1\) track_process noproc: no vrrp_track_process noproc is defined/);
    expect(errors(tracked('track_bfd {', 'nobfd', '}'))[0]).toMatch(/^s\.conf:11: \(VI_1\) track_bfd nobfd: no bfd_instance nobfd is defined/);
  });

  it('no_reverse (the man page\'s spelling) is read as noreverse, with a note that keepalived ignores it', () => {
    const text = tracked('track_script {', 'chk weight 3 no_reverse', '}');
    expect(only(text).trackScripts[0]).toMatchObject({ weight: 3, reverse: false });
    expect(warnings(text)).toContain("s.conf:11: (VI_1) track_script chk: keepalived 2.2 only understands 'noreverse' (it ignores 'no_reverse' with an error); read as noreverse");
  });

  it('the address owner never changes priority: weighted tracking dropped, the default track_file weight made 0', () => {
    const text = tracked('priority 255', 'track_interface {', 'eth1 weight 5', 'eth2', '}', 'track_script {', 'chk', '}', 'track_file {', 'tf', '}', 'track_process {', 'tp', '}');
    const vi = only(text);
    expect(vi.trackInterfaces.map((t) => [t.name, t.weight])).toEqual([['eth2', 0]]);
    expect(vi.trackScripts).toEqual([]);
    expect(vi.trackFiles.map((t) => [t.name, t.weight])).toEqual([['tf', 0]]);
    // keepalived's owner rule does not cover track_process (its weight simply never applies to 255).
    expect(vi.trackProcesses.map((t) => [t.name, t.weight])).toEqual([['tp', 7]]);
    expect(warnings(text)).toEqual(expect.arrayContaining([
      's.conf:12: (VI_1) track_interface eth1 with weight 5 ignored: priority 255 (address owner) never changes',
      's.conf:16: (VI_1) track_script chk with weight -10 ignored: priority 255 (address owner) never changes',
      's.conf:19: (VI_1) ignoring weight from tracked file tf due to address owner. specify weight 0',
    ]));
  });
});

describe('virtual_ipaddress: the full ip address syntax', () => {
  const vips = (...entries: string[]): string => lines('vrrp_instance VI_1 {', 'interface eth0', 'virtual_router_id 1', 'virtual_ipaddress {', ...entries, '}', '}');

  it('every option is typed; brd + is computed; options not applied yet warn once each', () => {
    const text = vips(
      '192.0.2.10/24 brd + dev eth1 scope link label eth1:v home -nodad mngtmpaddr noprefixroute autojoin no_track preferred_lft forever',
      '192.0.2.11/24 brd - scope 7 preferred_lft 30',
      '192.0.2.13 peer 192.0.2.99/30 broadcast 192.0.2.255',
    );
    const result = load(text);
    // peer + broadcast is keepalived's "Cannot specify broadcast and peer addresses" (an error).
    expect(result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([
      's.conf:7: Cannot specify broadcast and peer addresses for 192.0.2.13 - ignoring broadcast address',
    ]);
    const ok = only(vips(
      '192.0.2.10/24 brd + dev eth1 scope link label eth1:v home -nodad mngtmpaddr noprefixroute autojoin no_track preferred_lft forever',
      '192.0.2.11/24 brd - scope 7 preferred_lft 30',
      '192.0.2.13 peer 192.0.2.99/30',
    ));
    expect(ok.vips[0]).toMatchObject({
      address: '192.0.2.10', prefixLength: 24, broadcast: '192.0.2.255', dev: 'eth1', scope: 253, label: 'eth1:v', home: true, noDad: true,
      mngTmpAddr: true, noPrefixRoute: true, autoJoin: true, noTrack: true, preferredLft: 'forever', useVmac: false, peer: undefined,
    });
    expect(ok.vips[1]).toMatchObject({ address: '192.0.2.11', prefixLength: 24, broadcast: '192.0.2.0', scope: 7, preferredLft: 30 });
    expect(ok.vips[2]).toMatchObject({ address: '192.0.2.13', prefixLength: 30, peer: '192.0.2.99/30', broadcast: undefined });
    expect(warnings(vips(
      '192.0.2.10/24 brd + dev eth1 scope link label eth1:v home -nodad mngtmpaddr noprefixroute autojoin no_track preferred_lft forever',
      '192.0.2.11/24 brd - scope 7 preferred_lft 30',
      '192.0.2.13 peer 192.0.2.99/30',
    ))).toEqual([
      "s.conf:5: virtual_ipaddress option 'brd' is not supported yet - ignoring it",
      "s.conf:5: virtual_ipaddress option 'scope' is not supported yet - ignoring it",
      "s.conf:5: virtual_ipaddress option 'home' is not supported yet - ignoring it",
      "s.conf:5: virtual_ipaddress option '-nodad' is not supported yet - ignoring it",
      "s.conf:5: virtual_ipaddress option 'mngtmpaddr' is not supported yet - ignoring it",
      "s.conf:5: virtual_ipaddress option 'noprefixroute' is not supported yet - ignoring it",
      "s.conf:5: virtual_ipaddress option 'autojoin' is not supported yet - ignoring it",
      "s.conf:5: virtual_ipaddress option 'preferred_lft' is not supported yet - ignoring it",
      "s.conf:7: virtual_ipaddress option 'peer' is not supported yet - ignoring it",
    ]);
  });

  it('keepalived\'s broadcast and peer checks', () => {
    expect(errors(vips('192.0.2.12/31 brd +'))).toEqual(["s.conf:5: Address prefix length 31 too long for broadcast '+' (192.0.2.12/31)"]);
    expect(errors(vips('192.0.2.14/24 peer 192.0.2.98'))).toEqual([
      "s.conf:5: Cannot specify address prefix when specifying peer address (192.0.2.14/24) - the peer's /32 is used",
    ]);
  });

  it('use_vmac on an address would move it onto a VMAC interface: refused', () => {
    expect(errors(vips('192.0.2.10 dev eth1 use_vmac'))).toEqual([
      "s.conf:5: 'use_vmac' is not supported yet; running without it would add 192.0.2.10 to the interface itself instead of a VMAC interface with the virtual MAC",
    ]);
  });

  it('a label not starting with its interface: kept (keepalived does), with a warning', () => {
    const text = vips('192.0.2.5/24 label foo', '192.0.2.6 dev eth1 label eth1:x', '192.0.2.7 label eth0');
    expect(only(text).vips.map((v) => v.label)).toEqual(['foo', 'eth1:x', 'eth0']);
    expect(warnings(text)).toEqual([
      "s.conf:5: (VI_1) label 'foo' of 192.0.2.5 does not start with its interface 'eth0': ip and ifconfig expect 'eth0:NAME' (keepalived passes it to the kernel as is)",
    ]);
  });
});

describe('virtual_ipaddress_excluded, virtual_routes, virtual_rules', () => {
  it('excluded addresses of either family are typed (IPv6 gets keepalived\'s preferred_lft default), reported once', () => {
    const text = instance('virtual_ipaddress_excluded {', '2001:db8::1', '2001:db8::2/64 dev eth1', '198.51.100.1/24 dev eth2 no_track', '}');
    const vi = only(text);
    expect(vi.excludedVips.map((v) => [v.address, v.family, v.prefixLength, v.dev, v.preferredLft, v.noTrack])).toEqual([
      ['2001:db8::1', 6, 128, undefined, 0, false],
      ['2001:db8::2', 6, 64, 'eth1', 'forever', false],
      ['198.51.100.1', 4, 24, 'eth2', undefined, true],
    ]);
    expect(warnings(text)).toEqual(["s.conf:8: 'virtual_ipaddress_excluded' is not supported yet - these addresses are not added"]);
  });

  it('IPv6 scope and label are refused with keepalived\'s messages', () => {
    expect(errors(instance('virtual_ipaddress_excluded {', '2001:db8::2/64 scope link label x', '}'))).toEqual([
      's.conf:8: Cannot specify scope for IPv6 addresses (2001:db8::2/64) - ignoring scope',
      's.conf:8: Cannot specify label for IPv6 addresses (2001:db8::2/64) - ignoring label',
    ]);
  });

  it('routes and rules are kept as their words, each block reported once', () => {
    const text = instance('virtual_routes {', 'src 192.0.2.1 to 198.51.100.0/24 via 192.0.2.254 dev eth1', 'blackhole 203.0.113.0/24', '}',
      'virtual_rules {', 'from 192.0.2.0/24 table 1', '}', 'virtual_routes {', '10.0.0.0/8 dev eth0', '}');
    const vi = only(text);
    expect(vi.virtualRoutes.map((r) => [r.words.join(' '), r.pos.line])).toEqual([
      ['src 192.0.2.1 to 198.51.100.0/24 via 192.0.2.254 dev eth1', 8], ['blackhole 203.0.113.0/24', 9], ['10.0.0.0/8 dev eth0', 15],
    ]);
    expect(vi.virtualRules.map((r) => r.words)).toEqual([['from', '192.0.2.0/24', 'table', '1']]);
    expect(warnings(text)).toEqual([
      "s.conf:8: 'virtual_routes' is not supported yet - these routes are not added",
      "s.conf:12: 'virtual_rules' is not supported yet - these rules are not added",
    ]);
  });
});

describe('the other instance keywords: typed, with keepalived\'s ranges', () => {
  it('GARP refresh, extra interfaces, lower/higher priority adverts, timer_expired_backup, debug, buffers', () => {
    const text = instance('garp_master_refresh 60', 'garp_master_refresh_repeat 2', 'garp_extra_if all 30', 'higher_prio_send_advert',
      'lower_prio_no_advert', 'nopreempt', 'timer_expired_backup', 'debug 3', 'kernel_rx_buf_size 65536', 'promote_secondaries',
      'dont_track_primary', 'smtp_alert', 'notify_priority_changes', 'v3_checksum_as_v2', 'no_virtual_ipaddress');
    expect(only(text)).toMatchObject({
      garpMasterRefreshMs: 60_000, garpMasterRefreshRepeat: 2, garpExtraIf: { intervalSec: 30, all: true }, higherPrioSendAdvert: true,
      lowerPrioNoAdvert: true, preempt: false, timerExpiredBackup: 254, debug: 3, kernelRxBufSize: 65536, promoteSecondaries: true,
      dontTrackPrimary: true, smtpAlert: true, notifyPriorityChanges: true, v3ChecksumAsV2: true, allowNoVips: true,
    });
    expect(warnings(text)).toEqual([
      "s.conf:9: 'garp_extra_if' is not supported yet - no periodic GARP is sent on extra interfaces",
      "s.conf:13: 'timer_expired_backup' is not supported yet - a late master is not turned back into BACKUP",
      "s.conf:15: 'kernel_rx_buf_size' is not supported yet - the kernel default receive buffer is used",
      "s.conf:16: 'promote_secondaries' is not supported yet - the interface keeps the kernel setting, so removing a VIP may remove other addresses of its subnet",
      "s.conf:18: 'smtp_alert' is not supported yet - no e-mail is sent",
      "s.conf:19: 'notify_priority_changes' is not supported yet - nothing is written to the FIFO",
    ]);
  });

  it('timer_expired_backup needs nopreempt; ranges are keepalived\'s', () => {
    expect(warnings(instance('timer_expired_backup 200'))).toEqual(['s.conf:7: (VI_1) expired_timer_backup requires nopreempt - resetting']);
    expect(errors(instance('timer_expired_backup 255'))).toEqual(["s.conf:7: 'timer_expired_backup' value '255' is not valid: must be an integer 1..254"]);
    expect(errors(instance('debug 5'))).toEqual(["s.conf:7: 'debug' value '5' is not valid: must be an integer 0..4"]);
    expect(errors(instance('unicast_ttl 256'))).toEqual(["s.conf:7: 'unicast_ttl' value '256' is not valid: must be an integer 0..255"]);
    expect(errors(instance('garp_extra_if all'))).toEqual(['s.conf:7: (VI_1): garp_extra_if specified without a time (0..86400 seconds)']);
  });

  it('skip_check_adv_addr off is honoured, with a note that keepalived turns it on anyway', () => {
    const text = withGlobals(['vrrp_skip_check_adv_addr'], 'skip_check_adv_addr off');
    expect(only(text).skipCheckAdvAddr).toBe(false);
    expect(warnings(text)).toEqual(["s.conf:10: (VI_1) keepalived 2.2 turns skip_check_adv_addr on even when written 'off'; vrrpd honours it (off)"]);
  });

  it('a not-yet-supported keyword is reported once per config, at its first use', () => {
    const two = lines(
      'vrrp_instance A {', 'interface eth0', 'virtual_router_id 1', 'no_virtual_ipaddress', 'preempt_delay 1', '}',
      'vrrp_instance B {', 'interface eth0', 'virtual_router_id 2', 'no_virtual_ipaddress', 'preempt_delay 2', '}',
    );
    expect(warnings(two)).toEqual([]);
  });

  it('lvs_sync_daemon_interface is LVS: skipped with one warning', () => {
    expect(warnings(instance('lvs_sync_daemon_interface eth1'))).toEqual([
      "s.conf:7: 'lvs_sync_daemon_interface' ignored: vrrpd implements only keepalived's VRRP side",
    ]);
  });
});

describe('duplicate VRIDs, as keepalived\'s check_vrid_conflicts tells them apart', () => {
  const pair = (a: string[], b: string[]): string => lines(
    'vrrp_instance A {', 'interface eth0', 'virtual_router_id 51', 'no_virtual_ipaddress', ...a, '}',
    'vrrp_instance B {', 'interface eth0', 'virtual_router_id 51', 'no_virtual_ipaddress', ...b, '}',
  );

  it('same interface and group: an error at the second virtual_router_id', () => {
    expect(errors(pair([], []))).toEqual(['s.conf:8: (B) virtual_router_id 51 is already used on eth0 by A (s.conf:1)']);
  });

  it('multicast and unicast instances are separate VRID spaces; unicast ones conflict on a common peer', () => {
    const unicast = pair(['unicast_peer {', '192.0.2.2', '}'], ['unicast_peer {', '192.0.2.3', '192.0.2.2', '}']);
    expect(errors(unicast).filter((e) => e.includes('virtual_router_id'))).toEqual([
      's.conf:11: (B) virtual_router_id 51 is already used on eth0 by A (s.conf:1) with a unicast peer in common',
    ]);
    const apart = pair(['unicast_peer {', '192.0.2.2', '}'], ['unicast_peer {', '192.0.2.3', '}']);
    expect(errors(apart).filter((e) => e.includes('virtual_router_id'))).toEqual([]);
    const mixed = pair(['unicast_peer {', '192.0.2.2', '}'], []);
    expect(errors(mixed).filter((e) => e.includes('virtual_router_id'))).toEqual([]);
  });
});
