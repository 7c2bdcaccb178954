// Config schema: keyword tree -> typed Config, with keepalived 2.2 defaults and rules.
//
// Table-driven: every block has a keyword table (name -> shape + handler). A handler records what
// it read into a draft (each value with the line it came from); once the whole file is read,
// completeInstance() applies defaults and cross-keyword rules as keepalived's
// vrrp_complete_instance() (vrrp.c:2881) does after parsing. Supporting a new keyword is a new row
// in a table; supporting a new block is a new table. The engine and the shared value parsers live
// in keywords.ts, the virtual_ipaddress entry syntax in vip.ts.
//
// Severity policy: what keepalived reports as a config error (so `keepalived -t` exits non-zero)
// is an error here, and an error means no Config (the daemon refuses to start). Unknown keywords
// and known-but-not-yet-implemented ones are warnings, never silence (brief; reference §2.5), except
// the few whose absence would make us speak a different protocol than the peer expects.
import type { Config, ConfigDiagnostic, GlobalDefs, InstanceConfig, VirtualIpConfig } from './config.js';
import {
  IFNAME_MAX,
  UINT32_MAX,
  applyKeywords,
  assign,
  collectingSink,
  flag,
  integer,
  listEntries,
  namesAs,
  notYet,
  outOfScope,
  readFlag,
  rows,
  scalar,
  seconds,
  versionTwo,
  wholeSecondsMs,
  word,
  zeroMeansOne,
} from './keywords.js';
import type { ArgParser, HasSettings, KeywordSpec, KeywordTable, Setting, Sink } from './keywords.js';
import type { ConfigNode } from './parser.js';
import { parseVipEntry } from './vip.js';
import { formatPos, toPriority, toVrid } from '../types.js';
import type { Millis, Priority, SourcePos, Vrid } from '../types.js';

// ---------------------------------------------------------------------------------------------
// global_defs

interface GlobalScalars {
  routerId: string;
  notificationEmailFrom: string;
  smtpServer: string;
  smtpConnectTimeoutSec: number;
  skipCheckAdvAddr: boolean;
  vrrpStrict: boolean;
  garpIntervalMs: Millis;
  gnaIntervalMs: Millis;
  garpMasterDelayMs: Millis;
  garpMasterRepeat: number;
  garpLowerPrioDelayMs: Millis;
  garpLowerPrioRepeat: number;
  downTimerAdverts: number;
  vrrpVersion: 2;
}

interface GlobalDraft extends HasSettings<GlobalScalars> {
  readonly notificationEmail: string[];
}

// vrrp_garp_interval / vrrp_gna_interval: keepalived 2.2 reads these with a minimum of 1 µs, so
// the `0` in its own shipped sample config is rejected ("number '0' outside range", §2.5). 0 is
// the documented default and means "no gap", so it is accepted here.
const GAP_MAX_MS = UINT32_MAX / 1000; // keepalived stores µs in an unsigned int

const smtpServer: KeywordSpec<GlobalDraft> = {
  block: 'forbidden',
  minArgs: 1,
  maxArgs: 2,
  handle: (node, draft, sink) => {
    // `smtp_server HOST [PORT]`: SMTP alerts are not sent yet; the port is checked and dropped.
    const port = node.args[1];
    if (port !== undefined && integer(1, 65535)(port, node, sink) === undefined) return;
    assign(draft.settings, 'smtpServer', { value: node.args[0] as string, pos: node.pos }, node, sink);
  },
};

const notificationEmail: KeywordSpec<GlobalDraft> = {
  block: 'required',
  minArgs: 0,
  maxArgs: 0,
  handle: (node, draft, sink) => {
    // A value block: every word of every line is one address (keepalived alloc_value_block).
    for (const entry of listEntries(node, sink)) draft.notificationEmail.push(entry.keyword, ...entry.args);
  },
};

const vrrpStrict: KeywordSpec<GlobalDraft> = {
  block: 'forbidden',
  minArgs: 0,
  maxArgs: 1,
  handle: (node, draft, sink) => {
    const on = readFlag(node, sink);
    if (on === undefined) return;
    assign(draft.settings, 'vrrpStrict', { value: on, pos: node.pos }, node, sink);
    if (on) {
      sink.warn(
        node.pos,
        "'vrrp_strict' is recorded but strict mode is not implemented yet: keepalived in strict mode would " +
          "ignore PASS authentication ('Strict mode does not support authentication'), refuse 'state MASTER' " +
          'below priority 255 and drop traffic to the VIPs with firewall rules; vrrpd does none of that yet',
      );
    }
  },
};

/** global_defs keywords of keepalived 2.2 (global_parser.c init_global_keywords) not handled yet. */
const globalNotYet = [
  'smtp_helo_name', 'smtp_alert', 'smtp_alert_vrrp', 'startup_script', 'startup_script_timeout',
  'shutdown_script', 'shutdown_script_timeout', 'max_auto_priority', 'min_auto_priority_delay',
  'no_email_faults', 'default_interface', 'disable_local_igmp', 'v3_checksum_as_v2',
  'vrrp_mcast_group6', 'vrrp_garp_master_refresh', 'vrrp_garp_master_refresh_repeat', 'vrrp_min_garp',
  'vrrp_garp_extra_if', 'vrrp_vmac_garp_intvl', 'vrrp_lower_prio_no_advert', 'vrrp_higher_prio_send_advert',
  'vrrp_iptables', 'vrrp_ipsets', 'nftables', 'nftables_priority', 'nftables_ifindex', 'nftables_counters',
  'vrrp_check_unicast_src', 'vrrp_priority', 'vrrp_no_swap', 'vrrp_rt_priority', 'vrrp_cpu_affinity',
  'vrrp_rlimit_rttime', 'vrrp_rlimit_rtime', 'notify_fifo', 'notify_fifo_script', 'vrrp_notify_fifo',
  'vrrp_notify_fifo_script', 'vrrp_notify_priority_changes', 'fifo_write_vrrp_states_on_reload',
  'snmp_socket', 'enable_traps', 'enable_snmp_vrrp', 'enable_snmp_keepalived', 'enable_snmp_rfc',
  'enable_snmp_rfcv2', 'enable_snmp_rfcv3', 'enable_dbus', 'dbus_service_name', 'script_user',
  'enable_script_security', 'vrrp_netlink_cmd_rcv_bufs', 'vrrp_netlink_cmd_rcv_bufs_force',
  'vrrp_netlink_monitor_rcv_bufs', 'vrrp_netlink_monitor_rcv_bufs_force', 'process_monitor_rcv_bufs',
  'process_monitor_rcv_bufs_force', 'vrrp_rx_bufs_policy', 'vrrp_rx_bufs_multiplier', 'vrrp_startup_delay',
  'log_unknown_vrids', 'vmac_prefix', 'vmac_addr_prefix', 'umask', 'random_seed', 'reload_check_config',
  'reload_time_file', 'reload_repeat', 'reload_file', 'include_check', 'config_save_dir',
  'tmp_config_directory', 'data_use_instance', 'json_version', 'dynamic_interfaces', 'process_names',
  'process_name', 'vrrp_process_name',
];

/** global_defs keywords for keepalived's checker / LVS / BFD processes. */
const globalOutOfScope = [
  'checker_process_name', 'lvs_process_name', 'bfd_process_name', 'smtp_alert_checker',
  'checker_log_all_failures', 'lvs_timeouts', 'lvs_flush', 'lvs_flush_on_stop', 'lvs_flush_onstop',
  'lvs_sync_daemon', 'nftables_ipvs', 'nftables_ipvs_priority', 'nftables_ipvs_start_fwmark',
  'lvs_notify_fifo', 'lvs_notify_fifo_script', 'checker_priority', 'checker_no_swap', 'checker_rt_priority',
  'checker_cpu_affinity', 'checker_rlimit_rttime', 'checker_rlimit_rtime', 'bfd_priority', 'bfd_no_swap',
  'bfd_rt_priority', 'bfd_cpu_affinity', 'bfd_rlimit_rttime', 'bfd_rlimit_rtime', 'enable_snmp_checker',
  'lvs_netlink_cmd_rcv_bufs', 'lvs_netlink_cmd_rcv_bufs_force', 'lvs_netlink_monitor_rcv_bufs',
  'lvs_netlink_monitor_rcv_bufs_force', 'rs_init_notifies', 'no_checker_emails',
];

const globalKeywords: KeywordTable<GlobalDraft> = rows<GlobalDraft>(
  [
    ['router_id', scalar('routerId', word)],
    ['notification_email', notificationEmail],
    ['notification_email_from', scalar('notificationEmailFrom', word)],
    ['smtp_server', smtpServer],
    ['smtp_connect_timeout', scalar('smtpConnectTimeoutSec', zeroMeansOne)],
    ['vrrp_skip_check_adv_addr', flag('skipCheckAdvAddr', (on) => on)],
    ['vrrp_strict', vrrpStrict],
    ['vrrp_garp_interval', scalar('garpIntervalMs', seconds(0, GAP_MAX_MS))],
    ['vrrp_gna_interval', scalar('gnaIntervalMs', seconds(0, GAP_MAX_MS))],
    ['vrrp_garp_master_delay', scalar('garpMasterDelayMs', wholeSecondsMs(Math.floor(GAP_MAX_MS)))],
    ['vrrp_garp_master_repeat', scalar('garpMasterRepeat', zeroMeansOne)],
    ['vrrp_garp_lower_prio_delay', scalar('garpLowerPrioDelayMs', wholeSecondsMs(Math.floor(GAP_MAX_MS)))],
    ['vrrp_garp_lower_prio_repeat', scalar('garpLowerPrioRepeat', integer(0, 2147483647))],
    ['vrrp_down_timer_adverts', scalar('downTimerAdverts', integer(1, 100))],
    ['vrrp_version', scalar('vrrpVersion', versionTwo)],
    // Another multicast group means adverts the peers never see: refuse rather than ignore.
    ['vrrp_mcast_group4', notYet('vrrpd would send to 224.0.0.18 instead', 'error')],
  ],
  namesAs(globalNotYet, notYet<GlobalDraft>()),
  namesAs(globalOutOfScope, outOfScope<GlobalDraft>()),
);

// ---------------------------------------------------------------------------------------------
// vrrp_instance

interface InstanceScalars {
  /** `state` as written; keepalived calls it wantstate. */
  state: 'MASTER' | 'BACKUP';
  interface: string;
  vrid: Vrid;
  priority: Priority;
  /** As written; VRRPv2 rounding to whole seconds happens at completion, as in keepalived. */
  advertIntMs: Millis;
  preempt: boolean;
  skipCheckAdvAddr: boolean;
  garpMasterDelayMs: Millis;
  garpMasterRepeat: number;
  garpLowerPrioDelayMs: Millis;
  garpLowerPrioRepeat: number;
  downTimerAdverts: number;
  version: 2;
  authType: 'PASS' | 'AH';
  authPass: string;
}

interface InstanceDraft extends HasSettings<InstanceScalars> {
  readonly name: string;
  readonly pos: SourcePos;
  readonly vips: VirtualIpConfig[];
}

const stateSpec: KeywordSpec<InstanceDraft> = {
  block: 'forbidden',
  minArgs: 1,
  maxArgs: 1,
  handle: (node, draft, sink) => {
    const value = node.args[0] as string;
    if (value !== 'MASTER' && value !== 'BACKUP') {
      // keepalived: "unknown state '%s', defaulting to BACKUP" (a config error). Case matters.
      sink.error(node.pos, `unknown state '${value}': must be MASTER or BACKUP`);
      return;
    }
    // keepalived vrrp_state_handler: once MASTER, a later BACKUP is ignored.
    const previous = draft.settings.state;
    if (value === 'BACKUP' && previous?.value === 'MASTER') {
      sink.warn(node.pos, `state previously set as MASTER (line ${previous.pos.line}) - ignoring BACKUP`);
      return;
    }
    assign(draft.settings, 'state', { value, pos: node.pos }, node, sink);
  },
};

const interfaceName: ArgParser<string> = (text, node, sink) => {
  if (text.length > IFNAME_MAX) {
    sink.error(node.pos, `interface name '${text}' is too long (at most ${IFNAME_MAX} characters)`);
    return undefined;
  }
  // keepalived checks the interface's hardware type (ARPHRD_LOOPBACK); the config layer knows no
  // kernel, so it catches the usual name here and the daemon must still check the link type.
  if (text === 'lo') sink.error(node.pos, `cannot use a loopback interface (${text}) for vrrp`);
  return text;
};

const vridParser: ArgParser<Vrid> = (text, node, sink) => {
  const n = integer(1, 255)(text, node, sink);
  return n === undefined ? undefined : toVrid(n);
};

const priorityParser: ArgParser<Priority> = (text, node, sink) => {
  // 0 is reserved for "master is leaving" and never configurable (RFC 3768 §5.3.4).
  const n = integer(1, 255)(text, node, sink);
  return n === undefined ? undefined : toPriority(n);
};

const authType: ArgParser<'PASS' | 'AH'> = (text, node, sink) => {
  if (text === 'PASS') return 'PASS';
  if (text === 'AH') {
    sink.error(node.pos, "auth_type AH is not supported yet");
    return 'AH';
  }
  sink.error(node.pos, `unknown authentication type '${text}': must be PASS or AH`);
  return undefined;
};

/** RFC 2338 §5.3.6.1: the password fills the 8-byte authentication data field. */
const AUTH_PASS_MAX_BYTES = 8;

const authPass: ArgParser<string> = (text, node, sink) => {
  if (Buffer.byteLength(text) <= AUTH_PASS_MAX_BYTES) return text;
  // keepalived: "Truncating auth_pass to 8 characters" (a config error). Cut on a character
  // boundary so the string stays valid; a non-ASCII password could come out shorter than 8 bytes.
  let truncated = '';
  for (const ch of text) {
    if (Buffer.byteLength(truncated + ch) > AUTH_PASS_MAX_BYTES) break;
    truncated += ch;
  }
  sink.error(node.pos, `auth_pass is longer than ${AUTH_PASS_MAX_BYTES} characters: truncated to '${truncated}'`);
  return truncated;
};

const authenticationKeywords: KeywordTable<InstanceDraft> = rows<InstanceDraft>([
  ['auth_type', scalar('authType', authType)],
  ['auth_pass', scalar('authPass', authPass)],
]);

const authentication: KeywordSpec<InstanceDraft> = {
  block: 'required',
  minArgs: 0,
  maxArgs: 0,
  handle: (node, draft, sink) => applyKeywords(authenticationKeywords, node.children ?? [], draft, sink),
};

const virtualIpaddress: KeywordSpec<InstanceDraft> = {
  block: 'required',
  minArgs: 0,
  maxArgs: 0,
  handle: (node, draft, sink) => {
    // Repeated virtual_ipaddress blocks accumulate, as in keepalived (§2.7).
    for (const entry of listEntries(node, sink)) {
      const vip = parseVipEntry(entry, sink);
      if (vip === undefined) continue;
      // keepalived 2.2 keeps a repeated VIP (alloc_vrrp_vip has no duplicate check) and so
      // advertises it twice; a peer rejects adverts whose address count differs from its own
      // ("received an unexpected ip number count"). Dropping it would break a mixed pair, so it
      // stays, and the user is told to clean it up everywhere.
      const twin = draft.vips.find((v) => v.address === vip.address);
      if (twin !== undefined) {
        sink.warn(
          entry.pos,
          `virtual IP ${vip.address} is listed twice (first at line ${twin.pos.line}): kept, because keepalived ` +
            'advertises it twice and peers compare the address count; remove it on every node',
        );
      }
      draft.vips.push(vip);
    }
  },
};

const notifyNotYet = notYet<InstanceDraft>('the script will not be run');

/** vrrp_instance keywords of keepalived 2.2 (vrrp_parser.c init_vrrp_keywords) not handled yet. */
const instanceNotYet = [
  'use_vmac', 'use_vmac_addr', 'vmac_xmit_base', 'use_ipvlan', 'unicast_fault_no_peer', 'check_unicast_src',
  'old_unicast_checksum', 'native_ipv6', 'vrf', 'dont_track_primary', 'track_interface', 'track_script',
  'track_file', 'track_process', 'track_bfd', 'mcast_src_ip', 'track_src_ip', 'unicast_ttl',
  'virtual_ipaddress_excluded', 'no_virtual_ipaddress', 'promote_secondaries', 'linkbeat_use_polling',
  'v3_checksum_as_v2', 'virtual_routes', 'virtual_rules', 'accept', 'no_accept', 'strict_mode',
  'preempt_delay', 'debug', 'smtp_alert', 'notify_priority_changes', 'lvs_sync_daemon_interface',
  'garp_master_refresh', 'garp_master_refresh_repeat', 'timer_expired_backup', 'garp_extra_if',
  'vmac_garp_intvl', 'lower_prio_no_advert', 'higher_prio_send_advert', 'kernel_rx_buf_size',
];

/** Ignoring these would make us advertise where the peers do not listen: refuse instead. */
const instanceWireNotYet = ['unicast_peer', 'unicast_src_ip', 'mcast_dst_ip'];

const instanceKeywords: KeywordTable<InstanceDraft> = rows<InstanceDraft>(
  [
    ['state', stateSpec],
    ['interface', scalar('interface', interfaceName)],
    ['virtual_router_id', scalar('vrid', vridParser)],
    ['priority', scalar('priority', priorityParser)],
    // keepalived reads advert_int as 0.01..255 s and rounds for v2 later (vrrp_adv_handler).
    ['advert_int', scalar('advertIntMs', seconds(10, 255_000))],
    ['authentication', authentication],
    ['virtual_ipaddress', virtualIpaddress],
    ['nopreempt', flag('preempt', (on) => !on)],
    ['preempt', flag('preempt', (on) => on)],
    ['skip_check_adv_addr', flag('skipCheckAdvAddr', (on) => on)],
    ['garp_master_delay', scalar('garpMasterDelayMs', wholeSecondsMs(Math.floor(GAP_MAX_MS)))],
    ['garp_master_repeat', scalar('garpMasterRepeat', zeroMeansOne)],
    ['garp_lower_prio_delay', scalar('garpLowerPrioDelayMs', wholeSecondsMs(Math.floor(GAP_MAX_MS)))],
    ['garp_lower_prio_repeat', scalar('garpLowerPrioRepeat', integer(0, 2147483647))],
    ['down_timer_adverts', scalar('downTimerAdverts', integer(1, 100))],
    ['version', scalar('version', versionTwo)],
  ],
  namesAs(
    ['notify', 'notify_master', 'notify_backup', 'notify_fault', 'notify_stop', 'notify_deleted', 'notify_master_rx_lower_pri'],
    notifyNotYet,
  ),
  namesAs(instanceNotYet, notYet<InstanceDraft>()),
  namesAs(instanceWireNotYet, notYet<InstanceDraft>('vrrpd would send multicast adverts to 224.0.0.18 instead', 'error')),
);

// ---------------------------------------------------------------------------------------------
// Top level

interface FileDraft {
  readonly global: GlobalDraft;
  readonly instances: InstanceDraft[];
}

const globalDefs: KeywordSpec<FileDraft> = {
  block: 'required',
  minArgs: 0,
  maxArgs: 0,
  // Several global_defs blocks merge into one, as in keepalived.
  handle: (node, draft, sink) => applyKeywords(globalKeywords, node.children ?? [], draft.global, sink),
};

const vrrpInstance: KeywordSpec<FileDraft> = {
  block: 'required',
  minArgs: 1,
  maxArgs: Number.POSITIVE_INFINITY,
  handle: (node, draft, sink) => {
    if (node.args.length !== 1) {
      sink.error(node.pos, `vrrp_instance must have exactly one name, got '${node.args.join(' ')}' - block skipped`);
      return;
    }
    const name = node.args[0] as string;
    const twin = draft.instances.find((i) => i.name === name);
    if (twin !== undefined) {
      sink.error(node.pos, `vrrp_instance ${name} already defined at line ${twin.pos.line} - block skipped`);
      return;
    }
    const instance: InstanceDraft = { name, pos: node.pos, settings: {}, vips: [] };
    draft.instances.push(instance);
    applyKeywords(instanceKeywords, node.children ?? [], instance, sink);
  },
};

const topNotYet = [
  'vrrp_sync_group', 'vrrp_script', 'track_file', 'vrrp_track_file', 'vrrp_track_process', 'garp_group',
  'static_ipaddress', 'static_routes', 'static_rules', 'track_group', 'linkbeat_interfaces',
  'interface_up_down_delays', 'linkbeat_use_polling', 'namespace_with_ipsets', 'use_pid_dir', 'instance',
  'child_wait_time',
];

const topKeywords: KeywordTable<FileDraft> = rows<FileDraft>(
  [
    ['global_defs', globalDefs],
    ['vrrp_instance', vrrpInstance],
  ],
  namesAs(topNotYet, notYet<FileDraft>()),
  // Ignoring it would put the VIPs into the wrong network namespace: refuse instead.
  [['net_namespace', notYet<FileDraft>('vrrpd would run in its current network namespace instead', 'error')]],
  namesAs(['virtual_server', 'virtual_server_group', 'SSL', 'bfd_instance', 'net_namespace_ipvs'], outOfScope<FileDraft>()),
);

// ---------------------------------------------------------------------------------------------
// Completion: defaults and cross-keyword rules (keepalived vrrp_complete_instance, vrrp.c:2881)

const SECOND: Millis = 1000;
const DEFAULT_PRIORITY = 100;
const OWNER_PRIORITY = 255;
const DEFAULT_GARP_DELAY_MS: Millis = 5 * SECOND;
const DEFAULT_GARP_REPEAT = 5;
const DEFAULT_DOWN_TIMER_ADVERTS = 3;
const DEFAULT_SMTP_CONNECT_TIMEOUT_SEC = 30;
const MAX_VIPS_PER_ADVERT = 255; // the Count IP Addrs field is 8 bits (RFC 3768 §5.3.5)

function completeGlobal(g: GlobalDraft): GlobalDefs {
  const s = g.settings;
  return {
    routerId: s.routerId?.value,
    notificationEmail: g.notificationEmail,
    notificationEmailFrom: s.notificationEmailFrom?.value,
    smtpServer: s.smtpServer?.value,
    smtpConnectTimeoutSec: s.smtpConnectTimeoutSec?.value ?? DEFAULT_SMTP_CONNECT_TIMEOUT_SEC,
    skipCheckAdvAddr: s.skipCheckAdvAddr?.value ?? false,
    vrrpStrict: s.vrrpStrict?.value ?? false,
    garpIntervalMs: s.garpIntervalMs?.value ?? 0,
    gnaIntervalMs: s.gnaIntervalMs?.value ?? 0,
  };
}

/** VRRPv2 carries advert_int in whole seconds: keepalived rounds half up (minimum 1) with a config error. */
function completeAdvertInt(d: InstanceDraft, sink: Sink): Millis {
  const written = d.settings.advertIntMs;
  if (written === undefined) return SECOND;
  if (written.value % SECOND === 0) return written.value;
  const rounded = Math.max(1, Math.floor((written.value + SECOND / 2) / SECOND));
  sink.error(
    written.pos,
    `(${d.name}) VRRPv2 advert_int must be a whole number of seconds: ${written.value / SECOND} rounded to ${rounded}`,
  );
  return rounded * SECOND;
}

function completeAuth(d: InstanceDraft, strict: Setting<boolean> | undefined, sink: Sink): InstanceConfig['auth'] {
  const type = d.settings.authType;
  const pass = d.settings.authPass;
  if (type === undefined) {
    if (pass !== undefined) sink.warn(pass.pos, `(${d.name}) auth_pass given without auth_type - no authentication used`);
    return { type: 'NONE' };
  }
  if (type.value === 'AH') return { type: 'NONE' }; // already an error at the auth_type line
  if (pass === undefined || pass.value === '') {
    // keepalived vrrp_complete_instance: a warning-class outcome (auth off), reported verbatim.
    sink.warn(type.pos, `(${d.name}) Authentication specified but no password given. Ignoring`);
    return { type: 'NONE' };
  }
  if (strict?.value === true) {
    sink.warn(
      type.pos,
      `(${d.name}) with vrrp_strict keepalived ignores this authentication ('Strict mode does not support ` +
        "authentication'); vrrpd still uses it, so it will not interoperate with a strict keepalived peer",
    );
  }
  return { type: 'PASS', password: pass.value };
}

/** nopreempt needs initial state BACKUP and a priority below the owner's (vrrp.c:3143-3160). */
function completePreempt(d: InstanceDraft, priority: Priority, sink: Sink): boolean {
  const written = d.settings.preempt;
  if (written === undefined || written.value) return true;
  if (priority === OWNER_PRIORITY) {
    sink.warn(
      written.pos,
      `(${d.name}) nopreempt ignored: priority 255 makes this router the address owner, which always ` +
        'takes over at once (RFC 3768 §6.4.1)' + (d.settings.priority === undefined ? " - 255 comes from 'state MASTER' without 'priority'" : ''),
    );
    return true;
  }
  if (d.settings.state?.value === 'MASTER') {
    sink.warn(
      written.pos,
      `(${d.name}) nopreempt ignored: it only works with initial state BACKUP, and this instance has 'state MASTER'`,
    );
    return true;
  }
  return false;
}

function completeInstance(d: InstanceDraft, g: GlobalDraft, sink: Sink): InstanceConfig | undefined {
  const s = d.settings;
  const gs = g.settings;
  let complete = true;
  if (s.vrid === undefined) {
    sink.error(d.pos, `(${d.name}) the virtual router id must be set ('virtual_router_id' 1..255)`);
    complete = false;
  }
  if (s.interface === undefined) {
    sink.error(d.pos, `(${d.name}) no 'interface' given`);
    complete = false;
  }
  // keepalived: no priority => 255 with `state MASTER` (address owner), else 100 (vrrp.c:2948).
  const priority = s.priority?.value ?? ((s.state?.value === 'MASTER' ? OWNER_PRIORITY : DEFAULT_PRIORITY) as Priority);
  const advertIntMs = completeAdvertInt(d, sink);
  const auth = completeAuth(d, gs.vrrpStrict, sink);
  const preempt = completePreempt(d, priority, sink);

  if (d.vips.length === 0) {
    // keepalived allows it unless strict; an instance with no VIPs still elects a master.
    sink.warn(d.pos, `(${d.name}) no virtual_ipaddress: the instance will advertise no addresses`);
  }
  if (d.vips.length > MAX_VIPS_PER_ADVERT) {
    sink.error(d.pos, `(${d.name}) ${d.vips.length} virtual IPs: a VRRPv2 advert carries at most ${MAX_VIPS_PER_ADVERT}`);
  }

  // GARP defaults follow keepalived's chain: instance value, else the global vrrp_garp_* value,
  // else 5 s / 5. The lower-priority pair defaults to the *global* master pair (vrrp.c:4565),
  // not to this instance's garp_master_* — identical unless only the instance overrides them.
  const garpMasterDelayMs = s.garpMasterDelayMs?.value ?? gs.garpMasterDelayMs?.value ?? DEFAULT_GARP_DELAY_MS;
  const garpMasterRepeat = s.garpMasterRepeat?.value ?? gs.garpMasterRepeat?.value ?? DEFAULT_GARP_REPEAT;
  const garpLowerPrioDelayMs =
    s.garpLowerPrioDelayMs?.value ?? gs.garpLowerPrioDelayMs?.value ?? gs.garpMasterDelayMs?.value ?? DEFAULT_GARP_DELAY_MS;
  const garpLowerPrioRepeat =
    s.garpLowerPrioRepeat?.value ?? gs.garpLowerPrioRepeat?.value ?? gs.garpMasterRepeat?.value ?? DEFAULT_GARP_REPEAT;

  if (!complete || s.vrid === undefined || s.interface === undefined) return undefined;
  return {
    name: d.name,
    pos: d.pos,
    wantState: s.state?.value,
    interface: s.interface.value,
    vrid: s.vrid.value,
    priority,
    advertIntMs,
    auth,
    vips: d.vips,
    preempt,
    skipCheckAdvAddr: s.skipCheckAdvAddr?.value ?? gs.skipCheckAdvAddr?.value ?? false,
    garpMasterDelayMs,
    garpMasterRepeat,
    garpLowerPrioDelayMs,
    garpLowerPrioRepeat,
    downTimerAdverts: s.downTimerAdverts?.value ?? gs.downTimerAdverts?.value ?? DEFAULT_DOWN_TIMER_ADVERTS,
  };
}

/** Two instances with one VRID on one interface would answer each other's adverts (RFC 3768 §5.3.3). */
function checkDuplicateVrids(instances: readonly InstanceConfig[], drafts: readonly InstanceDraft[], sink: Sink): void {
  const seen = new Map<string, InstanceConfig>();
  for (const instance of instances) {
    const key = `${instance.interface}\u0000${instance.vrid}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, instance);
      continue;
    }
    const pos = drafts.find((d) => d.name === instance.name)?.settings.vrid?.pos ?? instance.pos;
    sink.error(
      pos,
      `(${instance.name}) virtual_router_id ${instance.vrid} is already used on ${instance.interface} by ${first.name} (${formatPos(first.pos)})`,
    );
  }
}

export interface SchemaResult {
  /** Undefined when any diagnostic (of this stage) is an error. */
  readonly config: Config | undefined;
  readonly diagnostics: readonly ConfigDiagnostic[];
}

/** Keyword tree -> typed Config. `file` labels whole-file diagnostics. Never throws. */
export function buildConfig(nodes: readonly ConfigNode[], file: string): SchemaResult {
  const diagnostics: ConfigDiagnostic[] = [];
  const sink = collectingSink(diagnostics);
  const draft: FileDraft = { global: { settings: {}, notificationEmail: [] }, instances: [] };
  applyKeywords(topKeywords, nodes, draft, sink);

  const global = completeGlobal(draft.global);
  const instances: InstanceConfig[] = [];
  for (const d of draft.instances) {
    const instance = completeInstance(d, draft.global, sink);
    if (instance !== undefined) instances.push(instance);
  }
  checkDuplicateVrids(instances, draft.instances, sink);
  if (draft.instances.length === 0) {
    // keepalived then runs no VRRP child at all; legal, but almost certainly not what was meant.
    sink.warn({ file, line: 0 }, 'no vrrp_instance defined: there is nothing to do');
  }

  const failed = diagnostics.some((d) => d.severity === 'error');
  return { config: failed ? undefined : { global, instances }, diagnostics };
}
