// Which instance a received advert is for, among those on one interface with its VRID. keepalived
// keeps one socket per (interface, multicast group | unicast source) and, for unicast instances
// sharing a VRID, matches the sender against each one's peers (vrrp_dispatcher_read,
// docs/reference/keepalived-behaviour.md#receive-checks step 1). vrrpd has one socket per
// interface, so the destination picks the mode first: a multicast advert goes to the multicast
// instance of that group, a unicast one to the unicast instance that lists the sender as a peer
// (else the one it was sent to). With no instance of the right mode, the first candidate gets it
// and its receive checks drop it by name ("Expected unicast packet but received multicast packet").
import type { Ipv4 } from '../types.js';

/** What the choice needs to know of an instance. */
export interface DemuxKey {
  /** Unicast peer addresses; empty for a multicast instance. */
  readonly peers: readonly Ipv4[];
  readonly group: Ipv4;
  /** Our source address (where peers send their unicast adverts). */
  readonly localAddress: Ipv4;
}

export function isIpv4Multicast(address: Ipv4): boolean {
  const first = Number(address.split('.')[0]);
  return first >= 224 && first <= 239;
}

export function chooseInstance<T>(candidates: readonly T[], key: (t: T) => DemuxKey, from: Ipv4, dst: Ipv4): T | undefined {
  if (candidates.length <= 1) return candidates[0];
  const multicast = isIpv4Multicast(dst);
  const sameMode = candidates.filter((c) => (key(c).peers.length === 0) === multicast);
  const best = multicast
    ? sameMode.find((c) => key(c).group === dst)
    : (sameMode.find((c) => key(c).peers.includes(from)) ?? sameMode.find((c) => key(c).localAddress === dst));
  return best ?? sameMode[0] ?? candidates[0];
}
