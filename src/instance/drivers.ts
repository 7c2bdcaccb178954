// Who steps an instance's core: fsm.step for a lone instance, sync.groupStep for the members of a
// vrrp_sync_group. A driver sees an instance only through DrivenInstance, which the instance makes
// and hands to its driver alone (join): so only a driver, with a step's result, runs actions.
import type { Millis } from '../types.js';
import { step, type Action, type FsmEvent, type FsmState } from '../vrrp/fsm.js';
import { groupStep, initialGroupState, type GroupAction, type SyncGroupState } from '../vrrp/sync.js';

/** What a driver may do with an instance (instance.ts Instance makes it). */
export interface DrivenInstance {
  name(): string;
  state(): FsmState;
  /** Why this instance's current event happens (a member moved by another's names it). */
  cause(): string;
  /** The new core state, then its actions in order. */
  apply(state: FsmState, actions: readonly Action[]): void;
  setState(state: FsmState): void;
  execute(action: Action): void;
  /** Why the next role change happens, when another member's event moves this one. */
  noteCause(why: string): void;
}

/** Steps an instance's core and hands the result back to the instance(s) concerned. */
export interface Driver {
  /** The instance is driven by this driver from now on (at its start, and again after a reload). */
  join(instance: DrivenInstance): void;
  /** `now`: the step's time, on the clock the instance's timers run on. */
  feed(instance: DrivenInstance, event: FsmEvent, now: Millis): void;
}

/** A lone instance: fsm.step. */
export const soloDriver: Driver = {
  join() {},
  feed(instance, event, now) {
    const result = step(instance.state(), event, now);
    instance.apply(result.state, result.actions);
  },
};

/**
 * The members of one vrrp_sync_group: every event goes through sync.groupStep, so the group's
 * rules reach the other members; the group's own lines are logged and its notifies run.
 */
export class SyncGroupDriver implements Driver {
  private group: SyncGroupState | undefined;
  private readonly members = new Map<string, DrivenInstance>();
  private readonly name: string;
  private readonly onGroupAction: (group: string, action: GroupAction) => void;

  constructor(name: string, onGroupAction: (group: string, action: GroupAction) => void) {
    this.name = name;
    this.onGroupAction = onGroupAction;
  }

  join(instance: DrivenInstance): void {
    if (this.members.get(instance.name()) === instance) return; // already ours (a re-created interface)
    this.members.set(instance.name(), instance);
    this.group = undefined; // rebuilt from the members on the next event
  }

  feed(instance: DrivenInstance, event: FsmEvent, now: Millis): void {
    const current = this.group ?? initialGroupState(this.name, new Map([...this.members].map(([n, m]) => [n, m.state()])));
    const result = groupStep(current, instance.name(), event, now);
    this.group = result.group;
    // A member moved by another's event says whose (`vrrpd status`'s reason).
    for (const member of this.members.values()) {
      if (member !== instance) member.noteCause(`sync group ${this.name}: ${instance.name()} ${instance.cause()}`);
    }
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
