// The instance's transitions in an operator's words: why a role changed (`vrrpd status`, the
// metrics), and the last change.
import type { Ipv4, Millis } from '../types.js';
import type { FsmEvent, FsmState, TimerName } from '../vrrp/fsm.js';

export interface LastTransition {
  /** Monotonic clock (ms). */
  readonly at: Millis;
  readonly from: FsmState['role'];
  readonly to: FsmState['role'];
  readonly reason: string;
}

/** Constant strings: an advert a second per instance must not build (and keep) a new one each time. */
const TIMER_REASONS: { readonly [name in TimerName]: string } = {
  adver: 'adver timer',
  masterDown: 'master down timer',
  garpDelay: 'garpDelay timer',
  lowerPrioGarp: 'lowerPrioGarp timer',
  garpRefresh: 'garpRefresh timer',
};

/** An FSM event in an operator's words. */
export function eventReason(event: FsmEvent, zeroFrom: Ipv4 | undefined): string {
  switch (event.type) {
    case 'advert':
      // The only role change an advert makes: a MASTER steps down for a better one.
      return event.priority === 0 ? `priority 0 from ${event.from}` : `higher priority advert from ${event.from} (${event.priority})`;
    case 'timer':
      if (event.timer !== 'masterDown') return TIMER_REASONS[event.timer];
      return zeroFrom === undefined ? 'master down timer' : `master down timer after priority 0 from ${zeroFrom}`;
    case 'priorityChanged':
      return `priority changed to ${event.priority}`;
    case 'fault':
      return 'fault: tracking';
    case 'faultCleared':
      return 'tracking ok again';
    case 'syncFault':
      return 'sync group member in fault';
    case 'syncFaultCleared':
      return 'sync group fault cleared';
    case 'syncMaster':
      return 'sync group going MASTER';
    case 'syncBackup':
      return 'sync group member left MASTER';
    case 'startup':
      return 'start-up';
    case 'shutdown':
      return 'daemon stopping';
    case 'vipRemoved':
      return `VIP ${event.address} removed by someone else`;
    case 'reload':
      return 'reload';
  }
}
