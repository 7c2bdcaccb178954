// vrrp_sync_group as a pure function over its members' core states: one member's event is
// stepped, then keepalived's group rules (vrrp_sync.c) are applied to the others:
// - a member may only become MASTER when every other member wants to ("prefer backup state to
//   avoid thrashing", vrrp_sync_can_goto_master), and then all go MASTER together (vrrp_sync_master);
// - a member that leaves MASTER for BACKUP takes the others with it (vrrp_sync_backup);
// - a member in FAULT puts the whole group in FAULT, until no member is faulty.
// A member's reload changes no other member.
// The group itself has a derived state, whose changes run the group's notify scripts.
import type { Millis } from '../types.js';
import { step, type Action, type FsmEvent, type FsmState, type LogLevel, type NotifyState, type Role } from './fsm.js';

export type GroupAction =
  | { readonly type: 'log'; readonly level: LogLevel; readonly message: string }
  /** The group's own notify scripts (generic `notify` gets GROUP NAME STATE 0). */
  | { readonly type: 'notify'; readonly state: Exclude<NotifyState, 'DELETED'> };

/** Actions in the order they must run: a member's, or the group's own. */
export type GroupOutput =
  | { readonly member: string; readonly action: Action }
  | { readonly group: string; readonly action: GroupAction };

export interface SyncGroupState {
  readonly name: string;
  readonly members: readonly string[];
  readonly role: Role;
  readonly states: ReadonlyMap<string, FsmState>;
}

export interface GroupStepResult {
  readonly group: SyncGroupState;
  readonly outputs: readonly GroupOutput[];
}

export function initialGroupState(name: string, members: ReadonlyMap<string, FsmState>): SyncGroupState {
  return { name, members: [...members.keys()], role: 'INIT', states: members };
}

/** The group's state as keepalived reports it: FAULT beats MASTER beats BACKUP. */
function groupRoleOf(states: Iterable<FsmState>): Role {
  const roles = [...states].map((s) => s.role);
  if (roles.includes('FAULT')) return 'FAULT';
  if (roles.includes('MASTER')) return 'MASTER';
  if (roles.includes('BACKUP')) return 'BACKUP';
  if (roles.length > 0 && roles.every((r) => r === 'STOPPED')) return 'STOPPED';
  return 'INIT';
}

const NOTIFY_FOR: Partial<Record<Role, Exclude<NotifyState, 'DELETED'>>> = { MASTER: 'MASTER', BACKUP: 'BACKUP', FAULT: 'FAULT', STOPPED: 'STOP' };

export function groupStep(group: SyncGroupState, member: string, event: FsmEvent, now: Millis): GroupStepResult {
  const states = new Map(group.states);
  const outputs: GroupOutput[] = [];
  const say = (level: LogLevel, message: string): void => {
    outputs.push({ group: group.name, action: { type: 'log', level, message: `VRRP_Group(${group.name}) ${message}` } });
  };
  const state = (m: string): FsmState => {
    const s = states.get(m);
    if (!s) throw new Error(`sync group ${group.name} has no member ${m}`);
    return s;
  };
  const others = (m: string): string[] => group.members.filter((o) => o !== m);
  const apply = (m: string, e: FsmEvent): void => {
    const othersWantMaster = others(m).every((o) => state(o).role === 'MASTER' || state(o).wantsMaster);
    const result = step(state(m), e, now, { othersWantMaster });
    states.set(m, result.state);
    for (const action of result.actions) outputs.push({ member: m, action });
  };

  const before = state(member).role;
  apply(member, event);
  const after = state(member).role;
  // A reload is the member's own (fsm.ts reload: every role stays); the daemon regroups the members
  // after it, so the group's rules and notifies wait for the next event.
  if (event.type === 'reload') return { group: { ...group, states }, outputs };

  // FAULT spreads: every member is in group fault while another member has a fault of its own.
  const faulty = group.members.filter((m) => state(m).ownFault);
  const spreading = faulty.length > 0 && group.members.some((m) => !state(m).groupFault && faulty.some((f) => f !== m));
  if (spreading) say('info', 'Syncing instances to FAULT state');
  for (const m of group.members) {
    const shouldBe = faulty.some((f) => f !== m);
    if (state(m).groupFault !== shouldBe) apply(m, { type: shouldBe ? 'syncFault' : 'syncFaultCleared' });
  }

  if (before !== 'MASTER' && after === 'MASTER') {
    const followers = others(member).filter((m) => state(m).role === 'BACKUP');
    if (followers.length > 0) say('info', 'Syncing instances to MASTER state');
    for (const m of followers) apply(m, { type: 'syncMaster' });
  } else if (before === 'MASTER' && after === 'BACKUP') {
    const leaders = others(member).filter((m) => state(m).role === 'MASTER');
    if (leaders.length > 0) say('info', 'Syncing instances to BACKUP state');
    for (const m of leaders) apply(m, { type: 'syncBackup' });
  }

  const role = groupRoleOf(states.values());
  if (role !== group.role) {
    const notify = NOTIFY_FOR[role];
    if (notify !== undefined) outputs.push({ group: group.name, action: { type: 'notify', state: notify } });
  }
  return { group: { ...group, role, states }, outputs };
}
