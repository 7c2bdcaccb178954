// Where each instance runs on this host (its InstanceHost: interface, advert source, each VIP's
// link and MAC), read from rtnetlink at start-up, at a reload and when an interface comes back
// under a new ifindex; and the VIPs a crashed run left behind, removed before anything starts.
// The rules themselves are host/source-address.ts's; this is reading the kernel and saying why not.
import type { InstanceConfig } from '../config/config.js';
import { primaryAddress, sourceAddressProblem } from '../host/source-address.js';
import type { InstanceHost } from '../instance/instance.js';
import type { VipLink } from '../instance/vips.js';
import type { LineLog } from '../log/lines.js';
import type { LinkInfo, Rtnl } from '../net/rtnl.js';
import { err, ok, type Ipv4, type Result } from '../types.js';

/** The interfaces by name, as rtnetlink listed them. */
export type Links = ReadonlyMap<string, LinkInfo>;

/** Every instance's host, or the first that cannot be resolved (its `file:line` sentence). */
export async function resolveHosts(
  instances: readonly InstanceConfig[],
  byName: Links,
  rtnl: Rtnl,
  /** Addresses a running MASTER may still hold besides its configured VIPs (a reload's dropped ones). */
  held: ReadonlySet<Ipv4> = new Set(),
): Promise<Result<Map<string, InstanceHost>, string>> {
  const hosts = new Map<string, InstanceHost>();
  for (const inst of instances) {
    const host = await resolveHost(inst, byName, rtnl, held);
    if (!host.ok) return host;
    hosts.set(inst.name, host.value);
  }
  return ok(hosts);
}

export async function resolveHost(inst: InstanceConfig, byName: Links, rtnl: Rtnl, held: ReadonlySet<Ipv4> = new Set()): Promise<Result<InstanceHost, string>> {
  const link = byName.get(inst.interface);
  if (!link) return err(`${inst.pos.file}:${inst.pos.line}: interface ${inst.interface} for vrrp_instance ${inst.name} doesn't exist`);
  const source = await sourceAddress(link.index, inst, rtnl, held);
  if (!source.ok) return err(source.error);
  if (!source.value) {
    return err(`${inst.pos.file}:${inst.pos.line}: interface ${inst.interface} of vrrp_instance ${inst.name} has no IPv4 address to send adverts from`);
  }
  const vips: VipLink[] = [];
  for (const vip of inst.vips) {
    const vipLink = byName.get(vip.dev ?? inst.interface);
    if (!vipLink) return err(`${vip.pos.file}:${vip.pos.line}: interface ${vip.dev} for VIP ${vip.address} doesn't exist`);
    if (!vipLink.mac) return err(`${vip.pos.file}:${vip.pos.line}: interface ${vipLink.name} has no MAC address for gratuitous ARP`);
    vips.push({ vip, ifname: vipLink.name, ifindex: vipLink.index, mac: vipLink.mac });
  }
  return ok({ ifname: link.name, ifindex: link.index, ownAddress: source.value, vips });
}

/**
 * Our adverts' source: unicast_src_ip / mcast_src_ip, which must be an address of the interface
 * (keepalived would send from a foreign source, or sit in FAULT for unicast), else the primary.
 */
async function sourceAddress(index: number, inst: InstanceConfig, rtnl: Rtnl, held: ReadonlySet<Ipv4>): Promise<Result<Ipv4 | undefined, string>> {
  const addresses = await rtnl.ipv4Addresses(index);
  if (!addresses.ok) return err(`cannot read addresses of ${inst.interface}: ${addresses.error}`);
  if (inst.sourceAddress === undefined) return ok(primaryAddress(addresses.value, new Set([...held, ...inst.vips.map((v) => v.address)])));
  // Checked by -t's rules before start-up too; the address may have gone since.
  const problem = sourceAddressProblem(inst, addresses.value.map((a) => a.address));
  if (problem !== undefined) return err(`${inst.pos.file}:${inst.pos.line}: ${problem}`);
  return ok(addresses.value.find((a) => a.address === inst.sourceAddress)?.address);
}

/**
 * A crashed or SIGKILLed master leaves its VIPs on the interface
 * (docs/reference/keepalived-behaviour.md#vips-left-behind-by-a-crash), which would answer ARP next
 * to the new master. keepalived removes them at start-up (`remove_residual_vips()`, same file,
 * "Leaving master and stopping"); so do we. `dropRules`: no-accept mode's firewall is in use.
 */
export async function removeResidualVips(
  instances: readonly InstanceConfig[],
  hosts: ReadonlyMap<string, InstanceHost>,
  rtnl: Rtnl,
  log: LineLog,
  dropRules = false,
): Promise<void> {
  const present = await rtnl.ipv4Addresses();
  if (!present.ok) {
    log.warn(`cannot list addresses to remove leftover VIPs: ${present.error}`);
    return;
  }
  for (const inst of instances) {
    const host = hosts.get(inst.name);
    if (!host) continue;
    const leftovers = host.vips.filter(
      ({ vip, ifindex }) =>
        vip.address !== host.ownAddress &&
        present.value.some((a) => a.index === ifindex && a.address === vip.address && a.prefixLength === vip.prefixLength),
    );
    // keepalived logs this for every instance with VIPs, whether or not any was left behind.
    if (host.vips.length > 0) log.info(`(${inst.name}) removing VIPs.`);
    // No-accept instances: keepalived's next line (start-up already removed a crash's rules).
    if (host.vips.length > 0 && dropRules && !inst.accept) log.info(`(${inst.name}) removing firewall drop rule`);
    for (const { vip, ifindex } of leftovers) {
      const removed = await rtnl.delAddress({ index: ifindex, address: vip.address, prefixLength: vip.prefixLength });
      if (!removed.ok) log.error(`(${inst.name}) cannot remove leftover VIP ${vip.address}: ${removed.error}`);
      else log.debug(`(${inst.name}) removed leftover VIP ${vip.address}/${vip.prefixLength} from ${host.ifname}`);
    }
  }
}
