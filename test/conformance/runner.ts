// Runs a conformance scenario: a keepalived config, timed input events, and the externally
// visible actions expected from the core. Timers are simulated on a virtual clock: whatever the
// core arms fires as an event at its due time, so scenarios state when things happen, not how the
// core schedules them (holo-vrrp's tests/conformance is the model).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import { initialState, step, type Action, type FsmEvent, type FsmState, type TimerName } from '../../src/vrrp/fsm.js';
import { instanceParams } from '../../src/vrrp/params.js';
import { parseIpv4, toPriority, type Ipv4, type Millis } from '../../src/types.js';

interface ScenarioSetup {
  readonly description: string;
  /** Which vrrp_instance of the config to run; the first when absent. */
  readonly instance?: string;
  /** The host's primary address on the instance's interface. */
  readonly ownAddress: string;
}

type InputLine =
  | { at: Millis; type: 'startup' | 'shutdown' | 'fault' | 'faultCleared' | 'end' }
  | { at: Millis; type: 'advert'; from: string; priority: number }
  | { at: Millis; type: 'priorityChanged'; priority: number };

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
    case 'garp':
      return { at, garp: a.count };
    case 'notify':
      return { at, notify: a.state };
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
    default:
      return { type: line.type };
  }
}

export function runScenario(sc: LoadedScenario): OutputLine[] {
  const loaded = parseConfigText(sc.configText, `${sc.name}/keepalived.conf`);
  if (!loaded.config) {
    throw new Error(`config errors: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
  }
  const instance = sc.setup.instance
    ? loaded.config.instances.find((i) => i.name === sc.setup.instance)
    : loaded.config.instances[0];
  const ownAddress = parseIpv4(sc.setup.ownAddress);
  if (!instance || !ownAddress) throw new Error('scenario.json names no usable instance/ownAddress');

  let state: FsmState = initialState(instanceParams(instance, ownAddress as Ipv4));
  const timers = new Map<TimerName, { due: Millis; seq: number }>();
  let seq = 0;
  const output: OutputLine[] = [];

  const apply = (event: FsmEvent, now: Millis): void => {
    const before = state.role;
    const result = step(state, event, now);
    state = result.state;
    for (const a of result.actions) {
      if (a.type === 'armTimer') timers.set(a.timer, { due: now + a.ms, seq: seq++ });
      if (a.type === 'cancelTimer') timers.delete(a.timer);
      const line = observable(now, a);
      if (line) output.push(line);
    }
    if (state.role !== before) output.push({ at: now, role: state.role });
  };

  const fireTimersUpTo = (limit: Millis): void => {
    for (;;) {
      let next: [TimerName, { due: Millis; seq: number }] | undefined;
      for (const entry of timers) {
        if (entry[1].due > limit) continue;
        if (!next || entry[1].due < next[1].due || (entry[1].due === next[1].due && entry[1].seq < next[1].seq)) next = entry;
      }
      if (!next) return;
      timers.delete(next[0]);
      apply({ type: 'timer', timer: next[0] }, next[1].due);
    }
  };

  for (const line of sc.inputs) {
    fireTimersUpTo(line.at);
    const event = toEvent(line);
    if (event === 'end') break;
    apply(event, line.at);
  }
  return output;
}
