// The source address rules `vrrpd -t` and the daemon share. unicast_src_ip / mcast_src_ip must be
// an address of the instance's interface: keepalived accepts any, and a unicast instance then sits
// in FAULT ("src address not configured", its socket cannot bind), a multicast one sends adverts
// from an address that is not ours; both are refused here, before anything runs. Without one, the
// source is the interface's primary address, never a VIP (primaryAddress).
//
// Pure: the caller gathers the interface's IPv4 addresses (rtnetlink).
import type { Config, ConfigDiagnostic, InstanceConfig } from '../config/config.js';
import type { Ipv4 } from '../types.js';

/** The message for an instance whose configured source is not on its interface; undefined if fine. */
export function sourceAddressProblem(inst: InstanceConfig, interfaceAddresses: readonly string[]): string | undefined {
  if (inst.sourceAddress === undefined || interfaceAddresses.includes(inst.sourceAddress)) return undefined;
  const keyword = inst.unicastPeers.length > 0 ? 'unicast_src_ip' : 'mcast_src_ip';
  return (
    `(${inst.name}) ${keyword} ${inst.sourceAddress} is not an address of ${inst.interface}` +
    (interfaceAddresses.length > 0 ? ` (it has ${interfaceAddresses.join(', ')})` : ' (it has no IPv4 address)')
  );
}

/** One error per instance whose source address is missing from its (existing) interface. */
export function checkSourceAddresses(config: Config, addressesOf: (ifname: string) => readonly string[] | undefined): ConfigDiagnostic[] {
  const out: ConfigDiagnostic[] = [];
  for (const inst of config.instances) {
    const addresses = addressesOf(inst.interface);
    if (addresses === undefined) continue; // a missing interface is reported on its own
    const problem = sourceAddressProblem(inst, addresses);
    if (problem !== undefined) out.push({ severity: 'error', pos: inst.pos, message: problem });
  }
  return out;
}

/** One of an interface's IPv4 addresses, as rtnetlink lists them (kernel order). */
export interface InterfaceAddress {
  readonly address: Ipv4;
  readonly secondary: boolean;
}

/**
 * The interface's own primary address, our adverts' source when none is configured. A VIP left
 * behind by a crash can be listed first (a /32 is never "secondary"), and RFC 3768 §5.2.1 forbids
 * sending from a VIP, so `vips` are skipped; an address owner's VIP is its real address, and then
 * there is nothing else to pick.
 */
export function primaryAddress(addresses: readonly InterfaceAddress[], vips: ReadonlySet<Ipv4>): Ipv4 | undefined {
  const primaries = addresses.filter((a) => !a.secondary);
  return (primaries.find((a) => !vips.has(a.address)) ?? primaries[0])?.address;
}
