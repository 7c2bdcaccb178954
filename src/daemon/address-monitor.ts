// keepalived's -a (--address-monitoring): every IPv4 address added or removed in the namespace,
// as netlink reports it, in keepalived's words (keepalived_netlink.c netlink_if_address_filter):
// "Netlink reflector reports IP 192.0.2.200 added to eth0" / "... removed from eth0".
// vrrpd watches IPv4 addresses only (it has no IPv6 instances), so IPv6 changes are not reported.
import type { LineLog } from '../log/lines.js';
import type { LinkInfo, Rtnl, RtnlEvent } from '../net/rtnl.js';

/** The line for an address event, given the interface names known so far; undefined otherwise. */
export function addressLine(e: RtnlEvent, names: ReadonlyMap<number, string>): string | undefined {
  if (e.kind !== 'addressAdded' && e.kind !== 'addressRemoved') return undefined;
  const ifname = names.get(e.address.index) ?? `ifindex ${e.address.index}`;
  return `Netlink reflector reports IP ${e.address.address} ${e.kind === 'addressAdded' ? 'added to' : 'removed from'} ${ifname}`;
}

/** Starts logging; the watch ends with rtnl.close() or the returned function. */
export function monitorAddresses(rtnl: Rtnl, log: Pick<LineLog, 'info' | 'warn'>, links: readonly LinkInfo[]): () => void {
  const names = new Map(links.map((l) => [l.index, l.name]));
  return rtnl.watch((e) => {
    if (e.kind === 'link') names.set(e.link.index, e.link.name);
    else if (e.kind === 'overrun') log.warn(`address monitoring: ${e.message} - some address changes may not be reported`);
    const line = addressLine(e, names);
    if (line !== undefined) log.info(line);
    // A deleted link's addresses are reported removed first; forget the name after.
    if (e.kind === 'linkDeleted') names.delete(e.index);
  });
}
