// The daemon's VRRP sockets: one per interface, shared by the instances on it and demultiplexed by
// VRID. One path opens and closes them: start-up and reload open what a configuration needs
// (openInterfaces), an interface deleted and created again gets a new socket (reopenInterface),
// and a reload that leaves an interface unused, or the stop, closes it (closeInterface).
import type { Config } from '../config/config.js';
import type { Instance } from '../instance/instance.js';
import { recordDrop, type InstanceStats } from '../instance/stats.js';
import type { LineLog } from '../log/lines.js';
import type { LinkInfo } from '../net/rtnl.js';
import { openVrrpSocket, type Datagram, type VrrpSocket } from '../net/vrrp-socket.js';
import { err, ok, type Ipv4, type Millis, type Result } from '../types.js';
import { chooseInstance } from '../vrrp/demux.js';
import { decodeDatagram } from '../vrrp/packet.js';

export interface InterfaceSocket {
  readonly socket: VrrpSocket;
  /** The ifindex the socket is bound to: a recreated interface of the same name gets a new one. */
  readonly ifindex: number;
  /** Several instances may share a VRID on one interface (unicast and multicast, other groups, other peers). */
  readonly byVrid: Map<number, Instance[]>;
}

/** The open sockets by interface name. */
export type Interfaces = Map<string, InterfaceSocket>;

export interface InterfaceDeps {
  /** Counts drops no instance owns (an unknown VRID). */
  readonly unmatched: InstanceStats;
  /** The protocol timers' clock, which each datagram's receivedAt is carried onto. */
  clock(): Millis;
  readonly log: Pick<LineLog, 'error'>;
}

/** Only the multicast instances' groups are joined: a unicast-only interface hears no multicast. */
function multicastGroups(config: Config, ifname: string): Ipv4[] {
  return config.instances.filter((c) => c.interface === ifname && c.unicastPeers.length === 0).map((c) => c.multicastGroup);
}

/** The interface's VRRP socket; received adverts go to the instance of their VRID. */
function openInterface(ifname: string, link: LinkInfo, config: Config, deps: InterfaceDeps): Result<InterfaceSocket, string> {
  const byVrid = new Map<number, Instance[]>();
  const demuxKey = (i: Instance) => ({ peers: i.unicastPeers.map((p) => p.address), group: i.config.multicastGroup, localAddress: i.host.ownAddress });
  const onDatagram = (d: Datagram): void => {
    let owner: Instance | undefined;
    const decoded = decodeDatagram(d.bytes, d.from, (vrid, from, dst) => {
      owner = chooseInstance(byVrid.get(vrid) ?? [], demuxKey, from, dst);
      return owner?.expectation(from);
    });
    if (decoded.ok) owner?.receive(decoded.advert, d.receivedAt);
    else if (owner && decoded.drop.vrid !== undefined) owner.dropped(decoded.drop, d);
    else recordDrop(deps.unmatched, decoded.drop.reason);
  };
  const opened = openVrrpSocket({
    ifname,
    ifindex: link.index,
    groups: multicastGroups(config, ifname),
    onDatagram,
    clock: () => deps.clock(),
    onError: (message) => deps.log.error(`${message} - adverts on ${ifname} can no longer be received`),
  });
  return opened.ok ? ok({ socket: opened.value, ifindex: link.index, byVrid }) : opened;
}

/**
 * Every interface `config` uses, ready: one open already joins the multicast groups `config` adds
 * (as its opening would have); the others are opened. All or nothing: on a failure what this call
 * opened is closed again, and the sentence says why. The new sockets come back, not yet in `open`:
 * the caller adds them when nothing else can fail.
 */
export function openInterfaces(config: Config, open: ReadonlyMap<string, InterfaceSocket>, links: ReadonlyMap<string, LinkInfo>, deps: InterfaceDeps): Result<Interfaces, string> {
  const opened: Interfaces = new Map();
  const fail = (why: string): Result<Interfaces, string> => {
    for (const s of opened.values()) s.socket.close();
    return err(why);
  };
  for (const ifname of new Set(config.instances.map((i) => i.interface))) {
    const existing = open.get(ifname);
    if (existing !== undefined) {
      for (const group of multicastGroups(config, ifname)) {
        const joined = existing.socket.join(group);
        if (!joined.ok) return fail(`cannot join ${group} on ${ifname}: ${joined.error}`);
      }
      continue;
    }
    const link = links.get(ifname);
    if (link === undefined) return fail(`cannot open VRRP socket on ${ifname}: the interface disappeared`);
    const socket = openInterface(ifname, link, config, deps);
    if (!socket.ok) return fail(`cannot open ${socket.error}`);
    opened.set(ifname, socket.value);
  }
  return ok(opened);
}

/** The interface's socket closed and forgotten (no instance uses it any more, or the daemon stops). */
export function closeInterface(open: Interfaces, ifname: string): void {
  open.get(ifname)?.socket.close();
  open.delete(ifname);
}

/**
 * The interface was deleted and created again under its name (`link`, a new ifindex): a new socket
 * on it takes over the old one's instances, then the old one is closed. Nothing to do when it is
 * not ours or already on that ifindex; an error when the new socket cannot be opened (the old one
 * stays).
 */
export function reopenInterface(open: Interfaces, link: LinkInfo, config: Config, deps: InterfaceDeps): Result<void, string> {
  const entry = open.get(link.name);
  if (entry === undefined || entry.ifindex === link.index) return ok(undefined);
  const opened = openInterface(link.name, link, config, deps);
  if (!opened.ok) return err(`cannot reopen ${opened.error}`);
  for (const [vrid, instances] of entry.byVrid) opened.value.byVrid.set(vrid, instances);
  closeInterface(open, link.name);
  open.set(link.name, opened.value);
  return ok(undefined);
}
