// The source address rule `vrrpd -t` and the daemon's start share: unicast_src_ip / mcast_src_ip
// must be an address of the instance's interface. keepalived accepts any: a unicast instance then
// sits in FAULT ("src address not configured", its socket cannot bind), a multicast one sends
// adverts from an address that is not ours. Both are refused here, before anything runs.
//
// Pure: the caller gathers the interface's IPv4 addresses (rtnetlink).
import type { Config, ConfigDiagnostic, InstanceConfig } from '../config/config.js';

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
