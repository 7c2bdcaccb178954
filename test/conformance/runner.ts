// Runs a conformance scenario: a keepalived config, timed input events, and the externally
// visible actions expected from the core. Timers are simulated on a virtual clock: whatever the
// core arms fires as an event at its due time, so scenarios state when things happen, not how the
// core schedules them (holo-vrrp's tests/conformance is the model).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import { initialState, step, type Action, type FsmEvent, type FsmState, type TimerName } from '../../src/vrrp/fsm.js';
import { groupStep, initialGroupState, type SyncGroupState } from '../../src/vrrp/sync.js';
import { instanceParams } from '../../src/instance/params.js';
import { parseIpv4, toPriority, type Ipv4, type Millis } from '../../src/types.js';

interface ScenarioSetup {
  readonly description: string;
  /** Which vrrp_instance of the config to run (one); see `instances`. */
  readonly instance?: string;
  /** Which vrrp_instances to run; default: all of the config's. */
  readonly instances?: readonly string[];
  /** The host's primary address on the instance's interface. */
  readonly ownAddress: string;
}

type InputLine = { at: Millis; instance?: string } & (
  | { type: 'fault' | 'faultCleared' | 'end' }
  /** `release: false` is -V; `removed: true`, a reload removed the instance. */
  | { type: 'shutdown'; release?: boolean; removed?: boolean }
  | { type: 'startup'; fault?: boolean }
  | { type: 'advert'; from: string; priority: number }
  | { type: 'priorityChanged'; priority: number }
  | { type: 'vipRemoved'; address: string; ifname: string }
);

/** One observable output line; armTimer/cancelTimer are internal and not listed. */
export type OutputLine = { at: Millis } & Record<string, string | number>;

export interface LoadedScenario {
  readonly name: string;
  readonly setup: ScenarioSetup;
  readonly inputs: InputLine[];
  readonly expected: OutputLine[];
  readonly configText: string;
}

const readJsonl = <T>(path: string): T[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('//'))
    .map((l) => JSON.parse(l) as T);

export function loadScenario(dir: string, name: string): LoadedScenario {
  const base = join(dir, name);
  return {
    name,
    setup: JSON.parse(readFileSync(join(base, 'scenario.json'), 'utf8')) as ScenarioSetup,
    configText: readFileSync(join(base, 'keepalived.conf'), 'utf8'),
    inputs: readJsonl<InputLine>(join(base, 'events.jsonl')),
    expected: readJsonl<OutputLine>(join(base, 'expected.jsonl')),
  };
}

function observable(at: Millis, a: Action): OutputLine | undefined {
  switch (a.type) {
    case 'sendAdvert':
      return { at, send: a.priority };
    case 'addVips':
    case 'delVips':
      return { at, do: a.type };
    case 'restoreVip':
      return { at, do: a.type, address: a.address };
    case 'garp':
      return { at, garp: a.count };
    case 'notify':
      return { at, notify: a.state };
    case 'notifyMasterRxLowerPri':
      return { at, notifyMasterRxLowerPri: a.priority };
    case 'log':
      return { at, [a.level]: a.message };
    case 'armTimer':
    case 'cancelTimer':
      return undefined;
  }
}

function toEvent(line: InputLine): FsmEvent | 'end' {
  switch (line.type) {
    case 'end':
      return 'end';
    case 'advert': {
      const from = parseIpv4(line.from);
      const priority = toPriority(line.priority);
      if (!from || priority === undefined) throw new Error(`bad advert input ${JSON.stringify(line)}`);
      return { type: 'advert', from, priority };
    }
    case 'priorityChanged': {
      const priority = toPriority(line.priority);
      if (priority === undefined) throw new Error(`bad priority ${line.priority}`);
      return { type: 'priorityChanged', priority };
    }
    case 'startup':
      return line.fault === undefined ? { type: 'startup' } : { type: 'startup', fault: line.fault };
    case 'shutdown':
      return {
        type: 'shutdown',
        ...(line.release === undefined ? {} : { release: line.release }),
        ...(line.removed === undefined ? {} : { removed: line.removed }),
      };
    case 'vipRemoved': {
      const address = parseIpv4(line.address);
      if (!address) throw new Error(`bad vipRemoved input ${JSON.stringify(line)}`);
      return { type: 'vipRemoved', address, ifname: line.ifname };
    }
    default:
      return { type: line.type };
  }
}

/**
 * Runs every instance the scenario names (default: every instance of the config), members of a
 * vrrp_sync_group through the group layer. An event line may name its `instance`; `startup` and
 * `shutdown` without one go to every instance in config order, anything else to the first.
 * With more than one instance, each output line says which (`i`), group lines say `group`.
 */
export function runScenario(sc: LoadedScenario): OutputLine[] {
  const loaded = parseConfigText(sc.configText, `${sc.name}/keepalived.conf`);
  if (!loaded.config) {
    throw new Error(`config errors: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
  }
  const config = loaded.config;
  const ownAddress = parseIpv4(sc.setup.ownAddress);
  if (!ownAddress) throw new Error('scenario.json has no usable ownAddress');
  const names = sc.setup.instances ?? (sc.setup.instance ? [sc.setup.instance] : config.instances.map((i) => i.name));
  const multi = names.length > 1;

  const states = new Map<string, FsmState>();
  for (const name of names) {
    const inst = config.instances.find((i) => i.name === name);
    if (!inst) throw new Error(`scenario names instance ${name}, not in the config`);
    states.set(name, initialState(instanceParams(inst, ownAddress as Ipv4)));
  }
  const groups = new Map<string, SyncGroupState>();
  const groupOf = new Map<string, string>();
  for (const g of config.syncGroups) {
    const members = g.members.filter((m) => states.has(m));
    if (members.length === 0) continue;
    groups.set(g.name, initialGroupState(g.name, new Map(members.map((m) => [m, states.get(m) as FsmState]))));
    for (const m of members) groupOf.set(m, g.name);
  }

  const timers = new Map<string, { instance: string; timer: TimerName; due: Millis; seq: number }>();
  let seq = 0;
  const output: OutputLine[] = [];
  const tag = (line: OutputLine, instance: string): OutputLine => (multi ? { ...line, i: instance } : line);

  const memberAction = (instance: string, a: Action, now: Millis): void => {
    const key = `${instance}/${a.type === 'armTimer' || a.type === 'cancelTimer' ? a.timer : ''}`;
    if (a.type === 'armTimer') timers.set(key, { instance, timer: a.timer, due: now + a.ms, seq: seq++ });
    if (a.type === 'cancelTimer') timers.delete(key);
    const line = observable(now, a);
    if (line) output.push(tag(line, instance));
  };

  const apply = (instance: string, event: FsmEvent, now: Millis): void => {
    const before = new Map([...states].map(([n, st]) => [n, st.role]));
    const groupName = groupOf.get(instance);
    const group = groupName === undefined ? undefined : groups.get(groupName);
    if (group) {
      const result = groupStep(group, instance, event, now);
      groups.set(group.name, result.group);
      for (const [n, st] of result.group.states) states.set(n, st);
      for (const o of result.outputs) {
        if ('member' in o) memberAction(o.member, o.action, now);
        else output.push(o.action.type === 'log' ? { at: now, group: o.group, [o.action.level]: o.action.message } : { at: now, group: o.group, notify: o.action.state });
      }
    } else {
      const result = step(states.get(instance) as FsmState, event, now);
      states.set(instance, result.state);
      for (const a of result.actions) memberAction(instance, a, now);
    }
    for (const [n, st] of states) if (st.role !== before.get(n)) output.push(tag({ at: now, role: st.role }, n));
  };

  const fireTimersUpTo = (limit: Millis): void => {
    for (;;) {
      let next: [string, { instance: string; timer: TimerName; due: Millis; seq: number }] | undefined;
      for (const entry of timers) {
        if (entry[1].due > limit) continue;
        if (!next || entry[1].due < next[1].due || (entry[1].due === next[1].due && entry[1].seq < next[1].seq)) next = entry;
      }
      if (!next) return;
      timers.delete(next[0]);
      apply(next[1].instance, { type: 'timer', timer: next[1].timer, deadline: next[1].due }, next[1].due);
    }
  };

  for (const line of sc.inputs) {
    fireTimersUpTo(line.at);
    const event = toEvent(line);
    if (event === 'end') break;
    const targets = line.instance !== undefined ? [line.instance] : line.type === 'startup' || line.type === 'shutdown' ? names : [names[0] as string];
    for (const t of targets) apply(t, event, line.at);
  }
  return output;
}
