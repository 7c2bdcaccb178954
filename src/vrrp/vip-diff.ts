// What a reload does to a MASTER's VIPs: remove those the new configuration dropped, add the new
// ones, never touch one that stays (keepalived's clear_diff_vrrp_vip). One rule for the reload
// plan's log line (config VIPs by device name) and for the core's reload (fsm.ts: VIPs resolved to
// an interface index): `key` says when two VIPs are the same address in the same place.
import type { Ipv4 } from '../types.js';

/**
 * A VIP where it lives, as the core sees it: the same address and prefix on the same interface
 * stays in place over a reload. By index, not name: a re-created interface is another place, where
 * the VIP must be added again.
 */
export interface VipPlace {
  readonly address: Ipv4;
  readonly prefixLength: number;
  readonly ifindex: number;
}

export const vipPlaceKey = (v: VipPlace): string => `${v.ifindex} ${v.address}/${v.prefixLength}`;

export interface VipDiff<V> {
  /** In the new list only: a MASTER adds them. */
  readonly added: readonly V[];
  /** In the old list only: a MASTER removes them. */
  readonly removed: readonly V[];
  /** In both (the new list's entries): never touched. */
  readonly kept: readonly V[];
}

export function diffVips<V>(before: readonly V[], after: readonly V[], key: (v: V) => string): VipDiff<V> {
  const beforeKeys = new Set(before.map(key));
  const afterKeys = new Set(after.map(key));
  return {
    added: after.filter((v) => !beforeKeys.has(key(v))),
    removed: before.filter((v) => !afterKeys.has(key(v))),
    kept: after.filter((v) => beforeKeys.has(key(v))),
  };
}
