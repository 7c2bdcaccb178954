// What vrrpd does with keepalived.conf(5)'s keywords, for vrrpd.conf(5)'s KEYWORDS section
// (scripts/man.ts renders it). One row per keyword or set of keywords sharing a sentence. The
// classification follows the schema (src/config/schema*.ts, instance-complete.ts): 'acted' is what
// the daemon acts on, 'notYet' what it reads, keeps and reports once as "'x' is not supported yet",
// 'refused' what is an error because running without it would change the wire or where the VIPs
// go, 'outOfScope' keepalived's checker/LVS/BFD parts, skipped with one warning each.
// test/unit/man.test.ts checks every keyword here is one src/config knows by that name.
// A generated keyword table (issue 20) can replace this list: man.ts only needs KEYWORD_ROWS.

export type KeywordStatus = 'acted' | 'notYet' | 'refused' | 'outOfScope';

export interface KeywordRow {
  readonly keywords: readonly string[];
  /** The block the keywords are read in. */
  readonly block: string;
  readonly status: KeywordStatus;
  /** What vrrpd does (acted), or what happens instead (the others). */
  readonly note: string;
}

const row = (block: string, status: KeywordStatus, keywords: readonly string[], note: string): KeywordRow => ({ keywords, block, status, note });

export const KEYWORD_ROWS: readonly KeywordRow[] = [
  row('vrrp_instance', 'acted', ['state', 'priority', 'advert_int', 'virtual_router_id', 'interface'], "keepalived's meaning, ranges and defaults."),
  row('vrrp_instance', 'acted', ['authentication', 'auth_type', 'auth_pass'], 'PASS authentication; auth_pass is truncated to 8 characters with keepalived\'s warning.'),
  row('vrrp_instance', 'acted', ['virtual_ipaddress'], 'Address, prefix, dev and label of the ip addr syntax; other options of a line are reported once and ignored. IPv6 addresses are an error (VRRPv2 carries IPv4 only).'),
  row('vrrp_instance', 'acted', ['nopreempt', 'preempt', 'preempt_delay'], "keepalived's meaning, including its clearing of nopreempt on a MASTER state."),
  row('vrrp_instance', 'acted', ['unicast_peer', 'unicast_src_ip', 'unicast_ttl', 'check_unicast_src', 'unicast_fault_no_peer'], 'Unicast adverts, min_ttl/max_ttl per peer. A unicast keyword without peers is an error, never a fall-back to multicast.'),
  row('vrrp_instance', 'acted', ['mcast_src_ip', 'mcast_dst_ip', 'skip_check_adv_addr'], "keepalived's meaning; a source address not on the interface is an error."),
  row('vrrp_instance', 'acted', ['garp_master_delay', 'garp_master_repeat', 'garp_master_refresh', 'garp_master_refresh_repeat', 'garp_lower_prio_delay', 'garp_lower_prio_repeat'], 'Gratuitous ARP bursts and refreshes.'),
  row('vrrp_instance', 'acted', ['lower_prio_no_advert', 'higher_prio_send_advert', 'down_timer_adverts'], 'higher_prio_send_advert is on by default in vrrpd (off in keepalived): see DIFFERENCES.'),
  row('vrrp_instance', 'acted', ['track_script', 'track_interface', 'dont_track_primary', 'track_file'], 'Tracking with weights; weight 0 means FAULT on failure.'),
  row('vrrp_instance', 'acted', ['notify', 'notify_master', 'notify_backup', 'notify_fault', 'notify_stop', 'notify_master_rx_lower_pri'], 'Run one at a time per instance, in transition order, at most 10 s each, output logged.'),
  row('vrrp_instance', 'acted', ['accept', 'no_accept', 'strict_mode'], 'With vrrp_strict, a firewall rule drops traffic to the VIPs unless accept is set, as keepalived does.'),
  row('vrrp_script', 'acted', ['script', 'interval', 'timeout', 'weight', 'rise', 'fall', 'user', 'init_fail'], "Run as argv in its own process group; a timeout is SIGTERM then SIGKILL and counts as a failure. A script that is missing, not executable or insecure is an error."),
  row('track_file', 'acted', ['file', 'weight', 'init_file'], "keepalived's meaning (also as vrrp_track_file, with its deprecation warning)."),
  row('vrrp_sync_group', 'acted', ['group', 'global_tracking', 'sync_group_tracking_weight'], 'Members change state together; notify scripts as for instances.'),
  row('global_defs', 'acted', ['vrrp_garp_master_delay', 'vrrp_garp_master_repeat', 'vrrp_garp_master_refresh', 'vrrp_garp_master_refresh_repeat', 'vrrp_garp_lower_prio_delay', 'vrrp_garp_lower_prio_repeat', 'vrrp_garp_interval', 'vrrp_gna_interval'], 'Defaults for the instances. An interval of 0 means no delay between gratuitous ARPs.'),
  row('global_defs', 'acted', ['vrrp_lower_prio_no_advert', 'vrrp_higher_prio_send_advert', 'vrrp_down_timer_adverts', 'vrrp_startup_delay', 'vrrp_skip_check_adv_addr', 'vrrp_check_unicast_src', 'vrrp_mcast_group4'], 'Defaults for the instances, as keepalived.'),
  row('global_defs', 'acted', ['vrrp_strict', 'vrrp_iptables', 'nftables', 'nftables_priority'], "Strict mode with keepalived's resets and its firewall rules."),
  row('global_defs', 'acted', ['script_user', 'enable_script_security'], 'The user scripts run as and keepalived\'s script security checks. Under the unit every script runs as the vrrpd user.'),
  row('global_defs', 'notYet', ['startup_script', 'shutdown_script'], 'The script is not run.'),
  row('global_defs', 'notYet', ['notify_fifo', 'notify_fifo_script', 'vrrp_notify_fifo', 'vrrp_notify_fifo_script', 'fifo_write_vrrp_states_on_reload'], 'Nothing is written to a FIFO.'),
  row('global_defs', 'notYet', ['vrrp_ipsets', 'nftables_ifindex', 'nftables_counters'], 'The strict-mode firewall rules name each VIP, match every interface and carry no counters.'),
  row('global_defs', 'notYet', ['default_interface', 'dynamic_interfaces', 'disable_local_igmp', 'log_unknown_vrids'], 'Reported once; keepalived\'s behaviour without them applies.'),
  row('global_defs', 'notYet', ['vrrp_priority', 'vrrp_no_swap', 'vrrp_rt_priority', 'vrrp_cpu_affinity', 'vrrp_rlimit_rttime', 'enable_snmp_vrrp', 'enable_traps', 'enable_dbus', 'vrrp_netlink_cmd_rcv_bufs', 'vrrp_rx_bufs_policy'], 'Process tuning, SNMP and D-Bus of keepalived\'s VRRP child: kept as written, reported once.'),
  row('vrrp_instance', 'notYet', ['virtual_ipaddress_excluded', 'virtual_routes', 'virtual_rules'], 'These addresses, routes and rules are not added.'),
  row('vrrp_instance', 'notYet', ['smtp_alert', 'notify_priority_changes'], 'No e-mail is sent; nothing is written to a FIFO.'),
  row('vrrp_instance', 'notYet', ['promote_secondaries', 'track_src_ip', 'timer_expired_backup', 'linkbeat_use_polling', 'kernel_rx_buf_size', 'garp_extra_if'], 'Reported once with what happens instead.'),
  row('vrrp_instance', 'notYet', ['track_process', 'track_bfd', 'notify_deleted'], 'Processes and BFD sessions are not watched.'),
  row('top level', 'notYet', ['vrrp_track_process', 'garp_group', 'static_ipaddress', 'static_routes', 'static_rules'], 'Read and kept; not acted on.'),
  row('vrrp_instance', 'refused', ['use_vmac', 'use_vmac_addr', 'use_ipvlan'], 'Without them the VIPs would sit on the interface itself and the adverts leave from its own MAC, not the virtual MAC the peers and switches expect.'),
  row('vrrp_instance', 'refused', ['vrf'], 'The instance would run in the default VRF.'),
  row('vrrp_instance', 'refused', ['native_ipv6', 'version'], 'IPv6 instances and version 3 need VRRPv3; vrrpd speaks VRRPv2 only (version 2 is accepted).'),
  row('authentication', 'refused', ['auth_type'], 'auth_type AH: the adverts would lack the IPsec AH header the peers check.'),
  row('top level', 'refused', ['net_namespace'], 'vrrpd would run in the current network namespace; use ip netns exec instead.'),
  row('top level', 'outOfScope', ['virtual_server', 'virtual_server_group', 'bfd_instance'], 'The checker, LVS and BFD parts of keepalived: skipped whole with one warning each; keep keepalived -C for them.'),
  row('global_defs', 'outOfScope', ['lvs_sync_daemon', 'lvs_timeouts', 'checker_process_name', 'bfd_process_name'], 'Settings of keepalived\'s other processes: one warning each.'),
];
