// Lifecycle of a running vrrpd: load the config, resolve interfaces, remove VIPs a crashed run
// left behind, open one VRRP socket per interface, start the instances, and on SIGTERM/SIGINT
// shut them down as RFC 3768 §6.4.3 asks (priority 0, VIPs removed) before exiting 0.
import { chmodSync, unlinkSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Config, InstanceConfig } from './config/config.js';
import { formatDiagnostic } from './config/config.js';
import { loadConfig, type LoadOptions } from './config/load.js';
import { sourceAddressProblem } from './config-env-address.js';
import { environmentDiagnostics } from './environment.js';
import { monitorAddresses } from './address-monitor.js';
import { dumpConfig } from './config-dump.js';
import { cpuUsage, createLogger, stoppedLine, type Logger } from './log.js';
import { firewallSettings, prepareFirewall, type Firewall } from './net/firewall.js';
import { openGarpSender, type GarpSender } from './net/garp.js';
import { openRtnl, type LinkInfo, type Rtnl } from './net/rtnl.js';
import { openVrrpSocket, type Datagram, type VrrpSocket } from './net/vrrp-socket.js';
import { createNotifier, NOTIFY_DRAIN_TIMEOUT_MS, type Notifier } from './notify.js';
import { createTracker, type Tracker } from './track/tracker.js';
import { sdNotify } from './native.js';
import { createTransitionClock, installDumpSignals, type TransitionClock } from './signals.js';
import { createStats, recordDrop, type InstanceStats } from './stats.js';
import { err, ok, type Ipv4, type Result } from './types.js';
import { Instance, SyncGroupDriver, type InstanceHost, type InstancePorts, type VipLink } from './vrrp/instance.js';
import { chooseInstance } from './vrrp/demux.js';
import { decodeDatagram } from './vrrp/packet.js';
import { VERSION } from './version.js';

/** A timed-out script gets SIGTERM, then SIGKILL this much later (keepalived §3.9). */
const SCRIPT_KILL_GRACE_MS = 2000;

/** keepalived's exit codes (lib/scheduler.h), which systemd units and runbooks already know. */
export const EXIT = { ok: 0, fatal: 1, config: 2, permission: 4, noConfig: 6 } as const;

export interface DaemonOptions {
  readonly configPath: string;
  /** keepalived's -e (include_check) and -i (config id), as `vrrpd -t` is given them. */
  readonly load?: LoadOptions;
  readonly pidFile: string;
  readonly detail: boolean;
  readonly logConsole: boolean;
  readonly syslog: boolean;
  /** keepalived's command-line flags with a meaning for the daemon (src/cli-flags.ts). */
  readonly flags?: DaemonFlags;
  /** Problems before the logger can be trusted to reach anyone (detached: the waiting parent). */
  readonly report: (line: string) => void;
  /** Called once the daemon is up: sockets open, instances started, pidfile written. */
  readonly onReady: () => void;
}

export interface DaemonFlags {
  /** -S: the syslog facility (LOG_DAEMON by default). */
  readonly facility?: number;
  /** -g FILE. */
  readonly logFile?: string;
  /** -u: the notify scripts' umask too (the process's own is set by the command line). */
  readonly umask?: number;
  /** -r FILE: vrrpd is the VRRP process, so its pid goes there too. */
  readonly vrrpPidFile?: string;
  /** -V: on stop, keep the VIPs and send no priority 0. */
  readonly dontReleaseVrrp?: boolean;
  /** -d: the effective configuration to the log at start-up. */
  readonly dumpConfig?: boolean;
  /** -a: log every address netlink reports added or removed. */
  readonly addressMonitoring?: boolean;
}

interface Running {
  readonly instances: Instance[];
  readonly notifier: Notifier;
  readonly tracker: Tracker;
  readonly sockets: VrrpSocket[];
  readonly garp: Map<string, GarpSender>;
  readonly rtnl: Rtnl;
  readonly unmatched: InstanceStats;
  readonly transitions: TransitionClock;
  /** No-accept mode's drop rules; undefined when every instance accepts. */
  readonly firewall: Firewall | undefined;
}

/** Runs until stopped; resolves with the exit code. */
export async function runDaemon(opts: DaemonOptions): Promise<number> {
  const flags = opts.flags ?? {};
  const logger = createLogger({ detail: opts.detail, console: opts.logConsole, syslog: opts.syslog, facility: flags.facility, file: flags.logFile });
  if (!logger.ok) {
    opts.report(logger.error);
    return EXIT.fatal;
  }
  const log = logger.value;
  // From the start: SIGUSR1 must not start Node's inspector, and a realtime JSON/STATS_CLEAR
  // signal's default action would kill us (src/signals.ts).
  const dumps = installDumpSignals(log);
  process.on('uncaughtException', (e) => log.error(`internal error (continuing): ${e.stack ?? e.message}`));
  const fail = (code: number, message: string): number => {
    log.error(message);
    opts.report(message);
    return code;
  };

  const loaded = loadConfig(opts.configPath, opts.load);
  for (const d of loaded.diagnostics) {
    if (d.severity === 'warning') log.warn(formatDiagnostic(d));
  }
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (!loaded.config || errors.length > 0) {
    for (const d of errors) fail(EXIT.config, formatDiagnostic(d));
    const unreadable = errors.some((d) => d.class === 'missing' && d.pos.line === 0);
    return unreadable ? EXIT.noConfig : EXIT.config;
  }
  const config = loaded.config;
  // What -t checks beyond the text (interfaces, script files and users) refuses a start too: a
  // check script that cannot run would otherwise leave the VIP on a host whose nginx is dead
  // (keepalived disables such a check and runs on, reference §2.5).
  const environment = await environmentDiagnostics(config, opts.configPath);
  for (const d of environment) {
    if (d.severity === 'warning') log.warn(formatDiagnostic(d));
  }
  const environmentErrors = environment.filter((d) => d.severity === 'error');
  if (environmentErrors.length > 0) {
    for (const d of environmentErrors) fail(EXIT.config, formatDiagnostic(d));
    return EXIT.config;
  }
  log.info(`Starting vrrpd v${VERSION}`);
  if (flags.dumpConfig === true) for (const line of dumpConfig(config).trimEnd().split('\n')) log.info(line);

  const rtnl = openRtnl();
  if (!rtnl.ok) return fail(EXIT.fatal, `cannot open rtnetlink: ${rtnl.error}`);
  const notifier = createNotifier(config, { log, ...(flags.umask === undefined ? {} : { umask: flags.umask }) });
  const started = await start(config, rtnl.value, log, notifier);
  if (!started.ok) {
    rtnl.value.close();
    return fail(started.error.code, started.error.message);
  }
  const running = started.value;
  dumps.setSources({ config, instances: running.instances, tracker: running.tracker, transitions: running.transitions });

  const pidFiles: string[] = [];
  for (const pidFile of [opts.pidFile, ...(flags.vrrpPidFile === undefined ? [] : [flags.vrrpPidFile])]) {
    try {
      writeFileSync(pidFile, `${process.pid}\n`);
      pidFiles.push(pidFile);
      // keepalived's pidfile_write(): rw-r--r-- whatever the umask (0177 by default).
      chmodSync(pidFile, 0o644);
    } catch (e) {
      await stopAll(running);
      pidFiles.forEach(removePidFile);
      return fail(EXIT.fatal, `cannot write pidfile ${pidFile}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (flags.addressMonitoring === true) {
    const links = await running.rtnl.links();
    monitorAddresses(running.rtnl, log, links.ok ? links.value : []);
  }
  sdNotify('READY=1');
  // keepalived's order: "Startup complete", then each instance's "Entering BACKUP STATE (init)".
  log.info('Startup complete');
  opts.onReady();

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      // keepalived's words, exactly: alerts match the whole line.
      log.info('Stopping');
      log.debug(`${signal} received`);
      sdNotify('STOPPING=1');
      void stopAll(running, flags.dontReleaseVrrp !== true, log).then(() => {
        pidFiles.forEach(removePidFile);
        dumps.close();
        log.info(stoppedLine(opts.detail, cpuUsage()));
        log.info(`Stopped vrrpd v${VERSION}`);
        resolve(EXIT.ok);
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    // Reload arrives with issue "Production operations"; until then a HUP must not kill us
    // (Node's default for SIGHUP is to exit), so say so and keep running.
    process.on('SIGHUP', () => log.warn('SIGHUP: configuration reload is not supported yet - ignoring'));
    void startInstances(config, running, log, () => stopping);
  });
}

/**
 * Tracking first (keepalived §3.8: scripts run at once and an instance waits for the first result
 * of its weight-0 scripts), then vrrp_startup_delay (boot races, §4 item 7), then each instance
 * starts in BACKUP or FAULT with the priority tracking gives it, and follows tracking from then on.
 */
async function startInstances(config: Config, running: Running, log: Logger, stopping: () => boolean): Promise<void> {
  const tracker = running.tracker;
  tracker.start();
  const byName = new Map(running.instances.map((i) => [i.name, i]));
  const pending = (): string[] => running.instances.filter((i) => tracker.outcome(i.name)?.pending !== false).map((i) => i.name);
  // A script that hangs is killed at its timeout and counts as failed, so this always ends.
  const waitMs = Math.max(0, ...config.scripts.map((s) => s.timeoutMs)) + SCRIPT_KILL_GRACE_MS + 1000;
  const settled = await waitUntil(() => pending().length === 0 || stopping(), waitMs);
  if (!settled) log.warn(`tracking has no first result for ${pending().join(', ')} after ${waitMs} ms - starting them in FAULT`);
  if (config.global.startupDelayMs > 0 && !stopping()) {
    log.info(`Delaying startup for ${config.global.startupDelayMs / 1000} seconds`);
    await waitUntil(stopping, config.global.startupDelayMs);
  }
  if (stopping()) return;
  for (const instance of running.instances) {
    const outcome = tracker.outcome(instance.name);
    instance.start(outcome === undefined ? undefined : { fault: outcome.fault || outcome.pending, priority: outcome.priority });
  }
  tracker.onChange((name, outcome, previous) => {
    const instance = byName.get(name);
    if (!instance || stopping()) return;
    if (outcome.priority !== previous.priority) instance.feed({ type: 'priorityChanged', priority: outcome.priority });
    if (outcome.fault !== previous.fault) instance.feed({ type: outcome.fault ? 'fault' : 'faultCleared' });
  });
}

/** Resolves true as soon as `done()` holds, false after `ms` (checked every 20 ms). */
async function waitUntil(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

async function start(config: Config, rtnl: Rtnl, log: Logger, notifier: Notifier): Promise<Result<Running, { code: number; message: string }>> {
  const fatal = (message: string, code: number = EXIT.fatal) => err({ code, message });
  const links = await rtnl.links();
  if (!links.ok) return fatal(`cannot list interfaces: ${links.error}`);
  const byName = new Map(links.value.map((l) => [l.name, l]));

  const hosts = new Map<string, InstanceHost>();
  for (const inst of config.instances) {
    const host = await resolveHost(inst, byName, rtnl);
    if (!host.ok) return fatal(host.error, EXIT.config);
    hosts.set(inst.name, host.value);
  }
  const firewall = await prepareFirewall(config.instances, log, undefined, firewallSettings(config.global.firewall));
  if (!firewall.ok) return fatal(firewall.error);
  await removeResidualVips(config.instances, hosts, rtnl, log, firewall.value !== undefined);

  const tracker = createTracker(config, { log, links: rtnl });
  const transitions = createTransitionClock();
  const running: Running = { instances: [], notifier, tracker, sockets: [], garp: new Map(), rtnl, unmatched: createStats(), transitions, firewall: firewall.value };
  const now = (): number => performance.now();
  const shared: Omit<InstancePorts, 'sendDatagram'> = {
    ...(firewall.value === undefined ? {} : { firewall: firewall.value }),
    addAddress: (a) => rtnl.addAddress(a),
    delAddress: (a) => rtnl.delAddress(a),
    sendFrames: (ifname, frames) => {
      let sender = running.garp.get(ifname);
      if (!sender) {
        const opened = openGarpSender(ifname);
        if (!opened.ok) return opened;
        sender = opened.value;
        running.garp.set(ifname, sender);
      }
      return sender.send(frames);
    },
    now,
    log,
    onNotify: (instance, state, priority) => {
      // Every state change has its notify; its time is the dumps' "Last transition".
      transitions.record(instance);
      notifier.instance(instance, state, priority);
    },
    onMasterRxLowerPri: (instance, priority) => notifier.masterRxLowerPri(instance, priority),
  };
  const drivers = new Map<string, SyncGroupDriver>();
  for (const group of config.syncGroups) {
    drivers.set(
      group.name,
      new SyncGroupDriver(group.name, (name, action) => {
        if (action.type === 'log') log[action.level](action.message);
        else notifier.group(name, action.state);
      }),
    );
  }

  // One socket per interface, shared by the instances on it and demultiplexed by VRID.
  const byInterface = new Map<string, InstanceConfig[]>();
  for (const inst of config.instances) byInterface.set(inst.interface, [...(byInterface.get(inst.interface) ?? []), inst]);
  for (const [ifname, configs] of byInterface) {
    const link = byName.get(ifname);
    if (!link) return fatal(`interface ${ifname} disappeared`);
    // Several instances may share a VRID here (unicast and multicast, other groups, other peers).
    const byVrid = new Map<number, Instance[]>();
    const demuxKey = (i: Instance) => ({ peers: i.unicastPeers.map((p) => p.address), group: i.config.multicastGroup, localAddress: i.host.ownAddress });
    const onDatagram = (d: Datagram): void => {
      let owner: Instance | undefined;
      const decoded = decodeDatagram(d.bytes, d.from, (vrid, from, dst) => {
        owner = chooseInstance(byVrid.get(vrid) ?? [], demuxKey, from, dst);
        return owner?.expectation(from);
      });
      if (decoded.ok) owner?.receive(decoded.advert);
      else if (owner && decoded.drop.vrid !== undefined) owner.dropped(decoded.drop, d);
      else recordDrop(running.unmatched, decoded.drop.reason);
    };
    // Only the multicast instances' groups are joined: a unicast-only interface hears no multicast.
    const groups = configs.filter((c) => c.unicastPeers.length === 0).map((c) => c.multicastGroup);
    const opened = openVrrpSocket({
      ifname,
      ifindex: link.index,
      groups,
      onDatagram,
      onError: (message) => log.error(`${message} - adverts on ${ifname} can no longer be received`),
    });
    if (!opened.ok) {
      await stopAll(running);
      const denied = /permitted|EPERM|EACCES/i.test(opened.error);
      return fatal(`cannot open VRRP socket on ${ifname}: ${opened.error}`, denied ? EXIT.permission : EXIT.fatal);
    }
    running.sockets.push(opened.value);
    for (const inst of configs) {
      const host = hosts.get(inst.name);
      if (!host) continue;
      const instancePorts: InstancePorts = { ...shared, sendDatagram: (datagram, dst) => opened.value.send(datagram, dst) };
      const driver = inst.syncGroup === undefined ? undefined : drivers.get(inst.syncGroup);
      const instance = new Instance(inst, host, instancePorts, config.global.garpIntervalMs, driver);
      driver?.add(instance);
      byVrid.set(inst.vrid, [...(byVrid.get(inst.vrid) ?? []), instance]);
      running.instances.push(instance);
    }
  }
  return ok(running);
}

async function resolveHost(inst: InstanceConfig, byName: Map<string, LinkInfo>, rtnl: Rtnl): Promise<Result<InstanceHost, string>> {
  const link = byName.get(inst.interface);
  if (!link) return err(`${inst.pos.file}:${inst.pos.line}: interface ${inst.interface} for vrrp_instance ${inst.name} doesn't exist`);
  const primary = await sourceAddress(link.index, inst, rtnl);
  if (!primary.ok) return err(primary.error);
  if (!primary.value) {
    return err(`${inst.pos.file}:${inst.pos.line}: interface ${inst.interface} of vrrp_instance ${inst.name} has no IPv4 address to send adverts from`);
  }
  const vips: VipLink[] = [];
  for (const vip of inst.vips) {
    const vipLink = byName.get(vip.dev ?? inst.interface);
    if (!vipLink) return err(`${vip.pos.file}:${vip.pos.line}: interface ${vip.dev} for VIP ${vip.address} doesn't exist`);
    if (!vipLink.mac) return err(`${vip.pos.file}:${vip.pos.line}: interface ${vipLink.name} has no MAC address for gratuitous ARP`);
    vips.push({ vip, ifname: vipLink.name, ifindex: vipLink.index, mac: vipLink.mac });
  }
  return ok({ ifname: link.name, ifindex: link.index, ownAddress: primary.value, vips });
}

/**
 * Our adverts' source: unicast_src_ip / mcast_src_ip, which must be an address of the interface
 * (keepalived would send from a foreign source, or sit in FAULT for unicast), else the primary.
 */
async function sourceAddress(index: number, inst: InstanceConfig, rtnl: Rtnl): Promise<Result<Ipv4 | undefined, string>> {
  if (inst.sourceAddress === undefined) {
    const primary = await primaryAddress(index, inst, rtnl);
    return primary.ok ? primary : err(`cannot read addresses of ${inst.interface}: ${primary.error}`);
  }
  const addresses = await rtnl.ipv4Addresses(index);
  if (!addresses.ok) return err(`cannot read addresses of ${inst.interface}: ${addresses.error}`);
  // Checked by -t's rules before start-up too; the address may have gone since.
  const problem = sourceAddressProblem(inst, addresses.value.map((a) => a.address));
  if (problem !== undefined) return err(`${inst.pos.file}:${inst.pos.line}: ${problem}`);
  return ok(addresses.value.find((a) => a.address === inst.sourceAddress)?.address);
}

/**
 * The interface's own primary address, our adverts' source. A VIP left behind by a crash can be
 * listed first (a /32 is never "secondary"), and RFC 3768 §5.2.1 forbids sending from a VIP, so
 * the instance's VIPs are skipped.
 */
async function primaryAddress(index: number, inst: InstanceConfig, rtnl: Rtnl): Promise<Result<Ipv4 | undefined, string>> {
  const addresses = await rtnl.ipv4Addresses(index);
  if (!addresses.ok) return addresses;
  const vips = new Set(inst.vips.map((v) => v.address));
  const primaries = addresses.value.filter((a) => !a.secondary);
  // An address owner's VIP is its real address; then there is nothing else to pick.
  return ok((primaries.find((a) => !vips.has(a.address)) ?? primaries[0])?.address);
}

/**
 * A crashed or SIGKILLed master leaves its VIPs on the interface (keepalived.md §4 item 12), which
 * would answer ARP next to the new master. keepalived removes them at start-up (§3.7); so do we.
 */
async function removeResidualVips(instances: readonly InstanceConfig[], hosts: Map<string, InstanceHost>, rtnl: Rtnl, log: Logger, dropRules = false): Promise<void> {
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

async function stopAll(running: Running, release = true, log?: Logger): Promise<void> {
  await Promise.all(running.instances.map((i) => i.stop(release)));
  // notify STOP must run before we go (keepalived §3.7), bounded; then no tracking script may outlive us.
  await Promise.all([running.notifier.drain(NOTIFY_DRAIN_TIMEOUT_MS), running.tracker.stop()]);
  for (const i of running.instances) i.dispose();
  // keepalived deletes its table at exit; with -V the VIPs stay, and so do their drop rules.
  if (release && running.firewall !== undefined) {
    const closed = await running.firewall.close();
    if (!closed.ok) log?.error(`cannot remove the firewall drop rules: ${closed.error}`);
  }
  for (const s of running.sockets) s.close();
  for (const g of running.garp.values()) g.close();
  running.rtnl.close();
}

function removePidFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone: nothing to do
  }
}
