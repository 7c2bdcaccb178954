// The lab: hosts are network namespaces whose interfaces plug into Linux bridges that live in a
// namespace of their own (the "switch"), so nothing at all is created in the root namespace.
// Addresses are restricted to the documentation ranges and no host gets a route out.
//
// Naming: every namespace is `vrl<creator pid>x<n>-<host>` (the switch is `…-sw`), so a sweep can tell
// ours from anyone else's and can tell whether the lab's creator is still alive.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { ipv4ToBytes, parseIpv4 } from '../src/types.js';
import type { ExecOptions, ExecResult, SpawnOptions, TrackedProcess } from './process.js';
import type { AddressEntry, NeighEntry } from './iproute.js';
import { parseAddrJson, parseNeighJson, parsePingSummary } from './iproute.js';
import { execBounded, execChecked, pidAlive, signalPid, sleep, spawnTracked } from './process.js';

export type { AddressEntry, NeighEntry } from './iproute.js';
export { parseAddrJson, parseNeighJson, parsePingSummary } from './iproute.js';

// ---------------------------------------------------------------------------------------------
// Spec

export interface InterfaceSpec {
  /** Name inside the host namespace; default `eth0`. */
  readonly name?: string;
  /** Which bridge (L2 segment) it plugs into; default `lan`. Lowercase letters/digits, ≤ 10 chars. */
  readonly segment?: string;
  /** Default: 02:00 followed by the first address's four bytes (192.0.2.11 → 02:00:c0:00:02:0b). */
  readonly mac?: string;
  /** CIDR addresses, e.g. `192.0.2.11/24`; only 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24. */
  readonly addresses: readonly string[];
  /** net.ipv4.conf.<if>.arp_accept=1: let a gratuitous ARP *create* a neighbour entry, not only update one. */
  readonly arpAccept?: boolean;
}

export interface HostSpec {
  /** Lowercase letters/digits, ≤ 12 chars, not `sw`. */
  readonly name: string;
  /** Shorthand for a single `eth0` on segment `lan`. */
  readonly address?: string;
  readonly mac?: string;
  readonly arpAccept?: boolean;
  /** Full form, for multi-interface hosts; overrides the shorthand. */
  readonly interfaces?: readonly InterfaceSpec[];
}

export interface LabSpec {
  readonly hosts: readonly HostSpec[];
  /** Keep IPv6 on (default off: no ND/MLD noise in captures, and VRRPv2 is IPv4 only). */
  readonly ipv6?: boolean;
}

/** The captures' lab (test/fixtures/captures/README.md): two VRRP nodes and a client on one bridge. */
export const NODE_A = { name: 'a', address: '192.0.2.11/24', mac: '02:00:c0:00:02:0b' } as const;
export const NODE_B = { name: 'b', address: '192.0.2.12/24', mac: '02:00:c0:00:02:0c' } as const;
export const CLIENT = { name: 'client', address: '192.0.2.100/24', mac: '02:00:c0:00:02:64' } as const;
export const LAB_VIP = '192.0.2.200';
const withoutPrefix = (cidr: string): string => cidr.split('/')[0] ?? cidr;
/** The pair lab's addresses without their prefix length, as captures and logs show them. */
export const A_IP = withoutPrefix(NODE_A.address);
export const B_IP = withoutPrefix(NODE_B.address);
export const CLIENT_IP = withoutPrefix(CLIENT.address);

/** node A, node B and a client (arp_accept on, so it learns the VIP from a GARP alone). */
export function pairLabSpec(extraHosts: readonly HostSpec[] = []): LabSpec {
  return { hosts: [NODE_A, NODE_B, { ...CLIENT, arpAccept: true }, ...extraHosts] };
}

interface ResolvedInterface {
  readonly name: string;
  readonly segment: string;
  readonly mac: string;
  readonly addresses: readonly string[];
  readonly arpAccept: boolean;
  /** The veth end that stays in the switch namespace. */
  readonly switchPort: string;
}

interface ResolvedHost {
  readonly name: string;
  readonly ns: string;
  readonly interfaces: readonly ResolvedInterface[];
}

const HOST_NAME = /^[a-z][a-z0-9]{0,11}$/;
const SEGMENT_NAME = /^[a-z][a-z0-9]{0,9}$/;
const IF_NAME = /^[a-zA-Z][a-zA-Z0-9_.-]{0,14}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const ALLOWED_NETS = ['192.0.2.', '198.51.100.', '203.0.113.'];

/** Only documentation prefixes, and never wider than /24, so nothing in the lab can look routable. */
export function checkLabAddress(cidr: string): string | undefined {
  const [ip, len, ...rest] = cidr.split('/');
  const prefix = Number(len);
  if (ip === undefined || parseIpv4(ip) === undefined || rest.length > 0 || !Number.isInteger(prefix)) {
    return `${cidr}: not an IPv4 CIDR address`;
  }
  if (!ALLOWED_NETS.some((net) => ip.startsWith(net))) return `${cidr}: outside the lab's documentation ranges`;
  if (prefix < 24 || prefix > 32) return `${cidr}: prefix must be /24../32`;
  return undefined;
}

function defaultMac(cidr: string | undefined): string | undefined {
  const ip = cidr?.split('/')[0];
  const parsed = ip === undefined ? undefined : parseIpv4(ip);
  if (parsed === undefined) return undefined;
  const hex = [...ipv4ToBytes(parsed)].map((b) => b.toString(16).padStart(2, '0'));
  return ['02', '00', ...hex].join(':');
}

function resolveSpec(spec: LabSpec, labId: string): ResolvedHost[] {
  const problems: string[] = [];
  const seenHosts = new Set<string>();
  const seenMacs = new Set<string>();
  const hosts = spec.hosts.map((h, hostIndex): ResolvedHost => {
    if (!HOST_NAME.test(h.name) || h.name === 'sw') problems.push(`host name ${JSON.stringify(h.name)} not allowed`);
    if (seenHosts.has(h.name)) problems.push(`duplicate host ${h.name}`);
    seenHosts.add(h.name);
    const ifSpecs: readonly InterfaceSpec[] = h.interfaces ?? [
      { addresses: h.address === undefined ? [] : [h.address], mac: h.mac, arpAccept: h.arpAccept },
    ];
    const seenIfs = new Set<string>();
    const interfaces = ifSpecs.map((i, ifIndex): ResolvedInterface => {
      const name = i.name ?? 'eth0';
      const segment = i.segment ?? 'lan';
      const mac = (i.mac ?? defaultMac(i.addresses[0]) ?? '').toLowerCase();
      if (!IF_NAME.test(name) || name === 'lo') problems.push(`${h.name}: interface name ${name} not allowed`);
      if (seenIfs.has(name)) problems.push(`${h.name}: duplicate interface ${name}`);
      seenIfs.add(name);
      if (!SEGMENT_NAME.test(segment)) problems.push(`${h.name}/${name}: segment name ${segment} not allowed`);
      if (!MAC.test(mac)) problems.push(`${h.name}/${name}: needs a MAC (or an address to derive one from)`);
      if (seenMacs.has(mac)) problems.push(`${h.name}/${name}: duplicate MAC ${mac}`);
      seenMacs.add(mac);
      for (const a of i.addresses) {
        const why = checkLabAddress(a);
        if (why !== undefined) problems.push(`${h.name}/${name}: ${why}`);
      }
      return {
        name,
        segment,
        mac,
        addresses: i.addresses,
        arpAccept: i.arpAccept ?? false,
        switchPort: `h${hostIndex}i${ifIndex}`,
      };
    });
    return { name: h.name, ns: `${labId}-${h.name}`, interfaces };
  });
  if (hosts.length === 0) problems.push('a lab needs at least one host');
  if (problems.length > 0) throw new Error(`bad lab spec: ${problems.join('; ')}`);
  return hosts;
}

// ---------------------------------------------------------------------------------------------
// Naming, registry and cleanup on exit

const NAME_PREFIX = 'vrl';
/** vrl<pid>x<n>-<host>; the capture groups are the creator PID and the lab counter. */
const OUR_NAMESPACE = /^vrl(\d+)x(\d+)-[a-z][a-z0-9]*$/;

let labCounter = 0;
const liveLabs = new Set<LabInternals>();
let exitHooksInstalled = false;

interface LabInternals {
  readonly namespaces: readonly string[];
  readonly processes: Set<TrackedProcess>;
  readonly syncCleanups: (() => void)[];
}

function listNamespaces(): string[] {
  // /run/netns holds one bind-mount file per named namespace; reading it needs no subprocess.
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

function nextLabId(): string {
  const existing = new Set(listNamespaces());
  for (;;) {
    labCounter += 1;
    const id = `${NAME_PREFIX}${process.pid}x${labCounter}`;
    if (![...existing].some((ns) => ns.startsWith(`${id}-`))) return id;
  }
}

function namespacePidsSync(ns: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', ns], { timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .split(/\s+/)
      .filter((s) => /^\d+$/.test(s))
      .map(Number);
  } catch {
    return [];
  }
}

function destroySync(lab: LabInternals): void {
  for (const p of lab.processes) p.kill('SIGKILL');
  for (const ns of lab.namespaces) {
    // Processes our processes started (keepalived's VRRP child…) live in our namespaces too.
    for (const pid of namespacePidsSync(ns)) signalPid(pid, 'SIGKILL');
  }
  for (const ns of lab.namespaces) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { timeout: 5000, stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  for (const fn of lab.syncCleanups.splice(0)) {
    try {
      fn();
    } catch {
      // best effort at exit
    }
  }
  liveLabs.delete(lab);
}

/** What the exit hooks run: SIGKILL every lab's processes and delete every lab's namespaces, synchronously. */
export function destroyAllLabsSync(): void {
  for (const lab of [...liveLabs]) destroySync(lab);
}
const destroyAllSync = destroyAllLabsSync;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  // 'exit' also fires after an uncaught exception has killed the process, so it covers that case.
  process.on('exit', destroyAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      destroyAllSync();
      // If we are the only listener, restore the default action (die by this signal); otherwise
      // someone else (a test runner) handles it and we must not change what it decides.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

// ---------------------------------------------------------------------------------------------
// Availability and sweeping

export type LabAvailability = { ok: true } | { ok: false; reason: string };

/** Can this process build labs? (root, and iproute2 can make and delete a namespace). */
export function labAvailable(): LabAvailability {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { ok: false, reason: 'lab tests need root (ip netns add)' };
  }
  const probe = `${NAME_PREFIX}${process.pid}x0-probe`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { timeout: 5000, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    return { ok: false, reason: `ip netns add failed: ${(e as Error).message.split('\n')[0] ?? ''}` };
  }
  try {
    execFileSync('ip', ['netns', 'del', probe], { timeout: 5000, stdio: 'ignore' });
  } catch {
    // a leftover probe is swept later by sweepStaleLabs once this PID is gone
  }
  for (const tool of ['/usr/sbin/tcpdump', '/usr/bin/tcpdump']) if (existsSync(tool)) return { ok: true };
  return { ok: false, reason: 'tcpdump not installed' };
}

/**
 * Delete namespaces named like ours whose creating process is dead (a test run that was SIGKILLed).
 * Never touches a namespace of a different shape or one whose creator still runs. Returns the names removed.
 */
export async function sweepStaleLabs(): Promise<string[]> {
  const stale = listNamespaces().filter((ns) => {
    const m = OUR_NAMESPACE.exec(ns);
    return m !== null && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]));
  });
  for (const ns of stale) {
    const pids = await execBounded(['ip', 'netns', 'pids', ns], { timeoutMs: 5000 });
    for (const pid of pids.stdout.split(/\s+/).filter((s) => /^\d+$/.test(s))) signalPid(Number(pid), 'SIGKILL');
  }
  const removed: string[] = [];
  for (const ns of stale) {
    const r = await execBounded(['ip', 'netns', 'del', ns], { timeoutMs: 5000 });
    if (r.code === 0) removed.push(ns);
  }
  return removed;
}

/** Namespaces that currently exist for a lab id (`vrl<pid>x<n>`), for leak checks. */
export function namespacesOf(labId: string): string[] {
  return listNamespaces().filter((ns) => ns.startsWith(`${labId}-`));
}

// ---------------------------------------------------------------------------------------------
// The lab

export interface PingResult {
  readonly transmitted: number;
  readonly received: number;
  /** One round-trip time per reply, in arrival order. */
  readonly rttMs: readonly number[];
  readonly exec: ExecResult;
}

export interface PingOptions {
  readonly count?: number;
  readonly intervalMs?: number;
  /** Overall deadline; ping is also killed by us a second later if it ignores it. */
  readonly timeoutMs?: number;
  readonly iface?: string;
}

export interface HostInfo {
  readonly name: string;
  readonly ns: string;
  readonly interfaces: readonly { name: string; mac: string; addresses: readonly string[]; segment: string }[];
}

export interface Lab {
  /** `vrl<pid>x<n>`: every namespace of this lab starts with it. */
  readonly id: string;
  readonly hosts: readonly HostInfo[];
  readonly switchNs: string;
  host(name: string): HostInfo;
  /** Namespace name of a host. */
  ns(host: string): string;
  /** The host's first address without prefix (e.g. `192.0.2.11`). */
  ip(host: string, iface?: string): string;
  mac(host: string, iface?: string): string;
  exec(host: string, argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Start a tracked program in a host (`ip netns exec NS argv…`, which execs: the PID is the program's). */
  spawn(host: string, argv: readonly string[], opts?: SpawnOptions): TrackedProcess;
  /** Administratively set the host's interface up/down (the host sees its own link go away). */
  setLink(host: string, state: 'up' | 'down', iface?: string): Promise<void>;
  /**
   * Cut hosts off from everyone else while their links stay up: their switch ports move to an island
   * bridge (the hosts given in one call can still reach each other). No carrier change, only silence.
   */
  partition(hosts: string | readonly string[], iface?: string): Promise<void>;
  /**
   * A split brain the rest of the segment still sees: the given hosts' switch ports are marked
   * isolated (bridge port isolation), so these hosts can no longer reach each other but every one of
   * them still reaches every other host (a client hears both sides). Undone by heal().
   */
  isolate(hosts: readonly string[], iface?: string): Promise<void>;
  /** Put every partitioned port back on its segment's bridge and clear every isolated port. */
  heal(): Promise<void>;
  neigh(host: string, ip: string, iface?: string): Promise<NeighEntry | undefined>;
  addresses(host: string, iface?: string): Promise<AddressEntry[]>;
  hasAddress(host: string, ip: string, iface?: string): Promise<boolean>;
  ping(from: string, ip: string, opts?: PingOptions): Promise<PingResult>;
  /** Run at destroy (after processes are killed); `sync` is the fallback used at process exit. */
  onDestroy(cleanup: () => void | Promise<void>, sync?: () => void): void;
  /** Kill every process the lab spawned (SIGTERM, SIGKILL after graceMs), delete every namespace. */
  destroy(graceMs?: number): Promise<void>;
}

const IP_TIMEOUT_MS = 5000;

async function ipIn(ns: string, args: readonly string[]): Promise<void> {
  const r = await execChecked(['ip', '-n', ns, ...args], { timeoutMs: IP_TIMEOUT_MS });
  if (!r.ok) throw new Error(r.error);
}

async function sysctlIn(ns: string, setting: string): Promise<void> {
  const r = await execChecked(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', setting], { timeoutMs: IP_TIMEOUT_MS });
  if (!r.ok) throw new Error(r.error);
}

async function addNamespace(ns: string, created: string[]): Promise<void> {
  const r = await execChecked(['ip', 'netns', 'add', ns], { timeoutMs: IP_TIMEOUT_MS });
  if (!r.ok) throw new Error(r.error);
  created.push(ns);
}

async function buildSwitch(sw: string, segments: readonly string[], ipv6: boolean): Promise<void> {
  if (!ipv6) await sysctlIn(sw, 'net.ipv6.conf.default.disable_ipv6=1');
  await ipIn(sw, ['link', 'set', 'lo', 'up']);
  for (const seg of segments) {
    // No STP and no forwarding delay: ports forward the moment they come up. No multicast snooping:
    // 224.0.0.18 is link-local and flooded anyway, this just rules out a querier-less snooping surprise.
    await ipIn(sw, ['link', 'add', `br-${seg}`, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0']);
    await ipIn(sw, ['link', 'set', `br-${seg}`, 'up']);
  }
}

async function buildHost(sw: string, host: ResolvedHost, ipv6: boolean): Promise<void> {
  const ns = host.ns;
  if (!ipv6) {
    await sysctlIn(ns, 'net.ipv6.conf.default.disable_ipv6=1');
    await sysctlIn(ns, 'net.ipv6.conf.all.disable_ipv6=1');
  }
  await ipIn(ns, ['link', 'set', 'lo', 'up']);
  for (const i of host.interfaces) {
    // Created inside the switch namespace with the peer born straight into the host's namespace.
    await ipIn(sw, ['link', 'add', i.switchPort, 'type', 'veth', 'peer', 'name', i.name, 'netns', ns]);
    await ipIn(sw, ['link', 'set', i.switchPort, 'master', `br-${i.segment}`]);
    await ipIn(sw, ['link', 'set', i.switchPort, 'up']);
    await ipIn(ns, ['link', 'set', i.name, 'address', i.mac]);
    // Slash-separated keys: an interface name may contain a dot (VLAN `eth0.1`), which the dotted
    // form would read as a path separator.
    if (!ipv6) await sysctlIn(ns, `net/ipv6/conf/${i.name}/disable_ipv6=1`);
    if (i.arpAccept) await sysctlIn(ns, `net/ipv4/conf/${i.name}/arp_accept=1`);
    for (const a of i.addresses) await ipIn(ns, ['addr', 'add', a, 'dev', i.name]);
    await ipIn(ns, ['link', 'set', i.name, 'up']);
  }
}

/** Build the lab. Rejects (after removing whatever it had created) if any step fails. */
export async function createLab(spec: LabSpec): Promise<Lab> {
  const id = nextLabId();
  const hosts = resolveSpec(spec, id);
  const sw = `${id}-sw`;
  const ipv6 = spec.ipv6 ?? false;
  const created: string[] = [];
  const internals: LabInternals = { namespaces: created, processes: new Set(), syncCleanups: [] };
  installExitHooks();
  liveLabs.add(internals);
  try {
    await addNamespace(sw, created);
    for (const h of hosts) await addNamespace(h.ns, created);
    const segments = [...new Set(hosts.flatMap((h) => h.interfaces.map((i) => i.segment)))];
    await buildSwitch(sw, segments, ipv6);
    await Promise.all(hosts.map((h) => buildHost(sw, h, ipv6)));
  } catch (e) {
    destroySync(internals);
    throw e;
  }
  return makeLab(id, sw, hosts, internals);
}

function makeLab(id: string, sw: string, hosts: readonly ResolvedHost[], internals: LabInternals): Lab {
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const asyncCleanups: (() => void | Promise<void>)[] = [];
  /** switch port → island bridge it was moved to. */
  const partitioned = new Map<string, string>();
  /** switch ports with bridge port isolation on (isolate()). */
  const isolated = new Set<string>();
  let islandCounter = 0;
  let destroyed: Promise<void> | undefined;

  const resolved = (name: string): ResolvedHost => {
    const h = byName.get(name);
    if (h === undefined) throw new Error(`lab ${id}: no host ${name}`);
    return h;
  };
  const iface = (host: string, name = 'eth0'): ResolvedInterface => {
    const h = resolved(host);
    const i = h.interfaces.find((x) => x.name === name) ?? (name === 'eth0' ? h.interfaces[0] : undefined);
    if (i === undefined) throw new Error(`lab ${id}: host ${host} has no interface ${name}`);
    return i;
  };
  const info = (h: ResolvedHost): HostInfo => ({
    name: h.name,
    ns: h.ns,
    interfaces: h.interfaces.map((i) => ({ name: i.name, mac: i.mac, addresses: i.addresses, segment: i.segment })),
  });
  const exec = (host: string, argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> =>
    execBounded(['ip', 'netns', 'exec', resolved(host).ns, ...argv], opts);

  const spawn = (host: string, argv: readonly string[], opts?: SpawnOptions): TrackedProcess => {
    if (destroyed !== undefined) throw new Error(`lab ${id} is destroyed`);
    const r = spawnTracked(['ip', 'netns', 'exec', resolved(host).ns, ...argv], opts);
    if (!r.ok) throw new Error(r.error);
    internals.processes.add(r.value);
    void r.value.exited.then(() => internals.processes.delete(r.value));
    return r.value;
  };

  const neigh = async (host: string, ip: string, ifname?: string): Promise<NeighEntry | undefined> => {
    const dev = iface(host, ifname).name;
    const r = await exec(host, ['ip', '-j', 'neigh', 'show', 'to', ip, 'dev', dev], { timeoutMs: IP_TIMEOUT_MS });
    if (r.code !== 0) throw new Error(`ip neigh in ${host}: ${r.stderr.trim()}`);
    return parseNeighJson(r.stdout, ip);
  };

  const addresses = async (host: string, ifname?: string): Promise<AddressEntry[]> => {
    const argv = ['ip', '-j', 'addr', 'show', ...(ifname === undefined ? [] : ['dev', ifname])];
    const r = await exec(host, argv, { timeoutMs: IP_TIMEOUT_MS });
    if (r.code !== 0) throw new Error(`ip addr in ${host}: ${r.stderr.trim()}`);
    return parseAddrJson(r.stdout);
  };

  const ping = async (from: string, ip: string, opts: PingOptions = {}): Promise<PingResult> => {
    const count = opts.count ?? 1;
    const intervalMs = opts.intervalMs ?? 200;
    const timeoutMs = opts.timeoutMs ?? Math.max(1000, count * intervalMs + 1000);
    const argv = ['ping', '-n', '-c', String(count), '-i', String(intervalMs / 1000), '-w', String(Math.ceil(timeoutMs / 1000))];
    if (opts.iface !== undefined) argv.push('-I', opts.iface);
    const r = await exec(from, [...argv, ip], { timeoutMs: timeoutMs + 1000 });
    return { ...parsePingSummary(r.stdout), exec: r };
  };

  const partition = async (names: string | readonly string[], ifname?: string): Promise<void> => {
    const list = typeof names === 'string' ? [names] : names;
    islandCounter += 1;
    const ports = list.flatMap((h) =>
      ifname === undefined ? resolved(h).interfaces : [iface(h, ifname)],
    );
    for (const seg of new Set(ports.map((p) => p.segment))) {
      const island = `is${islandCounter}-${seg}`;
      await ipIn(sw, ['link', 'add', island, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0']);
      await ipIn(sw, ['link', 'set', island, 'up']);
      for (const p of ports.filter((x) => x.segment === seg)) {
        // Re-enslaving keeps the veth up on both ends: the host's carrier never drops.
        await ipIn(sw, ['link', 'set', p.switchPort, 'master', island]);
        partitioned.set(p.switchPort, island);
      }
    }
  };

  const isolate = async (names: readonly string[], ifname?: string): Promise<void> => {
    const ports = names.flatMap((h) => (ifname === undefined ? resolved(h).interfaces : [iface(h, ifname)]));
    for (const p of ports) {
      const r = await execChecked(['bridge', '-n', sw, 'link', 'set', 'dev', p.switchPort, 'isolated', 'on'], { timeoutMs: IP_TIMEOUT_MS });
      if (!r.ok) throw new Error(r.error);
      isolated.add(p.switchPort);
    }
  };

  const heal = async (): Promise<void> => {
    // One port leaving isolation is enough for traffic to flow again between all of them.
    for (const port of [...isolated]) {
      const r = await execChecked(['bridge', '-n', sw, 'link', 'set', 'dev', port, 'isolated', 'off'], { timeoutMs: IP_TIMEOUT_MS });
      if (!r.ok) throw new Error(r.error);
      isolated.delete(port);
    }
    const segmentOf = new Map(hosts.flatMap((h) => h.interfaces.map((i) => [i.switchPort, i.segment] as const)));
    for (const port of partitioned.keys()) await ipIn(sw, ['link', 'set', port, 'master', `br-${segmentOf.get(port) ?? 'lan'}`]);
    for (const island of new Set(partitioned.values())) await ipIn(sw, ['link', 'del', island]);
    partitioned.clear();
  };

  const destroy = (graceMs = 1500): Promise<void> => {
    destroyed ??= (async () => {
      const procs = [...internals.processes];
      for (const p of procs) p.kill('SIGTERM');
      await Promise.race([Promise.all(procs.map((p) => p.exited)), sleep(graceMs)]);
      for (const p of procs) p.kill('SIGKILL');
      await Promise.race([Promise.all(procs.map((p) => p.exited)), sleep(2000)]);
      for (const ns of internals.namespaces) {
        const r = await execBounded(['ip', 'netns', 'pids', ns], { timeoutMs: IP_TIMEOUT_MS });
        for (const pid of r.stdout.split(/\s+/).filter((s) => /^\d+$/.test(s))) signalPid(Number(pid), 'SIGKILL');
      }
      for (const fn of asyncCleanups.splice(0)) {
        try {
          await fn();
        } catch {
          // cleanup continues: namespaces must go whatever a hook does
        }
      }
      internals.syncCleanups.splice(0);
      for (const ns of [...internals.namespaces].reverse()) {
        await execBounded(['ip', 'netns', 'del', ns], { timeoutMs: IP_TIMEOUT_MS });
      }
      liveLabs.delete(internals);
    })();
    return destroyed;
  };

  return {
    id,
    switchNs: sw,
    hosts: hosts.map(info),
    host: (name) => info(resolved(name)),
    ns: (name) => resolved(name).ns,
    ip: (host, ifname) => {
      const a = iface(host, ifname).addresses[0];
      if (a === undefined) throw new Error(`lab ${id}: ${host} has no address`);
      return a.split('/')[0] ?? a;
    },
    mac: (host, ifname) => iface(host, ifname).mac,
    exec,
    spawn,
    setLink: (host, state, ifname) => ipIn(resolved(host).ns, ['link', 'set', iface(host, ifname).name, state]),
    partition,
    isolate,
    heal,
    neigh,
    addresses,
    hasAddress: async (host, ip, ifname) => (await addresses(host, ifname)).some((a) => a.address === ip),
    ping,
    onDestroy: (cleanup, sync) => {
      asyncCleanups.push(cleanup);
      if (sync !== undefined) internals.syncCleanups.push(sync);
    },
    destroy,
  };
}

/** Build a lab, run body, destroy the lab whether body resolved or threw. */
export async function withLab<T>(spec: LabSpec, body: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await createLab(spec);
  try {
    return await body(lab);
  } finally {
    await lab.destroy();
  }
}
