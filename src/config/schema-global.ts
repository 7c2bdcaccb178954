// global_defs: every keyword of keepalived 2.2's init_global_keywords (core/global_parser.c).
// The VRRP ones are typed with keepalived's ranges and defaults; process tuning, SNMP, DBus and
// netlink buffer knobs are kept as written and reported once as "not supported yet"; the LVS,
// checker and BFD ones are "not applicable". A typed keyword the daemon does not act on is
// reported once, unless what it asks for is what vrrpd does anyway (e.g. a 0 refresh).
import type { CommandConfig, FifoConfig, FirewallConfig, GarpExtraIf, GlobalDefs } from './config.js';
import { readNotifyCommand } from './command-line.js';
import {
  UINT32_MAX,
  applyKeywords,
  assign,
  flag,
  integer,
  ipv4Address,
  isIpv4Multicast,
  namesAs,
  notSupportedYet,
  notYet,
  outOfScope,
  presenceFlag,
  rows,
  scalar,
  seconds,
  signedInteger,
  valueBlockWords,
  vrrpVersion,
  wholeSecondsMs,
  word,
  zeroMeansOne,
  readGarpExtraIf,
} from './keywords.js';
import type { HasSettings, KeepsRecognised, KeywordSpec, KeywordTable, Setting, Sink } from './keywords.js';
import type { ConfigNode } from './parser.js';
import { isIPv6 } from 'node:net';
import type { Ipv4, Millis } from '../types.js';
import { VRRP_MULTICAST_GROUP } from '../vrrp/ip-fields.js';

interface GlobalScalars {
  routerId: string;
  notificationEmailFrom: string;
  smtpServer: string;
  smtpServerPort: number;
  smtpHeloName: string;
  smtpConnectTimeoutSec: number;
  smtpAlert: boolean;
  smtpAlertVrrp: boolean;
  noEmailFaults: boolean;
  skipCheckAdvAddr: boolean;
  vrrpStrict: boolean;
  checkUnicastSrc: boolean;
  garpIntervalMs: Millis;
  gnaIntervalMs: Millis;
  garpMasterDelayMs: Millis;
  garpMasterRepeat: number;
  garpMasterRefreshMs: Millis;
  garpMasterRefreshRepeat: number;
  garpLowerPrioDelayMs: Millis;
  garpLowerPrioRepeat: number;
  minGarp: boolean;
  garpExtraIf: GarpExtraIf;
  lowerPrioNoAdvert: boolean;
  higherPrioSendAdvert: boolean;
  downTimerAdverts: number;
  vrrpVersion: 2 | 3;
  mcastGroup4: Ipv4;
  mcastGroup6: string;
  defaultInterface: string;
  dynamicInterfaces: 'on' | 'allow_if_changes';
  startupScript: CommandConfig;
  startupScriptTimeoutSec: number;
  shutdownScript: CommandConfig;
  shutdownScriptTimeoutSec: number;
  scriptUser: { user: string; group: string | undefined };
  enableScriptSecurity: boolean;
  notifyFifo: FifoConfig;
  vrrpNotifyFifo: FifoConfig;
  notifyFifoScript: CommandConfig;
  vrrpNotifyFifoScript: CommandConfig;
  notifyPriorityChanges: boolean;
  fifoWriteVrrpStatesOnReload: boolean;
  startupDelayMs: Millis;
  logUnknownVrids: boolean;
  iptables: { inChain: string; outChain: string | undefined };
  ipsets: string[];
  nftablesTable: string;
  nftablesPriority: number;
  nftablesIfindex: boolean;
  nftablesCounters: boolean;
  vmacPrefix: string;
  vmacAddrPrefix: string;
  v3ChecksumAsV2: boolean;
  disableLocalIgmp: boolean;
}

export interface GlobalDraft extends HasSettings<GlobalScalars>, KeepsRecognised {
  readonly notificationEmail: string[];
}

export function newGlobalDraft(recognised: GlobalDraft['recognised']): GlobalDraft {
  return { settings: {}, notificationEmail: [], recognised };
}

// vrrp_garp_interval / vrrp_gna_interval: keepalived 2.2 reads these with a minimum of 1 µs, so the
// `0` in its own shipped sample config is rejected ("number '0' outside range",
// keepalived-behaviour.md#unknown-and-unusable-configuration). 0 is the documented default and
// means "no gap", so it is accepted here.
export const GAP_MAX_MS = UINT32_MAX / 1000; // keepalived stores µs in an unsigned int
export const WHOLE_SECONDS_MAX = Math.floor(GAP_MAX_MS);

const smtpServer: KeywordSpec<GlobalDraft> = {
  block: 'forbidden',
  minArgs: 1,
  maxArgs: 2,
  handle: (node, draft, sink) => {
    // `smtp_server HOST [PORT]` (smtpserver_handler; default port 25).
    const port = node.args[1];
    const portNumber = port === undefined ? undefined : integer(1, 65535)(port, node, sink);
    if (port !== undefined && portNumber === undefined) return;
    assign(draft.settings, 'smtpServer', { value: node.args[0] as string, pos: node.pos }, node, sink);
    if (portNumber !== undefined) assign(draft.settings, 'smtpServerPort', { value: portNumber, pos: node.pos }, node, sink);
  },
};

const notificationEmail: KeywordSpec<GlobalDraft> = {
  block: 'required',
  minArgs: 0,
  maxArgs: 0,
  handle: (node, draft, sink) => {
    // A value block: every word of every line is one address (keepalived alloc_value_block).
    const words = valueBlockWords(node, sink);
    if (words.length === 0) sink.warn(node.pos, 'Warning - empty notification_email block');
    draft.notificationEmail.push(...words);
  },
};

/** `startup_script CMD [user [group]]` and friends: a notify-style command line. */
function commandLine(field: 'startupScript' | 'shutdownScript' | 'notifyFifoScript' | 'vrrpNotifyFifoScript'): KeywordSpec<GlobalDraft> {
  return {
    block: 'forbidden',
    minArgs: 1,
    maxArgs: Number.POSITIVE_INFINITY,
    handle: (node, draft, sink) => {
      const previous = draft.settings[field];
      if (previous !== undefined) {
        // keepalived: "%s script already specified" - the first one stays.
        sink.warn(node.pos, `'${node.keyword}' already given at line ${previous.pos.line} - ignoring this one`);
        return;
      }
      const command = readNotifyCommand(node, undefined, sink);
      if (command !== undefined) draft.settings[field] = { value: command, pos: node.pos };
    },
  };
}

/** `notify_fifo PATH [user [group]]` (plain words, not shell-like). */
function fifo(field: 'notifyFifo' | 'vrrpNotifyFifo'): KeywordSpec<GlobalDraft> {
  return {
    block: 'forbidden',
    minArgs: 1,
    maxArgs: 3,
    handle: (node, draft, sink) => {
      const previous = draft.settings[field];
      if (previous !== undefined) {
        sink.warn(node.pos, `'${node.keyword}' already given at line ${previous.pos.line} - ignoring this one`);
        return;
      }
      const [path, user, group] = node.args as [string, string | undefined, string | undefined];
      draft.settings[field] = { value: { path, user, group, script: undefined, pos: node.pos }, pos: node.pos };
    },
  };
}

const scriptUser: KeywordSpec<GlobalDraft> = {
  block: 'forbidden',
  minArgs: 1,
  maxArgs: 2,
  handle: (node, draft, sink) => {
    assign(draft.settings, 'scriptUser', { value: { user: node.args[0] as string, group: node.args[1] }, pos: node.pos }, node, sink);
  },
};

const multicastGroup4: KeywordSpec<GlobalDraft> = {
  block: 'forbidden',
  minArgs: 1,
  maxArgs: 1,
  handle: (node, draft, sink) => {
    const ip = ipv4Address(node.args[0] as string, node, sink);
    if (ip === undefined) return;
    if (!isIpv4Multicast(ip)) {
      sink.error(node.pos, `vrrp_mcast_group4 [${ip}] is not multicast`);
      return;
    }
    assign(draft.settings, 'mcastGroup4', { value: ip, pos: node.pos }, node, sink);
  },
};

const multicastGroup6: KeywordSpec<GlobalDraft> = {
  block: 'forbidden',
  minArgs: 1,
  maxArgs: 1,
  handle: (node, draft, sink) => {
    const text = node.args[0] as string;
    if (!isIPv6(text) || !/^ff/i.test(text)) {
      sink.error(node.pos, `vrrp_mcast_group6 [${text}] is not an IPv6 multicast address`);
      return;
    }
    assign(draft.settings, 'mcastGroup6', { value: text, pos: node.pos }, node, sink);
  },
};

const dynamicInterfaces: KeywordSpec<GlobalDraft> = {
  block: 'forbidden',
  minArgs: 0,
  maxArgs: 1,
  handle: (node, draft, sink) => {
    const option = node.args[0];
    if (option !== undefined && option !== 'allow_if_changes') {
      sink.error(node.pos, `Unknown dynamic_interfaces option '${option}': only allow_if_changes`);
      return;
    }
    assign(draft.settings, 'dynamicInterfaces', { value: option === undefined ? 'on' : 'allow_if_changes', pos: node.pos }, node, sink);
  },
};

/** `vrrp_garp_extra_if [all] SECONDS` (1..86400); vrrp_vmac_garp_intvl is its deprecated name. */
const garpExtraIf: KeywordSpec<GlobalDraft> = {
  block: 'forbidden',
  minArgs: 1,
  maxArgs: 2,
  handle: (node, draft, sink) => {
    const value = readGarpExtraIf(node, sink, { minSec: 1, deprecated: 'vrrp_vmac_garp_intvl', current: 'vrrp_garp_extra_if', owner: '' });
    if (value !== undefined) assign(draft.settings, 'garpExtraIf', { value, pos: node.pos }, node, sink);
  },
};

const iptables: KeywordSpec<GlobalDraft> = {
  block: 'forbidden',
  minArgs: 0,
  maxArgs: 2,
  handle: (node, draft, sink) => {
    // keepalived's default chains are INPUT/OUTPUT when none is given.
    const value = { inChain: node.args[0] ?? 'INPUT', outChain: node.args[0] === undefined ? 'OUTPUT' : node.args[1] };
    assign(draft.settings, 'iptables', { value, pos: node.pos }, node, sink);
  },
};

const ipsets: KeywordSpec<GlobalDraft> = {
  block: 'forbidden',
  minArgs: 0,
  maxArgs: 5,
  handle: (node, draft, sink) => assign(draft.settings, 'ipsets', { value: [...node.args], pos: node.pos }, node, sink),
};

const nftables: KeywordSpec<GlobalDraft> = {
  block: 'forbidden',
  minArgs: 0,
  maxArgs: 1,
  // The table defaults to "keepalived".
  handle: (node, draft, sink) => assign(draft.settings, 'nftablesTable', { value: node.args[0] ?? 'keepalived', pos: node.pos }, node, sink),
};

/** global_defs keywords kept as written and not acted on (process tuning, SNMP, DBus, buffers, reload). */
const globalRecognised = [
  'process_names', 'process_name', 'vrrp_process_name', 'max_auto_priority', 'min_auto_priority_delay',
  'vrrp_priority', 'vrrp_no_swap', 'vrrp_rt_priority', 'vrrp_cpu_affinity', 'vrrp_rlimit_rttime', 'vrrp_rlimit_rtime',
  'snmp_socket', 'enable_traps', 'enable_snmp_vrrp', 'enable_snmp_keepalived', 'enable_snmp_rfc', 'enable_snmp_rfcv2',
  'enable_snmp_rfcv3', 'enable_dbus', 'dbus_service_name', 'vrrp_netlink_cmd_rcv_bufs', 'vrrp_netlink_cmd_rcv_bufs_force',
  'vrrp_netlink_monitor_rcv_bufs', 'vrrp_netlink_monitor_rcv_bufs_force', 'process_monitor_rcv_bufs',
  'process_monitor_rcv_bufs_force', 'vrrp_rx_bufs_policy', 'vrrp_rx_bufs_multiplier', 'umask', 'random_seed',
  'reload_check_config', 'reload_time_file', 'reload_repeat', 'reload_file', 'include_check', 'config_save_dir',
  'tmp_config_directory', 'data_use_instance', 'json_version',
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

const bool = (field: keyof GlobalScalars & ('smtpAlert' | 'smtpAlertVrrp' | 'minGarp' | 'lowerPrioNoAdvert' | 'higherPrioSendAdvert' | 'notifyPriorityChanges')) =>
  flag<GlobalScalars, typeof field>(field, (on) => on);

export const globalKeywords: KeywordTable<GlobalDraft> = rows<GlobalDraft>(
  [
    ['router_id', scalar('routerId', word)],
    ['notification_email', notificationEmail],
    ['notification_email_from', scalar('notificationEmailFrom', word)],
    ['smtp_server', smtpServer],
    ['smtp_helo_name', scalar('smtpHeloName', word)],
    ['smtp_connect_timeout', scalar('smtpConnectTimeoutSec', zeroMeansOne)],
    ['smtp_alert', bool('smtpAlert')],
    ['smtp_alert_vrrp', bool('smtpAlertVrrp')],
    ['no_email_faults', presenceFlag('noEmailFaults', true)],
    ['startup_script', commandLine('startupScript')],
    ['startup_script_timeout', scalar('startupScriptTimeoutSec', integer(1, 1000))],
    ['shutdown_script', commandLine('shutdownScript')],
    ['shutdown_script_timeout', scalar('shutdownScriptTimeoutSec', integer(1, 1000))],
    ['default_interface', scalar('defaultInterface', word)],
    ['dynamic_interfaces', dynamicInterfaces],
    ['disable_local_igmp', presenceFlag('disableLocalIgmp', true)],
    ['v3_checksum_as_v2', presenceFlag('v3ChecksumAsV2', true)],
    ['vrrp_skip_check_adv_addr', presenceFlag('skipCheckAdvAddr', true)],
    ['vrrp_strict', presenceFlag('vrrpStrict', true)],
    ['vrrp_check_unicast_src', presenceFlag('checkUnicastSrc', true)],
    ['vrrp_garp_interval', scalar('garpIntervalMs', seconds(0, GAP_MAX_MS))],
    ['vrrp_gna_interval', scalar('gnaIntervalMs', seconds(0, GAP_MAX_MS))],
    ['vrrp_garp_master_delay', scalar('garpMasterDelayMs', wholeSecondsMs(WHOLE_SECONDS_MAX))],
    ['vrrp_garp_master_repeat', scalar('garpMasterRepeat', zeroMeansOne)],
    ['vrrp_garp_master_refresh', scalar('garpMasterRefreshMs', wholeSecondsMs(UINT32_MAX))],
    ['vrrp_garp_master_refresh_repeat', scalar('garpMasterRefreshRepeat', zeroMeansOne)],
    ['vrrp_garp_lower_prio_delay', scalar('garpLowerPrioDelayMs', wholeSecondsMs(WHOLE_SECONDS_MAX))],
    ['vrrp_garp_lower_prio_repeat', scalar('garpLowerPrioRepeat', integer(0, 2147483647))],
    ['vrrp_min_garp', bool('minGarp')],
    ['vrrp_garp_extra_if', garpExtraIf],
    ['vrrp_vmac_garp_intvl', garpExtraIf],
    ['vrrp_lower_prio_no_advert', bool('lowerPrioNoAdvert')],
    ['vrrp_higher_prio_send_advert', bool('higherPrioSendAdvert')],
    ['vrrp_down_timer_adverts', scalar('downTimerAdverts', integer(1, 100))],
    ['vrrp_version', scalar('vrrpVersion', vrrpVersion)],
    ['vrrp_mcast_group4', multicastGroup4],
    ['vrrp_mcast_group6', multicastGroup6],
    ['vrrp_iptables', iptables],
    ['vrrp_ipsets', ipsets],
    ['nftables', nftables],
    ['nftables_priority', scalar('nftablesPriority', signedInteger(-2147483648, 2147483647))],
    ['nftables_ifindex', presenceFlag('nftablesIfindex', true)],
    ['nftables_counters', presenceFlag('nftablesCounters', true)],
    ['notify_fifo', fifo('notifyFifo')],
    ['notify_fifo_script', commandLine('notifyFifoScript')],
    ['vrrp_notify_fifo', fifo('vrrpNotifyFifo')],
    ['vrrp_notify_fifo_script', commandLine('vrrpNotifyFifoScript')],
    ['vrrp_notify_priority_changes', bool('notifyPriorityChanges')],
    ['fifo_write_vrrp_states_on_reload', presenceFlag('fifoWriteVrrpStatesOnReload', true)],
    ['script_user', scriptUser],
    ['enable_script_security', presenceFlag('enableScriptSecurity', true)],
    // keepalived's minimum is 1 ms; 0 (the default) is accepted here as "no delay".
    ['vrrp_startup_delay', scalar('startupDelayMs', seconds(0, GAP_MAX_MS))],
    ['log_unknown_vrids', presenceFlag('logUnknownVrids', true)],
    ['vmac_prefix', scalar('vmacPrefix', word)],
    ['vmac_addr_prefix', scalar('vmacAddrPrefix', word)],
  ],
  namesAs(globalRecognised, notYet<GlobalDraft>()),
  namesAs(globalOutOfScope, outOfScope<GlobalDraft>()),
);

export function applyGlobalDefs(children: readonly ConfigNode[], draft: GlobalDraft, sink: Sink): void {
  applyKeywords(globalKeywords, children, draft, sink);
}

// ---------------------------------------------------------------------------------------------
// Completion

const SECOND: Millis = 1000;
export const DEFAULT_GARP_DELAY_MS: Millis = 5 * SECOND;
export const DEFAULT_GARP_REPEAT = 5;
export const DEFAULT_DOWN_TIMER_ADVERTS = 3;
/**
 * The faster heal (docs/keepalived-differences.md "Faster heal"): keepalived defaults
 * vrrp_higher_prio_send_advert to off, so after a partition heals the losing MASTER yields in
 * silence, the winner never hears a lower priority, never re-sends its GARPs, and clients keep the
 * loser's MAC (7.0 s median outage measured with keepalived 2.2.7,
 * docs/reference/keepalived-behaviour.md#stale-arp-after-a-split-brain). Our default is on: the
 * loser's one advert makes the winner "force a new election" with a GARP burst at once.
 * `vrrp_higher_prio_send_advert off` restores keepalived's behaviour; strict mode forbids it as
 * keepalived does.
 */
export const DEFAULT_HIGHER_PRIO_SEND_ADVERT = true;
const DEFAULT_SMTP_CONNECT_TIMEOUT_SEC = 30;
const DEFAULT_SCRIPT_TIMEOUT_SEC = 10;

/**
 * What the daemon does not act on yet among the global keywords: say so once, where written.
 * (Values instances inherit - smtp_alert, vrrp_garp_extra_if, vrrp_notify_priority_changes,
 * vrrp_garp_master_refresh, vrrp_lower/higher_prio_* - are reported by the instances that use them.)
 */
function reportGlobalsNotActedOn(s: GlobalDraft['settings'], sink: Sink): void {
  const report = (setting: Setting<unknown> | undefined, keyword: string, consequence: string): void => {
    if (setting !== undefined) notSupportedYet(sink, keyword, setting.pos, consequence);
  };
  report(s.startupScript, 'startup_script', 'the script will not be run');
  report(s.shutdownScript, 'shutdown_script', 'the script will not be run');
  report(s.defaultInterface, 'default_interface', 'it only applies to static_ipaddress/static_routes/static_rules, which are not supported yet either');
  report(s.dynamicInterfaces, 'dynamic_interfaces', 'an instance whose interface is missing still refuses to start');
  report(s.disableLocalIgmp, 'disable_local_igmp', 'IGMP reports are left as the kernel sends them');
  // vrrp_iptables, nftables and nftables_priority place the no-accept drop rules (net/firewall.ts).
  report(s.ipsets, 'vrrp_ipsets', 'the iptables drop rules name each VIP instead of using ipsets');
  report(s.nftablesIfindex, 'nftables_ifindex', 'the nftables drop rules match the VIPs on every interface');
  report(s.nftablesCounters, 'nftables_counters', 'the nftables drop rules carry no counters');
  report(s.notifyFifo, 'notify_fifo', 'nothing is written to the FIFO');
  report(s.notifyFifoScript, 'notify_fifo_script', 'the script will not be run');
  report(s.vrrpNotifyFifo, 'vrrp_notify_fifo', 'nothing is written to the FIFO');
  report(s.vrrpNotifyFifoScript, 'vrrp_notify_fifo_script', 'the script will not be run');
  report(s.fifoWriteVrrpStatesOnReload, 'fifo_write_vrrp_states_on_reload', 'nothing is written to the FIFO');
  report(s.logUnknownVrids, 'log_unknown_vrids', 'adverts for other VRIDs are dropped without a log line');
}

/**
 * keepalived's global defaults, with vrrp_min_garp applied to what was not set explicitly
 * (keepalived's handler compares with the defaults at the moment it runs, so there the order of
 * the lines matters; here an explicit value always wins).
 */
export function completeGlobal(g: GlobalDraft, sink: Sink): GlobalDefs {
  const s = g.settings;
  const minGarp = s.minGarp?.value ?? false;
  reportGlobalsNotActedOn(s, sink);
  const notifyFifo = s.notifyFifo?.value;
  const vrrpNotifyFifo = s.vrrpNotifyFifo?.value;
  const firewall: FirewallConfig = {
    iptables: s.iptables?.value,
    ipsets: s.ipsets?.value,
    nftablesTable: s.nftablesTable?.value,
    nftablesPriority: s.nftablesPriority?.value,
    nftablesIfindex: s.nftablesIfindex?.value ?? false,
    nftablesCounters: s.nftablesCounters?.value ?? false,
  };
  const startupScript = s.startupScript?.value;
  const shutdownScript = s.shutdownScript?.value;
  return {
    routerId: s.routerId?.value,
    notificationEmail: g.notificationEmail,
    notificationEmailFrom: s.notificationEmailFrom?.value,
    smtpServer: s.smtpServer?.value,
    smtpServerPort: s.smtpServerPort?.value ?? 25,
    smtpHeloName: s.smtpHeloName?.value,
    smtpConnectTimeoutSec: s.smtpConnectTimeoutSec?.value ?? DEFAULT_SMTP_CONNECT_TIMEOUT_SEC,
    smtpAlert: s.smtpAlert?.value,
    smtpAlertVrrp: s.smtpAlertVrrp?.value,
    noEmailFaults: s.noEmailFaults?.value ?? false,
    skipCheckAdvAddr: s.skipCheckAdvAddr?.value ?? false,
    vrrpStrict: s.vrrpStrict?.value ?? false,
    checkUnicastSrc: s.checkUnicastSrc?.value ?? false,
    garpIntervalMs: s.garpIntervalMs?.value ?? 0,
    gnaIntervalMs: s.gnaIntervalMs?.value ?? 0,
    // vrrp_min_garp_handler: one GARP, no second burst, no refresh - unless set explicitly.
    garpMasterDelayMs: s.garpMasterDelayMs?.value ?? (minGarp ? 0 : DEFAULT_GARP_DELAY_MS),
    garpMasterRepeat: s.garpMasterRepeat?.value ?? (minGarp ? 1 : DEFAULT_GARP_REPEAT),
    garpMasterRefreshMs: s.garpMasterRefreshMs?.value ?? 0,
    garpMasterRefreshRepeat: s.garpMasterRefreshRepeat?.value ?? (minGarp ? 0 : 1),
    // vrrp_complete_init: the lower-priority pair defaults to the master pair.
    garpLowerPrioDelayMs: s.garpLowerPrioDelayMs?.value ?? s.garpMasterDelayMs?.value ?? (minGarp ? 0 : DEFAULT_GARP_DELAY_MS),
    garpLowerPrioRepeat: s.garpLowerPrioRepeat?.value ?? s.garpMasterRepeat?.value ?? (minGarp ? 1 : DEFAULT_GARP_REPEAT),
    minGarp,
    garpExtraIf: s.garpExtraIf?.value,
    lowerPrioNoAdvert: s.lowerPrioNoAdvert?.value ?? false,
    higherPrioSendAdvert: s.higherPrioSendAdvert?.value ?? DEFAULT_HIGHER_PRIO_SEND_ADVERT,
    downTimerAdverts: s.downTimerAdverts?.value ?? DEFAULT_DOWN_TIMER_ADVERTS,
    vrrpVersion: 2,
    mcastGroup4: s.mcastGroup4?.value ?? VRRP_MULTICAST_GROUP,
    mcastGroup6: s.mcastGroup6?.value ?? 'ff02::12',
    defaultInterface: s.defaultInterface?.value ?? 'eth0',
    dynamicInterfaces: s.dynamicInterfaces?.value ?? 'off',
    startupScript,
    // keepalived: a configured startup/shutdown script gets a 10 s timeout unless one is given.
    startupScriptTimeoutSec: s.startupScriptTimeoutSec?.value ?? (startupScript === undefined ? 0 : DEFAULT_SCRIPT_TIMEOUT_SEC),
    shutdownScript,
    shutdownScriptTimeoutSec: s.shutdownScriptTimeoutSec?.value ?? (shutdownScript === undefined ? 0 : DEFAULT_SCRIPT_TIMEOUT_SEC),
    scriptUser: s.scriptUser?.value,
    enableScriptSecurity: s.enableScriptSecurity?.value ?? false,
    notifyFifo: notifyFifo === undefined ? undefined : { ...notifyFifo, script: s.notifyFifoScript?.value },
    vrrpNotifyFifo: vrrpNotifyFifo === undefined ? undefined : { ...vrrpNotifyFifo, script: s.vrrpNotifyFifoScript?.value },
    notifyPriorityChanges: s.notifyPriorityChanges?.value ?? false,
    fifoWriteVrrpStatesOnReload: s.fifoWriteVrrpStatesOnReload?.value ?? false,
    startupDelayMs: s.startupDelayMs?.value ?? 0,
    logUnknownVrids: s.logUnknownVrids?.value ?? false,
    firewall,
    vmacPrefix: s.vmacPrefix?.value,
    vmacAddrPrefix: s.vmacAddrPrefix?.value,
    v3ChecksumAsV2: s.v3ChecksumAsV2?.value ?? false,
    disableLocalIgmp: s.disableLocalIgmp?.value ?? false,
  };
}
