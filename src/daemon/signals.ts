// keepalived's dump signals, with its file names under vrrpd's name in $TMPDIR (default /tmp):
//   SIGUSR1 (DATA)                 vrrpd.data   keepalived.data's layout (src/dump/data.ts)
//   SIGUSR2 (STATS)                vrrpd.stats  keepalived.stats (src/instance/stats.ts)
//   SIGRTMIN+29 = 63 (STATS_CLEAR) vrrpd.stats, then every counter back to zero
//   SIGRTMIN+2  = 36 (JSON)        vrrpd.json   keepalived.json (src/dump/json.ts)
// The realtime two are caught by the native addon: Node cannot name them, and their default
// action would kill the daemon holding the VIP. Files are mode 0600 whatever was there before
// (the data and JSON dumps carry the PASS password in clear, as keepalived's do); a file that
// cannot be written is logged and the daemon runs on.
import { closeSync, fchmodSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname as osHostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CommandConfig, Config } from '../config/config.js';
import { scriptRunAs } from '../host/rules.js';
import { formatData } from '../dump/data.js';
import type { DumpInput, DumpInstance } from '../dump/input.js';
import { formatJson } from '../dump/json.js';
import { ownIds, readHostUserDb } from '../host/files.js';
import type { Logger } from '../log/logger.js';
import { sigrtmin, watchSignal, type SignalWatch } from '../native/addon.js';
import { clearStats, formatKeepalivedStatsFile } from '../instance/stats.js';
import type { Tracker } from '../track/tracker.js';
import { err, ok, type Result } from '../types.js';
import type { Instance } from '../instance/instance.js';

/** keepalived's SIGJSON and SIGSTATS_CLEAR, as offsets from SIGRTMIN (keepalived's signals.h). */
export const JSON_SIGNAL_OFFSET = 2;
export const STATS_CLEAR_SIGNAL_OFFSET = 29;

/** What a dump reads once the daemon runs. */
export interface DumpSources {
  readonly config: Config;
  readonly instances: readonly Instance[];
  readonly tracker: Tracker;
}

export interface DumpSignals {
  /** Until this is called a signal is logged and answered with no file (the daemon is starting). */
  setSources(sources: DumpSources): void;
  /** Stop catching the signals (the realtime ones get their default action back). */
  close(): void;
}

/** $TMPDIR as keepalived's make_tmp_filename() reads it: unset or empty means /tmp. */
export function dumpDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env['TMPDIR'];
  return dir === undefined || dir === '' ? '/tmp' : dir;
}

/**
 * Write `text` to dir/name with mode 0600: a new file beside it (O_EXCL, so no symlink planted
 * there is followed), chmod'ed to 0600 whatever the umask, then renamed over the old one — which
 * also replaces a file an earlier run left with a wider mode.
 */
export function writeDumpFile(dir: string, name: string, text: string): Result<string, string> {
  const path = join(dir, name);
  const temp = join(dir, `.${name}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', 0o600);
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
    return ok(path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // never created, or already renamed
    }
    return err(`Can't open ${path} (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** Everything a dump prints, taken now, between two events of the loop. */
export function collectDump(sources: DumpSources): DumpInput {
  const { config, tracker } = sources;
  const tracked = tracker.status();
  const db = readHostUserDb();
  const own = ownIds();
  const scriptIds = (command: CommandConfig | undefined): { uid: number; gid: number } | undefined => {
    const g = config.global;
    const [user, group] = command?.user !== undefined ? [command.user, command.group] : [g.scriptUser?.user, g.scriptUser?.group];
    const r = scriptRunAs(user, group, db, { own, scriptSecurity: g.enableScriptSecurity });
    return r.ok ? { uid: r.uid, gid: r.gid } : undefined;
  };
  const instances = sources.instances.map((instance): DumpInstance => {
    const snapshot = instance.snapshot();
    const last = instance.lastTransition;
    const weightZero = new Set(instance.config.trackScripts.filter((t) => t.weight === 0).map((t) => t.name));
    return {
      snapshot,
      // keepalived's last_transition: wall clock, µs since the epoch.
      lastTransitionUs: last === undefined ? undefined : Math.round((performance.timeOrigin + last.at) * 1000),
      readTimeoutUs: snapshot.nextTimerAt === undefined ? undefined : Math.round((performance.timeOrigin + snapshot.nextTimerAt) * 1000),
      trackFaults: tracker.outcome(snapshot.name)?.faultReasons.length ?? 0,
      scriptsInit: tracked.filter((t) => t.kind === 'script' && t.state === 'unknown' && weightZero.has(t.name) && t.trackedBy.includes(snapshot.name)).length,
    };
  });
  let userName = 'root';
  try {
    userName = userInfo().username;
  } catch {
    // no passwd entry for our uid: keepalived would leave email_from unset; root is the usual case
  }
  return { config, instances, tracked, hostname: osHostname().split('.')[0] ?? '', userName, scriptIds };
}

/** Install the four dump signals now (a realtime signal during start-up must not kill us either). */
export function installDumpSignals(log: Logger, env: NodeJS.ProcessEnv = process.env): DumpSignals {
  let sources: DumpSources | undefined;
  const dir = (): string => dumpDirectory(env);
  const write = (name: string, text: string): boolean => {
    const written = writeDumpFile(dir(), name, text);
    if (!written.ok) log.error(written.error);
    return written.ok;
  };
  const ready = (what: string): DumpSources | undefined => {
    if (sources === undefined) log.warn(`${what}: vrrpd is still starting - no file written`);
    return sources;
  };

  const data = (): void => {
    log.info(`Printing VRRP data for process(${process.pid}) on signal`);
    const s = ready('SIGUSR1');
    if (s) write('vrrpd.data', formatData(collectDump(s)));
  };
  const stats = (clear: boolean): void => {
    log.info(`Printing ${clear ? 'and clearing ' : ''}VRRP stats for process(${process.pid}) on signal`);
    const s = ready(clear ? 'STATS_CLEAR' : 'SIGUSR2');
    if (!s) return;
    const text = formatKeepalivedStatsFile(s.instances.map((i) => ({ name: i.name, stats: i.stats })));
    // keepalived clears only once the file is open.
    if (write('vrrpd.stats', text) && clear) for (const i of s.instances) clearStats(i.stats);
  };
  const json = (): void => {
    log.info(`Printing VRRP as json for process(${process.pid}) on signal`);
    const s = ready('JSON');
    if (s) write('vrrpd.json', formatJson(collectDump(s)));
  };

  // A listener also keeps Node from starting its inspector on SIGUSR1.
  const onUsr1 = (): void => data();
  const onUsr2 = (): void => stats(false);
  process.on('SIGUSR1', onUsr1);
  process.on('SIGUSR2', onUsr2);
  const watches: SignalWatch[] = [];
  const rtmin = sigrtmin();
  if (!rtmin.ok) {
    log.warn(`cannot catch the JSON and STATS_CLEAR signals: ${rtmin.error}`);
  } else {
    for (const [offset, handler] of [
      [JSON_SIGNAL_OFFSET, json],
      [STATS_CLEAR_SIGNAL_OFFSET, () => stats(true)],
    ] as const) {
      const watch = watchSignal(rtmin.value + offset, handler);
      if (watch.ok) watches.push(watch.value);
      else log.warn(`cannot catch signal ${rtmin.value + offset}: ${watch.error}`);
    }
  }

  return {
    setSources: (s) => {
      sources = s;
    },
    close: () => {
      process.off('SIGUSR1', onUsr1);
      process.off('SIGUSR2', onUsr2);
      for (const w of watches.splice(0)) w.close();
    },
  };
}
