// Per-instance counters: keepalived's SIGUSR2 set (the `keepalived.stats` file, and the "stats"
// object of `keepalived.json`) plus one counter per DropReason, which keepalived lacks (OpenBSD
// carp style), so "why is my peer's advert ignored" has a number to look at.
//
// Plain data: the instance that owns a set of counters bumps them in place; the mapping from drop
// reasons to keepalived's counters is a table. SIGUSR2 writes formatKeepalivedStats; STATS_CLEAR
// writes it, then starts again from createStats().
import { DROP_REASONS, type DropReason } from '../vrrp/packet.js';

/**
 * keepalived's `vrrp_stats` (keepalived/include/vrrp.h), field for field. Mutable on purpose: the
 * instance that owns the counters bumps them in place (`stats.advertSent++`).
 */
export interface KeepalivedCounters {
  advertReceived: number;
  advertSent: number;
  becameMaster: number;
  releasedMaster: number;
  packetLengthErrors: number;
  advertIntervalErrors: number;
  ttlErrors: number;
  invalidTypeReceived: number;
  addressListErrors: number;
  invalidAuthType: number;
  authTypeMismatch: number;
  authFailures: number;
  priorityZeroReceived: number;
  priorityZeroSent: number;
}

export type KeepalivedCounter = keyof KeepalivedCounters;

export interface InstanceStats extends KeepalivedCounters {
  /** Every dropped datagram attributed to this instance, by reason. */
  readonly drops: Record<DropReason, number>;
}

/** All counters at zero: at start-up, and after keepalived's STATS_CLEAR. */
export function createStats(): InstanceStats {
  const drops = Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as Record<DropReason, number>;
  return {
    advertReceived: 0,
    advertSent: 0,
    becameMaster: 0,
    releasedMaster: 0,
    packetLengthErrors: 0,
    advertIntervalErrors: 0,
    ttlErrors: 0,
    invalidTypeReceived: 0,
    addressListErrors: 0,
    invalidAuthType: 0,
    authTypeMismatch: 0,
    authFailures: 0,
    priorityZeroReceived: 0,
    priorityZeroSent: 0,
    drops,
  };
}

/**
 * STATS_CLEAR: every counter back to zero, in place (the instance keeps the same object), our
 * per-reason drop counts included, as keepalived's memset of vrrp->stats.
 */
export function clearStats(stats: InstanceStats): void {
  const zero = createStats();
  for (const key of Object.keys(zero) as (keyof InstanceStats)[]) {
    if (key !== 'drops') stats[key] = 0;
  }
  for (const reason of DROP_REASONS) stats.drops[reason] = 0;
}

/**
 * Which keepalived counters each drop feeds, as keepalived 2.2.7's `vrrp_check_packet()` does
 * (vrrp.c; docs/reference/keepalived-behaviour.md#receive-checks). Differences from keepalived, on
 * purpose:
 * - advertIntervalMismatch feeds "Advertisement Interval": keepalived prints that counter but never
 *   increments it (the check returns VRRP_PACKET_DROP before counting), so a mismatch that causes a
 *   dual master is invisible in its stats. Ours counts it.
 * Faithful quirks kept:
 * - badDestination feeds "Address List" (keepalived's addr_list_err for a unicast/multicast mix-up).
 * - addressMissing, notUnicastPeer and ttlOutOfRange also count as a received advert: keepalived
 *   increments advert_rcvd once type, version, length and checksum are good, before comparing the
 *   VIP list and the unicast source.
 * - badVersion and badChecksum feed nothing (keepalived counts them only in SNMP builds), and the
 *   dispatcher drops (tooShort, notIpv4Vrrp, unknownVrid) have no instance in keepalived at all.
 */
export const KEEPALIVED_COUNTERS_FOR_DROP: Readonly<Record<DropReason, readonly KeepalivedCounter[]>> = {
  tooShort: [],
  notIpv4Vrrp: [],
  unknownVrid: [],
  badLength: ['packetLengthErrors'],
  badTtl: ['ttlErrors'],
  badVersion: [],
  badAuthType: ['invalidAuthType'],
  authTypeMismatch: ['authTypeMismatch'],
  badPassword: ['authFailures'],
  advertIntervalMismatch: ['advertIntervalErrors'],
  badType: ['invalidTypeReceived'],
  addressCountMismatch: ['addressListErrors'],
  badTotalLength: ['packetLengthErrors'],
  badChecksum: [],
  badDestination: ['addressListErrors'],
  addressMissing: ['advertReceived', 'addressListErrors'],
  // keepalived counts these after advert_rcvd; only the TTL range feeds a counter (ip_ttl_err).
  notUnicastPeer: ['advertReceived'],
  ttlOutOfRange: ['advertReceived', 'ttlErrors'],
};

/** Count one dropped datagram: its reason, and the keepalived counters that reason feeds. */
export function recordDrop(stats: InstanceStats, reason: DropReason): void {
  stats.drops[reason] += 1;
  for (const counter of KEEPALIVED_COUNTERS_FOR_DROP[reason]) stats[counter] += 1;
}

/** An advert that passed every check; a priority-0 one also counts as "Priority Zero Received". */
export function recordAdvertReceived(stats: InstanceStats, priority: number): void {
  stats.advertReceived += 1;
  if (priority === 0) stats.priorityZeroReceived += 1;
}

/** keepalived counts "Sent" for every advert, and "Priority Zero Sent" for the one sent on leaving MASTER. */
export function recordAdvertSent(stats: InstanceStats, priority: number): void {
  stats.advertSent += 1;
  if (priority === 0) stats.priorityZeroSent += 1;
}

/**
 * One instance's block of keepalived's `keepalived.stats` (`vrrp_print_stats()`, vrrp_print.c),
 * byte for byte: two-space indentation, trailing newline. The file is these blocks concatenated
 * in config order.
 */
export function formatKeepalivedStats(name: string, stats: Readonly<KeepalivedCounters>): string {
  return [
    `VRRP Instance: ${name}`,
    '  Advertisements:',
    `    Received: ${stats.advertReceived}`,
    `    Sent: ${stats.advertSent}`,
    `  Became master: ${stats.becameMaster}`,
    `  Released master: ${stats.releasedMaster}`,
    '  Packet Errors:',
    `    Length: ${stats.packetLengthErrors}`,
    `    TTL: ${stats.ttlErrors}`,
    `    Invalid Type: ${stats.invalidTypeReceived}`,
    `    Advertisement Interval: ${stats.advertIntervalErrors}`,
    `    Address List: ${stats.addressListErrors}`,
    '  Authentication Errors:',
    `    Invalid Type: ${stats.invalidAuthType}`,
    `    Type Mismatch: ${stats.authTypeMismatch}`,
    `    Failure: ${stats.authFailures}`,
    '  Priority Zero:',
    `    Received: ${stats.priorityZeroReceived}`,
    `    Sent: ${stats.priorityZeroSent}`,
    '',
  ].join('\n');
}

/** The whole `keepalived.stats` file for instances in config order. */
export function formatKeepalivedStatsFile(instances: readonly { name: string; stats: Readonly<KeepalivedCounters> }[]): string {
  return instances.map(({ name, stats }) => formatKeepalivedStats(name, stats)).join('');
}

/** The "stats" object of keepalived's `keepalived.json` (vrrp_json.c): its field names, its order. */
export function keepalivedJsonStats(stats: Readonly<KeepalivedCounters>): Record<string, number> {
  return {
    advert_rcvd: stats.advertReceived,
    advert_sent: stats.advertSent,
    become_master: stats.becameMaster,
    release_master: stats.releasedMaster,
    packet_len_err: stats.packetLengthErrors,
    advert_interval_err: stats.advertIntervalErrors,
    ip_ttl_err: stats.ttlErrors,
    invalid_type_rcvd: stats.invalidTypeReceived,
    addr_list_err: stats.addressListErrors,
    invalid_authtype: stats.invalidAuthType,
    authtype_mismatch: stats.authTypeMismatch,
    auth_failure: stats.authFailures,
    pri_zero_rcvd: stats.priorityZeroReceived,
    pri_zero_sent: stats.priorityZeroSent,
  };
}
