// The typed configuration the schema produces: keepalived 2.2 defaults already applied, every
// value validated, keepalived's cross-keyword rules (vrrp_complete_instance) already resolved, so
// the daemon only acts on values. Times are in milliseconds. Keywords vrrpd does not act on yet
// are still typed here (and reported once as "not supported yet" by the schema).
import type { Ipv4, Millis, Priority, SourcePos, Vrid } from '../types.js';
import type { Auth } from '../vrrp/packet.js';

export interface Config {
  readonly global: GlobalDefs;
  readonly instances: readonly InstanceConfig[];
  readonly syncGroups: readonly SyncGroupConfig[];
  /** vrrp_script blocks, also those defined after the instance that tracks them. */
  readonly scripts: readonly VrrpScriptConfig[];
  /** track_file blocks (and the deprecated vrrp_track_file). */
  readonly trackFiles: readonly TrackFileConfig[];
  readonly trackProcesses: readonly TrackProcessConfig[];
  readonly garpGroups: readonly GarpGroupConfig[];
  /** static_ipaddress / static_routes / static_rules / track_group (not applied yet). */
  readonly statics: StaticConfig;
  /**
   * Keywords keepalived accepts that have no typed home here (process tuning, SNMP, DBus, netlink
   * buffers, LVS/BFD blocks, ...): kept as written so nothing is silently dropped.
   */
  readonly recognised: readonly RawStatement[];
}

/** A statement kept as written. */
export interface RawStatement {
  readonly keyword: string;
  readonly args: readonly string[];
  readonly pos: SourcePos;
}

/** One line of a list block kept as its words (virtual_routes, virtual_rules, static_routes, ...). */
export interface RawEntry {
  readonly words: readonly string[];
  readonly pos: SourcePos;
}

/**
 * A script command line: argv after keepalived's shell-like re-read (lib/parser.c
 * alloc_strvec_quoted_escaped; only the first word of the line is the command, split again).
 */
export interface CommandConfig {
  readonly argv: readonly string[];
  /** `user [group]` of the line (or of vrrp_script's `user`); undefined = the default script user. */
  readonly user: string | undefined;
  readonly group: string | undefined;
  readonly pos: SourcePos;
}

/** A FIFO keepalived writes state lines to (`notify_fifo PATH [user [group]]`). */
export interface FifoConfig {
  readonly path: string;
  readonly user: string | undefined;
  readonly group: string | undefined;
  /** `*_notify_fifo_script`: run with the FIFO path appended. */
  readonly script: CommandConfig | undefined;
  readonly pos: SourcePos;
}

export interface GlobalDefs {
  readonly routerId: string | undefined;
  readonly notificationEmail: readonly string[];
  readonly notificationEmailFrom: string | undefined;
  readonly smtpServer: string | undefined;
  /** smtp_server's optional port; keepalived's default is 25. */
  readonly smtpServerPort: number;
  readonly smtpHeloName: string | undefined;
  readonly smtpConnectTimeoutSec: number;
  /** Global smtp_alert / smtp_alert_vrrp: undefined when not written (instances then default to off). */
  readonly smtpAlert: boolean | undefined;
  readonly smtpAlertVrrp: boolean | undefined;
  readonly noEmailFaults: boolean;
  /** vrrp_skip_check_adv_addr: default for every instance's skipCheckAdvAddr. */
  readonly skipCheckAdvAddr: boolean;
  /** vrrp_strict: default for every instance's `strict`. */
  readonly vrrpStrict: boolean;
  /** vrrp_check_unicast_src: default for unicast instances. */
  readonly checkUnicastSrc: boolean;
  /** vrrp_garp_interval: gap between the GARPs of one burst; 0 = back to back. */
  readonly garpIntervalMs: Millis;
  /** vrrp_gna_interval (IPv6 NA; parsed for compatibility, unused in v2/IPv4). */
  readonly gnaIntervalMs: Millis;
  /** The global defaults instances inherit (after vrrp_min_garp). */
  readonly garpMasterDelayMs: Millis;
  readonly garpMasterRepeat: number;
  /** vrrp_garp_master_refresh: 0 = no periodic GARP. */
  readonly garpMasterRefreshMs: Millis;
  readonly garpMasterRefreshRepeat: number;
  readonly garpLowerPrioDelayMs: Millis;
  readonly garpLowerPrioRepeat: number;
  /** vrrp_min_garp: one GARP, no second burst, unless set explicitly. */
  readonly minGarp: boolean;
  /** vrrp_garp_extra_if SECONDS [all]. */
  readonly garpExtraIf: GarpExtraIf | undefined;
  readonly lowerPrioNoAdvert: boolean;
  readonly higherPrioSendAdvert: boolean;
  readonly downTimerAdverts: number;
  readonly vrrpVersion: 2;
  /** vrrp_mcast_group4 (default 224.0.0.18) and vrrp_mcast_group6 (default ff02::12). */
  readonly mcastGroup4: Ipv4;
  readonly mcastGroup6: string;
  /** default_interface: keepalived uses it for static addresses only (default eth0). */
  readonly defaultInterface: string;
  /** dynamic_interfaces [allow_if_changes]. */
  readonly dynamicInterfaces: 'off' | 'on' | 'allow_if_changes';
  readonly startupScript: CommandConfig | undefined;
  readonly startupScriptTimeoutSec: number;
  readonly shutdownScript: CommandConfig | undefined;
  readonly shutdownScriptTimeoutSec: number;
  /** script_user USER [GROUP]: the default user of every script. */
  readonly scriptUser: { readonly user: string; readonly group: string | undefined } | undefined;
  readonly enableScriptSecurity: boolean;
  readonly notifyFifo: FifoConfig | undefined;
  readonly vrrpNotifyFifo: FifoConfig | undefined;
  readonly notifyPriorityChanges: boolean;
  readonly fifoWriteVrrpStatesOnReload: boolean;
  /** vrrp_startup_delay. */
  readonly startupDelayMs: Millis;
  readonly logUnknownVrids: boolean;
  /** vrrp_iptables / vrrp_ipsets / nftables*: where keepalived puts its accept-mode drop rules. */
  readonly firewall: FirewallConfig;
  readonly vmacPrefix: string | undefined;
  readonly vmacAddrPrefix: string | undefined;
  readonly v3ChecksumAsV2: boolean;
  readonly disableLocalIgmp: boolean;
}

export interface FirewallConfig {
  readonly iptables: { readonly inChain: string; readonly outChain: string | undefined } | undefined;
  readonly ipsets: readonly string[] | undefined;
  readonly nftablesTable: string | undefined;
  readonly nftablesPriority: number | undefined;
  readonly nftablesIfindex: boolean;
  readonly nftablesCounters: boolean;
}

export interface GarpExtraIf {
  readonly intervalSec: number;
  /** `all`: on every interface with a VIP, not only VMAC ones. */
  readonly all: boolean;
}

/** The wire's authentication (vrrp/packet.ts), as an instance configures it. */
export type AuthConfig = Auth;

/** The `ip address` options keepalived accepts on virtual/excluded/static addresses (alloc_ipaddress). */
export interface AddressOptions {
  /** Prefix length; keepalived's default is /32 (/128 for IPv6), or the peer's with `peer`. */
  readonly prefixLength: number;
  /** `dev IF`; undefined means the instance's interface. */
  readonly dev: string | undefined;
  /** `label IF:x`. */
  readonly label: string | undefined;
  /** `brd A.B.C.D|+|-`, already computed for + and - (host bits set / cleared). */
  readonly broadcast: Ipv4 | undefined;
  /** `scope`, as the kernel number (global 0, site 200, link 253, host 254, nowhere 255). */
  readonly scope: number | undefined;
  /** `peer A[/len]` (point-to-point). */
  readonly peer: string | undefined;
  readonly home: boolean;
  /** `-nodad`. */
  readonly noDad: boolean;
  readonly mngTmpAddr: boolean;
  readonly noPrefixRoute: boolean;
  readonly autoJoin: boolean;
  /** `no_track`: deleting the address does not take the instance out of MASTER. */
  readonly noTrack: boolean;
  /** `preferred_lft N|forever` (seconds). */
  readonly preferredLft: number | 'forever' | undefined;
  /** `use_vmac` on the address. */
  readonly useVmac: boolean;
  readonly pos: SourcePos;
}

export interface VirtualIpConfig extends AddressOptions {
  readonly address: Ipv4;
}

/** virtual_ipaddress_excluded / static_ipaddress: either family. */
export interface ExcludedIpConfig extends AddressOptions {
  readonly address: string;
  readonly family: 4 | 6;
}

/** A tracked object referenced from an instance or sync group, with its weight resolved. */
export interface TrackRef {
  readonly name: string;
  /**
   * The effective weight: the entry's own `weight`, else the tracked object's; 0 for members of a
   * sync group without sync_group_tracking_weight. 0 means a failure puts the instance in FAULT.
   */
  readonly weight: number;
  readonly reverse: boolean;
  readonly pos: SourcePos;
}

export interface UnicastPeer {
  readonly address: string;
  readonly minTtl: number;
  readonly maxTtl: number;
  readonly pos: SourcePos;
}

export interface NotifyScripts {
  readonly master: CommandConfig | undefined;
  readonly backup: CommandConfig | undefined;
  readonly fault: CommandConfig | undefined;
  readonly stop: CommandConfig | undefined;
  /** notify_deleted (instances only). */
  readonly deleted: CommandConfig | undefined;
  /** `notify`: called with INSTANCE|GROUP NAME STATE PRIORITY appended. */
  readonly generic: CommandConfig | undefined;
  /** notify_master_rx_lower_pri (instances only). */
  readonly masterRxLowerPri: CommandConfig | undefined;
}

/** NotifyScripts fields and the keyword each comes from. */
export const NOTIFY_KEYWORDS: readonly (readonly [keyof NotifyScripts, string])[] = [
  ['master', 'notify_master'],
  ['backup', 'notify_backup'],
  ['fault', 'notify_fault'],
  ['stop', 'notify_stop'],
  ['deleted', 'notify_deleted'],
  ['generic', 'notify'],
  ['masterRxLowerPri', 'notify_master_rx_lower_pri'],
];

export interface InstanceConfig {
  readonly name: string;
  readonly pos: SourcePos;
  /**
   * `state` as written, after keepalived's corrections (strict mode makes it match the address
   * owner; a sync group with mixed members makes every member BACKUP); undefined when absent.
   * keepalived calls this wantstate.
   */
  readonly wantState: 'MASTER' | 'BACKUP' | undefined;
  readonly interface: string;
  readonly vrid: Vrid;
  /** Base priority after keepalived's rules (`state MASTER` without `priority` gives 255). */
  readonly priority: Priority;
  /** VRRPv2 advert_int, whole seconds 1..255, in ms. */
  readonly advertIntMs: Millis;
  readonly auth: AuthConfig;
  readonly vips: readonly VirtualIpConfig[];
  /** `preempt` (default) / `nopreempt`. */
  readonly preempt: boolean;
  readonly skipCheckAdvAddr: boolean;
  /** garp_master_delay: second GARP burst this long after becoming MASTER; 0 = none. */
  readonly garpMasterDelayMs: Millis;
  /** garp_master_repeat: GARPs per VIP in each burst. */
  readonly garpMasterRepeat: number;
  readonly garpLowerPrioDelayMs: Millis;
  readonly garpLowerPrioRepeat: number;
  /** down_timer_adverts: Master_Down_Interval = this × advert_int + Skew_Time. */
  readonly downTimerAdverts: number;

  /** strict_mode, else global vrrp_strict; its corrections are already applied to the fields here. */
  readonly strict: boolean;
  readonly version: 2;
  /** Accept mode: a non-owner master accepts packets to the VIPs. On unless strict (then only at 255). */
  readonly accept: boolean;
  /** preempt_delay (0 = none). */
  readonly preemptDelayMs: Millis;
  /** virtual_ipaddress_excluded, plus VIPs beyond what one advert can carry. */
  readonly excludedVips: readonly ExcludedIpConfig[];
  /** no_virtual_ipaddress. */
  readonly allowNoVips: boolean;
  readonly virtualRoutes: readonly RawEntry[];
  readonly virtualRules: readonly RawEntry[];
  /** track_interface (own interface dropped, as keepalived does). */
  readonly trackInterfaces: readonly TrackRef[];
  readonly trackScripts: readonly TrackRef[];
  readonly trackFiles: readonly TrackRef[];
  readonly trackProcesses: readonly TrackRef[];
  readonly trackBfds: readonly TrackRef[];
  readonly dontTrackPrimary: boolean;
  /** The vrrp_sync_group this instance belongs to. */
  readonly syncGroup: string | undefined;
  readonly notify: NotifyScripts;
  /** notify_deleted given (with or without a script): removed instances report DELETED, not FAULT. */
  readonly notifyDeleted: boolean;
  readonly smtpAlert: boolean;
  readonly notifyPriorityChanges: boolean;
  /** mcast_src_ip / unicast_src_ip: the advert source address (else the interface's primary). */
  readonly sourceAddress: string | undefined;
  /** Unicast peers; unicast is used iff there is at least one. */
  readonly unicastPeers: readonly UnicastPeer[];
  /** unicast_ttl (default 255). */
  readonly unicastTtl: number;
  readonly checkUnicastSrc: boolean;
  readonly unicastFaultNoPeer: boolean;
  /** old_unicast_checksum [never] (VRRPv3 unicast only): 'config' when given bare. */
  readonly oldUnicastChecksum: 'config' | 'never' | undefined;
  /** Multicast destination: mcast_dst_ip, else vrrp_mcast_group4. */
  readonly multicastGroup: Ipv4;
  /** use_vmac [IFNAME] [MAC]; the MAC completed (00:00:5e:00:01:VRID unless given; 5 octets + VRID). */
  readonly useVmac: { readonly ifname: string | undefined; readonly mac: string } | undefined;
  readonly useVmacAddr: boolean;
  readonly vmacXmitBase: boolean;
  /** use_ipvlan, as written. */
  readonly useIpvlan: readonly string[] | undefined;
  readonly vrf: string | undefined;
  readonly trackSrcIp: boolean;
  readonly garpMasterRefreshMs: Millis;
  readonly garpMasterRefreshRepeat: number;
  readonly garpExtraIf: GarpExtraIf | undefined;
  readonly lowerPrioNoAdvert: boolean;
  readonly higherPrioSendAdvert: boolean;
  /** timer_expired_backup [HIGHEST_OTHER_PRIORITY] (needs nopreempt). */
  readonly timerExpiredBackup: Priority | undefined;
  readonly promoteSecondaries: boolean;
  readonly linkbeatUsePolling: boolean;
  readonly v3ChecksumAsV2: boolean;
  readonly kernelRxBufSize: number | undefined;
  /** debug 0..4 (keepalived does not act on it either). */
  readonly debug: number;
}

export interface VrrpScriptConfig {
  readonly name: string;
  readonly pos: SourcePos;
  /** `script`, with vrrp_script's `user USER [GROUP]`. */
  readonly command: CommandConfig;
  readonly intervalMs: Millis;
  /** `timeout`, else the interval (keepalived's scheduler uses the interval when 0). */
  readonly timeoutMs: Millis;
  /** Default weight of track_script entries (0 = failure means FAULT). */
  readonly weight: number;
  readonly reverse: boolean;
  readonly rise: number;
  readonly fall: number;
  /** init_fail: start in the failed state. */
  readonly initFail: boolean;
}

export interface TrackFileConfig {
  readonly name: string;
  readonly pos: SourcePos;
  readonly path: string;
  /** Multiplies the number read from the file (default 1). */
  readonly weight: number;
  readonly reverse: boolean;
  /** init_file [VALUE] [overwrite]: create the file with VALUE (0) at start. */
  readonly init: { readonly value: number; readonly overwrite: boolean } | undefined;
}

export interface TrackProcessConfig {
  readonly name: string;
  readonly pos: SourcePos;
  /** `process NAME [ARGS...]`. */
  readonly process: string;
  readonly params: readonly string[] | undefined;
  readonly paramMatch: 'none' | 'exact' | 'initial' | 'partial';
  readonly fullCommand: boolean;
  readonly weight: number;
  readonly reverse: boolean;
  readonly quorum: number;
  /** undefined = no maximum. */
  readonly quorumMax: number | undefined;
  readonly terminateDelayMs: Millis;
  readonly forkDelayMs: Millis;
}

export interface GarpGroupConfig {
  readonly pos: SourcePos;
  readonly garpIntervalMs: Millis | undefined;
  readonly gnaIntervalMs: Millis | undefined;
  readonly interfaces: readonly string[];
}

export interface SyncGroupConfig {
  readonly name: string;
  readonly pos: SourcePos;
  /** Member instances, in the order written (every one exists and belongs to no other group). */
  readonly members: readonly string[];
  readonly trackInterfaces: readonly TrackRef[];
  readonly trackScripts: readonly TrackRef[];
  readonly trackFiles: readonly TrackRef[];
  readonly trackProcesses: readonly TrackRef[];
  readonly trackBfds: readonly TrackRef[];
  /** Generic `notify` gets GROUP NAME STATE 0 appended; deleted/masterRxLowerPri are never set here. */
  readonly notify: NotifyScripts;
  readonly smtpAlert: boolean;
  /** sync_group_tracking_weight (or the deprecated global_tracking). */
  readonly trackingWeight: boolean;
  readonly notifyPriorityChanges: boolean | undefined;
}

export interface StaticConfig {
  readonly addresses: readonly ExcludedIpConfig[];
  readonly routes: readonly RawEntry[];
  readonly rules: readonly RawEntry[];
  /** track_group NAME { group { INSTANCES } }. */
  readonly trackGroups: ReadonlyArray<{ readonly name: string; readonly instances: readonly string[]; readonly pos: SourcePos }>;
  /** linkbeat_interfaces { IF [MII|ETHTOOL|IOCTL] }. */
  readonly linkbeatInterfaces: readonly RawEntry[];
  /** interface_up_down_delays { IF DOWN [UP] }. */
  readonly interfaceUpDownDelays: readonly RawEntry[];
}

/** A problem found in the config. Errors make `-t` and start-up fail; warnings are logged. */
export interface ConfigDiagnostic {
  readonly severity: 'error' | 'warning';
  readonly pos: SourcePos;
  readonly message: string;
  /**
   * How `-t` ranks it (keepalived's KEEPALIVED_CHK_EXIT_*): 'missing' = a config file or interface
   * that is not there, or a fatal error (exit 4); 'security' = script security (exit 6, also as a
   * warning: keepalived runs the scripts but its -t fails); absent = any other config problem
   * (exit 5 when it is an error).
   */
  readonly class?: 'missing' | 'security';
  /**
   * What kind of warning: 'unknown' keyword or block; 'notSupportedYet' (known to keepalived, not
   * acted on by vrrpd yet); 'corrected' = keepalived reports a config error but runs on with a
   * corrected value (so its `-t` exits 5), and so do we: the daemon runs, `-t` fails.
   */
  readonly kind?: 'unknown' | 'notSupportedYet' | 'corrected';
  /**
   * Set on the line that stands for diagnostics of its kind not listed (MAX_DIAGNOSTICS_PER_KIND):
   * how many it stands for. Counts (`-t`'s summary line) add it instead of 1.
   */
  readonly omitted?: number;
}

/** `file:line: message`; line 0 means the file as a whole (e.g. it cannot be read): `file: message`. */
export function formatDiagnostic(d: ConfigDiagnostic): string {
  return d.pos.line === 0 ? `${d.pos.file}: ${d.message}` : `${d.pos.file}:${d.pos.line}: ${d.message}`;
}
