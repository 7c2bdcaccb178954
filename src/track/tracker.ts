// Tracking for the whole config: runs every tracked vrrp_script (once, however many instances
// track it), follows the tracked links through rtnetlink and the tracked files, and tells the
// owner when an instance's outcome (FAULT, effective priority, still waiting) changes. It knows
// nothing of the FSM: the daemon turns onChange into fault / faultCleared / priorityChanged, and
// the FSM logs "(VI_1) Changing effective priority from X to Y".
import type { Config, VrrpScriptConfig } from '../config/config.js';
import { DEFAULT_PATH, resolveCommand, scriptRunAs, type FsProbe, type RunAs, type UserDb } from '../host/rules.js';
import { hostFs, ownIds, readHostUserDb } from '../host/files.js';
import { err, ok, type Result } from '../types.js';
import { realClock, type Clock } from './clock.js';
import { createFileTracker, nodeTrackFileIo, type FileTracker, type TrackFileIo } from './file-watch.js';
import { applyLinkEvent, isNameUp, resyncLinks, tableFrom, type LinkEvent, type LinkFlags, type LinkTable, type LinkUpdate } from './links.js';
import { guarded } from './log.js';
import type { LineLog } from '../log/lines.js';
import { runOpenTest } from './open-test.js';
import { computeOutcome, sameOutcome, type TrackedObjectState, type TrackingOutcome, type UpDown } from './outcome.js';
import { planTracking, type PlannedTrack, type TrackKind, type TrackPlan } from './plan.js';
import { killGroup as realKillGroup, spawnScript, type GroupKiller, type Spawner } from './process.js';
import { createScriptRunner, type RunnerStatus, type ScriptRunner } from './script-runner.js';
import { applyScriptResult, initialScriptState, scriptStatus, type ScriptRunResult, type ScriptState } from './script-state.js';

export type { TrackingOutcome } from './outcome.js';

/** What the tracker needs from rtnetlink; net/rtnl.ts's Rtnl fits. */
export interface LinkSource {
  links(): Promise<Result<readonly LinkFlags[], string>>;
  watch(onEvent: (e: LinkSourceEvent) => void): () => void;
}

export type LinkSourceEvent =
  | LinkEvent
  | { readonly kind: 'overrun'; readonly message: string }
  | { readonly kind: 'addressAdded' | 'addressRemoved' };

export interface TrackerDeps {
  readonly log: LineLog;
  readonly links: LinkSource;
  readonly clock?: Clock;
  readonly spawn?: Spawner;
  readonly killGroup?: GroupKiller;
  readonly fileIo?: TrackFileIo;
  /** Users and groups for `user`/script_user (default: /etc/passwd and /etc/group). */
  readonly userDb?: UserDb;
  /** The daemon's own ids (default: this process's). */
  readonly own?: { readonly uid: number; readonly gid: number };
  /** PATH for bare script names (default: $PATH, else keepalived's /bin:/usr/bin). */
  readonly pathEnv?: string;
  readonly fsProbe?: FsProbe;
  readonly openTest?: (path: string, timeoutMs: number) => Promise<ScriptRunResult>;
  /** track_file poll period (default 5 s) and the pause after a change event before reading. */
  readonly filePollMs?: number;
  readonly fileSettleMs?: number;
  /** Retry period when the first link dump fails (default 1 s). */
  readonly linkRetryMs?: number;
}

export type ChangeListener = (instanceName: string, outcome: TrackingOutcome, previous: TrackingOutcome) => void;

/** One tracked object, for `vrrpd status`. */
export type TrackedObjectStatus =
  | (RunnerStatus & {
      readonly kind: 'script';
      readonly name: string;
      readonly trackedBy: readonly string[];
      readonly state: UpDown;
      /** keepalived's rise/fall counter (0..rise+fall-1, up at >= rise). */
      readonly counter: number;
      readonly lastExitStatus: number;
    })
  | { readonly kind: 'interface'; readonly name: string; readonly trackedBy: readonly string[]; readonly state: UpDown }
  | {
      readonly kind: 'file';
      readonly name: string;
      readonly trackedBy: readonly string[];
      readonly path: string;
      readonly value: number | undefined;
      readonly lastReadAt: number | undefined;
      readonly note: string | undefined;
    };

export interface Tracker {
  /** Run the scripts (first run at once), read the links and files, watch for changes. */
  start(): void;
  /** Stop everything; running scripts' process groups get SIGTERM then SIGKILL (bounded wait). */
  stop(): Promise<void>;
  /** The instance's current outcome; undefined for a name that is not a configured instance. */
  outcome(instanceName: string): TrackingOutcome | undefined;
  /** Called only when an instance's outcome changes; returns a function that unsubscribes. */
  onChange(listener: ChangeListener): () => void;
  status(): TrackedObjectStatus[];
}

interface ScriptSlot {
  readonly cfg: VrrpScriptConfig;
  state: ScriptState;
  runner: ScriptRunner | undefined;
}

const key = (kind: TrackKind, name: string): string => `${kind}\u0000${name}`;

function describeResolveFailure(command: string, r: ReturnType<typeof resolveCommand>, pathEnv: string, runAs: { uid: number; gid: number }): string {
  if (r.kind === 'missing') return command.includes('/') ? 'no such file' : `not found in PATH (${pathEnv})`;
  if (r.kind === 'not-executable') return `${r.path} is not executable for uid:gid ${runAs.uid}:${runAs.gid}`;
  return '';
}

export function createTracker(config: Config, deps: TrackerDeps): Tracker {
  const log = deps.log;
  const clock = deps.clock ?? realClock;
  const plan: TrackPlan = planTracking(config);
  const reported = new Set(plan.reportedInterfaces);
  const own = deps.own ?? ownIds();
  const pathEnv = deps.pathEnv ?? process.env['PATH'] ?? DEFAULT_PATH;
  const fsProbe = deps.fsProbe ?? hostFs;

  // Which instances each object affects.
  const dependents = new Map<string, string[]>();
  for (const [inst, objects] of plan.instances) {
    for (const o of objects) {
      const k = key(o.kind, o.name);
      const list = dependents.get(k) ?? [];
      list.push(inst);
      dependents.set(k, list);
    }
  }
  const trackedBy = (kind: TrackKind, name: string): readonly string[] => dependents.get(key(kind, name)) ?? [];

  const scripts = new Map<string, ScriptSlot>();
  for (const name of plan.scripts) {
    const cfg = config.scripts.find((s) => s.name === name);
    if (cfg === undefined) {
      log.error(`track_script ${name} has no vrrp_script block - counted as failed`);
      continue;
    }
    scripts.set(name, { cfg, state: initialScriptState(cfg), runner: undefined });
  }
  const fileValues = new Map<string, number | undefined>(plan.files.map((f) => [f, undefined]));
  const fileConfigs = plan.files.flatMap((name) => {
    const cfg = config.trackFiles.find((f) => f.name === name);
    if (cfg === undefined) {
      log.error(`track_file ${name} has no track_file block - read as 0`);
      fileValues.set(name, 0);
      return [];
    }
    return [cfg];
  });
  let links: LinkTable | undefined;

  function objectState(o: PlannedTrack): TrackedObjectState {
    switch (o.kind) {
      case 'script': {
        const slot = scripts.get(o.name);
        return { ...o, kind: 'script', status: slot === undefined ? 'down' : scriptStatus(slot.state, slot.cfg) };
      }
      case 'interface':
        return { ...o, kind: 'interface', status: links === undefined ? 'unknown' : isNameUp(links, o.name) ? 'up' : 'down' };
      case 'file':
        return { ...o, kind: 'file', value: fileValues.get(o.name) };
    }
  }

  const bases = new Map(config.instances.map((i) => [i.name, i.priority]));
  const compute = (inst: string): TrackingOutcome | undefined => {
    const base = bases.get(inst);
    const objects = plan.instances.get(inst);
    return base === undefined || objects === undefined ? undefined : computeOutcome(base, objects.map(objectState));
  };
  const outcomes = new Map<string, TrackingOutcome>();
  for (const inst of config.instances) {
    const o = compute(inst.name);
    if (o !== undefined) outcomes.set(inst.name, o);
  }

  const listeners = new Set<ChangeListener>();
  let started = false;
  let stopped = false;

  function recompute(instances: Iterable<string>): void {
    if (stopped) return;
    for (const inst of new Set(instances)) {
      const previous = outcomes.get(inst);
      const next = compute(inst);
      if (previous === undefined || next === undefined || sameOutcome(previous, next)) continue;
      outcomes.set(inst, next);
      for (const l of [...listeners]) guarded(log, `tracking listener for ${inst}`, () => l(inst, next, previous));
    }
  }

  // ----- scripts

  let userDb: UserDb | undefined = deps.userDb;
  function runAsFor(cfg: VrrpScriptConfig): RunAs {
    const g = config.global;
    userDb ??= readHostUserDb();
    const [user, group] = cfg.command.user !== undefined ? [cfg.command.user, cfg.command.group] : [g.scriptUser?.user, g.scriptUser?.group];
    return scriptRunAs(user, group, userDb, { own, scriptSecurity: g.enableScriptSecurity });
  }

  function resolve(command: string, runAs: { readonly uid: number; readonly gid: number }): Result<string, string> {
    const r = resolveCommand(command, runAs, pathEnv, fsProbe);
    return r.kind === 'found' ? ok(r.path) : err(describeResolveFailure(command, r, pathEnv, runAs));
  }

  function onScriptResult(slot: ScriptSlot, result: ScriptRunResult): void {
    const { state, logs } = applyScriptResult(slot.state, slot.cfg, slot.cfg.name, result);
    slot.state = state;
    for (const line of logs) log.info(line);
    recompute(trackedBy('script', slot.cfg.name));
  }

  // ----- links

  function applyLinks(update: LinkUpdate): void {
    links = update.table;
    for (const line of update.logs) log.info(line);
    if (update.changes.length > 0) recompute(update.changes.flatMap((c) => trackedBy('interface', c.name)));
  }

  let unwatch = (): void => undefined;
  let cancelRetry = (): void => undefined;
  let resyncing = false;

  function firstDump(buffered: LinkEvent[]): void {
    deps.links.links().then(
      (r) => {
        if (stopped) return;
        if (!r.ok) {
          log.error(`tracking: cannot list the network interfaces (${r.error}) - retrying; instances wait`);
          cancelRetry = clock.setTimer(deps.linkRetryMs ?? 1000, () => firstDump(buffered));
          return;
        }
        let table = tableFrom(r.value);
        // Events that arrived while the dump was under way are newer than what we had, and
        // usually than the dump: apply them on top, without the lines (nothing was known before).
        for (const e of buffered.splice(0)) table = applyLinkEvent(table, e, reported).table;
        links = table;
        recompute(plan.interfaces.flatMap((name) => trackedBy('interface', name)));
      },
      (e: unknown) => {
        if (stopped) return;
        log.error(`tracking: listing interfaces failed (${String(e)}) - retrying; instances wait`);
        cancelRetry = clock.setTimer(deps.linkRetryMs ?? 1000, () => firstDump(buffered));
      },
    );
  }

  function resync(reason: string): void {
    if (resyncing || links === undefined) return;
    resyncing = true;
    log.warn(`tracking: netlink events lost (${reason}) - re-reading the interfaces`);
    deps.links.links().then(
      (r) => {
        resyncing = false;
        if (stopped || links === undefined) return;
        if (r.ok) applyLinks(resyncLinks(links, r.value, reported));
        else log.error(`tracking: cannot re-read the network interfaces: ${r.error}`);
      },
      () => {
        resyncing = false;
      },
    );
  }

  function startLinks(): void {
    if (plan.reportedInterfaces.length === 0) {
      links = new Map();
      return;
    }
    const buffered: LinkEvent[] = [];
    unwatch = deps.links.watch((e) => {
      if (stopped) return;
      guarded(log, 'link event', () => {
        if (e.kind === 'overrun') return resync(e.message);
        if (e.kind !== 'link' && e.kind !== 'linkDeleted') return;
        if (links === undefined) buffered.push(e);
        else applyLinks(applyLinkEvent(links, e, reported));
      });
    });
    firstDump(buffered);
  }

  // ----- files

  const fileTracker: FileTracker = createFileTracker(
    fileConfigs,
    { log, clock, io: deps.fileIo ?? nodeTrackFileIo, pollMs: deps.filePollMs, settleMs: deps.fileSettleMs },
    (name, value) => {
      fileValues.set(name, value);
      recompute(trackedBy('file', name));
    },
  );

  return {
    start() {
      if (started || stopped) return;
      started = true;
      startLinks();
      fileTracker.start();
      for (const slot of scripts.values()) {
        // A user that does not exist makes every run a failure; the runner says so loudly.
        const runAs = runAsFor(slot.cfg);
        slot.runner = createScriptRunner(
          { name: slot.cfg.name, argv: slot.cfg.command.argv, intervalMs: slot.cfg.intervalMs, timeoutMs: slot.cfg.timeoutMs, runAs },
          {
            log,
            clock,
            spawn: deps.spawn ?? spawnScript,
            killGroup: deps.killGroup ?? realKillGroup,
            resolve,
            own,
            openTest: deps.openTest ?? ((path, ms) => runOpenTest(path, clock, ms)),
          },
          (result) => onScriptResult(slot, result),
        );
        slot.runner.start();
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      unwatch();
      cancelRetry();
      fileTracker.stop();
      await Promise.all([...scripts.values()].map((s) => s.runner?.stop()));
    },
    outcome: (name) => outcomes.get(name),
    onChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    status() {
      const out: TrackedObjectStatus[] = [];
      for (const slot of scripts.values()) {
        const r = slot.runner?.status();
        out.push({
          kind: 'script',
          name: slot.cfg.name,
          trackedBy: trackedBy('script', slot.cfg.name),
          state: scriptStatus(slot.state, slot.cfg),
          counter: slot.state.result,
          phase: r?.phase ?? 'idle',
          pid: r?.pid,
          runs: r?.runs ?? 0,
          skipped: r?.skipped ?? 0,
          lastStartedAt: r?.lastStartedAt,
          lastDurationMs: r?.lastDurationMs,
          lastResult: r?.lastResult,
          lastExitStatus: slot.state.lastExitStatus,
        });
      }
      for (const name of plan.interfaces) {
        out.push({ kind: 'interface', name, trackedBy: trackedBy('interface', name), state: links === undefined ? 'unknown' : isNameUp(links, name) ? 'up' : 'down' });
      }
      const files = new Map(fileTracker.status().map((f) => [f.name, f]));
      for (const name of plan.files) {
        const f = files.get(name);
        out.push({
          kind: 'file',
          name,
          trackedBy: trackedBy('file', name),
          path: f?.path ?? '',
          value: fileValues.get(name),
          lastReadAt: f?.lastReadAt,
          note: f?.note,
        });
      }
      return out;
    },
  };
}
