// What one running instance looks like at a moment: what keepalived's SIGUSR1/JSON dumps print
// about a vrrp_t beyond its configuration. Plain data, taken on the main thread between events, so
// a dump never sees an instance half-way through a step.
import type { InstanceConfig } from '../config/config.js';
import type { KeepalivedCounters } from './stats.js';
import type { Ipv4, Millis, Priority } from '../types.js';
import type { FsmState, Role } from '../vrrp/fsm.js';
import type { PeerReport } from '../vrrp/peers.js';

/** keepalived's state names; STOPPED (after our shutdown step) has none there. */
export type SnapshotState = Role;

export interface InstanceSnapshot {
  readonly name: string;
  readonly state: SnapshotState;
  /** keepalived's wantstate: where the instance is heading (MASTER while a sync group holds it back). */
  readonly wantState: SnapshotState;
  readonly basePriority: Priority;
  readonly effectivePriority: Priority;
  /** The master we last accepted as BACKUP (keepalived's master_saddr / master_priority). */
  readonly master: { readonly address: Ipv4; readonly priority: Priority } | undefined;
  /** Our advert source on the instance's interface. */
  readonly ownAddress: Ipv4;
  readonly ifname: string;
  readonly ifindex: number;
  /** The interface's MAC when a VIP lives on it (where the daemon has it), for the Interfaces section. */
  readonly mac: Buffer | undefined;
  /** Whether our VIPs are on the interface (keepalived's vipset: MASTER, after "setting VIPs"). */
  readonly vipSet: boolean;
  /**
   * keepalived's "Read timeout" (sands): when the instance next acts on a timer — the next advert
   * as MASTER, Master_Down as BACKUP — on the monotonic clock (ms); undefined when none is armed.
   */
  readonly nextTimerAt: Millis | undefined;
  /** The monotonic clock (ms) when the snapshot was taken, to turn nextTimerAt into wall time. */
  readonly takenAt: Millis;
  readonly stats: Readonly<KeepalivedCounters>;
  /** Peers whose adverts we ignore (or did) for their configuration: vrrpd's own, not keepalived's. */
  readonly peers: readonly PeerReport[];
}

/** keepalived's wantstate from our core state (vrrp.c / vrrp_scheduler.c set it on each move). */
export function wantStateOf(state: FsmState, config: InstanceConfig): SnapshotState {
  if (state.role === 'INIT') return config.wantState === 'MASTER' || state.basePriority === 255 ? 'MASTER' : 'BACKUP';
  if (state.wantsMaster) return 'MASTER';
  return state.role;
}

/** The timer keepalived's sands stands for in each state; a MASTER's is its Adver_Timer's deadline. */
export function nextTimerOf(state: FsmState, advertDue: Millis | undefined): Millis | undefined {
  if (state.role === 'MASTER') return advertDue;
  if (state.role === 'BACKUP') return state.masterDown?.due;
  return undefined;
}
