// RFC 3768 §6.4 (VRRPv2) and RFC 5798 §6.4 (VRRPv3, `version: 3` in the parameters) as a pure
// function: `step(state, event, now) -> { state, actions }`. No timers,
// sockets or clock reads: time comes in as `now`, timers go out as armTimer actions and come back
// as events. Everything keepalived decides about protocol behaviour lives here
// (docs/reference/keepalived-behaviour.md, from #timers to #tracking-and-priority); the shell
// (instance/instance.ts) only executes the actions.
import type { Ipv4, Millis, Priority } from '../types.js';
import { ipv4ToUint32 } from '../types.js';
import { masterDownIntervalMsV3, skewTimeMsV3 } from './timers-v3.js';
import { diffVips, vipPlaceKey, type VipPlace } from './vip-diff.js';

export type Role = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOPPED';
export type TimerName = 'adver' | 'masterDown' | 'garpDelay' | 'lowerPrioGarp' | 'garpRefresh';
/** The state names keepalived passes to notify scripts (DELETED: removed by a reload). */
export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';

export const OWNER_PRIORITY = 255 as Priority;
export const STOP_PRIORITY = 0 as Priority;

/**
 * VRRPv3 (RFC 5798): the Advertisement_Interval in centiseconds (the 12-bit field, 1..4095). The
 * core reads this one; InstanceParams.advertIntMs is the same interval for the shell's views
 * (advertIntCs × 10).
 */
export interface V3Params {
  readonly advertIntCs: number;
}

export type VrrpVersion = 2 | 3;

/** What the core needs to know about one vrrp_instance; derived from InstanceConfig + the host. */
export interface InstanceParams {
  readonly name: string;
  readonly basePriority: Priority;
  /** advert_int: the Advertisement_Interval (VRRPv2: whole seconds; VRRPv3: see `v3`). */
  readonly advertIntMs: Millis;
  /** Present: the instance speaks VRRPv3 (RFC 5798); absent: VRRPv2 (RFC 3768). */
  readonly v3?: V3Params;
  readonly preempt: boolean;
  readonly wantState: 'MASTER' | 'BACKUP' | undefined;
  /** Our primary address on the interface: the source of our adverts and the tie-break key. */
  readonly ownAddress: Ipv4;
  readonly downTimerAdverts: number;
  readonly garpMasterDelayMs: Millis;
  readonly garpMasterRepeat: number;
  readonly garpLowerPrioDelayMs: Millis;
  readonly garpLowerPrioRepeat: number;
  /** vrrp_skip_check_adv_addr. */
  readonly skipCheckAdvAddr: boolean;
  /** preempt_delay: how long a lower-priority master is still accepted before we preempt; 0 = none. */
  readonly preemptDelayMs: Millis;
  /** garp_master_refresh: a GARP burst of garpMasterRefreshRepeat this often while MASTER; 0 = off. */
  readonly garpMasterRefreshMs: Millis;
  readonly garpMasterRefreshRepeat: number;
  /** lower_prio_no_advert: a MASTER hearing a lower priority does not answer with an advert. */
  readonly lowerPrioNoAdvert: boolean;
  /** higher_prio_send_advert: a MASTER yielding to a higher priority first sends one advert. */
  readonly higherPrioSendAdvert: boolean;
  /** Member of a vrrp_sync_group: may only become MASTER when the whole group can (sync.ts). */
  readonly inSyncGroup: boolean;
  /**
   * unicast_fault_no_peer without any unicast_peer: keepalived holds the instance in FAULT (rather
   * than falling back to multicast) until a reload brings peers; tracking cannot clear it.
   */
  readonly faultNoPeer: boolean;
  /** notify_deleted is configured: an instance a reload removes while in FAULT still notifies DELETED. */
  readonly notifyDeleted: boolean;
  /** The VIPs, each where it lives: a reload diffs them (vip-diff.ts). */
  readonly vips: readonly VipPlace[];
}

export interface MasterDownTimer {
  readonly armedAt: Millis;
  /** 'full' = Master_Down_Interval; 'skew' = Skew_Time only, after a priority-0 advert. */
  readonly kind: 'full' | 'skew';
  readonly due: Millis;
}

export interface FsmState {
  readonly params: InstanceParams;
  readonly role: Role;
  /** Base priority; only an owner conflict (both 255) lowers it, as keepalived does. */
  readonly basePriority: Priority;
  /** Base plus tracking weights, computed by the shell's tracking; what we advertise. */
  readonly effectivePriority: Priority;
  /** The master we last accepted (BACKUP), for status and skip_check_adv_addr. */
  readonly master: { readonly address: Ipv4; readonly priority: Priority } | undefined;
  readonly masterDown: MasterDownTimer | undefined;
  /** A tracked object of this instance says FAULT (script, interface, file: the shell's tracking). */
  readonly ownFault: boolean;
  /** Another member of our sync group is in FAULT, so the whole group is (keepalived). */
  readonly groupFault: boolean;
  /**
   * Our Master_Down timer fired but the sync group held us back because another member does not
   * want MASTER yet (keepalived's wantstate MASTER with state BACKUP).
   */
  readonly wantsMaster: boolean;
  /** preempt_delay: until when a lower-priority master is still accepted (started by its first advert). */
  readonly preemptDeadline: Millis | undefined;
  /**
   * VRRPv3: the Master_Adver_Interval (centiseconds) taken from the master's adverts (RFC 5798
   * §6.4.2); undefined while it is our own Advertisement_Interval (RFC 5798 §6.4.1).
   */
  readonly masterAdverIntCs?: number;
}

export type FsmEvent =
  /**
   * `fault`: tracking already says FAULT when the instance starts (keepalived's FAULT (init));
   * `priority`: the effective priority tracking computed before start (no "Changing" log line).
   */
  | { readonly type: 'startup'; readonly fault?: boolean; readonly priority?: Priority }
  /**
   * The daemon stops (notify STOP), or a reload removed the instance (`removed`: notify DELETED,
   * or nothing for an instance already in FAULT without notify_deleted, as keepalived). `release`
   * false is keepalived's -V (--dont-release-vrrp): a MASTER keeps its VIPs and sends no priority
   * 0, so the backup takes over only after Master_Down_Interval; the notify still runs.
   */
  | { readonly type: 'shutdown'; readonly removed?: boolean; readonly release?: boolean }
  /**
   * A received advert that passed every check of packet.ts (or packet-v3.ts). `advertIntCs`: a
   * VRRPv3 advert's Max Adver Int in centiseconds (advert-event.ts); a VRRPv2 advert has none.
   */
  | { readonly type: 'advert'; readonly priority: Priority; readonly from: Ipv4; readonly advertIntCs?: number }
  /**
   * `deadline`: when the timer was due (default: now). The next Adver_Timer period counts from it,
   * so a MASTER's state does not change per advert and a late wakeup does not shift later ones.
   */
  | { readonly type: 'timer'; readonly timer: TimerName; readonly deadline?: Millis }
  | { readonly type: 'priorityChanged'; readonly priority: Priority }
  /** One of this instance's own tracked objects failed / all of them are fine again. */
  | { readonly type: 'fault' }
  | { readonly type: 'faultCleared' }
  /** From the sync group (sync.ts): another member is faulty / no member is faulty any more. */
  | { readonly type: 'syncFault' }
  | { readonly type: 'syncFaultCleared' }
  /** From the sync group: the group goes MASTER together / a member left MASTER, so do we. */
  | { readonly type: 'syncMaster' }
  | { readonly type: 'syncBackup' }
  /** rtnetlink: one of our VIPs went away and we did not remove it (the shell tells them apart). */
  | { readonly type: 'vipRemoved'; readonly address: Ipv4; readonly ifname: string }
  /**
   * A reload kept this instance (see `reload`): its new parameters, VIPs included, and the effective
   * priority the new tracking computes (default: the current one).
   */
  | { readonly type: 'reload'; readonly params: InstanceParams; readonly priority?: Priority };

export type LogLevel = 'info' | 'warn' | 'debug';

export type Action =
  | { readonly type: 'sendAdvert'; readonly priority: Priority }
  | { readonly type: 'addVips' }
  | { readonly type: 'delVips' }
  /** A reload's VIP diff for a MASTER: remove these (the old parameters'), add those (the new ones'); a VIP that stays is in neither. */
  | { readonly type: 'changeVips'; readonly removed: readonly VipPlace[]; readonly added: readonly VipPlace[] }
  /** Put back one VIP someone else removed. */
  | { readonly type: 'restoreVip'; readonly address: Ipv4 }
  /** A burst of `count` gratuitous ARPs per VIP; `perAdvert`: one a received advert brings (its lines are rate-limited). */
  | { readonly type: 'garp'; readonly count: number; readonly perAdvert?: AdvertLine }
  /** `at`: the deadline, on the clock `now` comes from. */
  | { readonly type: 'armTimer'; readonly timer: TimerName; readonly at: Millis }
  /**
   * The steady periodic advert (sendPeriodicAdvert): until the state changes, every later Adver_Timer
   * firing would send this advert again and re-arm one `periodMs` after the deadline that fired, so
   * the shell may hand the sequence to something that repeats it (net/repeater.ts) instead of
   * stepping each one. Follows the sendAdvert and armTimer it repeats.
   */
  | { readonly type: 'steadyAdvert'; readonly priority: Priority; readonly periodMs: Millis }
  | { readonly type: 'cancelTimer'; readonly timer: TimerName }
  | { readonly type: 'notify'; readonly state: NotifyState }
  /** notify_master_rx_lower_pri: as MASTER we heard a lower priority (keepalived-behaviour.md#master-hearing-an-advert). */
  | { readonly type: 'notifyMasterRxLowerPri'; readonly priority: Priority }
  /**
   * `debug` lines are keepalived's `-D` (log detail) lines. `perAdvert`: a line every received
   * advert of that kind brings (a peer, or a flood, decides how many); the shell rate-limits by it.
   */
  | { readonly type: 'log'; readonly level: LogLevel; readonly message: string; readonly perAdvert?: AdvertLine };

/** The lines a received advert brings without a change of role, one kind each. */
export type AdvertLine = 'backupPriorityZero' | 'lowerDiscarded' | 'preemptDelay' | 'masterPriorityZero' | 'ownAddress' | 'lowerElection';

/**
 * Timer coalescing for the Adver_Timer: every instance's advert deadlines sit on one grid of this
 * many ms of the clock `now` comes from (the daemon's one monotonic clock). Each period is anchored
 * on the deadline that fired, and an interval of whole seconds (all VRRPv2 has) is a whole number
 * of grid steps (any other interval stays off the grid: rounding would lengthen every period), so
 * only the first period after becoming MASTER (or a reset: priority 0 heard, a reload) is stretched
 * or shortened, by at most half a step; every later one is exact. What it buys: MASTERs whose
 * adverts fall in the same step send them in one wakeup (fewer epoll returns, JS entries and
 * timerfd re-arms: a wakeup is the dearest part of an advert for a Node process; the bench's
 * wake-ups row counts them). keepalived has no such grid. 2 ms off one period is far inside what a
 * backup tolerates (Master_Down_Interval is three intervals and the skew).
 */
export const ADVER_GRID_MS = 4;

/**
 * The Adver_Timer's deadline for an exact one: the nearest grid point, when the interval is on the
 * grid. VRRPv3's centisecond intervals: an even number of centiseconds (20 ms, 0.1 s, 1 s...) is a
 * whole number of 4 ms steps and sits on the grid like v2's seconds (at 0.02 s, 2 ms off the first
 * period is a tenth of an interval, still far inside Master_Down_Interval's three and the skew); an
 * odd number (10 ms, 50 ms, 0.11 s) is not, and stays off it, every period exact.
 */
export function adverDeadline(params: InstanceParams, exact: Millis): Millis {
  return adverIntervalMs(params) % ADVER_GRID_MS === 0 ? Math.round(exact / ADVER_GRID_MS) * ADVER_GRID_MS : exact;
}

/** The Adver_Timer's period: advert_int (v2), Advertisement_Interval in centiseconds (v3). */
export function adverIntervalMs(params: InstanceParams): Millis {
  return params.v3 !== undefined ? params.v3.advertIntCs * 10 : params.advertIntMs;
}

export const versionOf = (params: InstanceParams): VrrpVersion => (params.v3 !== undefined ? 3 : 2);

const armAdver = (s: FsmState, exact: Millis): Action => ({ type: 'armTimer', timer: 'adver', at: adverDeadline(s.params, exact) });

export interface StepResult {
  readonly state: FsmState;
  readonly actions: readonly Action[];
}

export function initialState(params: InstanceParams): FsmState {
  return {
    params,
    role: 'INIT',
    basePriority: params.basePriority,
    effectivePriority: params.basePriority,
    master: undefined,
    masterDown: undefined,
    ownFault: false,
    groupFault: false,
    wantsMaster: false,
    preemptDeadline: undefined,
  };
}

/** The context the sync group gives a member's step (sync.ts); absent for a lone instance. */
export interface SyncContext {
  /** Every other member is MASTER or wants to be (its own Master_Down timer fired). */
  readonly othersWantMaster: boolean;
}

/**
 * Whether an advert from `from` must carry exactly our VIPs (RFC 3768 §7.1: "MAY verify").
 * keepalived (keepalived-behaviour.md#receive-checks) always checks in MASTER; with
 * vrrp_skip_check_adv_addr a BACKUP trusts the list of the master it already accepted, and checks
 * anyone else.
 */
export function mustCheckAddresses(state: FsmState, from: Ipv4): boolean {
  return !(state.params.skipCheckAdvAddr && state.role === 'BACKUP' && state.master?.address === from);
}

/** Skew_Time = ((256 - Priority) / 256) seconds (RFC 3768 §6.1); keepalived uses the effective priority. */
export function skewTimeMs(priority: Priority): Millis {
  return ((256 - priority) * 1000) / 256;
}

/**
 * Master_Down_Interval = (3 * Advertisement_Interval) + Skew_time (RFC 3768 §6.1; 3 = down_timer_adverts).
 * VRRPv3 (RFC 5798 §6.1): (3 * Master_Adver_Interval) + Skew_Time, both scaled by the master's
 * interval `masterAdverIntCs` (default: ours), in keepalived's whole microseconds (timers-v3.ts).
 */
export function masterDownIntervalMs(params: InstanceParams, priority: Priority, masterAdverIntCs?: number): Millis {
  if (params.v3 !== undefined) return masterDownIntervalMsV3(params.downTimerAdverts, masterAdverIntCs ?? params.v3.advertIntCs, priority);
  return params.downTimerAdverts * params.advertIntMs + skewTimeMs(priority);
}

/**
 * The Master_Down timer's length: the whole Master_Down_Interval, or Skew_Time alone after a
 * priority-0 advert; v3 scales both with the Master_Adver_Interval the state holds (RFC 5798 §6.1:
 * Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256).
 */
function masterDownMs(s: FsmState, kind: 'full' | 'skew', priority: Priority = s.effectivePriority, params: InstanceParams = s.params): Millis {
  if (params.v3 === undefined) return kind === 'full' ? masterDownIntervalMs(params, priority) : skewTimeMs(priority);
  const cs = s.masterAdverIntCs ?? params.v3.advertIntCs;
  return kind === 'full' ? masterDownIntervalMsV3(params.downTimerAdverts, cs, priority) : skewTimeMsV3(priority, cs);
}

export function step(state: FsmState, event: FsmEvent, now: Millis, sync?: SyncContext): StepResult {
  const out: Action[] = [];
  const next = dispatch(state, event, now, out, sync);
  return { state: next, actions: out };
}

function dispatch(s: FsmState, e: FsmEvent, now: Millis, out: Action[], sync: SyncContext | undefined): FsmState {
  switch (e.type) {
    case 'startup':
      if (s.role !== 'INIT') return s;
      return startup(e.priority === undefined ? s : { ...s, effectivePriority: e.priority }, e.fault === true, now, out);
    case 'shutdown':
      return shutdown(s, out, e.removed === true, e.release !== false);
    case 'advert':
      if (s.role === 'BACKUP') return backupReceivesAdvert(s, e.priority, e.from, e.advertIntCs, now, out);
      if (s.role === 'MASTER') return masterReceivesAdvert(s, e.priority, e.from, e.advertIntCs, now, out);
      return s; // keepalived ignores adverts in INIT and FAULT
    case 'timer':
      return timerFired(s, e.timer, e.deadline ?? now, now, out, sync);
    case 'priorityChanged':
      return priorityChanged(s, e.priority, now, out);
    // Tracking's verdict, said again, changes nothing (the same state back: the shell may feed its
    // every outcome without comparing it to ownFault first).
    case 'fault':
      return s.ownFault ? s : setFault(s, { ...s, ownFault: true }, now, out);
    case 'faultCleared':
      return s.ownFault ? setFault(s, { ...s, ownFault: false }, now, out) : s;
    case 'syncFault':
      return setFault(s, { ...s, groupFault: true }, now, out);
    case 'syncFaultCleared':
      return setFault(s, { ...s, groupFault: false }, now, out);
    case 'syncMaster':
      return s.role === 'BACKUP' ? becomeMaster(s, now, out) : s;
    case 'syncBackup':
      return s.role === 'MASTER' ? leaveMasterForBackup(s, now, out) : s;
    case 'vipRemoved':
      return vipRemoved(s, e.address, e.ifname, out);
    case 'reload':
      return reload(s, e.params, e.priority ?? s.effectivePriority, now, out);
  }
}

/**
 * Not in RFC 3768: a MASTER whose VIP someone else deleted would go on advertising an address it
 * no longer answers for. Put it back and re-announce it at once (keepalived instead leaves MASTER
 * with priority 0 and comes back through BACKUP: ~0.46 s without the VIP, measured). Outside
 * MASTER the VIP is meant to be gone.
 */
function vipRemoved(s: FsmState, address: Ipv4, ifname: string, out: Action[]): FsmState {
  if (s.role !== 'MASTER') return s;
  out.push(
    log(s, 'warn', `VIP ${address} was removed from ${ifname} by someone else while MASTER - restoring it`),
    { type: 'restoreVip', address },
    { type: 'garp', count: Math.max(1, s.params.garpMasterRepeat) },
  );
  return s;
}

/** FAULT while any reason holds (our own tracking, or the sync group's); leave it when none does. */
function setFault(before: FsmState, after: FsmState, now: Millis, out: Action[]): FsmState {
  const faulty = after.ownFault || after.groupFault || after.params.faultNoPeer;
  if (before.role === 'STOPPED' || before.role === 'INIT') return after;
  if (faulty && before.role !== 'FAULT') return enterFault(after, out);
  if (!faulty && before.role === 'FAULT') return leaveFault(after, now, out);
  return after;
}

const log = (s: FsmState, level: LogLevel, text: string, perAdvert?: AdvertLine): Action =>
  perAdvert === undefined
    ? { type: 'log', level, message: `(${s.params.name}) ${text}` }
    : { type: 'log', level, message: `(${s.params.name}) ${text}`, perAdvert };

/** §6.4.1's owner rule, keepalived's way: an owner (255) that does not ask for `state BACKUP` starts as MASTER. */
export function ownerStartsAsMaster(priority: Priority, wantState: 'MASTER' | 'BACKUP' | undefined): boolean {
  return priority === OWNER_PRIORITY && wantState !== 'BACKUP';
}

/**
 * RFC 3768 §6.4.1 Initialize: "If the Priority = 255 ... transition to the {Master} state; else ...
 * set the Master_Down_Timer to Master_Down_Interval and transition to the {Backup} state."
 * keepalived (keepalived-behaviour.md#start-up): only an owner that does not ask for `state BACKUP`
 * starts as MASTER; any other `state MASTER` waits a full Master_Down_Interval in BACKUP like
 * everyone else.
 */
function startup(s: FsmState, fault: boolean, now: Millis, out: Action[]): FsmState {
  if (s.params.faultNoPeer) out.push(log(s, 'info', 'Cannot use unicast without any peers - going to fault state'));
  if (fault || s.ownFault || s.groupFault || s.params.faultNoPeer) {
    // keepalived vrrp_init_state: tracking says down before we ever ran.
    out.push(log(s, 'info', 'Entering FAULT STATE (init)'), { type: 'notify', state: 'FAULT' });
    return { ...s, role: 'FAULT', ownFault: s.ownFault || fault };
  }
  if (ownerStartsAsMaster(s.effectivePriority, s.params.wantState)) return becomeMaster(s, now, out);
  out.push(log(s, 'info', 'Entering BACKUP STATE (init)'), { type: 'notify', state: 'BACKUP' });
  return armMasterDown({ ...s, role: 'BACKUP' }, 'full', now, out);
}

/**
 * RFC 3768 §6.4.2 (Backup) "If the Master_Down_Timer fires": send an ADVERTISEMENT, broadcast a
 * gratuitous ARP for each address, set the Adver_Timer, transition to {Master}. keepalived's order
 * (keepalived-behaviour.md#becoming-master): advert first so the old master drops the VIPs, then
 * VIPs, GARP burst, notify, and a second burst garp_master_delay later.
 */
function becomeMaster(s: FsmState, now: Millis, out: Action[]): FsmState {
  out.push({ type: 'sendAdvert', priority: s.effectivePriority }, log(s, 'info', 'Entering MASTER STATE'));
  // RFC 5798 §6.4.2 "If the Master_Down_Timer fires ... Set the Adver_Timer to
  // Advertisement_Interval": a master advertises its own interval, not the one it heard
  // (keepalived vrrp_state_become_master, whose line comes only with -D; without -D keepalived
  // forgets to reset it, which shows only when a sync group sends the MASTER back to BACKUP).
  if (s.masterAdverIntCs !== undefined && s.params.v3 !== undefined && s.masterAdverIntCs !== s.params.v3.advertIntCs) {
    out.push(log(s, 'debug', `changing advert interval from ${s.masterAdverIntCs * 10}ms to locally configured ${s.params.v3.advertIntCs * 10}ms`));
  }
  out.push({ type: 'cancelTimer', timer: 'masterDown' }, { type: 'addVips' });
  if (s.params.garpMasterRepeat > 0) out.push({ type: 'garp', count: s.params.garpMasterRepeat });
  out.push({ type: 'notify', state: 'MASTER' });
  out.push(armAdver(s, now + adverIntervalMs(s.params)));
  if (s.params.garpMasterDelayMs > 0 && s.params.garpMasterRepeat > 0) {
    out.push({ type: 'armTimer', timer: 'garpDelay', at: now + s.params.garpMasterDelayMs });
  }
  if (s.params.garpMasterRefreshMs > 0) out.push({ type: 'armTimer', timer: 'garpRefresh', at: now + s.params.garpMasterRefreshMs });
  return { ...s, role: 'MASTER', master: undefined, masterDown: undefined, wantsMaster: false, preemptDeadline: undefined, masterAdverIntCs: undefined };
}

function armMasterDown(s: FsmState, kind: 'full' | 'skew', now: Millis, out: Action[]): FsmState {
  const ms = masterDownMs(s, kind);
  out.push({ type: 'armTimer', timer: 'masterDown', at: now + ms });
  return { ...s, masterDown: { armedAt: now, kind, due: now + ms } };
}

/**
 * RFC 3768 §6.4.2 / RFC 5798 §6.4.2, "If an ADVERTISEMENT is received" in {Backup}. v3 has no
 * interval check: a different interval is the master's to choose, and adopted.
 */
function backupReceivesAdvert(s: FsmState, priority: Priority, from: Ipv4, advertIntCs: number | undefined, now: Millis, out: Action[]): FsmState {
  // "If the Priority in the ADVERTISEMENT is Zero, then: Set the Master_Down_Timer to Skew_Time"
  // (v3: the Skew_Time of the Master_Adver_Interval already held; a priority-0 advert's own
  // interval is not taken, as keepalived).
  if (priority === STOP_PRIORITY) {
    out.push(log(s, 'debug', 'Backup received priority 0 advertisement', 'backupPriorityZero'));
    return armMasterDown(s, 'skew', now, out);
  }
  // "If Preempt_Mode is False, or If the Priority in the ADVERTISEMENT is greater than or equal
  // to the local Priority, then: Reset the Master_Down_Timer to Master_Down_Interval".
  // keepalived adds preempt_delay (vrrp_state_backup): a lower-priority master is still accepted
  // until preempt_delay after the first such advert, so the takeover waits delay + Master_Down.
  const delaying = s.params.preemptDelayMs > 0 && (s.preemptDeadline === undefined || s.preemptDeadline > now);
  if (!s.params.preempt || priority >= s.effectivePriority || delaying) {
    // RFC 5798 §6.4.2 (450-460): "Set Master_Adver_Interval to Adver Interval contained in the
    // ADVERTISEMENT, Recompute the Master_Down_Interval, Reset the Master_Down_Timer to
    // Master_Down_Interval" (the Skew_Time in it scales with the new interval too, RFC 5798 §6.1).
    const adopted = adoptMasterAdverInt(s, advertIntCs, out);
    const accepted: FsmState = { ...adopted, master: { address: from, priority }, wantsMaster: false };
    return armMasterDown(trackPreemptDelay(accepted, priority, now, out), 'full', now, out);
  }
  // "Else ... Discard the ADVERTISEMENT": the timer keeps running, so we preempt when it fires.
  out.push(log(s, 'info', `received lower priority (${priority}) advert from ${from} - discarding`, 'lowerDiscarded'));
  return { ...s, master: { address: from, priority } };
}

/**
 * RFC 5798 §6.4.2 / §6.4.3: take the advert's interval as Master_Adver_Interval (v3 only; a v2
 * advert carries none, and 0 never passes packet-v3.ts). keepalived update_master_adver_int: its
 * line with -D, when the interval changes.
 */
function adoptMasterAdverInt(s: FsmState, advertIntCs: number | undefined, out: Action[]): FsmState {
  if (s.params.v3 === undefined || advertIntCs === undefined || advertIntCs <= 0) return s;
  const held = s.masterAdverIntCs ?? s.params.v3.advertIntCs;
  if (advertIntCs === held) return s.masterAdverIntCs === undefined ? { ...s, masterAdverIntCs: advertIntCs } : s;
  out.push(log(s, 'debug', `advertisement interval updated from ${held * 10}ms to ${advertIntCs * 10}ms by master`));
  return { ...s, masterAdverIntCs: advertIntCs };
}

/** keepalived: the preempt_delay clock starts at the first lower advert and stops at a higher one. */
function trackPreemptDelay(s: FsmState, priority: Priority, now: Millis, out: Action[]): FsmState {
  if (s.params.preemptDelayMs <= 0) return s;
  if (priority >= s.effectivePriority) {
    if (s.preemptDeadline === undefined) return s;
    out.push(log(s, 'debug', 'stop preempt delay', 'preemptDelay'));
    return { ...s, preemptDeadline: undefined };
  }
  if (s.preemptDeadline !== undefined) return s;
  out.push(log(s, 'debug', `start preempt delay (${(s.params.preemptDelayMs / 1000).toFixed(6)})`, 'preemptDelay'));
  return { ...s, preemptDeadline: now + s.params.preemptDelayMs };
}

/** Compare the sender's primary address with ours, as numbers (RFC 3768 §6.4.3 tie-break). */
function compareToOwnAddress(s: FsmState, from: Ipv4): number {
  return Math.sign(ipv4ToUint32(from) - ipv4ToUint32(s.params.ownAddress));
}

/** RFC 3768 §6.4.3, "If an ADVERTISEMENT is received" in {Master}; keepalived §3.5. */
function masterReceivesAdvert(s: FsmState, priority: Priority, from: Ipv4, advertIntCs: number | undefined, now: Millis, out: Action[]): FsmState {
  // "If the Priority in the ADVERTISEMENT is Zero, then: Send an ADVERTISEMENT, Reset the Adver_Timer"
  if (priority === STOP_PRIORITY) {
    out.push(
      log(s, 'debug', 'Master received priority 0 message', 'masterPriorityZero'),
      { type: 'sendAdvert', priority: s.effectivePriority },
      armAdver(s, now + adverIntervalMs(s.params)),
    );
    return s;
  }
  const cmp = compareToOwnAddress(s, from);
  // higher_prio_send_advert: tell the new master we were here before yielding
  // (keepalived-behaviour.md#master-hearing-an-advert).
  if (s.params.higherPrioSendAdvert && (priority > s.effectivePriority || (priority === s.effectivePriority && cmp > 0))) {
    out.push({ type: 'sendAdvert', priority: s.effectivePriority });
  }
  let current = s;
  if (priority === current.effectivePriority) {
    if (cmp === 0) {
      out.push(log(s, 'warn', 'WARNING - equal priority advert received from remote host with our IP address.', 'ownAddress'));
      return s;
    }
    if (current.effectivePriority === OWNER_PRIORITY) {
      // Two address owners is a configuration error; keepalived steps down to 254 so one wins.
      out.push(
        log(s, 'warn', 'CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority'),
      );
      const reduced = (OWNER_PRIORITY - 1) as Priority;
      current = { ...current, basePriority: reduced, effectivePriority: reduced };
    }
  }
  // "If the Priority in the ADVERTISEMENT is greater than the local Priority, or the Priority is
  // equal and the primary IP Address of the sender is greater than the local primary IP Address":
  // stop the Adver_Timer, set the Master_Down_Timer, transition to {Backup}.
  if (priority > current.effectivePriority || (priority === current.effectivePriority && cmp > 0)) {
    out.push(
      log(
        current,
        'info',
        priority > current.effectivePriority
          ? `Master received advert from ${from} with higher priority ${priority}, ours ${current.effectivePriority}`
          : `Master received advert from ${from} with same priority ${priority} but higher IP address than ours`,
      ),
    );
    // RFC 5798 §6.4.3 (740-765): "Set Master_Adver_Interval to Adver Interval contained in the
    // ADVERTISEMENT, Recompute the Skew_Time, Recompute the Master_Down_Interval, Set
    // Master_Down_Timer to Master_Down_Interval" (keepalived vrrp_state_master_rx).
    return leaveMasterForBackup({ ...adoptMasterAdverInt(current, advertIntCs, out), master: { address: from, priority } }, now, out);
  }
  // "Otherwise, Discard the ADVERTISEMENT". keepalived goes further
  // (keepalived-behaviour.md#master-hearing-an-advert,
  // keepalived-behaviour.md#stale-arp-after-a-split-brain): a lower priority master means the pair
  // was split, so re-advertise at once and refresh ARP caches.
  const answer = !current.params.lowerPrioNoAdvert;
  out.push(
    log(
      current,
      'info',
      `Received advert from ${from} with lower priority ${priority}, ours ${current.effectivePriority}${answer ? ', forcing new election' : ''}`,
      'lowerElection',
    ),
  );
  if (answer) out.push({ type: 'sendAdvert', priority: current.effectivePriority });
  if (current.params.garpLowerPrioRepeat > 0) {
    out.push({ type: 'garp', count: current.params.garpLowerPrioRepeat, perAdvert: 'lowerElection' });
    if (current.params.garpLowerPrioDelayMs > 0) {
      out.push({ type: 'armTimer', timer: 'lowerPrioGarp', at: now + current.params.garpLowerPrioDelayMs });
    }
  }
  out.push({ type: 'notifyMasterRxLowerPri', priority });
  return current;
}

function cancelMasterTimers(out: Action[]): void {
  out.push(
    { type: 'cancelTimer', timer: 'adver' },
    { type: 'cancelTimer', timer: 'garpDelay' },
    { type: 'cancelTimer', timer: 'lowerPrioGarp' },
    { type: 'cancelTimer', timer: 'garpRefresh' },
  );
}

/** keepalived leaves MASTER for BACKUP silently: no priority-0 advert, no GARP (keepalived-behaviour.md#master-hearing-an-advert). */
function leaveMasterForBackup(s: FsmState, now: Millis, out: Action[]): FsmState {
  out.push(log(s, 'info', 'Entering BACKUP STATE'));
  cancelMasterTimers(out);
  out.push({ type: 'delVips' }, { type: 'notify', state: 'BACKUP' });
  return armMasterDown({ ...s, role: 'BACKUP', preemptDeadline: undefined }, 'full', now, out);
}

function timerFired(s: FsmState, timer: TimerName, deadline: Millis, now: Millis, out: Action[], sync: SyncContext | undefined): FsmState {
  switch (timer) {
    case 'masterDown':
      if (s.role !== 'BACKUP') return s;
      out.push(log(s, 'debug', 'Receive advertisement timeout'));
      // keepalived vrrp_sync_can_goto_master: "only sync to master if everyone wants to, i.e.
      // prefer backup state to avoid thrashing" — wait another Master_Down_Interval.
      if (s.params.inSyncGroup && sync !== undefined && !sync.othersWantMaster) {
        return armMasterDown({ ...s, wantsMaster: true }, 'full', now, out);
      }
      return becomeMaster(s, now, out);
    case 'adver':
      return s.role === 'MASTER' ? sendPeriodicAdvert(s, deadline, now, out) : s;
    case 'garpDelay':
      if (s.role === 'MASTER') out.push({ type: 'garp', count: s.params.garpMasterRepeat });
      return s;
    case 'lowerPrioGarp':
      if (s.role === 'MASTER') out.push({ type: 'garp', count: s.params.garpLowerPrioRepeat });
      return s;
    case 'garpRefresh':
      if (s.role !== 'MASTER') return s;
      out.push(
        { type: 'garp', count: s.params.garpMasterRefreshRepeat },
        { type: 'armTimer', timer: 'garpRefresh', at: now + s.params.garpMasterRefreshMs },
      );
      return s;
  }
}

/**
 * RFC 3768 §6.4.3 "If the Adver_Timer fires": send an ADVERTISEMENT, reset the Adver_Timer. The
 * next deadline is anchored to the one that fired (`deadline`), not to `now`, so a late tick does
 * not push every later advert back (docs/reference/node-runtime.md#timers: setInterval drifts ~1 ms
 * per tick).
 */
function sendPeriodicAdvert(s: FsmState, deadline: Millis, now: Millis, out: Action[]): FsmState {
  const interval = adverIntervalMs(s.params);
  const exact = deadline + interval;
  // Stalled for a whole interval: don't burst, count the next interval from now.
  const arm = armAdver(s, exact <= now ? now + interval : exact);
  out.push({ type: 'sendAdvert', priority: s.effectivePriority }, arm);
  // The same state back and the next deadline exactly one interval on: every later firing gets
  // this answer until something changes the state (a state object is never changed in place).
  if (arm.type === 'armTimer' && arm.at === exact && s.effectivePriority !== STOP_PRIORITY) {
    out.push({ type: 'steadyAdvert', priority: s.effectivePriority, periodMs: interval });
  }
  return s;
}

/**
 * RFC 3768 §6.4.3 "If a Shutdown event is received": cancel the Adver_Timer, send an ADVERTISEMENT
 * with Priority = 0. keepalived also removes the VIPs and runs notify STOP
 * (keepalived-behaviour.md#leaving-master-and-stopping).
 */
function shutdown(s: FsmState, out: Action[], removed: boolean, release: boolean): FsmState {
  if (s.role === 'STOPPED') return s;
  if (s.role === 'MASTER') {
    cancelMasterTimers(out);
    if (release) out.push({ type: 'sendAdvert', priority: STOP_PRIORITY }, { type: 'delVips' });
  } else {
    out.push({ type: 'cancelTimer', timer: 'masterDown' });
  }
  const notify = !removed ? 'STOP' : s.role === 'FAULT' && !s.params.notifyDeleted ? undefined : 'DELETED';
  if (notify !== undefined) out.push({ type: 'notify', state: notify });
  return { ...s, role: 'STOPPED', masterDown: undefined };
}

/**
 * keepalived (keepalived-behaviour.md#leaving-master-and-stopping,
 * keepalived-behaviour.md#tracking-and-priority): a failed tracked object or a down interface puts
 * the instance in FAULT; a MASTER first tells the backups with a priority-0 advert so they take
 * over after Skew_Time.
 */
function enterFault(s: FsmState, out: Action[]): FsmState {
  if (s.role === 'FAULT' || s.role === 'STOPPED' || s.role === 'INIT') return s;
  out.push(log(s, 'info', 'Entering FAULT STATE'));
  if (s.role === 'MASTER') {
    cancelMasterTimers(out);
    out.push({ type: 'sendAdvert', priority: STOP_PRIORITY }, { type: 'delVips' });
  } else {
    out.push({ type: 'cancelTimer', timer: 'masterDown' });
  }
  out.push({ type: 'notify', state: 'FAULT' });
  return { ...s, role: 'FAULT', master: undefined, masterDown: undefined, wantsMaster: false, preemptDeadline: undefined };
}

/** Recovery from FAULT goes through BACKUP (keepalived `vrrp_state_leave_fault`), except an owner. */
function leaveFault(s: FsmState, now: Millis, out: Action[]): FsmState {
  if (ownerStartsAsMaster(s.effectivePriority, s.params.wantState)) return becomeMaster(s, now, out);
  out.push(log(s, 'info', 'Entering BACKUP STATE'), { type: 'notify', state: 'BACKUP' });
  // v3: back to our own interval until a master is heard (keepalived vrrp_state_leave_fault).
  return armMasterDown({ ...s, role: 'BACKUP', masterAdverIntCs: undefined }, 'full', now, out);
}

/**
 * A tracking change moved the effective priority. In BACKUP keepalived re-bases the running
 * Master_Down timer on the new Skew_Time (`vrrp_set_effective_priority`), so it keeps counting
 * from the last accepted advert rather than restarting.
 */
function priorityChanged(s: FsmState, priority: Priority, now: Millis, out: Action[]): FsmState {
  if (priority === s.effectivePriority || s.role === 'STOPPED') return s;
  out.push(log(s, 'info', `Changing effective priority from ${s.effectivePriority} to ${priority}`));
  const changed = { ...s, effectivePriority: priority };
  if (s.role !== 'BACKUP' || !s.masterDown) return changed;
  const { armedAt, kind } = s.masterDown;
  const due = armedAt + masterDownMs(s, kind, priority);
  out.push({ type: 'armTimer', timer: 'masterDown', at: Math.max(now, due) });
  return { ...changed, masterDown: { armedAt, kind, due } };
}

/**
 * A reload kept this instance (keepalived matches it by VRID, interface and transport): the new
 * parameters replace the old, the role and the timers' anchors stay; `effectivePriority` is what
 * the new tracking says (the base may have changed). A MASTER whose priority changes stays MASTER
 * (a backup may then preempt it, as the protocol says, but it never passes through BACKUP itself).
 * A MASTER's VIPs follow the new list (keepalived's clear_diff_vrrp_vip): those the new parameters
 * dropped are removed, new ones added, one that stays is never touched. keepalived
 * (keepalived-behaviour.md#reload) then has every MASTER announce itself: one advert, then a GARP
 * burst per VIP.
 */
function reload(s: FsmState, params: InstanceParams, effectivePriority: Priority, now: Millis, out: Action[]): FsmState {
  const kept = reloadKeepingRole(s, params, effectivePriority, now, out);
  // A reload that brings the first unicast peer (faultNoPeer) ends that FAULT; one that takes the
  // last peer away starts it.
  return setFault(kept, kept, now, out);
}

function reloadKeepingRole(s: FsmState, params: InstanceParams, effectivePriority: Priority, now: Millis, out: Action[]): FsmState {
  const old = s.params;
  const base = params.basePriority;
  // Only the owner conflict lowers the base (255 -> 254); a new configured priority replaces it.
  // v3: a Master_Adver_Interval heard from the master stays (it is the master's, not ours to
  // configure; keepalived's reload forgets it, so a backup whose own interval is now shorter than
  // the master's takes over before the master's next advert); v2 has none.
  const heard = params.v3 !== undefined ? s.masterAdverIntCs : undefined;
  const next: FsmState = { ...s, params, basePriority: base === old.basePriority ? s.basePriority : base, effectivePriority, masterAdverIntCs: heard };
  if (s.role === 'MASTER') {
    const { removed, added } = diffVips(old.vips, params.vips, vipPlaceKey);
    // keepalived says "setting VIPs." for a MASTER with VIPs at every reload, even when none changed.
    if (params.vips.length > 0 || removed.length > 0) out.push({ type: 'changeVips', removed, added });
  }
  if (effectivePriority !== s.effectivePriority && s.role !== 'STOPPED') {
    out.push(log(next, 'info', `Changing effective priority from ${s.effectivePriority} to ${effectivePriority}`));
  }
  switch (s.role) {
    case 'MASTER': {
      out.push({ type: 'sendAdvert', priority: next.effectivePriority }, armAdver(next, now + adverIntervalMs(params)));
      if (params.garpMasterRepeat > 0) out.push({ type: 'garp', count: params.garpMasterRepeat });
      if (params.garpMasterRefreshMs !== old.garpMasterRefreshMs) {
        out.push(
          params.garpMasterRefreshMs > 0
            ? { type: 'armTimer', timer: 'garpRefresh', at: now + params.garpMasterRefreshMs }
            : { type: 'cancelTimer', timer: 'garpRefresh' },
        );
      }
      return next;
    }
    case 'BACKUP': {
      const cleared = params.preemptDelayMs > 0 ? next : { ...next, preemptDeadline: undefined };
      if (!s.masterDown) return cleared;
      // Re-base the running Master_Down timer on the new advert_int / down_timer_adverts, counted
      // from the last accepted advert, as a priority change does.
      const { armedAt, kind } = s.masterDown;
      const due = armedAt + masterDownMs(next, kind, effectivePriority, params);
      out.push({ type: 'armTimer', timer: 'masterDown', at: Math.max(now, due) });
      return { ...cleared, masterDown: { armedAt, kind, due } };
    }
    default:
      return next;
  }
}
