// The vrrpd process: preflight -> start -> serve -> stop. Preflight reads and checks the config
// and holds the pidfiles; start brings up what runs (running.ts, its one owner: instances,
// sockets, tracking), the control socket and the metrics; serve starts the instances after
// tracking's first results, reloads on SIGHUP (reload.ts) until SIGTERM/SIGINT; stop shuts the
// instances down as RFC 3768 §6.4.3 asks (priority 0, VIPs removed) and exits 0. An unexpected
// exception on the way ends the process through crash.ts.
import { performance } from 'node:perf_hooks';
import { EXIT } from '../exit-codes.js';
import type { Config } from '../config/config.js';
import { formatDiagnostic } from '../config/config.js';
import { capPerKind, loadConfig, type LoadOptions } from '../config/load.js';
import { environmentDiagnostics } from '../check/environment.js';
import { monitorAddresses } from './address-monitor.js';
import { dumpConfig } from '../config/dump.js';
import { createReloadQueue, loadForReload } from './reload.js';
import { guardDescriptors } from '../host/exec-guard.js';
import { cpuUsage, createLogger, reopenLogFiles, stoppedLine, type Logger } from '../log/logger.js';
import { openRtnl, type Rtnl } from '../net/rtnl.js';
import { readFirewall, type FirewallReads } from '../net/firewall.js';
import { createNotifier, type Notifier } from '../notify/notifier.js';
import { sdNotify } from '../native/addon.js';
import { describePidFileError, lockPidFiles, type PidFileLock } from './pidfile.js';
import { missingNetCapabilities, readEffectiveCapabilities, scriptUserSwitchProblem } from '../host/privilege.js';
import { scriptUses } from '../host/rules.js';
import { ownIds, readHostUserDb } from '../host/files.js';
import { createSystemdStatus, injectTestStall, startWatchdog, watchdogPingMs, type SystemdStatus } from './watchdog.js';
import { installDumpSignals, type DumpSignals } from './signals.js';
import { createCrashHandler, injectTestThrow } from './crash.js';
import { firewallBeforeStart, Running } from './running.js';
import { err, ok, type Result } from '../types.js';
import { VERSION } from '../version.js';
import { startControlServer, type ControlServer } from '../control/server.js';
import { defaultSocketPath } from '../control/protocol.js';
import { collectStatus } from '../control/status.js';
import type { ListenAddress } from '../metrics/listen.js';
import type { MetricsServer } from '../metrics/exporter.js';
import { detectJournal } from '../log/journal.js';

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

/**
 * Runs until stopped; resolves with the exit code. The logger and the process-wide handlers first,
 * then the phases: preflight -> start -> serve -> stop.
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
  let running: Running | undefined;
  const crash = createCrashHandler({ log, release: () => running?.releaseAfterError(flags.dontReleaseVrrp !== true), exit: (code) => process.exit(code) });
  process.on('uncaughtException', (e) => crash(e, 'uncaught exception'));
  process.on('unhandledRejection', (e) => crash(e, 'unhandled rejection'));
  const fail = (code: number, message: string): number => {
    log.error(message);
    opts.report(message);
    return code;
  };
  const ready = await preflight(opts, log, fail, learnVrids);
  if (!ready.ok) return ready.error;
  const started = await start(opts, ready.value, log, { dumps, crash, onRunning: (r) => (running = r) });
  if (!started.ok) return fail(started.error.code, started.error.message);
  await serve(opts, started.value, log, { dumps, crash, learnVrids });
  return stop(opts, started.value, log, dumps);
}

/** What start-up needs before it touches the network: the config read and checked, the pidfiles held. */
interface Preflight {
  readonly config: Config;
  readonly pidFiles: readonly PidFileLock[];
  readonly rtnl: Rtnl;
  /** Started once the config is read, so the commands run while the host is checked; none when not needed at start. */
  readonly firewallReads: Promise<FirewallReads> | undefined;
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
  // Read while the host checks run, when start-up waits for them (running.ts firewallBeforeStart).
  const firewallReads = firewallBeforeStart(config) ? readFirewall() : undefined;
  // What -t checks beyond the text (interfaces, script files and users) refuses a start too: a
  // check script that cannot run would otherwise leave the VIP on a host whose nginx is dead
  // (keepalived disables such a check and runs on,
  // docs/reference/keepalived-behaviour.md#unknown-and-unusable-configuration).
  const rtnl = openRtnl();
  if (!rtnl.ok) return err(fail(EXIT.fatal, `cannot open rtnetlink: ${rtnl.error}`));
  const environment = capPerKind(await environmentDiagnostics(config, opts.configPath, rtnl.value));
  for (const d of environment) {
    if (d.severity === 'warning') log.warn(formatDiagnostic(d));
  }
  const environmentErrors = environment.filter((d) => d.severity === 'error');
  if (environmentErrors.length > 0) {
    rtnl.value.close();
    for (const d of environmentErrors) fail(EXIT.config, formatDiagnostic(d));
    return err(EXIT.config);
  }
  const userSwitch = scriptUserSwitchProblem(scriptUses(config, readHostUserDb(), ownIds()), ownIds(), readEffectiveCapabilities());
  if (userSwitch !== undefined) log.warn(userSwitch);
  log.info(`Starting vrrpd v${VERSION}`);
  if (flags.dumpConfig === true) for (const line of dumpConfig(config).trimEnd().split('\n')) log.info(line);

  const capabilities = missingNetCapabilities(readEffectiveCapabilities());
  if (capabilities !== undefined) {
    rtnl.value.close();
    return err(fail(EXIT.permission, capabilities));
  }
  return ok({ config, pidFiles, rtnl: rtnl.value, firewallReads });
}

/** What start() needs besides the preflight's results. */
interface Starting {
  readonly dumps: DumpSignals;
  readonly crash: (e: unknown, where: string) => void;
  /** What runs exists: from now on an internal error releases it. */
  readonly onRunning: (running: Running) => void;
}

/** What the start phase brought up, for serve and stop. */
interface Started {
  readonly pidFiles: readonly PidFileLock[];
  readonly running: Running;
  readonly systemd: SystemdStatus;
  readonly services: { close(): Promise<void> };
}

/**
 * The second phase: what runs (running.ts: hosts, sockets, instances created), the host's events
 * followed, the control socket and the metrics up, systemd told READY=1. The instances start in
 * serve, after tracking's first results.
 */
async function start(opts: DaemonOptions, pre: Preflight, log: Logger, s: Starting): Promise<Result<Started, { code: number; message: string }>> {
  const flags = opts.flags ?? {};
  const { dumps, crash } = s;
  const { config, pidFiles, rtnl, firewallReads } = pre;
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
  const started = await Running.start(config, rtnl, { log, notifier, onInternalError: (e) => crash(e, 'in an instance'), firewallReads });
  if (!started.ok) {
    rtnl.close();
    return started;
  }
  const running = started.value;
  s.onRunning(running);
  dumps.setSources(running.sources());

  const unwatch = running.watchHost();
  process.once('exit', unwatch);
  if (flags.addressMonitoring === true) await monitorAddressChanges(rtnl, log);
  const services = await startServices(opts, running, log);
  systemd.send('READY=1');
  // keepalived's order: "Startup complete", then each instance's "Entering BACKUP STATE (init)".
  log.info('Startup complete');
  injectTestThrow(process.env, running.timers, log);
  opts.onReady();
  return ok({ pidFiles, running, systemd, services });
}

/** -a: every address netlink reports added or removed, logged. */
async function monitorAddressChanges(rtnl: Rtnl, log: Logger): Promise<void> {
  const links = await rtnl.links();
  monitorAddresses(rtnl, log, links.ok ? links.value : []);
}

/** What serve() needs besides what start brought up. */
interface Serving {
  readonly dumps: DumpSignals;
  readonly crash: (e: unknown, where: string) => void;
  readonly learnVrids: (config: Config) => void;
}

/**
 * The third phase: the instances start (after tracking's first results), SIGHUP reloads; SIGTERM
 * or SIGINT ends it, resolving once no reload runs any more.
 */
function serve(opts: DaemonOptions, started: Started, log: Logger, s: Serving): Promise<void> {
  const { running, systemd } = started;
  const { dumps, crash, learnVrids } = s;
  return new Promise<void>((resolve) => {
    let stopping = false;
    const isStopping = (): boolean => stopping;
    let starting: Promise<void> = Promise.resolve();
    const publish = (): void => {
      learnVrids(running.configuration);
      dumps.setSources(running.sources());
    };
    const reload = async (): Promise<void> => {
      log.info('Reloading');
      const next = await loadForReload(opts.configPath, opts.load, log);
      if (next === undefined || stopping) return;
      await running.reload(next, isStopping, publish);
    };
    // A HUP during start-up (tracking's first results, vrrp_startup_delay) waits until it is done.
    const reloads = createReloadQueue(
      () => starting.then(reload),
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
      void reloads.idle().then(() => resolve());
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      if (!stopping) reloads.request();
    });
    starting = running.startInstances(isStopping);
  });
}

/**
 * The fourth phase: the instances stop (priority 0, VIPs removed; -V keeps them), notify STOP runs,
 * the services close, the pidfiles go; exit 0.
 */
async function stop(opts: DaemonOptions, started: Started, log: Logger, dumps: DumpSignals): Promise<number> {
  await started.running.stop(opts.flags?.dontReleaseVrrp !== true);
  await started.services.close();
  started.pidFiles.forEach((p) => p.release());
  dumps.close();
  log.info(stoppedLine(opts.detail, cpuUsage()));
  log.info(`Stopped vrrpd v${VERSION}`);
  return EXIT.ok;
}

/**
 * The control socket (`vrrpd status`) and, when asked for, the metrics endpoint. Neither is needed
 * to hold a VIP, so a failure to open one is logged and the daemon runs on. Both read the running
 * state at each request (a reload replaces the config and the tracker).
 */
async function startServices(opts: DaemonOptions, running: Running, log: Logger): Promise<{ close(): Promise<void> }> {
  const startedAtMs = performance.now();
  const control = await startControlServer({
    path: opts.flags?.controlSocket ?? defaultSocketPath(opts.pidFile),
    log,
    handle: () => ({ ok: true, status: collectStatus(running.sources(), { version: VERSION, startedAtMs }) }),
  });
  if (!control.ok) log.warn(`${control.error} - vrrpd status will not reach this daemon`);
  const listen = opts.flags?.metricsListen;
  let metrics: Result<MetricsServer, string> | undefined;
  if (listen !== undefined) {
    // Loaded here: prom-client is the largest module vrrpd has, and most runs never serve metrics.
    const { createMetricsRegistry, startMetricsServer } = await import('../metrics/exporter.js');
    metrics = await startMetricsServer(listen, createMetricsRegistry(() => running.sources()), log);
    if (metrics.ok) log.info(`metrics on http://${listen.host}:${metrics.value.address.port}/metrics`);
    else log.error(metrics.error);
  }
  const servers: (ControlServer | MetricsServer)[] = [...(control.ok ? [control.value] : []), ...(metrics?.ok === true ? [metrics.value] : [])];
  return { close: async () => void (await Promise.all(servers.map((s) => s.close()))) };
}
