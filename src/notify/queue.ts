// One instance's (or one sync group's) notifications, run strictly one after the other in the order
// of the transitions. keepalived forks every notify script the moment its transition happens and
// never waits for it (notify_exec), so MASTER, BACKUP, MASTER in quick succession can run
// concurrently and finish in any order - the last script to finish, not the last state, wins
// (docs/reference/keepalived-behaviour.md#notify-scripts-out-of-order, keepalived issues #1055,
// #584, #996). Here a transition's scripts start only when the previous transition's have ended (or
// been killed at their time limit), and within a transition the state's own script runs before the
// generic `notify`, the order keepalived launches them in.
//
// Nothing is coalesced: a script that updates a load balancer may count on seeing every state, and
// keepalived delivers every one. A backlog (flapping faster than the scripts run) is logged once;
// only past `maxPending` waiting transitions - hours behind at the default time limit, when the
// oldest are long meaningless - are the oldest dropped, loudly and counted, never the newest.
import type { Logger } from '../log/logger.js';
import type { Result } from '../types.js';
import type { NotifyKeyword, PlannedScript } from './plan.js';
import { notRun, type RunHandle, type RunOutcome, type RunReport } from './run.js';

export type QueueKind = 'INSTANCE' | 'GROUP';

/** One transition's worth of scripts. */
export interface QueueEntry {
  readonly state: string;
  readonly scripts: readonly PlannedScript[];
  /** When the transition was reported (clock ms). */
  readonly queuedAt: number;
}

export interface RunRecord {
  readonly script: NotifyKeyword;
  /** The file exec'd; undefined when it could not be resolved. */
  readonly file: string | undefined;
  readonly state: string;
  readonly pid: number | undefined;
  readonly queuedAt: number;
  readonly startedAt: number | undefined;
  readonly endedAt: number;
  /** From the transition to the process running (ms): what keepalived keeps at about 10 ms. */
  readonly latencyMs: number | undefined;
  readonly outcome: RunOutcome;
}

export interface QueueStatus {
  readonly kind: QueueKind;
  readonly name: string;
  /** Transitions waiting to start (not counting the one running). */
  readonly pending: number;
  readonly running: { readonly script: NotifyKeyword; readonly file: string; readonly state: string; readonly since: number } | undefined;
  readonly lastRun: RunRecord | undefined;
  readonly runs: number;
  /** Runs that did not exit 0 (including scripts that could not be run). */
  readonly failures: number;
  /** Transitions dropped at maxPending. */
  readonly dropped: number;
}

export interface QueueLimits {
  /** Waiting transitions at which the backlog is logged (once until it clears). */
  readonly warnPending: number;
  /** Waiting transitions beyond which the oldest are dropped. */
  readonly maxPending: number;
}

export type Launcher = (script: PlannedScript, entry: QueueEntry) => Result<{ readonly handle: RunHandle; readonly file: string }, string>;

export interface QueueDeps {
  readonly log: Logger;
  readonly clock: () => number;
  readonly limits: QueueLimits;
  readonly launch: Launcher;
  /** Called whenever the queue has nothing left to do. */
  readonly onIdle: () => void;
}

export class NotifyQueue {
  private readonly pending: QueueEntry[] = [];
  private current: { entry: QueueEntry; next: number } | undefined;
  private running: { handle: RunHandle; script: NotifyKeyword; file: string; state: string; since: number } | undefined;
  private scheduled = false;
  private backlogWarned = false;
  private droppedThisBacklog = 0;
  private lastRun: RunRecord | undefined;
  private runs = 0;
  private failures = 0;
  private dropped = 0;
  /** `(VI_1)` or `VRRP_Group(G1)`: keepalived's prefixes. */
  readonly label: string;

  constructor(
    readonly kind: QueueKind,
    readonly name: string,
    private readonly deps: QueueDeps,
  ) {
    this.label = kind === 'INSTANCE' ? `(${name})` : `VRRP_Group(${name})`;
  }

  get idle(): boolean {
    return this.pending.length === 0 && this.current === undefined && this.running === undefined && !this.scheduled;
  }

  push(entry: QueueEntry): void {
    const { log, limits } = this.deps;
    if (this.pending.length >= limits.maxPending) {
      const stale = this.pending.splice(0, this.pending.length - limits.maxPending + 1);
      this.dropped += stale.length;
      if (this.droppedThisBacklog === 0) {
        log.error(
          { notify: { kind: this.kind, name: this.name, pending: this.pending.length } },
          `${this.label} ${limits.maxPending} notifications waiting: dropping the oldest (${stale.map((e) => e.state).join(', ')}, ...) - the newest state is always kept`,
        );
      }
      this.droppedThisBacklog += stale.length;
    }
    this.pending.push(entry);
    if (!this.backlogWarned && this.pending.length >= limits.warnPending) {
      this.backlogWarned = true;
      log.warn(
        { notify: { kind: this.kind, name: this.name, pending: this.pending.length } },
        `${this.label} ${this.pending.length} notifications waiting: the state changes faster than its notify scripts run (flapping?); every one will still run, in order`,
      );
    }
    // Started on the next turn of the loop, not inside the caller: the transition's own work
    // (adverts, VIPs, GARPs) goes first, as keepalived notifies after them.
    if (this.running === undefined && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.advanceSafely();
      });
    }
  }

  status(): QueueStatus {
    const r = this.running;
    return {
      kind: this.kind,
      name: this.name,
      pending: this.pending.length,
      running: r === undefined ? undefined : { script: r.script, file: r.file, state: r.state, since: r.since },
      lastRun: this.lastRun,
      runs: this.runs,
      failures: this.failures,
      dropped: this.dropped,
    };
  }

  /** Shutdown budget spent: what waits is not run (said so), what runs is killed. */
  abort(): void {
    const left = this.pending.splice(0);
    const rest = this.current === undefined ? [] : this.current.entry.scripts.slice(this.current.next);
    this.current = undefined;
    const notStarted = rest.length + left.reduce((n, e) => n + e.scripts.length, 0);
    if (notStarted > 0) {
      const states = left.map((e) => e.state).join(', ');
      this.deps.log.error(
        { notify: { kind: this.kind, name: this.name, notStarted } },
        `${this.label} shutting down with ${notStarted} notify script run(s) not started${states === '' ? '' : ` (transitions ${states})`}`,
      );
    }
    this.running?.handle.abort();
  }

  private advanceSafely(): void {
    try {
      this.advance();
    } catch (e) {
      // A bug here must not stop every later notification of this instance.
      this.running = undefined;
      this.deps.log.error({ err: e }, `${this.label} notify queue: internal error: ${String(e)}`);
    }
  }

  private advance(): void {
    while (this.running === undefined) {
      if (this.current === undefined || this.current.next >= this.current.entry.scripts.length) {
        const entry = this.pending.shift();
        if (entry === undefined) {
          this.current = undefined;
          this.becameIdle();
          return;
        }
        this.current = { entry, next: 0 };
        continue;
      }
      const { entry } = this.current;
      const script = entry.scripts[this.current.next];
      this.current.next += 1;
      if (script === undefined) continue;
      const started = this.deps.launch(script, entry);
      if (!started.ok) {
        this.deps.log.error({ notify: { kind: this.kind, name: this.name, script: script.keyword } }, `${this.label} ${script.keyword}: not run - ${started.error}`);
        this.record(script.keyword, undefined, entry, notRun(started.error, this.deps.clock()));
        continue;
      }
      const { handle, file } = started.value;
      this.running = { handle, script: script.keyword, file, state: entry.state, since: this.deps.clock() };
      this.deps.log.debug({ notify: { kind: this.kind, name: this.name, script: script.keyword, file, pid: handle.pid } }, `${this.label} running ${script.keyword} '${file}' for ${entry.state}`);
      handle.done.then(
        (report) => {
          try {
            this.record(script.keyword, file, entry, report);
          } finally {
            this.running = undefined;
            this.advanceSafely();
          }
        },
        (e: unknown) => {
          // done never rejects; if it ever did, the queue must still move on.
          this.running = undefined;
          this.deps.log.error({ err: e }, `${this.label} ${script.keyword}: internal error: ${String(e)}`);
          this.advanceSafely();
        },
      );
      return;
    }
  }

  private becameIdle(): void {
    if (this.backlogWarned || this.droppedThisBacklog > 0) {
      const lost = this.droppedThisBacklog > 0 ? `; ${this.droppedThisBacklog} of the oldest were dropped` : '';
      this.deps.log.info({ notify: { kind: this.kind, name: this.name } }, `${this.label} notification backlog cleared${lost}`);
    }
    this.backlogWarned = false;
    this.droppedThisBacklog = 0;
    this.deps.onIdle();
  }

  private record(script: NotifyKeyword, file: string | undefined, entry: QueueEntry, report: RunReport): void {
    this.runs += 1;
    if (!(report.outcome.kind === 'exited' && report.outcome.code === 0)) this.failures += 1;
    this.lastRun = {
      script,
      file,
      state: entry.state,
      pid: report.pid,
      queuedAt: entry.queuedAt,
      startedAt: report.spawnedAt,
      endedAt: report.endedAt,
      latencyMs: report.spawnedAt === undefined ? undefined : report.spawnedAt - entry.queuedAt,
      outcome: report.outcome,
    };
  }
}
