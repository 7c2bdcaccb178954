// Which notify scripts a transition runs, and with which arguments: keepalived 2.2.8's
// vrrp_notify.c, as rules on values (pure; the queue and the runner do the I/O).
//
// - send_instance_notifies(): the state's own script (get_iscript: notify_master/_backup/_fault/
//   _stop/_deleted) first, then the generic `notify` (get_igscript) with four words appended by
//   notify_script_exec(): `INSTANCE <name> <STATE> <effective priority>`. The name is a plain argv
//   word (no quotes: the quoted `INSTANCE "VI_1" MASTER 100` form is the notify FIFO's line only).
// - DELETED without `notify_deleted` is reported as FAULT, by both scripts ("the old way to notify
//   an instance being deleted was to send FAULT").
// - send_group_notifies(): the group's state script (get_gscript: master/backup/fault/stop; never
//   deleted) then its generic `notify` with `GROUP <name> <STATE> 0` (a group has no priority).
// - send_event_notify(): notify_master_rx_lower_pri runs with its own argv only - nothing is
//   appended, and the generic `notify` is not run (only the FIFO hears MASTER_RX_LOWER_PRI).
import type { CommandConfig, InstanceConfig, NotifyScripts, SyncGroupConfig } from '../config/config.js';

export type InstanceNotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';
export type GroupNotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

/** The keyword a script comes from; it labels every log line about that script. */
export type NotifyKeyword =
  | 'notify_master'
  | 'notify_backup'
  | 'notify_fault'
  | 'notify_stop'
  | 'notify_deleted'
  | 'notify'
  | 'notify_master_rx_lower_pri';

/** One script to run: the configured command line plus what keepalived appends to it. */
export interface PlannedScript {
  readonly keyword: NotifyKeyword;
  readonly command: CommandConfig;
  /** Appended after the configured argv (the generic notify's four words), else empty. */
  readonly extraArgs: readonly string[];
}

/** What one call of the notifier asks for: the scripts in the order keepalived launches them. */
export interface PlannedTransition {
  /** MASTER, BACKUP, ... or MASTER_RX_LOWER_PRI; after the DELETED -> FAULT rule. */
  readonly state: string;
  readonly scripts: readonly PlannedScript[];
}

const SPECIFIC: Readonly<Record<InstanceNotifyState, readonly [keyof NotifyScripts, NotifyKeyword]>> = {
  MASTER: ['master', 'notify_master'],
  BACKUP: ['backup', 'notify_backup'],
  FAULT: ['fault', 'notify_fault'],
  STOP: ['stop', 'notify_stop'],
  DELETED: ['deleted', 'notify_deleted'],
};

function transition(
  notify: NotifyScripts,
  state: InstanceNotifyState,
  generic: readonly [kind: 'INSTANCE' | 'GROUP', name: string, priority: number],
): PlannedTransition {
  const scripts: PlannedScript[] = [];
  const [field, keyword] = SPECIFIC[state];
  const own = notify[field];
  if (own !== undefined) scripts.push({ keyword, command: own, extraArgs: [] });
  if (notify.generic !== undefined) {
    const [kind, name, priority] = generic;
    // notify_script_exec() prints the priority with %d.
    scripts.push({ keyword: 'notify', command: notify.generic, extraArgs: [kind, name, state, String(Math.trunc(priority))] });
  }
  return { state, scripts };
}

/** send_instance_notifies() for one instance entering `state` with this effective priority. */
export function planInstance(inst: InstanceConfig, state: InstanceNotifyState, priority: number): PlannedTransition {
  const effective: InstanceNotifyState = state === 'DELETED' && !inst.notifyDeleted ? 'FAULT' : state;
  return transition(inst.notify, effective, ['INSTANCE', inst.name, priority]);
}

/** send_group_notifies(): a sync group's scripts; the generic one gets priority 0. */
export function planGroup(group: SyncGroupConfig, state: GroupNotifyState): PlannedTransition {
  return transition(group.notify, state, ['GROUP', group.name, 0]);
}

/** send_event_notify(VRRP_EVENT_MASTER_RX_LOWER_PRI): the script as written, nothing appended. */
export function planMasterRxLowerPri(inst: InstanceConfig): PlannedTransition {
  const c = inst.notify.masterRxLowerPri;
  return { state: 'MASTER_RX_LOWER_PRI', scripts: c === undefined ? [] : [{ keyword: 'notify_master_rx_lower_pri', command: c, extraArgs: [] }] };
}
