// Notify scripts: notify_master / _backup / _fault / _stop / _deleted, the generic `notify`, and
// notify_master_rx_lower_pri, for vrrp_instances and vrrp_sync_groups, with keepalived 2.2.8's
// arguments and users (src/notify/plan.ts says which scripts and argv, src/notify/run.ts how one
// runs). What differs from keepalived, on purpose:
// - per instance (and per group) the notifications run one at a time, in transition order
//   (src/notify/queue.ts); keepalived forks them all at once, in no guaranteed order of completion;
// - every run has a time limit (NOTIFY_TIMEOUT_MS, then SIGTERM/SIGKILL to its process group);
//   keepalived has none except 1 s for STOP at shutdown;
// - stdout/stderr go to the log, capped per run; keepalived sends them to /dev/null;
// - the file is found and checked at every run, not once at start-up: a script missing at start
//   is not disabled for ever, one removed (or made insecure under enable_script_security) later is
//   refused then, loudly.
//
// The daemon calls instance()/group()/masterRxLowerPri() synchronously at the transition; they
// only enqueue. At shutdown it reports STOP for every instance and group, then awaits drain().
import { performance } from 'node:perf_hooks';
import { NOTIFY_KEYWORDS, type CommandConfig, type Config, type InstanceConfig, type NotifyScripts, type SyncGroupConfig } from '../config/config.js';
import { DEFAULT_PATH, DEFAULT_SCRIPT_USER, scriptRunAs, type FsProbe, type RunAs, type UserDb } from '../host/rules.js';
import { guardedSpawn } from '../host/exec-guard.js';
import type { Logger } from '../log/logger.js';
import { ok } from '../types.js';
import { hostFs, ownIds, readHostUserDb } from '../host/files.js';
import { planGroup, planInstance, planMasterRxLowerPri, type GroupNotifyState, type InstanceNotifyState, type PlannedTransition } from './plan.js';
import { NotifyQueue, type Launcher, type QueueKind, type QueueStatus } from './queue.js';
import { prepareLaunch, startRun, type RunContext, type SpawnFn } from './run.js';

export type { GroupNotifyState, InstanceNotifyState } from './plan.js';
export type { QueueStatus, RunRecord } from './queue.js';
export type { RunOutcome, SpawnFn } from './run.js';

/**
 * Time limit of one notify script run. keepalived has none, so any limit is a change; it has to sit
 * well above what notify scripts legitimately take (systemctl start/stop, a load balancer API call
 * with its own few-second timeout, a mail) and low enough that a hung script holds up the next
 * transition's script - which now waits for it - by about as long as a failover itself takes
 * (Master_Down_Interval is 3.6 s at advert_int 1), not by minutes.
 */
export const NOTIFY_TIMEOUT_MS = 10_000;
/** SIGTERM first, SIGKILL this much later: keepalived's track-script time-out escalation. */
export const NOTIFY_KILL_GRACE_MS = 2_000;
/** After a script exits, how long its output pipes may stay open (a background child of it). */
export const NOTIFY_CLOSE_GRACE_MS = 100;
/** Output logged per run, both streams together. */
export const NOTIFY_OUTPUT_MAX_LINES = 64;
export const NOTIFY_OUTPUT_MAX_BYTES = 8 * 1024;
/** Waiting transitions at which the backlog is logged (once per backlog). */
export const NOTIFY_QUEUE_WARN = 8;
/**
 * Waiting transitions beyond which the oldest are dropped (loudly). At the time limit that is more
 * than two hours of scripts behind the state: memory, not meaning, is what is protected.
 */
export const NOTIFY_QUEUE_MAX = 1000;
/**
 * keepalived's umask (lib/utils.c umask_val = S_IXUSR|S_IRWXG|S_IRWXO, set at start-up and inherited
 * by every script): files a notify script creates are 0600 unless it says otherwise.
 */
export const SCRIPT_UMASK = 0o177;
/**
 * What the daemon should give drain() at shutdown: one STOP script its full time limit. keepalived
 * gives STOP scripts 1 s before SIGKILL, which kills a deregistration half-way.
 */
export const NOTIFY_DRAIN_TIMEOUT_MS = NOTIFY_TIMEOUT_MS + NOTIFY_KILL_GRACE_MS;

export interface NotifyLimits {
  readonly timeoutMs: number;
  readonly killGraceMs: number;
  readonly closeGraceMs: number;
  readonly maxOutputLines: number;
  readonly maxOutputBytes: number;
  readonly warnPending: number;
  readonly maxPending: number;
}

export const DEFAULT_NOTIFY_LIMITS: NotifyLimits = {
  timeoutMs: NOTIFY_TIMEOUT_MS,
  killGraceMs: NOTIFY_KILL_GRACE_MS,
  closeGraceMs: NOTIFY_CLOSE_GRACE_MS,
  maxOutputLines: NOTIFY_OUTPUT_MAX_LINES,
  maxOutputBytes: NOTIFY_OUTPUT_MAX_BYTES,
  warnPending: NOTIFY_QUEUE_WARN,
  maxPending: NOTIFY_QUEUE_MAX,
};

export interface NotifierDeps {
  readonly log: Logger;
  /** Milliseconds (timestamps in status(), latencies); default: wall clock with sub-ms resolution. */
  readonly clock?: () => number;
  readonly spawn?: SpawnFn;
  /** Users and groups (default: /etc/passwd and /etc/group, read once, as keepalived resolves them at start-up). */
  readonly userDb?: UserDb;
  readonly fs?: FsProbe;
  /** The daemon's uid/gid (default: the process's). */
  readonly own?: { readonly uid: number; readonly gid: number };
  /** The scripts' environment (default: the daemon's, as keepalived passes its environ). */
  readonly env?: NodeJS.ProcessEnv;
  /** PATH for bare command names (default: $PATH, else keepalived's /bin:/usr/bin). */
  readonly pathEnv?: string;
  /** The scripts' umask (default SCRIPT_UMASK); null = the daemon's own. */
  readonly umask?: number | null;
  readonly limits?: Partial<NotifyLimits>;
}

export interface NotifyStatus {
  readonly queues: readonly QueueStatus[];
}

export interface Notifier {
  /** An instance entered `state` with this effective priority: its scripts are queued. Never blocks. */
  instance(name: string, state: InstanceNotifyState, priority: number): void;
  /** A sync group entered `state`. */
  group(name: string, state: GroupNotifyState): void;
  /** A MASTER heard a lower-priority advert: notify_master_rx_lower_pri (no arguments appended). */
  masterRxLowerPri(name: string, priority: number): void;
  /**
   * Resolves when every queue is empty, or after timeoutMs: then what still runs is SIGKILLed (its
   * whole process group) and what waits is logged as not run. Never rejects.
   */
  drain(timeoutMs: number): Promise<void>;
  status(): NotifyStatus;
  /**
   * A reload: transitions from now on run the new config's scripts (users resolved again); what is
   * queued or running keeps the scripts it was planned with, and the queues keep their order.
   */
  update(config: Config): void;
}

/**
 * The user each command runs as, resolved once as keepalived does at parse time
 * (notify_script_init -> set_script_uid_gid / get_default_script_user): the line's `user [group]`,
 * else global script_user, else keepalived_script, else the daemon's own ids (root) - which
 * enable_script_security refuses.
 */
function resolveUsers(config: Config, db: UserDb, own: { uid: number; gid: number }, log: Logger): Map<CommandConfig, RunAs> {
  const g = config.global;
  const users = new Map<CommandConfig, RunAs>();
  let fellBackToOwn = false;
  const owners: readonly (readonly [string, NotifyScripts])[] = [
    ...config.instances.map((i) => [`(${i.name})`, i.notify] as const),
    ...config.syncGroups.map((sg) => [`VRRP_Group(${sg.name})`, sg.notify] as const),
  ];
  for (const [label, notify] of owners) {
    for (const [field, keyword] of NOTIFY_KEYWORDS) {
      const c = notify[field];
      if (c === undefined) continue;
      const [user, group] = c.user !== undefined ? [c.user, c.group] : [g.scriptUser?.user, g.scriptUser?.group];
      const runAs = scriptRunAs(user, group, db, { own, scriptSecurity: g.enableScriptSecurity });
      users.set(c, runAs);
      if (!runAs.ok) log.error(`${label} ${keyword}: ${runAs.error} - the script will not be run`);
      else if (user === undefined && !db.users.has(DEFAULT_SCRIPT_USER)) fellBackToOwn = true;
    }
  }
  if (fellBackToOwn) {
    // keepalived's set_uid_gid() line for the missing default user, and what follows from it.
    log.warn(`Script user '${DEFAULT_SCRIPT_USER}' does not exist - notify scripts without a user run as uid ${own.uid} (set script_user or create ${DEFAULT_SCRIPT_USER})`);
  }
  return users;
}

export function createNotifier(config: Config, deps: NotifierDeps): Notifier {
  const { log } = deps;
  const limits: NotifyLimits = { ...DEFAULT_NOTIFY_LIMITS, ...deps.limits };
  const clock = deps.clock ?? ((): number => performance.timeOrigin + performance.now());
  const own = deps.own ?? ownIds();
  const userDb = deps.userDb ?? readHostUserDb();
  let currentUsers = resolveUsers(config, userDb, own, log);
  let users = currentUsers;
  let check = { fs: deps.fs ?? hostFs, pathEnv: deps.pathEnv ?? process.env['PATH'] ?? DEFAULT_PATH, scriptSecurity: config.global.enableScriptSecurity };
  const runContext: RunContext = {
    spawn: deps.spawn ?? guardedSpawn,
    log,
    clock,
    own,
    env: deps.env ?? process.env,
    umask: deps.umask === null ? undefined : (deps.umask ?? SCRIPT_UMASK),
    limits: {
      timeoutMs: limits.timeoutMs,
      killGraceMs: limits.killGraceMs,
      closeGraceMs: limits.closeGraceMs,
      output: { maxLines: limits.maxOutputLines, maxBytes: limits.maxOutputBytes },
    },
  };
  let instances = new Map<string, InstanceConfig>(config.instances.map((i) => [i.name, i]));
  let groups = new Map<string, SyncGroupConfig>(config.syncGroups.map((g) => [g.name, g]));
  const queues = new Map<string, NotifyQueue>();
  let drainWaiters: (() => void)[] = [];

  const allIdle = (): boolean => [...queues.values()].every((q) => q.idle);
  const onIdle = (): void => {
    if (drainWaiters.length === 0 || !allIdle()) return;
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const w of waiters) w();
  };

  const queueFor = (kind: QueueKind, name: string): NotifyQueue => {
    const key = `${kind} ${name}`;
    let q = queues.get(key);
    if (q === undefined) {
      const label = kind === 'INSTANCE' ? `(${name})` : `VRRP_Group(${name})`;
      const launch: Launcher = (script) => {
        const prepared = prepareLaunch(script, users.get(script.command) ?? { ok: false, error: 'no user resolved for this script' }, check);
        if (!prepared.ok) return prepared;
        return ok({ handle: startRun(label, prepared.value, runContext), file: prepared.value.file });
      };
      q = new NotifyQueue(kind, name, { log, clock, limits, launch, onIdle });
      queues.set(key, q);
    }
    return q;
  };

  const enqueue = (kind: QueueKind, name: string, plan: PlannedTransition): void => {
    if (plan.scripts.length === 0) return;
    queueFor(kind, name).push({ state: plan.state, scripts: plan.scripts, queuedAt: clock() });
  };

  return {
    instance(name, state, priority) {
      const inst = instances.get(name);
      if (inst === undefined) {
        log.warn(`notify: no vrrp_instance ${name} - ${state} not notified`);
        return;
      }
      enqueue('INSTANCE', name, planInstance(inst, state, priority));
    },
    group(name, state) {
      const group = groups.get(name);
      if (group === undefined) {
        log.warn(`notify: no vrrp_sync_group ${name} - ${state} not notified`);
        return;
      }
      enqueue('GROUP', name, planGroup(group, state));
    },
    masterRxLowerPri(name, priority) {
      const inst = instances.get(name);
      if (inst === undefined) {
        log.warn(`notify: no vrrp_instance ${name} - MASTER_RX_LOWER_PRI (${priority}) not notified`);
        return;
      }
      enqueue('INSTANCE', name, planMasterRxLowerPri(inst));
    },
    drain(timeoutMs) {
      if (allIdle()) return Promise.resolve();
      return new Promise<void>((resolve) => {
        let settled = false;
        const done = (): void => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          resolve();
        };
        const deadline = setTimeout(() => {
          try {
            for (const q of queues.values()) if (!q.idle) q.abort();
          } catch (e) {
            log.error({ err: e }, `notify: internal error while stopping scripts: ${String(e)}`);
          }
          done();
        }, timeoutMs);
        drainWaiters.push(done);
      });
    },
    status() {
      return { queues: [...queues.values()].map((q) => q.status()) };
    },
    update(next) {
      // The previous config's users stay known (bounded: one config back), as runs queued before
      // the reload look their command up only when they start.
      const fresh = resolveUsers(next, userDb, own, log);
      users = new Map([...currentUsers, ...fresh]);
      currentUsers = fresh;
      check = { ...check, scriptSecurity: next.global.enableScriptSecurity };
      instances = new Map(next.instances.map((i) => [i.name, i]));
      groups = new Map(next.syncGroups.map((g) => [g.name, g]));
    },
  };
}
