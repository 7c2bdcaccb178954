// The one owner of what runs: the configuration in force, the instances, their interfaces' VRRP
// sockets (interfaces.ts), the sync groups' drivers, tracking, and the ports they share (ports.ts).
// Its methods are the daemon's phases and the events that change what runs: start, the instances'
// start after tracking's first results, a reload (reload.ts plans it, `reload` carries it out), an
// interface re-created under its name, hosts gone stale, stop, and the release after an internal
// error. Nothing else changes its fields; the control socket, the metrics and the dumps read them
// through `sources()`.
import { performance } from 'node:perf_hooks';
import type { Config, InstanceConfig } from '../config/config.js';
import type { StatusSources } from '../control/status.js';
import { EXIT } from '../exit-codes.js';
import { SyncGroupDriver } from '../instance/drivers.js';
import { Instance, type InstanceHost, type InstancePorts } from '../instance/instance.js';
import { rehearseTakeover } from '../instance/rehearsal.js';
import { createStats, type InstanceStats } from '../instance/stats.js';
import type { Logger } from '../log/logger.js';
import { firewallSettings, prepareFirewall, type Firewall, type FirewallReads } from '../net/firewall.js';
import type { LinkInfo, Rtnl } from '../net/rtnl.js';
import type { VrrpSocket } from '../net/vrrp-socket.js';
import { NOTIFY_DRAIN_TIMEOUT_MS, type Notifier } from '../notify/notifier.js';
import type { Scheduler } from '../timers/scheduler.js';
import { ownerStartsAsMaster } from '../vrrp/fsm.js';
import { createTracker, type Tracker } from '../track/tracker.js';
import { err, ok, type Result } from '../types.js';
import { removeResidualVips, resolveHost, resolveHosts, type Links } from './hosts.js';
import { closeInterface, openInterfaces, reopenInterface, type InterfaceDeps, type Interfaces } from './interfaces.js';
import { openShared, type Shared } from './ports.js';
import { describePlan, planReload, RELOAD_FAILED, type ReloadPlan } from './reload.js';
import { firstTrackingResults, followTracking, startInstance, waitUntil } from './tracking.js';

/** Why the start failed: the exit code and its sentence. */
export interface StartFailure {
  readonly code: number;
  readonly message: string;
}

export interface RunningDeps {
  readonly log: Logger;
  /** The notify scripts (and systemd's STATUS=, which follows every state change). */
  readonly notifier: Notifier;
  /** An exception in an instance's own work: the crash path (crash.ts). */
  readonly onInternalError: (e: unknown) => void;
  /** The firewall's state, read since preflight (net/firewall.ts readFirewall); none: read here. */
  readonly firewallReads?: Promise<FirewallReads> | undefined;
}

/**
 * Whether the firewall is read and prepared before the instances start: when an instance needs
 * its drop rules (no-accept mode with VIPs), or takes over as it starts (an owner). Otherwise the
 * first VIP is a Master_Down_Interval away and a crashed run's leftover rules are removed just
 * after "Entering BACKUP STATE (init)": reading them is a process start (nft, iptables).
 */
export function firewallBeforeStart(config: Config): boolean {
  return anOwnerStartsAsMaster(config) || config.instances.some((i) => !i.accept && i.vips.length > 0);
}

/** An instance takes over as it starts (fsm.ts ownerStartsAsMaster): what it needs comes first. */
function anOwnerStartsAsMaster(config: Config): boolean {
  return config.instances.some((i) => ownerStartsAsMaster(i.priority, i.wantState));
}

/** What a reload has made ready before it touches any instance (everything that can fail). */
interface ReloadReady {
  readonly next: Config;
  readonly plan: ReloadPlan;
  readonly hosts: ReadonlyMap<string, InstanceHost>;
  /** Sockets of interfaces the new configuration adds, not yet in `sockets`. */
  readonly opened: Interfaces;
  /** The new tracking, with its first results. */
  readonly tracker: Tracker;
}

export class Running {
  private readonly instances: Instance[] = [];
  private readonly sockets: Interfaces = new Map();
  /** Counts drops no instance owns (an unknown VRID). */
  private readonly unmatched: InstanceStats = createStats();
  private drivers: Map<string, SyncGroupDriver>;
  /** Unsubscribes the instances from the current tracker. */
  private unfollow: () => void = () => undefined;
  /** The takeover path has been rehearsed (once per process). */
  private rehearsed = false;
  /** A crashed run's firewall rules are still to be looked for (after the instances start). */
  private firewallCleanupDue: boolean;

  private constructor(
    private config: Config,
    private tracker: Tracker,
    private readonly rtnl: Rtnl,
    /** No-accept mode's drop rules; undefined when every instance accepts. */
    private readonly firewall: Firewall | undefined,
    private readonly shared: Shared,
    private readonly log: Logger,
    private readonly notifier: Notifier,
  ) {
    this.drivers = this.createDrivers(config);
    this.firewallCleanupDue = !firewallBeforeStart(config);
  }

  /**
   * The start phase: each instance's host resolved, the no-accept firewall prepared, VIPs a crash
   * left behind removed, the shared ports and the interfaces' sockets opened, the instances created
   * (not started: `startInstances`) and the takeover path rehearsed.
   */
  static async start(config: Config, rtnl: Rtnl, deps: RunningDeps): Promise<Result<Running, StartFailure>> {
    const { log, notifier } = deps;
    const fatal = (message: string, code: number = EXIT.fatal) => err({ code, message });
    const links = await rtnl.links();
    if (!links.ok) return fatal(`cannot list interfaces: ${links.error}`);
    const byName = new Map(links.value.map((l) => [l.name, l]));

    const hosts = await resolveHosts(config.instances, byName, rtnl);
    if (!hosts.ok) return fatal(hosts.error, EXIT.config);
    const firewall = firewallBeforeStart(config)
      ? await prepareFirewall(config.instances, log, undefined, firewallSettings(config.global.firewall), deps.firewallReads)
      : ok(undefined);
    if (!firewall.ok) return fatal(firewall.error);
    await removeResidualVips(config.instances, hosts.value, rtnl, log, firewall.value !== undefined);

    const tracker = createTracker(config, { log, links: rtnl });
    const shared = openShared({ rtnl, firewall: firewall.value, log, notifier, onInternalError: deps.onInternalError });
    const running = new Running(config, tracker, rtnl, firewall.value, shared, log, notifier);

    const opened = openInterfaces(config, running.sockets, byName, running.interfaceDeps());
    if (!opened.ok) {
      await running.stop();
      const denied = /permitted|EPERM|EACCES/i.test(opened.error);
      return fatal(opened.error, denied ? EXIT.permission : EXIT.fatal);
    }
    for (const [ifname, socket] of opened.value) running.sockets.set(ifname, socket);
    for (const inst of config.instances) {
      const host = hosts.value.get(inst.name);
      if (host) running.addInstance(inst, host);
    }
    // The GARP sockets now rather than at the first takeover (sendFrames would open them then).
    for (const ifname of new Set([...hosts.value.values()].flatMap((h) => h.vips.map((v) => v.ifname)))) shared.garp.get(ifname);
    // An address owner takes over as it starts: its takeover path is compiled first. Otherwise the
    // first takeover is a Master_Down_Interval away, and the rehearsal waits until the instances
    // have started (startInstances) instead of delaying their "Entering BACKUP STATE (init)".
    if (anOwnerStartsAsMaster(config)) running.rehearse();
    return ok(running);
  }

  /** The configuration in force. */
  get configuration(): Config {
    return this.config;
  }

  /** The protocol timers' heap (the test hook that throws from it, crash.ts). */
  get timers(): Pick<Scheduler, 'after'> {
    return this.shared.ports.timers;
  }

  /** The running state as its readers see it, read at each call (a reload replaces the config and the tracker). */
  sources(): StatusSources {
    return { config: this.config, instances: this.instances, tracker: this.tracker, unmatched: this.unmatched, timerErrors: this.shared.timerErrors() };
  }

  /**
   * Tracking first (keepalived-behaviour.md#start-up: scripts run at once and an instance waits for
   * the first result of its weight-0 scripts), then vrrp_startup_delay (boot races,
   * keepalived-behaviour.md#backup-becomes-master-at-boot), then each instance starts in BACKUP or
   * FAULT with the priority tracking gives it, and follows tracking from then on.
   */
  async startInstances(stopping: () => boolean): Promise<void> {
    const { config, tracker, log } = this;
    tracker.start();
    await firstTrackingResults(config, tracker, this.instances.map((i) => i.name), log, stopping);
    if (config.global.startupDelayMs > 0 && !stopping()) {
      log.info(`Delaying startup for ${config.global.startupDelayMs / 1000} seconds`);
      await waitUntil(stopping, config.global.startupDelayMs);
    }
    if (stopping()) return;
    for (const instance of this.instances) startInstance(instance, tracker);
    this.unfollow = this.followTracking(tracker, stopping);
    if (!this.rehearsed) this.rehearse();
    if (this.firewallCleanupDue) {
      this.firewallCleanupDue = false;
      void this.removeLeftoverFirewall();
    }
  }

  /**
   * What a crashed run left in the firewall, removed once the instances run (firewallBeforeStart
   * says when that is soon enough); prepareFirewall logs what it removes and warns about
   * keepalived's table. No instance needs the firewall here, so nothing in it can fail the start.
   */
  private async removeLeftoverFirewall(): Promise<void> {
    const r = await prepareFirewall(this.config.instances, this.log, undefined, firewallSettings(this.config.global.firewall));
    if (!r.ok) this.log.warn(`firewall clean-up: ${r.error}`);
  }

  /**
   * Follows the host's rtnetlink events: a VIP someone else deletes while we are MASTER is put
   * back (Instance.addressRemoved), an interface re-created under its name gets its socket again,
   * and instances still on an old ifindex resolve their host once its addresses are back.
   */
  watchHost(): () => void {
    return this.rtnl.watch((e) => {
      if (e.kind === 'addressRemoved') for (const i of this.instances) i.addressRemoved(e.address.index, e.address.address);
      if (e.kind === 'link') void this.linkRecreated(e.link);
      // The recreated link's addresses come after it: hosts still on the old ifindex retry then.
      if (e.kind === 'addressAdded') void this.refreshStaleHosts();
    });
  }

  /**
   * SIGHUP with `next` read and judged (reload.ts loadForReload; keepalived-behaviour.md#reload,
   * hitless): everything that can fail (interfaces, addresses, new sockets, tracking's first
   * results) before any instance is touched; only then removed instances give up, kept ones take
   * their new parameters and VIPs without changing state, added ones start. Any failure before that
   * point keeps the running configuration and says why. `published`: the new state is in force.
   */
  async reload(next: Config, stopping: () => boolean, published: () => void): Promise<void> {
    const ready = await this.prepareReload(next, stopping);
    if (ready !== undefined) await this.commitReload(ready, stopping, published);
  }

  /** The reload's first half: undefined when it was refused (and said why) or a stop came. */
  private async prepareReload(next: Config, stopping: () => boolean): Promise<ReloadReady | undefined> {
    const { log } = this;
    const refuse = (why: string): undefined => {
      log.error(why);
      log.error(RELOAD_FAILED);
      return undefined;
    };
    const plan = planReload(this.config, next);
    // The drop rules' table is prepared at start-up; a reload that first brings no-accept (vrrp_strict)
    // must not run it without them.
    const noAccept = next.instances.filter((i) => !i.accept).map((i) => i.name);
    if (this.firewall === undefined && noAccept.length > 0) {
      return refuse(`${noAccept.join(', ')}: no-accept mode (vrrp_strict) needs the firewall drop rules, which are set up at start-up - restart vrrpd to apply this configuration`);
    }
    for (const line of describePlan(plan)) log.debug(line);

    const links = await this.rtnl.links();
    if (!links.ok) return refuse(`cannot list interfaces: ${links.error}`);
    const byName = new Map(links.value.map((l) => [l.name, l]));
    // Every VIP of the running config may be on an interface now; none is an advert source.
    const held = new Set(this.config.instances.flatMap((i) => i.vips.map((v) => v.address)));
    const hosts = await resolveHosts([...plan.kept.map((k) => k.next), ...plan.added], byName, this.rtnl, held);
    if (!hosts.ok) return refuse(hosts.error);
    const opened = openInterfaces(next, this.sockets, byName, this.interfaceDeps());
    if (!opened.ok) return refuse(opened.error);

    // New tracking runs next to the old until it has its first results; the old keeps driving the
    // instances meanwhile (keepalived restarts every script at a reload too).
    const tracker = createTracker(next, { log, links: this.rtnl });
    tracker.start();
    await firstTrackingResults(next, tracker, next.instances.map((i) => i.name), log, stopping);
    if (stopping()) {
      for (const s of opened.value.values()) s.socket.close();
      await tracker.stop();
      return undefined;
    }
    return { next, plan, hosts: hosts.value, opened: opened.value, tracker };
  }

  /** The reload's second half, from which nothing fails: the new configuration takes over. */
  private async commitReload(ready: ReloadReady, stopping: () => boolean, published: () => void): Promise<void> {
    const { next, plan, hosts, tracker } = ready;
    const removed = this.instances.filter((i) => plan.removed.some((r) => r.name === i.name));
    for (const instance of removed) this.forget(instance);
    await Promise.all(removed.map((i) => i.remove()));

    const oldTracker = this.tracker;
    this.unfollow();
    this.notifier.update(next);
    this.config = next;
    this.tracker = tracker;
    this.drivers = this.createDrivers(next);
    for (const [ifname, socket] of ready.opened) this.sockets.set(ifname, socket);
    for (const k of plan.kept) {
      const instance = this.instances.find((i) => i.config === k.old);
      const host = hosts.get(k.next.name);
      if (!instance || !host) continue;
      const driver = this.driverOf(k.next);
      const outcome = tracker.outcome(k.next.name);
      instance.reconfigure(k.next, host, next.global.garpIntervalMs, driver, outcome?.priority);
      if (outcome !== undefined) instance.feed({ type: outcome.fault || outcome.pending ? 'fault' : 'faultCleared' });
    }
    // An added instance clears leftovers of its VIPs as at start-up, but not an address a kept
    // instance holds (two instances with one VIP is a config mistake; a reload must not cut it).
    const keptVips = new Set(plan.kept.flatMap((k) => k.next.vips.map((v) => v.address)));
    const addedHosts = new Map<string, InstanceHost>();
    for (const a of plan.added) {
      const host = hosts.get(a.name);
      if (host) addedHosts.set(a.name, { ...host, vips: host.vips.filter((v) => !keptVips.has(v.vip.address)) });
    }
    if (plan.added.length > 0) await removeResidualVips(plan.added, addedHosts, this.rtnl, this.log, this.firewall !== undefined);
    for (const inst of plan.added) {
      const host = hosts.get(inst.name);
      const instance = host === undefined ? undefined : this.addInstance(inst, host);
      if (instance) startInstance(instance, tracker);
    }
    this.unfollow = this.followTracking(tracker, stopping);

    // What nothing uses any more: sockets of interfaces without instances, GARP senders of
    // interfaces without VIPs, the old tracking (its scripts are killed).
    for (const ifname of [...this.sockets.keys()]) {
      if (!next.instances.some((i) => i.interface === ifname)) closeInterface(this.sockets, ifname);
    }
    this.shared.garp.keepOnly(new Set(this.instances.flatMap((i) => i.host.vips.map((v) => v.ifname))));
    published();
    await oldTracker.stop();
    this.log.info('Reload complete');
  }

  /**
   * An interface of ours was deleted and created again under the same name (a new ifindex): the
   * socket bound to the old one hears nothing and sends nowhere, its multicast membership and the
   * VIPs' ifindex are stale. Reopen the socket on the new link, drop the GARP sender so the next
   * burst opens on it, and give the instances their new host (a MASTER re-adds its VIPs there).
   */
  private async linkRecreated(link: LinkInfo): Promise<void> {
    const entry = this.sockets.get(link.name);
    if (entry === undefined || entry.ifindex === link.index) return;
    this.log.info(`Interface ${link.name} was recreated (ifindex ${entry.ifindex} -> ${link.index}) - reopening its VRRP socket`);
    const reopened = reopenInterface(this.sockets, link, this.config, this.interfaceDeps());
    if (!reopened.ok) {
      this.log.error(reopened.error);
      return;
    }
    this.shared.garp.drop(link.name);
    await this.refreshStaleHosts();
  }

  /** Instances whose interface's socket moved to a new ifindex get their host resolved again. */
  private async refreshStaleHosts(): Promise<void> {
    const stale = this.instances.filter((i) => {
      const entry = this.sockets.get(i.config.interface);
      return entry !== undefined && entry.ifindex !== i.host.ifindex;
    });
    if (stale.length === 0) return;
    const links = await this.rtnl.links();
    if (!links.ok) return;
    const byName: Links = new Map(links.value.map((l) => [l.name, l]));
    for (const instance of stale) {
      // Resolved meanwhile by another event, or its address is not there yet (then the next one).
      if (this.sockets.get(instance.config.interface)?.ifindex === instance.host.ifindex) continue;
      const host = await resolveHost(instance.config, byName, this.rtnl);
      if (!host.ok) continue;
      this.log.info(`(${instance.name}) now on ${host.value.ifname} ifindex ${host.value.ifindex}`);
      instance.reconfigure(instance.config, host.value, this.config.global.garpIntervalMs, this.driverOf(instance.config), instance.fsmState.effectivePriority);
    }
  }

  /**
   * The stop phase: every instance stops (priority 0 and its VIPs removed, unless `release` is off:
   * -V), notify STOP runs, tracking ends, then the firewall's rules, the sockets, the repeater and
   * rtnetlink are closed.
   */
  async stop(release = true): Promise<void> {
    await Promise.all(this.instances.map((i) => i.stop(release)));
    // notify STOP must run before we go (keepalived-behaviour.md#leaving-master-and-stopping),
    // bounded; then no tracking script may outlive us.
    await Promise.all([this.notifier.drain(NOTIFY_DRAIN_TIMEOUT_MS), this.tracker.stop()]);
    for (const i of this.instances) i.dispose();
    this.shared.ports.timers.close();
    // keepalived deletes its table at exit; with -V the VIPs stay, and so do their drop rules.
    if (release && this.firewall !== undefined) {
      const closed = await this.firewall.close();
      if (!closed.ok) this.log.error(`cannot remove the firewall drop rules: ${closed.error}`);
    }
    for (const ifname of [...this.sockets.keys()]) closeInterface(this.sockets, ifname);
    this.shared.garp.close();
    this.rtnl.close();
    this.shared.repeater?.close(); // empty by now: every instance took its advert back to stop
  }

  /**
   * The crash path's release (crash.ts): each instance on its own (one that throws does not stop
   * the others), then the addon's repeater. With -V (`release` off) the VIPs stay and no priority 0
   * goes, as at a stop.
   */
  releaseAfterError(release: boolean): Promise<void> {
    const pending = this.instances.map((i) => {
      try {
        return release ? i.releaseAfterError() : i.dispose();
      } catch (e) {
        this.log.error(`(${i.name}) cannot release: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
    });
    this.shared.repeater?.close();
    return Promise.all(pending).then(() => undefined);
  }

  /** A new Instance on its interface's socket (which must be open) and in its sync group. */
  private addInstance(inst: InstanceConfig, host: InstanceHost): Instance | undefined {
    const entry = this.sockets.get(inst.interface);
    if (!entry) return undefined;
    // Looked up at send time: a recreated interface replaces its socket (linkRecreated).
    const socket = (): VrrpSocket => (this.sockets.get(inst.interface) ?? entry).socket;
    const ports: InstancePorts = { ...this.shared.ports, sendDatagram: (datagram, dst) => socket().send(datagram, dst) };
    const repeater = this.shared.repeater;
    if (repeater !== undefined) ports.repeatAdvert = (job) => socket().repeat(repeater, job);
    const driver = this.driverOf(inst);
    const instance = new Instance(inst, host, ports, this.config.global.garpIntervalMs, driver);
    entry.byVrid.set(inst.vrid, [...(entry.byVrid.get(inst.vrid) ?? []), instance]);
    this.instances.push(instance);
    return instance;
  }

  /** An instance a reload removes: off its socket's VRID table and out of the list. */
  private forget(instance: Instance): void {
    const sharing = this.sockets.get(instance.config.interface)?.byVrid;
    const others = (sharing?.get(instance.config.vrid) ?? []).filter((i) => i !== instance);
    if (others.length > 0) sharing?.set(instance.config.vrid, others);
    else sharing?.delete(instance.config.vrid);
    this.instances.splice(this.instances.indexOf(instance), 1);
  }

  private driverOf(inst: InstanceConfig): SyncGroupDriver | undefined {
    return inst.syncGroup === undefined ? undefined : this.drivers.get(inst.syncGroup);
  }

  /** The sync groups' drivers: their lines are logged, their notifies run. */
  private createDrivers(config: Config): Map<string, SyncGroupDriver> {
    const drivers = new Map<string, SyncGroupDriver>();
    for (const group of config.syncGroups) {
      drivers.set(
        group.name,
        new SyncGroupDriver(group.name, (name, action) => {
          if (action.type === 'log') this.log[action.level](action.message);
          else this.notifier.group(name, action.state);
        }),
      );
    }
    return drivers;
  }

  private followTracking(tracker: Tracker, stopping: () => boolean): () => void {
    return followTracking(tracker, (name) => this.instances.find((i) => i.name === name), stopping);
  }

  /** What the interfaces' sockets need of the running daemon. */
  private interfaceDeps(): InterfaceDeps {
    return { unmatched: this.unmatched, clock: () => this.shared.ports.timers.now(), log: this.log };
  }

  /** The takeover path compiled before any instance can need it (instance/rehearsal.ts). */
  private rehearse(): void {
    this.rehearsed = true;
    const first = this.instances[0];
    if (first === undefined) return;
    const began = performance.now();
    const rehearsed = rehearseTakeover(first.config, first.host);
    const took = (performance.now() - began).toFixed(1);
    if (rehearsed.ok) this.log.debug(`takeover rehearsed in ${took} ms`);
    else this.log.debug(`takeover rehearsal stopped after ${took} ms: ${rehearsed.error}`);
  }
}
