// Fault injection on a lab host's link, for the fault suite: tc netem loss/reordering on the host's
// own interface (its egress: what it sends is lost or delayed; without sch_netem, nftables drops
// and a reordering relay instead), and deleting then recreating the
// interface as a driver reload or a `ip link del` + re-plug would. Every command runs inside the
// lab's namespaces (`ip -n`, `tc -n`), never in the root namespace.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkLabAddress, type Lab } from './netns.js';
import { execChecked, spawnTracked, type TrackedProcess } from './process.js';
import type { Result } from '../src/types.js';
import { err, ok } from '../src/types.js';

export interface NetemSpec {
  /** Percent of packets dropped, 0..100. */
  readonly lossPercent?: number;
  /**
   * Reordering: every packet is delayed by `delayMs` except `reorderPercent` % of them, which go at
   * once and so overtake the delayed ones (netem needs a delay to reorder).
   */
  readonly reorderPercent?: number;
  readonly delayMs?: number;
}

async function run(argv: readonly string[]): Promise<Result<string, string>> {
  return execChecked(argv, { timeoutMs: 5000 });
}

/** netem arguments for a spec, e.g. `loss 20% delay 10ms reorder 25%`. */
export function netemArgs(spec: NetemSpec): string[] {
  const args: string[] = [];
  if (spec.lossPercent !== undefined) args.push('loss', `${spec.lossPercent}%`);
  if (spec.reorderPercent !== undefined || spec.delayMs !== undefined) args.push('delay', `${spec.delayMs ?? 10}ms`);
  if (spec.reorderPercent !== undefined) args.push('reorder', `${spec.reorderPercent}%`);
  return args;
}

/** Replace the root qdisc of the host's interface with netem. Fails where the kernel has no sch_netem. */
export function setNetem(lab: Lab, host: string, spec: NetemSpec, iface = 'eth0'): Promise<Result<string, string>> {
  return run(['tc', '-n', lab.ns(host), 'qdisc', 'replace', 'dev', iface, 'root', 'netem', ...netemArgs(spec)]);
}

/** Back to the default qdisc (an error if there was no netem is fine: nothing to clear). */
export async function clearNetem(lab: Lab, host: string, iface = 'eth0'): Promise<void> {
  await run(['tc', '-n', lab.ns(host), 'qdisc', 'del', 'dev', iface, 'root']);
}

/** Our own nftables table in the host's namespace (not `ip vrrpd`, which vrrp_strict owns). */
const LOSS_TABLE = 'vrrpdfault';

/**
 * Random loss of the VRRP adverts a host sends, with nftables (`numgen random`) where netem is
 * missing (kernels without sch_netem, as on the machine this suite was written on). Only IP
 * protocol 112 is dropped: ARP and pings pass.
 */
export async function setAdvertLoss(lab: Lab, host: string, lossPercent: number): Promise<Result<string, string>> {
  if (!Number.isInteger(lossPercent) || lossPercent < 0 || lossPercent > 100) return err(`loss ${lossPercent}%: an integer 0..100`);
  await clearAdvertLoss(lab, host);
  const ns = lab.ns(host);
  const steps = [
    ['nft', 'add', 'table', 'inet', LOSS_TABLE],
    ['nft', 'add', 'chain', 'inet', LOSS_TABLE, 'out', '{ type filter hook output priority 0 ; }'],
    ['nft', 'add', 'rule', 'inet', LOSS_TABLE, 'out', 'ip', 'protocol', '112', 'numgen', 'random', 'mod', '100', '<', String(lossPercent), 'drop'],
  ];
  for (const step of steps) {
    const r = await run(['ip', 'netns', 'exec', ns, ...step]);
    if (!r.ok) return err(r.error);
  }
  return ok(`${lossPercent}% of ${host}'s adverts dropped`);
}

export async function clearAdvertLoss(lab: Lab, host: string): Promise<void> {
  await run(['ip', 'netns', 'exec', lab.ns(host), 'nft', 'delete', 'table', 'inet', LOSS_TABLE]);
}

/** Counts printed by lab/reorder-relay.py when it ends. */
export interface ReorderCounts {
  readonly passed: number;
  readonly held: number;
  /** Held packets released right after a newer one: delivered out of order. */
  readonly overtaken: number;
}

export interface AdvertReorder {
  /** Ends the reordering (held packets released), removes the queue rule, returns the counts. */
  stop(): Promise<Result<ReorderCounts, string>>;
}

/** The script, next to this file in the source tree (lab/) and two levels up from dist/lab/. */
const reorderScript = ['./reorder-relay.py', '../../lab/reorder-relay.py']
  .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
  .find((p) => existsSync(p));

const REORDER_TABLE = 'vrrpdreorder';

/**
 * Reordering of the VRRP adverts a host sends, where netem is missing (and nftables' queue
 * expression with it): in the switch namespace a bridge rule drops the host's protocol-112 frames
 * and lab/reorder-relay.py sends them on to the segment's other ports itself, holding `percent` %
 * back until the next one has gone out (at most one held at a time, at most maxHoldMs). The relay
 * is up before the rule and the rule goes before the relay, so no advert is lost on the way in or
 * out. Bounded by `seconds` either way.
 */
export async function startAdvertReorder(lab: Lab, host: string, percent: number, seconds: number, maxHoldMs = 1500, iface = 'eth0'): Promise<Result<AdvertReorder, string>> {
  if (reorderScript === undefined) return err('lab/reorder-relay.py not found');
  const inPort = switchPortOf(lab, host, iface);
  const segment = lab.host(host).interfaces.find((i) => i.name === iface)?.segment;
  if (inPort === undefined || segment === undefined) return err(`${host}/${iface}: not in the lab`);
  const outPorts = lab.hosts.flatMap((h) => h.interfaces.filter((i) => i.segment === segment).map((i) => switchPortOf(lab, h.name, i.name))).filter((p): p is string => p !== undefined && p !== inPort);
  if (outPorts.length === 0) return err(`${host}/${iface}: nobody else on segment ${segment}`);
  const sw = lab.switchNs;
  const relay = spawnTracked(['ip', 'netns', 'exec', sw, 'python3', reorderScript, '--in', inPort, '--out', outPorts.join(','), '--percent', String(percent), '--seconds', String(seconds), '--max-hold-ms', String(maxHoldMs)]);
  if (!relay.ok) return relay;
  const proc = relay.value;
  const clearRule = (): Promise<Result<string, string>> => run(['ip', 'netns', 'exec', sw, 'nft', 'delete', 'table', 'bridge', REORDER_TABLE]);
  const fail = async (why: string): Promise<Result<AdvertReorder, string>> => {
    await clearRule();
    await proc.stop();
    return err(why);
  };
  const ready = await proc.waitForLine(/^reorder ready/, { timeoutMs: 5000 });
  if (!ready.ok) return fail(ready.error);
  const steps = [
    ['nft', 'add', 'table', 'bridge', REORDER_TABLE],
    ['nft', 'add', 'chain', 'bridge', REORDER_TABLE, 'forward', '{ type filter hook forward priority 0 ; }'],
    ['nft', 'add', 'rule', 'bridge', REORDER_TABLE, 'forward', 'iifname', inPort, 'ip', 'protocol', '112', 'drop'],
  ];
  for (const step of steps) {
    const r = await run(['ip', 'netns', 'exec', sw, ...step]);
    if (!r.ok) return fail(r.error);
  }
  return ok({ stop: () => stopReorder(proc, clearRule) });
}

async function stopReorder(proc: TrackedProcess, clearRule: () => Promise<Result<string, string>>): Promise<Result<ReorderCounts, string>> {
  // The rule first, so the bridge forwards the host's adverts again before the relay stops.
  await clearRule();
  await proc.stop();
  const line = proc.stdoutLines().find((l) => l.startsWith('reorder passed='));
  const m = /passed=(\d+) held=(\d+) overtaken=(\d+)/.exec(line ?? '');
  if (!m) return err(`reorder-relay.py gave no counts: ${proc.lines.map((l) => l.text).join(' | ')}`);
  return ok({ passed: Number(m[1]), held: Number(m[2]), overtaken: Number(m[3]) });
}

/** Whether this kernel has netem (probed on a lab host's interface, left unchanged). */
export async function netemAvailable(lab: Lab, host: string, iface = 'eth0'): Promise<boolean> {
  const r = await setNetem(lab, host, { delayMs: 0 }, iface);
  if (r.ok) await clearNetem(lab, host, iface);
  return r.ok;
}

/** The veth end in the switch namespace that a host's interface plugs into (lab/netns.ts naming). */
function switchPortOf(lab: Lab, host: string, iface: string): string | undefined {
  const hostIndex = lab.hosts.findIndex((h) => h.name === host);
  const ifIndex = lab.hosts[hostIndex]?.interfaces.findIndex((i) => i.name === iface) ?? -1;
  return hostIndex < 0 || ifIndex < 0 ? undefined : `h${hostIndex}i${ifIndex}`;
}

/** Delete the host's interface (its veth peer on the switch goes with it). */
export async function deleteInterface(lab: Lab, host: string, iface = 'eth0'): Promise<Result<string, string>> {
  return run(['ip', '-n', lab.ns(host), 'link', 'del', iface]);
}

/**
 * Recreate an interface deleted by deleteInterface with the same name, MAC, addresses and bridge
 * port as the lab built it. The kernel gives it a new ifindex.
 */
export async function recreateInterface(lab: Lab, host: string, iface = 'eth0'): Promise<Result<string, string>> {
  const info = lab.host(host).interfaces.find((i) => i.name === iface);
  const port = switchPortOf(lab, host, iface);
  if (info === undefined || port === undefined) return err(`${host}/${iface}: not in the lab`);
  for (const a of info.addresses) {
    const why = checkLabAddress(a);
    if (why !== undefined) return err(why);
  }
  const ns = lab.ns(host);
  const steps: string[][] = [
    ['ip', '-n', lab.switchNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', iface, 'netns', ns],
    ['ip', '-n', lab.switchNs, 'link', 'set', port, 'master', `br-${info.segment}`],
    ['ip', '-n', lab.switchNs, 'link', 'set', port, 'up'],
    ['ip', '-n', ns, 'link', 'set', iface, 'address', info.mac],
    ...info.addresses.map((a) => ['ip', '-n', ns, 'addr', 'add', a, 'dev', iface]),
    ['ip', '-n', ns, 'link', 'set', iface, 'up'],
  ];
  for (const step of steps) {
    const r = await run(step);
    if (!r.ok) return err(`${step.join(' ')}: ${r.error}`);
  }
  return ok('recreated');
}

/** The interface's ifindex in the host's namespace. */
export async function ifindexOf(lab: Lab, host: string, iface = 'eth0'): Promise<number | undefined> {
  const r = await run(['ip', '-n', lab.ns(host), '-j', 'link', 'show', 'dev', iface]);
  if (!r.ok) return undefined;
  const [link] = JSON.parse(r.value) as { ifindex?: number }[];
  return link?.ifindex;
}
