// What every instance of the daemon shares (InstancePorts but its own socket): the one heap of
// protocol timers on the addon's timerfd, the advert repeater on that timerfd's clock, the VIP
// changes over rtnetlink, the GARP sockets (one per interface, opened on first use and kept) and
// their pacing, the notify scripts and the crash path. Opened once at start-up; the daemon's owner
// of the running instances (running.ts) holds them.
import { constants as osConstants } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createBackground } from '../instance/background.js';
import { createGarpPacer } from '../instance/garp-pacer.js';
import type { InstancePorts } from '../instance/instance.js';
import type { LineLog } from '../log/lines.js';
import { nativeAddonSource } from '../native/addon.js';
import type { Firewall } from '../net/firewall.js';
import { openGarpSender, type GarpSender } from '../net/garp.js';
import { openRepeater, type AdvertRepeater } from '../net/repeater.js';
import type { Rtnl } from '../net/rtnl.js';
import type { Notifier } from '../notify/notifier.js';
import { timerScheduler } from '../timers/clock.js';
import type { Scheduler } from '../timers/scheduler.js';
import { ok, type Result } from '../types.js';

/**
 * Linux lets a task's epoll_wait() wake up to 0.1 % of its timeout late (select_estimate_accuracy:
 * the slack of a non-realtime task's poll is timeout/1000, at least timer_slack_ns). libuv sleeps
 * in epoll_wait until its next timer, so a Master_Down timer 3.6 s away woke up to 3.6 ms late,
 * most of a takeover's lateness; keepalived's timerfd does not pay this, nor does ours
 * (timers/clock.ts: an expired timerfd wakes the loop at its deadline). Only on the setTimeout
 * fallback (an addon without TimerFd) a wake-up at least this often bounds the slack to 0.1 ms,
 * for a few microseconds of CPU ten times a second.
 */
export const WAKE_BOUND_MS = 100;

/** The interfaces' GARP sockets, each opened on first use and kept until dropped. */
export class GarpSenders {
  private readonly open = new Map<string, GarpSender>();

  get(ifname: string): Result<GarpSender, string> {
    const open = this.open.get(ifname);
    if (open !== undefined) return ok(open);
    const opened = openGarpSender(ifname);
    if (opened.ok) this.open.set(ifname, opened.value);
    return opened;
  }

  /** Closed: its interface was re-created (the next burst opens on the new link) or has no VIP left. */
  drop(ifname: string): void {
    this.open.get(ifname)?.close();
    this.open.delete(ifname);
  }

  /** Every sender but those of `ifnames` closed. */
  keepOnly(ifnames: ReadonlySet<string>): void {
    for (const ifname of [...this.open.keys()]) if (!ifnames.has(ifname)) this.drop(ifname);
  }

  close(): void {
    for (const g of this.open.values()) g.close();
  }
}

/** The ports every instance shares; each gets its own sendDatagram (its interface's socket). */
export type SharedPorts = Omit<InstancePorts, 'sendDatagram'> & { readonly timers: Scheduler };

export interface Shared {
  readonly ports: SharedPorts;
  readonly garp: GarpSenders;
  /** Sends steady MASTERs' adverts without waking JS (net/repeater.ts); undefined without the addon's. */
  readonly repeater: AdvertRepeater | undefined;
  /** Poll errors of the addon's timerfds (the scheduler's, the repeater's) since start. */
  timerErrors(): number;
}

export interface SharedDeps {
  readonly rtnl: Rtnl;
  /** No-accept mode's drop rules; undefined when every instance accepts. */
  readonly firewall: Firewall | undefined;
  readonly log: LineLog;
  readonly notifier: Notifier;
  /** An exception in an instance's own work: the crash path (crash.ts). */
  readonly onInternalError: (e: unknown) => void;
}

export function openShared(deps: SharedDeps): Shared {
  const { rtnl, log, notifier } = deps;
  const garp = new GarpSenders();
  const addonSource = nativeAddonSource();
  if (addonSource.ok) log.debug(`native addon: ${addonSource.value}, on Node ${process.version}`);
  // One heap of deadlines on one timerfd for every instance's protocol timers (timers/scheduler.ts).
  // A timerfd's poll error: logged and counted (vrrpd_timer_errors_total); the scheduler runs on
  // setTimeout from then on, and the repeater gives its adverts back to the instances.
  let timerErrors = 0;
  const timerFailed = (message: string): void => {
    timerErrors += 1;
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
    const sender = garp.get(ifname);
    return sender.ok ? sender.value.send(frames) : sender;
  };
  const ports: SharedPorts = {
    ...(deps.firewall === undefined ? {} : { firewall: deps.firewall }),
    addAddress: (a) => rtnl.addAddress(a),
    delAddress: (a) => rtnl.delAddress(a),
    sendFrames,
    now: () => performance.now(),
    timers: timers.scheduler,
    background: createBackground(),
    garpPacer: createGarpPacer(sendFrames, timers.scheduler),
    log,
    onNotify: (instance, state, priority) => notifier.instance(instance, state, priority),
    onMasterRxLowerPri: (instance, priority) => notifier.masterRxLowerPri(instance, priority),
    onInternalError: deps.onInternalError,
  };
  return { ports, garp, repeater: repeater?.ok === true ? repeater.value : undefined, timerErrors: () => timerErrors };
}

/**
 * Test hook: VRRPD_TEST_TIMER_POLL_ERROR_AFTER_MS=N makes the scheduler's and the repeater's
 * timerfds take the path of a poll error (EIO) N ms after start, which epoll cannot be made to
 * report on a timerfd (test/lab/timer-poll-error.test.ts).
 */
function injectTimerPollError(env: NodeJS.ProcessEnv, fail: readonly (((errno: number) => void) | undefined)[], log: Pick<LineLog, 'warn'>): void {
  const afterMs = Number(env['VRRPD_TEST_TIMER_POLL_ERROR_AFTER_MS'] ?? '');
  if (!Number.isSafeInteger(afterMs) || afterMs <= 0) return;
  setTimeout(() => {
    log.warn('test hook: a poll error on the native timers (VRRPD_TEST_TIMER_POLL_ERROR_AFTER_MS)');
    for (const f of fail) f?.(osConstants.errno.EIO);
  }, afterMs).unref();
}
