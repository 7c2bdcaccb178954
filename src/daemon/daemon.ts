// Lifecycle of a running vrrpd: load the config, resolve interfaces, remove VIPs a crashed run
// left behind, open one VRRP socket per interface, start the instances, and on SIGTERM/SIGINT
// shut them down as RFC 3768 §6.4.3 asks (priority 0, VIPs removed) before exiting 0. SIGHUP
// reloads the config without a hit (src/daemon/reload.ts plans it, reload() here carries it out).
import { constants as osConstants } from 'node:os';
import { performance } from 'node:perf_hooks';
import { EXIT } from '../exit-codes.js';
import type { Config, InstanceConfig } from '../config/config.js';
import { formatDiagnostic } from '../config/config.js';
import { capPerKind, loadConfig, type LoadOptions } from '../config/load.js';
import { sourceAddressProblem } from '../host/source-address.js';
import { environmentDiagnostics } from '../check/environment.js';
import { monitorAddresses } from './address-monitor.js';
import { dumpConfig } from '../config/dump.js';
import { createReloadQueue, describePlan, loadForReload, planReload, RELOAD_FAILED } from './reload.js';
import { guardDescriptors } from '../host/exec-guard.js';
import { cpuUsage, createLogger, reopenLogFiles, stoppedLine, type Logger } from '../log/logger.js';
import { firewallSettings, prepareFirewall, type Firewall } from '../net/firewall.js';
import { openGarpSender, type GarpSender } from '../net/garp.js';
import { rehearseTakeover } from '../instance/rehearsal.js';
import { openRtnl, type LinkInfo, type Rtnl } from '../net/rtnl.js';
import type { VrrpSocket } from '../net/vrrp-socket.js';
import { createNotifier, NOTIFY_DRAIN_TIMEOUT_MS, type Notifier } from '../notify/notifier.js';
import { createTracker, type Tracker } from '../track/tracker.js';
import { nativeAddonSource, sdNotify } from '../native/addon.js';
import { describePidFileError, lockPidFiles, type PidFileLock } from './pidfile.js';
import { missingNetCapabilities, readEffectiveCapabilities, scriptUserSwitchProblem } from '../host/privilege.js';
import { scriptUses } from '../host/rules.js';
import { ownIds, readHostUserDb } from '../host/files.js';
import { createSystemdStatus, injectTestStall, startWatchdog, watchdogPingMs, type SystemdStatus } from './watchdog.js';
import { timerScheduler } from '../timers/clock.js';
import type { Scheduler } from '../timers/scheduler.js';
import { openRepeater, type AdvertRepeater } from '../net/repeater.js';
import { createBackground } from '../instance/background.js';
import { createGarpPacer } from '../instance/garp-pacer.js';
import { installDumpSignals, type DumpSignals } from './signals.js';
import { createCrashHandler, injectTestThrow } from './crash.js';
import { closeInterface, openInterfaces, reopenInterface, type InterfaceDeps, type Interfaces } from './interfaces.js';
import { createStats, type InstanceStats } from '../instance/stats.js';
import { err, ok, type Ipv4, type Result } from '../types.js';
import { Instance, type InstanceHost, type InstancePorts } from '../instance/instance.js';
import type { VipLink } from '../instance/vips.js';
import { SyncGroupDriver } from '../instance/drivers.js';
import { VERSION } from '../version.js';
import { startControlServer, type ControlServer } from '../control/server.js';
import { defaultSocketPath } from '../control/protocol.js';
import { collectStatus, type StatusSources } from '../control/status.js';
import type { ListenAddress } from '../metrics/listen.js';
import type { MetricsServer } from '../metrics/exporter.js';
import { detectJournal } from '../log/journal.js';

/** A timed-out script gets SIGTERM, then SIGKILL this much later (keepalived-behaviour.md#tracking-and-priority). */
const SCRIPT_KILL_GRACE_MS = 2000;

/**
 * Linux lets a task's epoll_wait() wake up to 0.1 % of its timeout late (select_estimate_accuracy:
 * the slack of a non-realtime task's poll is timeout/1000, at least timer_slack_ns). libuv sleeps
 * in epoll_wait until its next timer, so a Master_Down timer 3.6 s away woke up to 3.6 ms late,
 * most of a takeover's lateness; keepalived's timerfd does not pay this, nor does ours (src/net/
 * timers/clock.ts: an expired timerfd wakes the loop at its deadline). Only on the setTimeout fallback (an
 * addon without TimerFd) a wake-up at least this often bounds the slack to 0.1 ms, for a few
 * microseconds of CPU ten times a second.
 */
export const WAKE_BOUND_MS = 100;


export interface DaemonOptions {
  readonly configPath: string;
  /** keepalived's -e (include_check) and -i (config id), as `vrrpd -t` is given them. */
  readonly load?: LoadOptions;
  readonly pidFile: string;
  readonly detail: boolean;
  /** -l: keepalived's console text on stderr. */
  readonly logConsole: boolean;
  /** Structured JSON lines on stdout (the foreground: journald, the lab). */
  readonly logJson?: boolean;
  readonly syslog: boolean;
  /** keepalived's command-line flags with a meaning for the daemon (src/cli/flags.ts). */
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
  /** --control-socket: `vrrpd status`'s socket; beside the pidfile by default. */
  readonly controlSocket?: string;
  /** --metrics-listen: Prometheus metrics over HTTP; off when absent. */
  readonly metricsListen?: ListenAddress;
}

/** What runs; a reload replaces the config, the tracker and the drivers and edits the rest in place. */
interface Running {
  config: Config;
  readonly instances: Instance[];
  readonly notifier: Notifier;
  tracker: Tracker;
  /** One VRRP socket per interface (interfaces.ts). */
  readonly sockets: Interfaces;
  readonly garp: Map<string, GarpSender>;
  readonly rtnl: Rtnl;
  readonly unmatched: InstanceStats;
  /** The ports every instance shares; each gets its own sendDatagram (its interface's socket). */
  readonly shared: Omit<InstancePorts, 'sendDatagram'> & { readonly timers: Scheduler };
  drivers: Map<string, SyncGroupDriver>;
  /** Unsubscribes the instances from the current tracker. */
  unfollow: () => void;
  /** No-accept mode's drop rules; undefined when every instance accepts. */
  readonly firewall: Firewall | undefined;
  /** Sends steady MASTERs' adverts without waking JS (net/repeater.ts); undefined without the addon's. */
  readonly repeater: AdvertRepeater | undefined;
  /** Poll errors of the addon's timerfds (the scheduler's, the repeater's) since start. */
  readonly timerErrors: { count: number };
}

/**
 * Runs until stopped; resolves with the exit code. The logger and the process-wide handlers first,
 * then the phases: preflight -> start -> serve -> stop (stopAll).
 */
export async function runDaemon(opts: DaemonOptions): Promise<number> {
  const flags = opts.flags ?? {};
  // Instance name -> VRID for the JSON lines' fields; filled once the config is read, and by reloads.
  const vrids = new Map<string, number>();
  const learnVrids = (c: Config): void => {
    vrids.clear();
    for (const i of c.instances) vrids.set(i.name, i.vrid);
  };
  const logger = createLogger({
    detail: opts.detail,
    json: opts.logJson === true,
    console: opts.logConsole,
    vridOf: (name) => vrids.get(name),
    syslog: opts.syslog,
    facility: flags.facility,
    file: flags.logFile,
    journal: detectJournal(),
  });
  if (!logger.ok) {
    opts.report(logger.error);
    return EXIT.fatal;
  }
  const log = logger.value;
  // From the start: SIGUSR1 must not start Node's inspector, and a realtime JSON/STATS_CLEAR
  // signal's default action would kill us (src/daemon/signals.ts).
  const dumps = installDumpSignals(log);
  // keepalived's SIGUSR1 writes the data dump (signals.ts); it also reopens the -g file here.
  process.on('SIGUSR1', reopenLogFiles);
  // Whatever throws unexpectedly from here on ends the daemon, releasing what it can (crash.ts).
  let releaseRunning: () => void | Promise<void> = () => undefined;
  const crash = createCrashHandler({ log, release: () => releaseRunning(), exit: (code) => process.exit(code) });
  process.on('uncaughtException', (e) => crash(e, 'uncaught exception'));
  process.on('unhandledRejection', (e) => crash(e, 'unhandled rejection'));
  const fail = (code: number, message: string): number => {
    log.error(message);
    opts.report(message);
    return code;
  };
  const ready = await preflight(opts, log, fail, learnVrids);
  if (!ready.ok) return ready.error;
  const { config, pidFiles, rtnl } = ready.value;

  // The second phase, start: sockets, instances and services up; then serve() until stopped.
  const systemd = createSystemdStatus(config.instances.map((i) => i.name), sdNotify, (m) => log.warn(m));
  const scripts = createNotifier(config, { log, ...(flags.umask === undefined ? {} : { umask: flags.umask }) });
  // Every state change passes here (its notify), so systemd's STATUS= follows it.
  const notifier: Notifier = {
    ...scripts,
    instance: (name, state, priority) => {
      systemd.update(name, state);
      scripts.instance(name, state, priority);
    },
  };
  const started = await start(config, rtnl, log, notifier, (e) => crash(e, 'in an instance'));
  if (!started.ok) {
    rtnl.close();
    return fail(started.error.code, started.error.message);
  }
  const running = started.value;
  releaseRunning = () => releaseAfterError(running, flags.dontReleaseVrrp !== true, log);
  dumps.setSources({ config, instances: running.instances, tracker: running.tracker });

  // A VIP someone else deletes while we are MASTER is put back (Instance.addressRemoved).
  const unwatchVips = running.rtnl.watch((e) => {
    if (e.kind === 'addressRemoved') for (const i of running.instances) i.addressRemoved(e.address.index, e.address.address);
    if (e.kind === 'link') void followRecreatedLink(running, e.link, log);
    // The recreated link's addresses come after it: hosts still on the old ifindex retry then.
    if (e.kind === 'addressAdded') void refreshStaleHosts(running, log);
  });
  process.once('exit', unwatchVips);
  if (flags.addressMonitoring === true) {
    const links = await running.rtnl.links();
    monitorAddresses(running.rtnl, log, links.ok ? links.value : []);
  }
  const services = await startServices(opts, running, log);
  systemd.send('READY=1');
  // keepalived's order: "Startup complete", then each instance's "Entering BACKUP STATE (init)".
  log.info('Startup complete');
  injectTestThrow(process.env, running.shared.timers, log);
  opts.onReady();

  return serve(opts, running, log, { config, pidFiles, dumps, systemd, services, crash, learnVrids });
}

/** What start-up needs before it touches the network: the config read and checked, the pidfiles held. */
interface Preflight {
  readonly config: Config;
  readonly pidFiles: readonly PidFileLock[];
  readonly rtnl: Rtnl;
}

/**
 * The first phase (preflight -> start -> serve -> stop): descriptors guarded, the watchdog fed, the
 * pidfiles locked, the config read and checked against this host, the capabilities there. A
 * refusal is the exit code, its reasons already said through `fail`.
 */
async function preflight(
  opts: DaemonOptions,
  log: Logger,
  fail: (code: number, message: string) => number,
  learnVrids: (config: Config) => void,
): Promise<Result<Preflight, number>> {
  const flags = opts.flags ?? {};
  // What vrrpd inherited is closed to its scripts from now on (exec-guard.ts).
  const guarded = guardDescriptors(log);
  if (!guarded.ok) return err(fail(EXIT.fatal, guarded.error));
  // From the event loop, from the first moment: a loop stuck in start-up is as dead as one stuck later.
  const watchdogMs = watchdogPingMs(process.env, process.pid);
  if (watchdogMs !== undefined) startWatchdog(sdNotify, watchdogMs);
  injectTestStall(process.env, (m) => log.warn(m));
  // Before anything touches the network: a second daemon would remove the running one's VIPs as
  // "leftovers". keepalived checks here too, before reading its config.
  const locked = lockPidFiles([opts.pidFile, ...(flags.vrrpPidFile === undefined ? [] : [flags.vrrpPidFile])]);
  if (!locked.ok) {
    if (locked.error.kind === 'running') fail(EXIT.fatal, 'daemon is already running');
    return err(fail(EXIT.fatal, describePidFileError(locked.error)));
  }
  const pidFiles = locked.value;
  // Every way out removes them, early errors included; the locks themselves die with the process.
  process.once('exit', () => pidFiles.forEach((p) => p.release()));
  for (const p of pidFiles) if (p.stalePid !== undefined) log.info(`pidfile ${p.path} was left by pid ${p.stalePid}, which is gone - taking it over`);

  const loaded = loadConfig(opts.configPath, opts.load);
  for (const d of loaded.diagnostics) {
    if (d.severity === 'warning') log.warn(formatDiagnostic(d));
  }
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (!loaded.config || errors.length > 0) {
    for (const d of errors) fail(EXIT.config, formatDiagnostic(d));
    const unreadable = errors.some((d) => d.class === 'missing' && d.pos.line === 0);
    return err(unreadable ? EXIT.noConfig : EXIT.config);
  }
  const config = loaded.config;
  learnVrids(config);
  // What -t checks beyond the text (interfaces, script files and users) refuses a start too: a
  // check script that cannot run would otherwise leave the VIP on a host whose nginx is dead
  // (keepalived disables such a check and runs on,
  // docs/reference/keepalived-behaviour.md#unknown-and-unusable-configuration).
  const environment = capPerKind(await environmentDiagnostics(config, opts.configPath));
  for (const d of environment) {
    if (d.severity === 'warning') log.warn(formatDiagnostic(d));
  }
  const environmentErrors = environment.filter((d) => d.severity === 'error');
  if (environmentErrors.length > 0) {
    for (const d of environmentErrors) fail(EXIT.config, formatDiagnostic(d));
    return err(EXIT.config);
  }
  const userSwitch = scriptUserSwitchProblem(scriptUses(config, readHostUserDb(), ownIds()), ownIds(), readEffectiveCapabilities());
  if (userSwitch !== undefined) log.warn(userSwitch);
  log.info(`Starting vrrpd v${VERSION}`);
  if (flags.dumpConfig === true) for (const line of dumpConfig(config).trimEnd().split('\n')) log.info(line);

  const capabilities = missingNetCapabilities(readEffectiveCapabilities());
  if (capabilities !== undefined) return err(fail(EXIT.permission, capabilities));
  const rtnl = openRtnl();
  if (!rtnl.ok) return err(fail(EXIT.fatal, `cannot open rtnetlink: ${rtnl.error}`));
  return ok({ config, pidFiles, rtnl: rtnl.value });
}

/** What serve() needs of the earlier phases. */
interface Serving {
  readonly config: Config;
  readonly pidFiles: readonly PidFileLock[];
  readonly dumps: DumpSignals;
  readonly systemd: SystemdStatus;
  readonly services: { close(): Promise<void> };
  readonly crash: (e: unknown, where: string) => void;
  readonly learnVrids: (config: Config) => void;
}

/**
 * The third phase: the instances start (after tracking's first results), SIGHUP reloads, SIGTERM
 * and SIGINT stop (the fourth phase, stopAll); resolves with the exit code once stopped.
 */
function serve(opts: DaemonOptions, running: Running, log: Logger, s: Serving): Promise<number> {
  const flags = opts.flags ?? {};
  const { config, pidFiles, dumps, systemd, services, crash, learnVrids } = s;
  return new Promise<number>((resolve) => {
    let stopping = false;
    let started: Promise<void> = Promise.resolve();
    const publish = (): void => {
      learnVrids(running.config);
      dumps.setSources({ config: running.config, instances: running.instances, tracker: running.tracker });
    };
    // A HUP during start-up (tracking's first results, vrrp_startup_delay) waits until it is done.
    const reloads = createReloadQueue(
      () => started.then(() => reload(opts, running, log, () => stopping, publish)),
      (e) => crash(e, 'during reload'),
    );
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      // keepalived's words, exactly: alerts match the whole line.
      log.info('Stopping');
      log.debug(`${signal} received`);
      systemd.send('STOPPING=1');
      // A reload in progress sees `stopping` and ends at its next step; then everything stops.
      void reloads.idle().then(() => stopAll(running, flags.dontReleaseVrrp !== true, log)).then(() => {
        running.repeater?.close(); // empty by now: every instance took its advert back to stop
        return services.close();
      }).then(() => {
        pidFiles.forEach((p) => p.release());
        dumps.close();
        log.info(stoppedLine(opts.detail, cpuUsage()));
        log.info(`Stopped vrrpd v${VERSION}`);
        resolve(EXIT.ok);
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      if (!stopping) reloads.request();
    });
    started = startInstances(config, running, log, () => stopping);
  });
}

/**
 * The control socket (`vrrpd status`) and, when asked for, the metrics endpoint. Neither is needed
 * to hold a VIP, so a failure to open one is logged and the daemon runs on. Both read the running
 * state at each request (a reload replaces the config and the tracker).
 */
async function startServices(opts: DaemonOptions, running: Running, log: Logger): Promise<{ close(): Promise<void> }> {
  const startedAtMs = performance.now();
  const sources = (): StatusSources => ({
    config: running.config,
    instances: running.instances,
    tracker: running.tracker,
    unmatched: running.unmatched,
    timerErrors: running.timerErrors.count,
  });
  const control = await startControlServer({
    path: opts.flags?.controlSocket ?? defaultSocketPath(opts.pidFile),
    log,
    handle: () => ({ ok: true, status: collectStatus(sources(), { version: VERSION, startedAtMs }) }),
  });
  if (!control.ok) log.warn(`${control.error} - vrrpd status will not reach this daemon`);
  const listen = opts.flags?.metricsListen;
  let metrics: Result<MetricsServer, string> | undefined;
  if (listen !== undefined) {
    // Loaded here: prom-client is the largest module vrrpd has, and most runs never serve metrics.
    const { createMetricsRegistry, startMetricsServer } = await import('../metrics/exporter.js');
    metrics = await startMetricsServer(listen, createMetricsRegistry(sources), log);
    if (metrics.ok) log.info(`metrics on http://${listen.host}:${metrics.value.address.port}/metrics`);
    else log.error(metrics.error);
  }
  const servers: (ControlServer | MetricsServer)[] = [...(control.ok ? [control.value] : []), ...(metrics?.ok === true ? [metrics.value] : [])];
  return { close: async () => void (await Promise.all(servers.map((s) => s.close()))) };
}

/**
 * Tracking first (keepalived-behaviour.md#start-up: scripts run at once and an instance waits for
 * the first result of its weight-0 scripts), then vrrp_startup_delay (boot races,
 * keepalived-behaviour.md#backup-becomes-master-at-boot), then each instance starts in BACKUP or
 * FAULT with the priority tracking gives it, and follows tracking from then on.
 */
async function startInstances(config: Config, running: Running, log: Logger, stopping: () => boolean): Promise<void> {
  const tracker = running.tracker;
  tracker.start();
  await firstTrackingResults(config, tracker, running.instances.map((i) => i.name), log, stopping);
  if (config.global.startupDelayMs > 0 && !stopping()) {
    log.info(`Delaying startup for ${config.global.startupDelayMs / 1000} seconds`);
    await waitUntil(stopping, config.global.startupDelayMs);
  }
  if (stopping()) return;
  for (const instance of running.instances) startInstance(instance, tracker);
  running.unfollow = followTracking(running, tracker, stopping);
}

/**
 * SIGHUP (keepalived-behaviour.md#reload, hitless): read and check the new config first; then
 * everything that can fail (interfaces, addresses, new sockets, tracking's first results) before
 * any instance is touched; only then removed instances give up, kept ones take their new parameters
 * and VIPs without changing state, added ones start. Any failure before that point keeps the
 * running configuration and says why.
 */
async function reload(opts: DaemonOptions, running: Running, log: Logger, stopping: () => boolean, published: () => void): Promise<void> {
  log.info('Reloading');
  const refuse = (why: string): void => {
    log.error(why);
    log.error(RELOAD_FAILED);
  };
  const next = await loadForReload(opts.configPath, opts.load, log);
  if (next === undefined || stopping()) return;
  const plan = planReload(running.config, next);
  // The drop rules' table is prepared at start-up; a reload that first brings no-accept (vrrp_strict)
  // must not run it without them.
  const noAccept = next.instances.filter((i) => !i.accept).map((i) => i.name);
  if (running.firewall === undefined && noAccept.length > 0) {
    return refuse(`${noAccept.join(', ')}: no-accept mode (vrrp_strict) needs the firewall drop rules, which are set up at start-up - restart vrrpd to apply this configuration`);
  }
  for (const line of describePlan(plan)) log.debug(line);

  const links = await running.rtnl.links();
  if (!links.ok) return refuse(`cannot list interfaces: ${links.error}`);
  const byName = new Map(links.value.map((l) => [l.name, l]));
  // Every VIP of the running config may be on an interface now; none is an advert source.
  const held = new Set(running.config.instances.flatMap((i) => i.vips.map((v) => v.address)));
  const hosts = await resolveHosts([...plan.kept.map((k) => k.next), ...plan.added], byName, running.rtnl, held);
  if (!hosts.ok) return refuse(hosts.error);
  const openedNow = openInterfaces(next, running.sockets, byName, interfaceDeps(running, log));
  if (!openedNow.ok) return refuse(openedNow.error);
  const opened = openedNow.value;

  // New tracking runs next to the old until it has its first results; the old keeps driving the
  // instances meanwhile (keepalived restarts every script at a reload too).
  const tracker = createTracker(next, { log, links: running.rtnl });
  tracker.start();
  await firstTrackingResults(next, tracker, next.instances.map((i) => i.name), log, stopping);
  if (stopping()) {
    for (const s of opened.values()) s.socket.close();
    await tracker.stop();
    return;
  }

  // From here on nothing fails: the new configuration takes over.
  const removed = running.instances.filter((i) => plan.removed.some((r) => r.name === i.name));
  for (const instance of removed) {
    const sharing = running.sockets.get(instance.config.interface)?.byVrid;
    const others = (sharing?.get(instance.config.vrid) ?? []).filter((i) => i !== instance);
    if (others.length > 0) sharing?.set(instance.config.vrid, others);
    else sharing?.delete(instance.config.vrid);
    running.instances.splice(running.instances.indexOf(instance), 1);
  }
  await Promise.all(removed.map((i) => i.remove()));

  const oldTracker = running.tracker;
  running.unfollow();
  running.notifier.update(next);
  running.config = next;
  running.tracker = tracker;
  running.drivers = createDrivers(next, log, running.notifier);
  for (const [ifname, socket] of opened) running.sockets.set(ifname, socket);
  for (const k of plan.kept) {
    const instance = running.instances.find((i) => i.config === k.old);
    const host = hosts.value.get(k.next.name);
    if (!instance || !host) continue;
    const driver = k.next.syncGroup === undefined ? undefined : running.drivers.get(k.next.syncGroup);
    const outcome = tracker.outcome(k.next.name);
    instance.reconfigure(k.next, host, next.global.garpIntervalMs, driver, outcome?.priority);
    if (outcome !== undefined) instance.feed({ type: outcome.fault || outcome.pending ? 'fault' : 'faultCleared' });
  }
  // An added instance clears leftovers of its VIPs as at start-up, but not an address a kept
  // instance holds (two instances with one VIP is a config mistake; a reload must not cut it).
  const keptVips = new Set(plan.kept.flatMap((k) => k.next.vips.map((v) => v.address)));
  const addedHosts = new Map<string, InstanceHost>();
  for (const a of plan.added) {
    const host = hosts.value.get(a.name);
    if (host) addedHosts.set(a.name, { ...host, vips: host.vips.filter((v) => !keptVips.has(v.vip.address)) });
  }
  if (plan.added.length > 0) await removeResidualVips(plan.added, addedHosts, running.rtnl, log, running.firewall !== undefined);
  for (const inst of plan.added) {
    const host = hosts.value.get(inst.name);
    const instance = host === undefined ? undefined : addInstance(running, inst, host);
    if (instance) startInstance(instance, tracker);
  }
  running.unfollow = followTracking(running, tracker, stopping);

  // What nothing uses any more: sockets of interfaces without instances, GARP senders of
  // interfaces without VIPs, the old tracking (its scripts are killed).
  for (const ifname of [...running.sockets.keys()]) {
    if (!next.instances.some((i) => i.interface === ifname)) closeInterface(running.sockets, ifname);
  }
  const vipInterfaces = new Set(running.instances.flatMap((i) => i.host.vips.map((v) => v.ifname)));
  for (const [ifname, sender] of running.garp) {
    if (vipInterfaces.has(ifname)) continue;
    sender.close();
    running.garp.delete(ifname);
  }
  published();
  await oldTracker.stop();
  log.info('Reload complete');
}

/**
 * Waits until tracking has a first result for every instance (keepalived-behaviour.md#start-up: an
 * instance waits for its weight-0 scripts). A script that hangs is killed at its timeout and counts
 * as failed, so this always ends.
 */
async function firstTrackingResults(config: Config, tracker: Tracker, names: readonly string[], log: Logger, stopping: () => boolean): Promise<void> {
  const pending = (): string[] => names.filter((name) => tracker.outcome(name)?.pending !== false);
  const waitMs = Math.max(0, ...config.scripts.map((s) => s.timeoutMs)) + SCRIPT_KILL_GRACE_MS + 1000;
  const settled = await waitUntil(() => pending().length === 0 || stopping(), waitMs);
  if (!settled) log.warn(`tracking has no first result for ${pending().join(', ')} after ${waitMs} ms - starting them in FAULT`);
}

function startInstance(instance: Instance, tracker: Tracker): void {
  const outcome = tracker.outcome(instance.name);
  instance.start(outcome === undefined ? undefined : { fault: outcome.fault || outcome.pending, priority: outcome.priority });
}

/** Tracking changes become FSM events; the instance is looked up at each change (a reload edits the list). */
function followTracking(running: Running, tracker: Tracker, stopping: () => boolean): () => void {
  return tracker.onChange((name, outcome, previous) => {
    const instance = running.instances.find((i) => i.name === name);
    if (!instance || stopping()) return;
    if (outcome.priority !== previous.priority) instance.feed({ type: 'priorityChanged', priority: outcome.priority });
    if (outcome.fault !== previous.fault) instance.feed({ type: outcome.fault ? 'fault' : 'faultCleared' }, outcome.fault ? `fault: ${outcome.faultReasons.join('; ')}` : undefined);
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

async function start(config: Config, rtnl: Rtnl, log: Logger, notifier: Notifier, onInternalError: (e: unknown) => void): Promise<Result<Running, { code: number; message: string }>> {
  const fatal = (message: string, code: number = EXIT.fatal) => err({ code, message });
  const links = await rtnl.links();
  if (!links.ok) return fatal(`cannot list interfaces: ${links.error}`);
  const byName = new Map(links.value.map((l) => [l.name, l]));

  const hosts = await resolveHosts(config.instances, byName, rtnl);
  if (!hosts.ok) return fatal(hosts.error, EXIT.config);
  const firewall = await prepareFirewall(config.instances, log, undefined, firewallSettings(config.global.firewall));
  if (!firewall.ok) return fatal(firewall.error);
  await removeResidualVips(config.instances, hosts.value, rtnl, log, firewall.value !== undefined);

  const tracker = createTracker(config, { log, links: rtnl });
  const garp = new Map<string, GarpSender>();
  const now = (): number => performance.now();
  /** The interface's GARP socket, opened on first use and kept (followRecreatedLink drops a stale one). */
  const garpSender = (ifname: string): Result<GarpSender, string> => {
    const open = garp.get(ifname);
    if (open !== undefined) return ok(open);
    const opened = openGarpSender(ifname);
    if (opened.ok) garp.set(ifname, opened.value);
    return opened;
  };
  const addonSource = nativeAddonSource();
  if (addonSource.ok) log.debug(`native addon: ${addonSource.value}, on Node ${process.version}`);
  // One heap of deadlines on one timerfd for every instance's protocol timers (timers/scheduler.ts).
  // A timerfd's poll error: logged and counted (vrrpd_timer_errors_total); the scheduler runs on
  // setTimeout from then on, and the repeater gives its adverts back to the instances.
  const timerErrors = { count: 0 };
  const timerFailed = (message: string): void => {
    timerErrors.count += 1;
    log.error(message);
  };
  const timers = timerScheduler(timerFailed);
  if (timers.fallback !== undefined) {
    log.warn(`protocol timers on setTimeout (up to ~1 ms late): ${timers.fallback}`);
    // Unref'd: it bounds how long the loop sleeps (WAKE_BOUND_MS) without keeping the daemon alive.
    setInterval(() => undefined, WAKE_BOUND_MS).unref();
  } else log.debug(`protocol timers on ${timers.scheduler.kind}`);
  // The repeater runs on the timerfd's clock: without the timerfd, every advert is sent from JS.
  const repeater = timers.offsetMs === undefined ? undefined : openRepeater(timers.offsetMs, (m) => timerFailed(`${m}: adverts all sent from JS`));
  if (repeater?.ok === false) log.debug(`adverts all sent from JS: ${repeater.error}`);
  injectTimerPollError(process.env, [timers.failForTest, repeater?.ok === true ? repeater.value.failForTest : undefined], log);
  const sendFrames: InstancePorts['sendFrames'] = (ifname, frames) => {
    const sender = garpSender(ifname);
    return sender.ok ? sender.value.send(frames) : sender;
  };
  const shared: Running['shared'] = {
    ...(firewall.value === undefined ? {} : { firewall: firewall.value }),
    addAddress: (a) => rtnl.addAddress(a),
    delAddress: (a) => rtnl.delAddress(a),
    sendFrames,
    now,
    timers: timers.scheduler,
    background: createBackground(),
    garpPacer: createGarpPacer(sendFrames, timers.scheduler),
    log,
    onNotify: (instance, state, priority) => notifier.instance(instance, state, priority),
    onMasterRxLowerPri: (instance, priority) => notifier.masterRxLowerPri(instance, priority),
    onInternalError,
  };
  const running: Running = {
    config,
    instances: [],
    notifier,
    tracker,
    sockets: new Map(),
    garp,
    rtnl,
    unmatched: createStats(),
    shared,
    drivers: createDrivers(config, log, notifier),
    unfollow: () => undefined,
    firewall: firewall.value,
    repeater: repeater?.ok === true ? repeater.value : undefined,
    timerErrors,
  };

  const opened = openInterfaces(config, running.sockets, byName, interfaceDeps(running, log));
  if (!opened.ok) {
    await stopAll(running);
    const denied = /permitted|EPERM|EACCES/i.test(opened.error);
    return fatal(opened.error, denied ? EXIT.permission : EXIT.fatal);
  }
  for (const [ifname, socket] of opened.value) running.sockets.set(ifname, socket);
  for (const inst of config.instances) {
    const host = hosts.value.get(inst.name);
    if (host) addInstance(running, inst, host);
  }
  // The GARP sockets now rather than at the first takeover (sendFrames would open them then).
  for (const ifname of new Set([...hosts.value.values()].flatMap((h) => h.vips.map((v) => v.ifname)))) garpSender(ifname);
  rehearse(running, log);
  return ok(running);
}

/** The takeover path compiled before any instance can need it (instance/rehearsal.ts). */
function rehearse(running: Running, log: Logger): void {
  const first = running.instances[0];
  if (first === undefined) return;
  const began = performance.now();
  const rehearsed = rehearseTakeover(first.config, first.host);
  const took = (performance.now() - began).toFixed(1);
  if (rehearsed.ok) log.debug(`takeover rehearsed in ${took} ms`);
  else log.debug(`takeover rehearsal stopped after ${took} ms: ${rehearsed.error}`);
}

/** The sync groups' drivers: their lines are logged, their notifies run. */
function createDrivers(config: Config, log: Logger, notifier: Notifier): Map<string, SyncGroupDriver> {
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
  return drivers;
}

/** What the interfaces' sockets need of the running daemon. */
const interfaceDeps = (running: Running, log: Logger): InterfaceDeps => ({ unmatched: running.unmatched, clock: () => running.shared.timers.now(), log });

/**
 * An interface of ours was deleted and created again under the same name (a new ifindex): the
 * socket bound to the old one hears nothing and sends nowhere, its multicast membership and the
 * VIPs' ifindex are stale. Reopen the socket on the new link, drop the GARP sender so the next
 * burst opens on it, and give the instances their new host (a MASTER re-adds its VIPs there).
 */
async function followRecreatedLink(running: Running, link: LinkInfo, log: Logger): Promise<void> {
  const entry = running.sockets.get(link.name);
  if (entry === undefined || entry.ifindex === link.index) return;
  log.info(`Interface ${link.name} was recreated (ifindex ${entry.ifindex} -> ${link.index}) - reopening its VRRP socket`);
  const reopened = reopenInterface(running.sockets, link, running.config, interfaceDeps(running, log));
  if (!reopened.ok) {
    log.error(reopened.error);
    return;
  }
  running.garp.get(link.name)?.close();
  running.garp.delete(link.name);
  await refreshStaleHosts(running, log);
}

/** Instances whose interface's socket moved to a new ifindex get their host resolved again. */
async function refreshStaleHosts(running: Running, log: Logger): Promise<void> {
  const stale = running.instances.filter((i) => {
    const entry = running.sockets.get(i.config.interface);
    return entry !== undefined && entry.ifindex !== i.host.ifindex;
  });
  if (stale.length === 0) return;
  const links = await running.rtnl.links();
  if (!links.ok) return;
  const byName = new Map(links.value.map((l) => [l.name, l]));
  for (const instance of stale) {
    // Resolved meanwhile by another event, or its address is not there yet (then the next one).
    if (running.sockets.get(instance.config.interface)?.ifindex === instance.host.ifindex) continue;
    const host = await resolveHost(instance.config, byName, running.rtnl);
    if (!host.ok) continue;
    const driver = instance.config.syncGroup === undefined ? undefined : running.drivers.get(instance.config.syncGroup);
    log.info(`(${instance.name}) now on ${host.value.ifname} ifindex ${host.value.ifindex}`);
    instance.reconfigure(instance.config, host.value, running.config.global.garpIntervalMs, driver, instance.fsmState.effectivePriority);
  }
}

/** A new Instance on its interface's socket (which must be open) and in its sync group. */
function addInstance(running: Running, inst: InstanceConfig, host: InstanceHost): Instance | undefined {
  const entry = running.sockets.get(inst.interface);
  if (!entry) return undefined;
  // Looked up at send time: a recreated interface replaces its socket (followRecreatedLink).
  const socket = (): VrrpSocket => (running.sockets.get(inst.interface) ?? entry).socket;
  const instancePorts: InstancePorts = { ...running.shared, sendDatagram: (datagram, dst) => socket().send(datagram, dst) };
  const repeater = running.repeater;
  if (repeater !== undefined) instancePorts.repeatAdvert = (job) => socket().repeat(repeater, job);
  const driver = inst.syncGroup === undefined ? undefined : running.drivers.get(inst.syncGroup);
  const instance = new Instance(inst, host, instancePorts, running.config.global.garpIntervalMs, driver);
  entry.byVrid.set(inst.vrid, [...(entry.byVrid.get(inst.vrid) ?? []), instance]);
  running.instances.push(instance);
  return instance;
}

/** `held`: addresses a running MASTER may still hold besides its configured VIPs (a reload's dropped ones). */
async function resolveHosts(
  instances: readonly InstanceConfig[],
  byName: Map<string, LinkInfo>,
  rtnl: Rtnl,
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

async function resolveHost(inst: InstanceConfig, byName: Map<string, LinkInfo>, rtnl: Rtnl, held: ReadonlySet<Ipv4> = new Set()): Promise<Result<InstanceHost, string>> {
  const link = byName.get(inst.interface);
  if (!link) return err(`${inst.pos.file}:${inst.pos.line}: interface ${inst.interface} for vrrp_instance ${inst.name} doesn't exist`);
  const primary = await sourceAddress(link.index, inst, rtnl, held);
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
async function sourceAddress(index: number, inst: InstanceConfig, rtnl: Rtnl, held: ReadonlySet<Ipv4>): Promise<Result<Ipv4 | undefined, string>> {
  if (inst.sourceAddress === undefined) {
    const primary = await primaryAddress(index, inst, rtnl, held);
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
async function primaryAddress(index: number, inst: InstanceConfig, rtnl: Rtnl, held: ReadonlySet<Ipv4>): Promise<Result<Ipv4 | undefined, string>> {
  const addresses = await rtnl.ipv4Addresses(index);
  if (!addresses.ok) return addresses;
  const vips = new Set([...held, ...inst.vips.map((v) => v.address)]);
  const primaries = addresses.value.filter((a) => !a.secondary);
  // An address owner's VIP is its real address; then there is nothing else to pick.
  return ok((primaries.find((a) => !vips.has(a.address)) ?? primaries[0])?.address);
}

/**
 * A crashed or SIGKILLed master leaves its VIPs on the interface
 * (docs/reference/keepalived-behaviour.md#vips-left-behind-by-a-crash), which would answer ARP next
 * to the new master. keepalived removes them at start-up (`remove_residual_vips()`, same file,
 * "Leaving master and stopping"); so do we.
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

/**
 * The crash path's release (crash.ts): each instance on its own (one that throws does not stop the
 * others), then the addon's repeater. With -V the VIPs stay and no priority 0 goes, as at a stop.
 */
function releaseAfterError(running: Running, release: boolean, log: Logger): Promise<void> {
  const pending = running.instances.map((i) => {
    try {
      return release ? i.releaseAfterError() : i.dispose();
    } catch (e) {
      log.error(`(${i.name}) cannot release: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  });
  running.repeater?.close();
  return Promise.all(pending).then(() => undefined);
}

async function stopAll(running: Running, release = true, log?: Logger): Promise<void> {
  await Promise.all(running.instances.map((i) => i.stop(release)));
  // notify STOP must run before we go (keepalived-behaviour.md#leaving-master-and-stopping),
  // bounded; then no tracking script may outlive us.
  await Promise.all([running.notifier.drain(NOTIFY_DRAIN_TIMEOUT_MS), running.tracker.stop()]);
  for (const i of running.instances) i.dispose();
  running.shared.timers?.close();
  // keepalived deletes its table at exit; with -V the VIPs stay, and so do their drop rules.
  if (release && running.firewall !== undefined) {
    const closed = await running.firewall.close();
    if (!closed.ok) log?.error(`cannot remove the firewall drop rules: ${closed.error}`);
  }
  for (const ifname of [...running.sockets.keys()]) closeInterface(running.sockets, ifname);
  for (const g of running.garp.values()) g.close();
  running.rtnl.close();
}

/**
 * Test hook: VRRPD_TEST_TIMER_POLL_ERROR_AFTER_MS=N makes the scheduler's and the repeater's
 * timerfds take the path of a poll error (EIO) N ms after start, which epoll cannot be made to
 * report on a timerfd (test/lab/timer-poll-error.test.ts).
 */
function injectTimerPollError(env: NodeJS.ProcessEnv, fail: readonly (((errno: number) => void) | undefined)[], log: Logger): void {
  const afterMs = Number(env['VRRPD_TEST_TIMER_POLL_ERROR_AFTER_MS'] ?? '');
  if (!Number.isSafeInteger(afterMs) || afterMs <= 0) return;
  setTimeout(() => {
    log.warn('test hook: a poll error on the native timers (VRRPD_TEST_TIMER_POLL_ERROR_AFTER_MS)');
    for (const f of fail) f?.(osConstants.errno.EIO);
  }, afterMs).unref();
}
