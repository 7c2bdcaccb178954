// One vrrp_instance: the shell around the pure core. Its events go to a Driver (drivers.ts: fsm.step
// for a lone instance, sync.groupStep for a vrrp_sync_group member), which hands back the new state
// and the actions; the instance keeps the timers the core arms and executes the actions in order (send
// advert, VIPs, GARP, notify). All decisions are the core's; this file only does what it is told.
import type { InstanceConfig } from '../config/config.js';
import { VipExecutor, type SayLevel, type VipLink, type VipPorts } from './vips.js';
import { buildGarpFrame } from '../net/garp.js';
import { createStats, recordAdvertReceived, recordDrop, type InstanceStats } from './stats.js';
import { parseIpv4, type Ipv4, type Millis, type Priority, type Result } from '../types.js';
import { initialState, mustCheckAddresses, step, STOP_PRIORITY, type Action, type AdvertLine, type FsmEvent, type FsmState, type NotifyState, type TimerName } from '../vrrp/fsm.js';
import { soloDriver, type DrivenInstance, type Driver } from './drivers.js';
import { eventReason, type LastTransition } from './transitions.js';
import { vipPlaceKey, type VipPlace } from '../vrrp/vip-diff.js';
import { authTypeNumber, type Advert, type Drop, type Expectation, type PeerTtlRange } from '../vrrp/packet.js';
import { instanceParams, vipPlace } from './params.js';
import type { Background } from './background.js';
import { createGarpPacer, type GarpOwner, type GarpPacer, type GarpTarget } from './garp-pacer.js';
import type { LineLog } from '../log/lines.js';
import type { Scheduler, TimerEntry } from '../timers/scheduler.js';
import type { OwnSide, PeerReport } from '../vrrp/peers.js';
import { AdvertSender, type AdvertPorts } from './advert-sender.js';
import { DropReporter } from './drop-report.js';
import { nextTimerOf, wantStateOf, type InstanceSnapshot } from './snapshot.js';

/** What the instance needs from the host, resolved by the daemon at start-up. */
export interface InstanceHost {
  readonly ifname: string;
  readonly ifindex: number;
  /**
   * Our adverts' source and the tie-break address (RFC 3768 §5.2.1 / §6.4.3): unicast_src_ip /
   * mcast_src_ip when configured (the daemon checked it is on the interface), else the interface's
   * primary IPv4, never a VIP.
   */
  readonly ownAddress: Ipv4;
  readonly vips: readonly VipLink[];
}

/**
 * The I/O the instance drives; daemon/ports.ts and daemon/running.ts wire these to net/ (tests may wire them elsewhere).
 * Sending is synchronous and address changes may be: a takeover then runs advert, VIPs and GARP
 * in the timer's own callback, as keepalived does, with nothing awaited in between.
 */
export interface InstancePorts extends VipPorts, AdvertPorts {
  sendFrames(ifname: string, frames: Buffer[]): Result<number, string>;
  /** Monotonic clock in ms. */
  now(): Millis;
  /** The daemon's one timer heap (timers/scheduler.ts); tests give a virtual or setTimeout one. */
  readonly timers: Scheduler;
  /** Where GARP repeats wait their turn (background.ts); without it they run at once. */
  readonly background?: Background;
  /**
   * vrrp_garp_interval's pacing, shared by every instance (the interval is per interface, as in
   * keepalived); without it, one of the instance's own over sendFrames and `timers`.
   */
  readonly garpPacer?: GarpPacer;
  /** The daemon's logger; the rehearsal's says nothing. */
  readonly log: LineLog;
  /** The notify scripts of a transition (notify.ts): instance name, state, effective priority. */
  onNotify?(instance: string, state: NotifyState, priority: number): void;
  /** notify_master_rx_lower_pri. */
  onMasterRxLowerPri?(instance: string, priority: number): void;
  /**
   * An exception in this instance's own work (its I/O chain, an advert): the daemon's crash path
   * (daemon/crash.ts). Absent (tests, the rehearsal): the error is logged and the instance goes on.
   */
  onInternalError?(e: unknown): void;
}

/**
 * One vrrp_instance. Its surface: feed it an event (start, stop, an advert, a drop, tracking, a
 * removed address), reload or remove it, and read it; what runs is what the core returned. Its
 * driver alone gets the calls that hand a step's result back (DrivenInstance, made here).
 */
export class Instance {
  // Replaced only by reconfigure() (a reload); everything else reads them through the getters.
  private cfg: InstanceConfig;
  private hostInfo: InstanceHost;
  private readonly counters: InstanceStats = createStats();
  private state: FsmState;
  private readonly ports: InstancePorts;
  /**
   * The core's timers, one entry each for the instance's life (armed again with scheduler.reset).
   * Fields behind a switch (timerEntry), not an object indexed by name: that keyed load saw five
   * names and went megamorphic, a slow lookup on every advert.
   */
  private adverTimer: TimerEntry | undefined;
  private masterDownTimer: TimerEntry | undefined;
  private garpDelayTimer: TimerEntry | undefined;
  private lowerPrioGarpTimer: TimerEntry | undefined;
  private garpRefreshTimer: TimerEntry | undefined;
  private readonly scheduler: Scheduler;
  /** The tail of the I/O jobs still running, and how many; 0 = a new job may run at once. */
  private io: Promise<void> = Promise.resolve();
  private ioPending = 0;
  /** feed() of a timer whose GARPs may wait their turn (garp_master_delay, refresh, lower prio). */
  private garpMayWait = false;
  /** Our adverts, and the repeater's (while it has them, the Adver_Timer entry is cancelled). */
  private readonly sender: AdvertSender;
  /** Drop lines, peer reports and the rate limit of the lines a received advert brings. */
  private readonly reporter: DropReporter;
  /** This instance as its driver sees it; given to no one else. */
  private readonly driven: DrivenInstance;
  /** One gratuitous ARP per VIP, host.vips' order: built once, sent by every burst. */
  private garpTargets: GarpTarget[];
  private readonly garp: GarpPacer;
  /** This instance as the pacer knows it: its GARPs, sent now or later, are logged as its own. */
  private readonly garpOwner: GarpOwner = {
    garpSent: (t) => this.sayFor(this.garpCause && `${this.garpCause} garp frame`, 'debug', `Sending gratuitous ARP on ${t.ifname} for ${t.address}`),
    garpFailed: (t, error) => this.say('warn', `(${this.name}) cannot send gratuitous ARP on ${t.ifname}: ${error}`),
  };
  /** While a burst a received advert brought sends its first GARPs: their lines are that advert's. */
  private garpCause: AdvertLine | undefined;
  /** Log lines held while apply() sends a takeover's packets (say()). */
  private heldLogs: [SayLevel, string][] | undefined;
  /** The VIPs and their drop rule (vips.ts). */
  private readonly vipWork: VipExecutor;
  private driver: Driver;
  private garpIntervalMs: Millis;
  /** unicast_peer entries; empty for a multicast instance (unicast iff there is a peer). */
  private peers: readonly PeerTtlRange[];
  /** Why the event being stepped happened, and the last role change with it (`vrrpd status`). */
  private why = 'start-up';
  private last: LastTransition | undefined;
  private zeroFrom: Ipv4 | undefined;
  private roleChanges = 0;

  constructor(config: InstanceConfig, host: InstanceHost, ports: InstancePorts, garpIntervalMs: Millis, driver: Driver = soloDriver) {
    this.cfg = config;
    this.hostInfo = host;
    this.ports = ports;
    this.vipWork = new VipExecutor({
      name: () => this.name,
      ports,
      host: () => this.hostInfo,
      config: () => this.cfg,
      say: (level, message) => this.say(level, message),
    });
    this.scheduler = ports.timers;
    this.garpIntervalMs = garpIntervalMs;
    this.driver = driver;
    this.peers = unicastPeers(config);
    this.state = initialState(instanceParams(config, host));
    this.garpTargets = garpTargetsOf(host);
    this.garp = ports.garpPacer ?? createGarpPacer((ifname, frames) => ports.sendFrames(ifname, frames), this.scheduler);
    this.sender = new AdvertSender(
      {
        ports,
        counters: this.counters,
        say: (level, message) => this.say(level, message),
        resumeAt: (next) => {
          if (this.adverTimer !== undefined) this.scheduler.reset(this.adverTimer, next);
        },
      },
      { config, ownAddress: host.ownAddress, peers: this.peers },
    );
    this.reporter = new DropReporter({
      name: () => this.name,
      now: () => this.ports.now(),
      say: (level, message) => this.say(level, message),
      ownSide: () => this.ownSide(),
    });
    this.driven = {
      name: () => this.name,
      state: () => this.state,
      cause: () => this.why,
      apply: (state, actions) => this.apply(state, actions),
      setState: (state) => this.setState(state),
      execute: (action) => this.execute(action),
      noteCause: (why) => {
        this.why = why;
      },
    };
    driver.join(this.driven);
  }

  get config(): InstanceConfig {
    return this.cfg;
  }

  get host(): InstanceHost {
    return this.hostInfo;
  }

  get name(): string {
    return this.config.name;
  }

  get fsmState(): FsmState {
    return this.state;
  }

  /** keepalived's counters (SIGUSR2, status, metrics), with the repeater's adverts counted in. */
  get stats(): InstanceStats {
    this.sender.countRepeated();
    return this.counters;
  }

  /** Start with what tracking already knows: FAULT, or an effective priority other than the base. */
  start(initial: { fault: boolean; priority: Priority } | undefined = undefined): void {
    const noPeer = this.state.params.faultNoPeer;
    this.why = noPeer ? 'unicast_fault_no_peer without peers' : initial?.fault === true ? 'fault at start-up (tracking)' : 'start-up';
    this.feed(initial === undefined ? { type: 'startup' } : { type: 'startup', fault: initial.fault, priority: initial.priority });
    // Encoded now, so a takeover only patches the IP id (and the encoder is compiled already).
    this.sender.datagrams(this.state.effectivePriority);
  }

  /**
   * Shut down as RFC 3768 §6.4.3 asks; resolves once the priority-0 advert is sent and VIPs are gone.
   * `release: false` is keepalived's -V (--dont-release-vrrp): a MASTER keeps its VIPs and sends no
   * priority 0, so the backup takes over only after Master_Down_Interval; notify STOP still runs.
   */
  async stop(release = true): Promise<void> {
    this.why = 'daemon stopping';
    this.feed({ type: 'shutdown', release });
    await this.idle();
  }

  /**
   * A reload kept this instance (src/daemon/reload.ts): new parameters, VIPs and sync group driver;
   * the core's reload event decides the rest (fsm.ts reload: the role and timers stay, a MASTER's
   * VIP diff, its advert and GARP burst). Stepped alone, not through the sync group, whose members
   * the reload regroups.
   */
  reconfigure(config: InstanceConfig, host: InstanceHost, garpIntervalMs: Millis, driver: Driver = soloDriver, effectivePriority?: Priority): void {
    this.sender.takeBack(); // its datagram is the old configuration's
    // Queued GARPs are the old VIPs' (one may be gone now); a MASTER re-announces the new ones.
    this.garp.cancel(this.garpOwner);
    this.cfg = config;
    this.hostInfo = host;
    this.peers = unicastPeers(config);
    this.garpIntervalMs = garpIntervalMs;
    this.driver = driver;
    this.sender.configure({ config, ownAddress: host.ownAddress, peers: this.peers });
    this.garpTargets = garpTargetsOf(host);
    this.why = 'reload';
    const params = instanceParams(config, host);
    const event: FsmEvent = effectivePriority === undefined ? { type: 'reload', params } : { type: 'reload', params, priority: effectivePriority };
    const result = step(this.state, event, this.scheduler.now());
    this.apply(result.state, result.actions);
    driver.join(this.driven);
  }

  /**
   * A reload removed this instance: give up as at stop (priority 0 and VIPs removed if MASTER),
   * notify DELETED (the notifier reports FAULT unless notify_deleted; keepalived says nothing for
   * an instance already in FAULT without it), then drop the timers. Stepped alone, not through
   * its sync group, whose members are regrouped by the reload anyway.
   */
  async remove(): Promise<void> {
    this.why = 'removed by reload';
    const result = step(this.state, { type: 'shutdown', removed: true }, this.scheduler.now());
    this.apply(result.state, result.actions);
    await this.idle();
    this.dispose();
  }

  /** Resolves when every queued action has run. */
  idle(): Promise<void> {
    return this.io;
  }

  /** The receive checks this instance wants applied to an advert from `from` (packet.ts). */
  expectation(from: Ipv4): Expectation {
    return {
      advertIntSec: this.config.advertIntMs / 1000,
      auth: this.config.auth,
      vips: this.config.vips.map((v) => v.address),
      checkAddresses: mustCheckAddresses(this.state, from),
      multicast: this.peers.length === 0,
      group: this.config.multicastGroup,
      ...(this.peers.length > 0 ? { localAddress: this.host.ownAddress } : {}),
      ...(this.peers.length > 0 && this.config.checkUnicastSrc ? { peers: this.peers } : {}),
    };
  }

  /** A unicast instance's peers, for the daemon's demultiplexing of one VRID among instances. */
  get unicastPeers(): readonly PeerTtlRange[] {
    return this.peers;
  }

  /**
   * An accepted advert. `receivedAt`, on the timers' clock (ports.timers), is when the socket read
   * it: the timers its step arms count from there (see arm()), not from after the decoding.
   */
  receive(advert: Advert, receivedAt?: Millis): void {
    recordAdvertReceived(this.counters, advert.priority);
    this.reporter.accepted(advert.src);
    this.feed({ type: 'advert', priority: advert.priority, from: advert.src }, undefined, receivedAt);
  }

  /**
   * An advert failed a check. `datagram` (the received bytes and sender) lets a peer's configuration
   * mismatch be reported once per peer and cause, naming both sides (peers.ts); anything else is
   * counted and its keepalived line rate-limited by reason.
   */
  dropped(drop: Drop, datagram?: { readonly bytes: Uint8Array; readonly from: Ipv4 }): void {
    recordDrop(this.counters, drop.reason);
    this.reporter.dropped(drop, datagram);
  }

  /** Peers whose adverts we ignore (or did) for their configuration: for the status output. */
  peerReports(): PeerReport[] {
    return this.reporter.reports();
  }

  private ownSide(): OwnSide {
    return {
      vrid: this.config.vrid,
      address: this.host.ownAddress,
      vips: this.config.vips.map((v) => v.address),
      advertIntSec: this.config.advertIntMs / 1000,
      authType: authTypeNumber(this.config.auth),
      strict: this.config.strict,
    };
  }

  /**
   * `reason`: what the caller knows beyond the event (e.g. which tracked object failed). A reload
   * comes through reconfigure(), which replaces the configuration the core's parameters come from.
   */
  feed(event: Exclude<FsmEvent, { readonly type: 'reload' }>, reason?: string, at?: Millis): void {
    // A priority 0 acts through the Master_Down timer (skew time); the reason names its sender.
    if (event.type === 'advert') this.zeroFrom = event.priority === 0 ? event.from : undefined;
    if (event.type !== 'startup' && event.type !== 'shutdown') this.why = reason ?? eventReason(event, this.zeroFrom);
    // The GARP repeats these timers bring may wait behind due adverts (background.ts).
    this.garpMayWait = event.type === 'timer' && (event.timer === 'garpDelay' || event.timer === 'garpRefresh' || event.timer === 'lowerPrioGarp');
    try {
      // The core's `now`: the timers its step arms count from there (the arrival of the advert
      // that caused it, or this step's start), not from when each action runs: the actions before
      // it (the "Entering BACKUP STATE (init)" line, a notify) took ~0.5 ms on a fresh process,
      // which the Master_Down_Timer then ran late by; keepalived's timers count from the loop's
      // cached time_now, read before the step too.
      this.driver.feed(this.driven, event, at ?? this.scheduler.now());
    } finally {
      this.garpMayWait = false;
    }
  }

  /**
   * The driver's result for this instance: the new core state, then its actions in order. Log
   * lines that come with packets (a takeover's advert, VIPs and GARP) are written, in their order,
   * right after the last of those packets left: each line is a synchronous write (stdout, syslog,
   * a file) that would otherwise sit between the Master_Down timer and the first GARP.
   */
  private apply(state: FsmState, actions: readonly Action[]): void {
    this.setState(state);
    let lastPacket = -1;
    for (let i = 0; i < actions.length; i++) {
      const type = (actions[i] as Action).type;
      if (type === 'sendAdvert' || type === 'addVips' || type === 'delVips' || type === 'changeVips' || type === 'garp') lastPacket = i;
    }
    if (lastPacket < 0 || this.heldLogs !== undefined) {
      for (const action of actions) this.execute(action);
      return;
    }
    const held: [SayLevel, string][] = [];
    this.heldLogs = held;
    try {
      for (let i = 0; i <= lastPacket; i++) this.execute(actions[i] as Action);
    } finally {
      this.heldLogs = undefined;
      for (const [level, message] of held) this.ports.log[level](message);
    }
    for (let i = lastPacket + 1; i < actions.length; i++) this.execute(actions[i] as Action);
  }

  /** A log line now, or held by apply() until its packets are out. */
  private say(level: SayLevel, message: string): void {
    if (this.heldLogs !== undefined) this.heldLogs.push([level, message]);
    else this.ports.log[level](message);
  }

  /** say(), rate-limited by `kind` when a received advert brought the line (drop-report.ts). */
  private sayFor(kind: string | undefined, level: SayLevel, message: string): void {
    this.reporter.sayFor(kind, level, message);
  }

  /** The last role change: monotonic time, the role, and why. */
  get lastTransition(): LastTransition | undefined {
    return this.last;
  }

  /** Role changes since start (the metrics' transitions counter). */
  get transitionCount(): number {
    return this.roleChanges;
  }

  private setState(state: FsmState): void {
    // A new state may answer the next Adver_Timer differently: the repeater stops first. (A sync
    // group sets every member's state on every member's event: an unchanged one goes on.)
    if (state !== this.state) this.sender.takeBack();
    const before = this.state.role;
    this.state = state;
    if (before !== state.role) {
      this.last = { at: this.ports.now(), from: before, to: state.role, reason: this.why };
      this.roleChanges++;
    }
    if (before !== 'MASTER' && state.role === 'MASTER') this.counters.becameMaster++;
    if (before === 'MASTER' && state.role !== 'MASTER') {
      this.counters.releasedMaster++;
      // Before this step's priority 0 and VIP removal (keepalived's vrrp_remove_delayed_arp).
      this.garp.cancel(this.garpOwner);
    }
  }

  /** Timers and log lines take effect at once; I/O runs in order behind whatever is in flight. */
  private execute(a: Action): void {
    // An advert of ours or the Adver_Timer moved: the repeater's sequence (deadlines, IP ids) ends.
    if (this.sender.repeating && touchesAdverts(a)) this.sender.takeBack();
    switch (a.type) {
      case 'armTimer':
        return this.arm(a.timer, a.at);
      case 'steadyAdvert':
        return this.handOver(a.priority, a.periodMs);
      case 'cancelTimer':
        return this.cancel(a.timer);
      case 'log':
        return this.sayFor(a.perAdvert, a.level, a.message);
      case 'notify': {
        const priority = this.state.effectivePriority;
        this.ports.onNotify?.(this.name, a.state, priority);
        return;
      }
      case 'notifyMasterRxLowerPri':
        this.ports.onMasterRxLowerPri?.(this.name, a.priority);
        return;
      case 'sendAdvert': {
        // The periodic advert, with nothing in flight: sent now, without a closure for the queue.
        if (this.ioPending > 0) {
          this.sender.queued();
          return this.enqueue(() => this.sender.send(a.priority));
        }
        try {
          return this.sender.send(a.priority);
        } catch (e) {
          return this.internalError(e);
        }
      }
      case 'addVips':
        return this.enqueue(() => this.vipWork.setVips(true));
      case 'delVips':
        return this.enqueue(() => this.vipWork.setVips(false));
      case 'changeVips': {
        // The removed VIPs are the old configuration's (by place); the added ones are in host.vips now.
        const added = a.added.map((p) => this.host.vips.find((l) => samePlace(vipPlace(l), p))).filter((l) => l !== undefined);
        return this.enqueue(() => this.vipWork.changeVips(a.removed, added));
      }
      case 'garp': {
        if (!this.garpMayWait || this.ports.background === undefined) return this.enqueue(() => this.sendGarps(a.count, a.perAdvert));
        const count = a.count;
        // Not behind this instance's I/O chain (its next advert must not wait for the queue); a
        // MASTER no more by its turn sends nothing.
        this.ports.background(() => {
          if (this.state.role === 'MASTER') this.enqueue(() => this.sendGarps(count));
        });
        return;
      }
      case 'restoreVip': {
        const link = this.host.vips.find((v) => v.vip.address === a.address);
        // Behind whatever is in flight: if the core left MASTER meanwhile, the VIP is meant to be gone.
        if (link) this.enqueue(() => (this.state.role === 'MASTER' ? this.vipWork.vipOp(link, true) : undefined));
        return;
      }
    }
  }

  /**
   * Runs `job` in order behind the jobs still in flight. With none in flight it runs now, in the
   * caller's turn: a synchronous job (an advert, the VIPs by synchronous netlink, a GARP burst)
   * then costs no promise, and a takeover's advert, VIPs and GARP leave in the timer's own callback.
   * A job that returns a promise holds back the jobs after it until it settles.
   */
  private enqueue(job: () => void | Promise<void>): void {
    if (this.ioPending === 0) {
      let running: void | Promise<void>;
      try {
        running = job();
      } catch (e) {
        this.internalError(e);
        return;
      }
      if (running !== undefined) this.track(running);
      return;
    }
    this.track(this.io.then(job));
  }

  private track(job: Promise<void>): void {
    this.ioPending++;
    this.io = job
      .catch((e: unknown) => this.internalError(e))
      .then(() => {
        this.ioPending--;
      });
  }

  private internalError(e: unknown): void {
    if (this.ports.onInternalError !== undefined) return this.ports.onInternalError(e);
    this.say('error', `(${this.name}) internal error: ${e instanceof Error ? e.message : String(e)}`);
  }

  /** The core's deadline; the takeover's timer (Master_Down) is precise (woken early, spun to the deadline). */
  private arm(timer: TimerName, deadline: Millis): void {
    const entry = this.timerEntry(timer);
    if (entry !== undefined) return this.scheduler.reset(entry, deadline);
    const created: TimerEntry = this.scheduler.at(deadline, () => this.timerFired(timer, created), timer === 'masterDown');
    this.setTimerEntry(timer, created);
  }

  private timerFired(timer: TimerName, entry: TimerEntry): void {
    const deadline = entry.deadline;
    const late = this.scheduler.now() - deadline;
    const fired = entry.firedAt - deadline;
    this.feed({ type: 'timer', timer, deadline });
    // Behind the step's queued I/O (the first advert is already handed to the socket when this
    // microtask runs), so the line costs the takeover nothing; the bench reads it (-D only).
    if (timer !== 'masterDown') return;
    queueMicrotask(() => this.ports.log.debug(`(${this.name}) master down timer fired ${fired.toFixed(3)} ms after its deadline (its callback ran ${late.toFixed(3)} ms after)`));
  }

  /**
   * The core's steadyAdvert (fsm.ts sendPeriodicAdvert): every later Adver_Timer firing gets the
   * answer just executed while the state stays, so the repeater may send them (advert-sender.ts),
   * from the deadline just armed, one period apart; the Adver_Timer entry then stops. The sender
   * takes it back before a new state or an action that sends an advert or moves the Adver_Timer is
   * applied; a step that changes neither (a GARP repeat, a VIP restored, a notify) leaves it
   * running. Not with I/O queued: the advert just sent must have gone out.
   */
  private handOver(priority: Priority, periodMs: Millis): void {
    const entry = this.adverTimer;
    if (entry === undefined || entry.index < 0 || this.ioPending > 0) return;
    if (this.sender.handOver(priority, entry.deadline, periodMs)) this.scheduler.cancel(entry);
  }

  private cancel(timer: TimerName): void {
    const entry = this.timerEntry(timer);
    if (entry !== undefined) this.scheduler.cancel(entry);
  }

  private timerEntry(timer: TimerName): TimerEntry | undefined {
    switch (timer) {
      case 'adver':
        return this.adverTimer;
      case 'masterDown':
        return this.masterDownTimer;
      case 'garpDelay':
        return this.garpDelayTimer;
      case 'lowerPrioGarp':
        return this.lowerPrioGarpTimer;
      case 'garpRefresh':
        return this.garpRefreshTimer;
    }
  }

  private setTimerEntry(timer: TimerName, entry: TimerEntry): void {
    switch (timer) {
      case 'adver':
        this.adverTimer = entry;
        return;
      case 'masterDown':
        this.masterDownTimer = entry;
        return;
      case 'garpDelay':
        this.garpDelayTimer = entry;
        return;
      case 'lowerPrioGarp':
        this.lowerPrioGarpTimer = entry;
        return;
      case 'garpRefresh':
        this.garpRefreshTimer = entry;
        return;
    }
  }

  /**
   * keepalived-behaviour.md#becoming-master: `count` ARP requests per VIP, back to back, or
   * `vrrp_garp_interval` apart on each interface: those wait in the pacer (garp-pacer.ts), never in
   * this instance's I/O chain, and go when the instance leaves MASTER. Run behind the I/O in
   * flight, so a burst queued before a step-down finds the instance no longer MASTER and sends
   * nothing.
   */
  private sendGarps(count: number, perAdvert?: AdvertLine): void {
    if (this.state.role !== 'MASTER') return;
    for (const link of this.host.vips) {
      this.sayFor(perAdvert && `${perAdvert} garp`, 'info', `(${this.name}) Sending/queueing gratuitous ARPs on ${link.ifname} for ${link.vip.address}`);
    }
    if (count <= 0) return;
    // Back to back, every GARP leaves in this call; spaced ones go an interval apart anyway.
    this.garpCause = perAdvert;
    try {
      this.garp.burst(this.garpOwner, this.garpTargets, count, this.garpIntervalMs);
    } finally {
      this.garpCause = undefined;
    }
  }

  /**
   * rtnetlink says an address went away: if it is one of our VIPs, the core decides (fsm vipRemoved).
   * Our own removals never reach it as such: they happen after the core has left MASTER, or drop the
   * VIP from host.vips first (a reload).
   */
  addressRemoved(index: number, address: Ipv4): void {
    const link = this.host.vips.find((v) => v.ifindex === index && v.vip.address === address);
    if (link !== undefined) this.feed({ type: 'vipRemoved', address, ifname: link.ifname });
  }

  /** Drop every timer; used when the daemon exits without a clean shutdown step. */
  dispose(): void {
    this.garp.cancel(this.garpOwner);
    this.sender.stop();
    for (const t of [this.adverTimer, this.masterDownTimer, this.garpDelayTimer, this.lowerPrioGarpTimer, this.garpRefreshTimer]) {
      if (t !== undefined) this.scheduler.cancel(t);
    }
  }

  /**
   * After an internal error, when neither the core's state nor the I/O chain can be trusted: every
   * timer and the repeated advert stop; a MASTER (by the core's last word) sends priority 0; every
   * VIP of ours is removed whatever the core said (one that is not there fails quietly), past the
   * I/O chain, which may be what failed. No notify and no drop-rule change: the process is about
   * to exit, and the next start removes what a crash left.
   */
  releaseAfterError(): void | Promise<void> {
    this.dispose();
    if (this.state.role === 'MASTER') {
      try {
        this.sender.send(STOP_PRIORITY);
      } catch (e) {
        this.say('error', `(${this.name}) cannot send priority 0: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const pending: Promise<void>[] = [];
    for (const { vip, ifindex } of this.host.vips) {
      const done = this.ports.delAddress({ index: ifindex, address: vip.address, prefixLength: vip.prefixLength });
      if (done instanceof Promise) pending.push(done.then(() => undefined));
    }
    this.say('info', `(${this.name}) released after an internal error`);
    if (pending.length > 0) return Promise.all(pending).then(() => undefined);
  }

  /** What the SIGUSR1/JSON dumps print about this instance now (src/dump/). */
  snapshot(): InstanceSnapshot {
    const s = this.state;
    return {
      name: this.name,
      state: s.role,
      wantState: wantStateOf(s, this.config),
      basePriority: s.basePriority,
      effectivePriority: s.effectivePriority,
      master: s.master,
      ownAddress: this.host.ownAddress,
      ifname: this.host.ifname,
      ifindex: this.host.ifindex,
      mac: this.host.vips.find((v) => v.ifindex === this.host.ifindex)?.mac,
      vipSet: s.role === 'MASTER',
      nextTimerAt: nextTimerOf(s, this.sender.repeatedNext ?? this.adverTimer?.deadline),
      takenAt: this.ports.now(),
      stats: { ...this.stats },
      peers: this.reporter.reports(),
    };
  }
}

/** An action that sends an advert or arms or cancels the Adver_Timer. */
const touchesAdverts = (a: Action): boolean =>
  a.type === 'sendAdvert' || ((a.type === 'armTimer' || a.type === 'cancelTimer') && a.timer === 'adver');

/** The config's unicast_peer list with parsed addresses (the schema only lets IPv4 peers through). */
function unicastPeers(config: InstanceConfig): PeerTtlRange[] {
  return config.unicastPeers.flatMap((p) => {
    const address = parseIpv4(p.address);
    return address === undefined ? [] : [{ address, minTtl: p.minTtl, maxTtl: p.maxTtl }];
  });
}

const garpTargetsOf = (host: InstanceHost): GarpTarget[] =>
  host.vips.map((link) => ({ ifname: link.ifname, address: link.vip.address, frame: buildGarpFrame(link.mac, link.vip.address) }));

const samePlace = (a: VipPlace, b: VipPlace): boolean => vipPlaceKey(a) === vipPlaceKey(b);

