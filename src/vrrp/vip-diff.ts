// What a reload does to a MASTER's VIPs: remove those the new configuration dropped, add the new
// ones, never touch one that stays (keepalived's clear_diff_vrrp_vip). One rule for the reload
// plan's log line (config VIPs by device name) and for the instance that carries it out (VIPs
// resolved to an interface index): `key` says when two VIPs are the same address in the same place.

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
