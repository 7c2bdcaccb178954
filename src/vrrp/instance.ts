// One vrrp_instance: the shell around the pure core. Its events go to a Driver (fsm.step for a lone
// instance, sync.groupStep for a vrrp_sync_group member), which hands back the new state and the
// actions; the instance keeps the timers the core arms and executes the actions in order (send
// advert, VIPs, GARP, notify). All decisions are the core's; this file only does what it is told.
import type { InstanceConfig, VirtualIpConfig } from '../config/config.js';
import type { Logger } from '../log.js';
import { buildGarpFrame } from '../net/garp.js';
import { createStats, recordAdvertReceived, recordAdvertSent, recordDrop, type InstanceStats } from '../stats.js';
import type { Ipv4, Millis, Priority, Result } from '../types.js';
import { initialState, mustCheckAddresses, step, type Action, type FsmEvent, type FsmState, type NotifyState, type TimerName } from './fsm.js';
import { groupStep, initialGroupState, type GroupAction, type SyncGroupState } from './sync.js';
import { encodeDatagram, nextIpId, VRRP_MULTICAST_GROUP, type Advert, type Drop, type Expectation } from './packet.js';
import { instanceParams } from './params.js';

/** Where a VIP lives: the instance's interface unless `dev` says otherwise. */
export interface VipLink {
  readonly vip: VirtualIpConfig;
  readonly ifname: string;
  readonly ifindex: number;
  readonly mac: Buffer;
}

/** What the instance needs from the host, resolved by the daemon at start-up. */
export interface InstanceHost {
  readonly ifname: string;
  readonly ifindex: number;
  /** Primary IPv4 of the interface: our adverts' source, never a VIP (RFC 3768 §5.2.1 / §6.4.3). */
  readonly ownAddress: Ipv4;
  readonly vips: readonly VipLink[];
}

/** The I/O the instance drives; daemon.ts wires these to net/ (tests may wire them elsewhere). */
export interface InstancePorts {
  sendDatagram(datagram: Buffer, dst: Ipv4): Promise<Result<number, string>>;
  addAddress(a: { index: number; address: Ipv4; prefixLength: number; label?: string }): Promise<Result<void, string>>;
  delAddress(a: { index: number; address: Ipv4; prefixLength: number }): Promise<Result<void, string>>;
  sendFrames(ifname: string, frames: Buffer[]): Result<number, string>;
  /** Monotonic clock in ms. */
  now(): Millis;
  readonly log: Logger;
  /** The notify scripts of a transition (notify.ts): instance name, state, effective priority. */
  onNotify?(instance: string, state: NotifyState, priority: number): void;
  /** notify_master_rx_lower_pri. */
  onMasterRxLowerPri?(instance: string, priority: number): void;
}

/** Steps an instance's core and hands the result back to the instance(s) concerned. */
export interface Driver {
  feed(instance: Instance, event: FsmEvent): void;
}

/** A lone instance: fsm.step. */
export const soloDriver: Driver = {
  feed(instance, event) {
    const result = step(instance.fsmState, event, instance.now());
    instance.apply(result.state, result.actions);
  },
};

/**
 * The members of one vrrp_sync_group: every event goes through sync.groupStep, so the group's
 * rules reach the other members; the group's own lines are logged and its notifies run.
 */
export class SyncGroupDriver implements Driver {
  private group: SyncGroupState | undefined;
  private readonly members = new Map<string, Instance>();
  private readonly name: string;
  private readonly onGroupAction: (group: string, action: GroupAction) => void;

  constructor(name: string, onGroupAction: (group: string, action: GroupAction) => void) {
    this.name = name;
    this.onGroupAction = onGroupAction;
  }

  add(instance: Instance): void {
    this.members.set(instance.name, instance);
    this.group = undefined; // rebuilt from the members on the next event
  }

  feed(instance: Instance, event: FsmEvent): void {
    const current = this.group ?? initialGroupState(this.name, new Map([...this.members].map(([n, m]) => [n, m.fsmState])));
    const result = groupStep(current, instance.name, event, instance.now());
    this.group = result.group;
    // Every member's new state first, so actions that read state (notify priority) see it.
    for (const [name, state] of result.group.states) this.members.get(name)?.setState(state);
    for (const output of result.outputs) {
      if ('member' in output) {
        this.members.get(output.member)?.execute(output.action);
      } else {
        this.onGroupAction(output.group, output.action);
      }
    }
  }
}

/** keepalived logs a drop for every packet; under a flood that drowns the log, so we rate-limit. */
const DROP_LOG_INTERVAL_MS = 10_000;

export class Instance {
  readonly config: InstanceConfig;
  readonly host: InstanceHost;
  readonly stats: InstanceStats = createStats();
  private state: FsmState;
  private readonly ports: InstancePorts;
  private readonly timers = new Map<TimerName, NodeJS.Timeout>();
  private io: Promise<void> = Promise.resolve();
  private ipId = 0;
  private readonly garpIntervalMs: Millis;
  private readonly dropLog = new Map<string, { last: Millis; suppressed: number }>();
  private readonly driver: Driver;
  private keepOnStop = false;

  constructor(config: InstanceConfig, host: InstanceHost, ports: InstancePorts, garpIntervalMs: Millis, driver: Driver = soloDriver) {
    this.config = config;
    this.host = host;
    this.ports = ports;
    this.garpIntervalMs = garpIntervalMs;
    this.driver = driver;
    this.state = initialState(instanceParams(config, host.ownAddress));
  }

  now(): Millis {
    return this.ports.now();
  }

  get name(): string {
    return this.config.name;
  }

  get fsmState(): FsmState {
    return this.state;
  }

  /** Start with what tracking already knows: FAULT, or an effective priority other than the base. */
  start(initial: { fault: boolean; priority: Priority } | undefined = undefined): void {
    this.feed(initial === undefined ? { type: 'startup' } : { type: 'startup', fault: initial.fault, priority: initial.priority });
  }

  /**
   * Shut down as RFC 3768 §6.4.3 asks; resolves once the priority-0 advert is sent and VIPs are gone.
   * `release: false` is keepalived's -V (--dont-release-vrrp): a MASTER keeps its VIPs and sends no
   * priority 0, so the backup takes over only after Master_Down_Interval; notify STOP still runs.
   */
  async stop(release = true): Promise<void> {
    this.keepOnStop = !release;
    this.feed({ type: 'shutdown' });
    await this.idle();
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
      multicast: true,
    };
  }

  receive(advert: Advert): void {
    recordAdvertReceived(this.stats, advert.priority);
    this.feed({ type: 'advert', priority: advert.priority, from: advert.src });
  }

  dropped(drop: Drop): void {
    recordDrop(this.stats, drop.reason);
    const now = this.ports.now();
    const entry = this.dropLog.get(drop.reason);
    if (entry && now - entry.last < DROP_LOG_INTERVAL_MS) {
      entry.suppressed++;
      return;
    }
    const more = entry && entry.suppressed > 0 ? ` (${entry.suppressed} more since last report)` : '';
    this.dropLog.set(drop.reason, { last: now, suppressed: 0 });
    this.ports.log.info(`(${this.name}) ${drop.detail}${more}`);
  }

  feed(event: FsmEvent): void {
    this.driver.feed(this, event);
  }

  /** The driver's result for this instance: the new core state, then its actions in order. */
  apply(state: FsmState, actions: readonly Action[]): void {
    this.setState(state);
    for (const action of actions) this.execute(action);
  }

  setState(state: FsmState): void {
    const before = this.state.role;
    this.state = state;
    if (before !== 'MASTER' && state.role === 'MASTER') this.stats.becameMaster++;
    if (before === 'MASTER' && state.role !== 'MASTER') this.stats.releasedMaster++;
  }

  /** Timers and log lines take effect at once; I/O runs in order behind whatever is in flight. */
  execute(a: Action): void {
    if (this.keepOnStop && this.state.role === 'STOPPED' && (a.type === 'sendAdvert' || a.type === 'delVips')) return;
    switch (a.type) {
      case 'armTimer':
        return this.arm(a.timer, a.ms);
      case 'cancelTimer':
        return this.cancel(a.timer);
      case 'log':
        this.ports.log[a.level](a.message);
        return;
      case 'notify': {
        const priority = this.state.effectivePriority;
        this.ports.onNotify?.(this.name, a.state, priority);
        return;
      }
      case 'notifyMasterRxLowerPri':
        this.ports.onMasterRxLowerPri?.(this.name, a.priority);
        return;
      case 'sendAdvert':
        return this.enqueue(() => this.sendAdvert(a.priority));
      case 'addVips':
        return this.enqueue(() => this.setVips(true));
      case 'delVips':
        return this.enqueue(() => this.setVips(false));
      case 'garp':
        return this.enqueue(async () => this.sendGarps(a.count));
    }
  }

  private enqueue(job: () => Promise<void>): void {
    this.io = this.io.then(job).catch((e: unknown) => {
      this.ports.log.error(`(${this.name}) internal error: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  private arm(timer: TimerName, ms: Millis): void {
    this.cancel(timer);
    this.timers.set(
      timer,
      setTimeout(() => {
        this.timers.delete(timer);
        this.feed({ type: 'timer', timer });
      }, ms),
    );
  }

  private cancel(timer: TimerName): void {
    const t = this.timers.get(timer);
    if (t) clearTimeout(t);
    this.timers.delete(timer);
  }

  private async sendAdvert(priority: number): Promise<void> {
    this.ipId = nextIpId(this.ipId);
    const datagram = encodeDatagram({
      vrid: this.config.vrid,
      priority: priority as Advert['priority'],
      advertIntSec: this.config.advertIntMs / 1000,
      auth: this.config.auth,
      addresses: this.config.vips.map((v) => v.address),
      src: this.host.ownAddress,
      dst: VRRP_MULTICAST_GROUP,
      id: this.ipId,
    });
    const sent = await this.ports.sendDatagram(datagram, VRRP_MULTICAST_GROUP);
    if (!sent.ok) {
      this.ports.log.warn(`(${this.name}) cannot send advert on ${this.host.ifname}: ${sent.error}`);
      return;
    }
    recordAdvertSent(this.stats, priority);
    // keepalived (-D) says so whenever a priority-0 advert leaves: at shutdown and entering FAULT.
    if (priority === 0) this.ports.log.debug(`(${this.name}) sent 0 priority`);
  }

  private async setVips(add: boolean): Promise<void> {
    if (this.host.vips.length === 0) return;
    this.ports.log.info(`(${this.name}) ${add ? 'setting' : 'removing'} VIPs.`);
    for (const { vip, ifindex } of this.host.vips) {
      const where = { index: ifindex, address: vip.address, prefixLength: vip.prefixLength };
      const done = add
        ? await this.ports.addAddress(vip.label ? { ...where, label: vip.label } : where)
        : await this.ports.delAddress(where);
      if (!done.ok) {
        this.ports.log.error(`(${this.name}) cannot ${add ? 'add' : 'remove'} VIP ${vip.address}/${vip.prefixLength}: ${done.error}`);
      }
    }
  }

  /** keepalived §3.6: `count` ARP requests per VIP, back to back or `vrrp_garp_interval` apart. */
  private async sendGarps(count: number): Promise<void> {
    for (const link of this.host.vips) {
      this.ports.log.info(`(${this.name}) Sending/queueing gratuitous ARPs on ${link.ifname} for ${link.vip.address}`);
    }
    for (let round = 0; round < count; round++) {
      if (round > 0 && this.garpIntervalMs > 0) await sleep(this.garpIntervalMs);
      for (const link of this.host.vips) {
        const sent = this.ports.sendFrames(link.ifname, [buildGarpFrame(link.mac, link.vip.address)]);
        if (!sent.ok) {
          this.ports.log.warn(`(${this.name}) cannot send gratuitous ARP on ${link.ifname}: ${sent.error}`);
          return;
        }
        this.ports.log.debug(`Sending gratuitous ARP on ${link.ifname} for ${link.vip.address}`);
      }
    }
  }

  /** Drop every timer; used when the daemon exits without a clean shutdown step. */
  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

const sleep = (ms: Millis): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
