// Runs a conformance scenario: a keepalived config, timed input events, and the externally
// visible actions expected from the core. Timers are simulated on a virtual clock: whatever the
// core arms fires as an event at its due time, so scenarios state when things happen, not how the
// core schedules them (holo-vrrp's tests/conformance is the model).
//
// A reload is daemon-level, so it has its own input line: `{"type": "reload", "config": "FILE"}`
// names a second config in the folder, and the runner does what the daemon's reload does with the
// plan of src/daemon/reload.ts: a removed instance is shut down as removed (DELETED), a kept one
// gets the core's reload event (its new parameters, VIPs and base priority: the runner has no
// tracking), the sync groups are formed again from the new config, and an added instance starts.
// Interfaces get indexes in order of first appearance (from 2), so a VIP's place is stable across
// the configs; VIPs print as `ADDRESS/PREFIX IFNAME`.
//
// VRRPv3 folders (RFC 5798) write `version 3` or `vrrp_version 3` as keepalived takes them. The
// configuration still refuses v3 at that keyword (its one gate, until the shell speaks v3), so the
// runner opens it for itself (`openV3Gate`): each v3 instance is read without its version and
// advert_int lines, then gets its v3 parameters from the written advert_int fitted as the
// configuration fits it (fitAdvertIntV3). An advert line's `advertIntCs` is the v3 Max Adver Int.
// `{"type": "capture", "capture": NAME, "vips": [...]}` stands for the IPv4 VRRPv3 adverts of the
// keepalived capture test/fixtures/captures/NAME.pcap, each decoded by packet-v3.ts (every receive
// check, against `vips`) and given at `at` plus its time after the capture's first advert.
import { readFileSync } from 'node:fs';
import { parsePcap } from '../../lab/pcap.js';
import { decodeDatagramV3Ipv4 } from '../../src/vrrp/packet-v3.js';
import { advertEventV3 } from '../../src/vrrp/advert-event.js';
import { v3CapturePath, type V3CaptureName } from '../helpers/captures-v3.js';
import { join } from 'node:path';
import type { Config, InstanceConfig } from '../../src/config/config.js';
import { fitAdvertIntV3 } from '../../src/config/advert-int.js';
import { parseConfigText } from '../../src/config/load.js';
import { planReload } from '../../src/daemon/reload.js';
import { initialState, step, type Action, type FsmEvent, type FsmState, type InstanceParams, type TimerName } from '../../src/vrrp/fsm.js';
import { groupStep, initialGroupState, type SyncGroupState } from '../../src/vrrp/sync.js';
import type { VipPlace } from '../../src/vrrp/vip-diff.js';
import { instanceParams } from '../../src/instance/params.js';
import { parseIpv4, toPriority, type Millis } from '../../src/types.js';

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
  | { type: 'advert'; from: string; priority: number; advertIntCs?: number }
  | { type: 'priorityChanged'; priority: number }
  | { type: 'vipRemoved'; address: string; ifname: string }
  /** A reload to the folder's config file `config` (see the top of this file). */
  | { type: 'reload'; config: string }
  /** A keepalived capture's v3 IPv4 adverts (see the top of this file). */
  | { type: 'capture'; capture: V3CaptureName; vips: string[] }
);

type EventLine = Exclude<InputLine, { type: 'capture' }>;

/** The adverts of a `capture` line as advert lines, each at `at` plus its time after the first. */
function expandCapture(line: Extract<InputLine, { type: 'capture' }>): EventLine[] {
  const pcap = parsePcap(readFileSync(v3CapturePath(line.capture, '.pcap')));
  if (!pcap.ok) throw new Error(`${line.capture}: ${pcap.error}`);
  const vips = line.vips.map((v) => {
    const a = parseIpv4(v);
    if (!a) throw new Error(`${line.capture}: bad VIP ${v}`);
    return a;
  });
  const adverts = pcap.value.records.filter((r) => r.data.readUInt16BE(12) === 0x0800 && r.data[14 + 9] === 112);
  const t0 = adverts[0]?.t ?? 0;
  return adverts.map((r, i): EventLine => {
    const ip = r.data.subarray(14);
    const from = parseIpv4(ip.subarray(12, 16).join('.'));
    if (!from) throw new Error(`${line.capture}: no source address`);
    const decoded = decodeDatagramV3Ipv4(ip, from, () => ({ family: 'ipv4', vips, checkAddresses: true, multicast: true }));
    if (!decoded.ok) throw new Error(`${line.capture}: advert ${i + 1} dropped: ${decoded.drop.reason}`);
    const event = advertEventV3(decoded.advert);
    if (event.type !== 'advert' || event.advertIntCs === undefined) throw new Error('advertEventV3 gave no v3 advert');
    // To the microsecond, so that the sums stay exact.
    const at = Math.round((line.at + (r.t - t0) * 1e3) * 1e3) / 1e3;
    return { at, type: 'advert', from: event.from, priority: event.priority, advertIntCs: event.advertIntCs };
  });
}

/** One observable output line; armTimer/cancelTimer are internal and not listed. */
export type OutputLine = { at: Millis } & Record<string, string | number | string[]>;

export interface LoadedScenario {
  readonly name: string;
  readonly setup: ScenarioSetup;
  /** Capture lines already expanded into their adverts. */
  readonly inputs: EventLine[];
  readonly expected: OutputLine[];
  readonly configText: string;
  /** The config files reload lines name, by file name. */
  readonly reloadTexts: ReadonlyMap<string, string>;
}

const readJsonl = <T>(path: string): T[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('//'))
    .map((l) => JSON.parse(l) as T);

export function loadScenario(dir: string, name: string): LoadedScenario {
  const base = join(dir, name);
  const inputs = readJsonl<InputLine>(join(base, 'events.jsonl')).flatMap((l) => (l.type === 'capture' ? expandCapture(l) : [l]));
  const reloadTexts = new Map<string, string>();
  for (const line of inputs) if (line.type === 'reload') reloadTexts.set(line.config, readFileSync(join(base, line.config), 'utf8'));
  return {
    name,
    setup: JSON.parse(readFileSync(join(base, 'scenario.json'), 'utf8')) as ScenarioSetup,
    configText: readFileSync(join(base, 'keepalived.conf'), 'utf8'),
    inputs,
    expected: readJsonl<OutputLine>(join(base, 'expected.jsonl')),
    reloadTexts,
  };
}

function observable(at: Millis, a: Action, vipName: (v: VipPlace) => string): OutputLine | undefined {
  switch (a.type) {
    case 'sendAdvert':
      return { at, send: a.priority };
    case 'steadyAdvert':
      return { at, steady: a.priority, every: a.periodMs };
    case 'addVips':
    case 'delVips':
      return { at, do: a.type };
    case 'changeVips':
      return { at, do: a.type, removed: a.removed.map(vipName), added: a.added.map(vipName) };
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

function toEvent(line: Exclude<EventLine, { type: 'reload' }>): FsmEvent | 'end' {
  switch (line.type) {
    case 'end':
      return 'end';
    case 'advert': {
      const from = parseIpv4(line.from);
      const priority = toPriority(line.priority);
      if (!from || priority === undefined) throw new Error(`bad advert input ${JSON.stringify(line)}`);
      return line.advertIntCs === undefined ? { type: 'advert', from, priority } : { type: 'advert', from, priority, advertIntCs: line.advertIntCs };
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

interface Parsed {
  readonly config: Config;
  /** The v3 instances' Advertisement_Interval in centiseconds, by name. */
  readonly v3: ReadonlyMap<string, number>;
}

const VERSION_LINE = /^\s*(?:vrrp_)?version\s+([23])\s*$/;
const ADVERT_INT_LINE = /^\s*advert_int\s+(\S+)\s*$/;

/** See the top of this file: the v3 instances of `text`, and the text without what the gate refuses. */
function openV3Gate(text: string): { text: string; v3: Map<string, number> } {
  const lines = text.split('\n');
  const globalV3 = lines.some((l) => /^\s*vrrp_version\s+3\s*$/.test(l));
  const v3 = new Map<string, number>();
  const kept: string[] = [];
  let instance: { name: string; depth: number; v3: boolean; advertInt: string | undefined; at: number } | undefined;
  let depth = 0;
  for (const line of lines) {
    const opened = /^\s*vrrp_instance\s+(\S+)\s*\{/.exec(line);
    if (opened && depth === 0) instance = { name: opened[1] as string, depth: 1, v3: globalV3, advertInt: undefined, at: kept.length };
    const version = VERSION_LINE.exec(line);
    const advert = ADVERT_INT_LINE.exec(line);
    if (version) {
      if (instance && depth === 1) instance.v3 = version[1] === '3';
      continue;
    }
    if (advert && instance && depth === 1) instance.advertInt = advert[1];
    kept.push(line);
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
    if (instance && depth === 0) {
      if (instance.v3) {
        const us = instance.advertInt === undefined ? 1_000_000 : Math.round(Number(instance.advertInt) * 1e6);
        v3.set(instance.name, fitAdvertIntV3(us).us / 10_000);
        // read as v2 without it: the v3 interval goes to the parameters instead
        for (let i = instance.at; i < kept.length; i++) if (ADVERT_INT_LINE.test(kept[i] as string)) kept[i] = '';
      }
      instance = undefined;
    }
  }
  return { text: kept.join('\n'), v3 };
}

function parse(text: string, file: string): Parsed {
  const opened = openV3Gate(text);
  const loaded = parseConfigText(opened.text, file);
  if (!loaded.config) throw new Error(`${file}: config errors: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
  return { config: loaded.config, v3: opened.v3 };
}

/**
 * Runs every instance the scenario names (default: every instance of the config), members of a
 * vrrp_sync_group through the group layer. An event line may name its `instance`; `startup` and
 * `shutdown` without one go to every instance in config order, anything else to the first.
 * With more than one instance in a config, each output line says which (`i`), group lines say
 * `group`.
 */
export function runScenario(sc: LoadedScenario): OutputLine[] {
  const parsed = parse(sc.configText, `${sc.name}/keepalived.conf`);
  const config = parsed.config;
  const reloads = new Map([...sc.reloadTexts].map(([file, text]) => [file, parse(text, `${sc.name}/${file}`)]));
  const ownAddress = parseIpv4(sc.setup.ownAddress);
  if (!ownAddress) throw new Error('scenario.json has no usable ownAddress');
  let names = [...(sc.setup.instances ?? (sc.setup.instance ? [sc.setup.instance] : config.instances.map((i) => i.name)))];
  const multi = names.length > 1 || [...reloads.values()].some((c) => c.config.instances.length > 1);

  const ifindexes = new Map<string, number>();
  const ifindexOf = (ifname: string): number => {
    const known = ifindexes.get(ifname);
    if (known !== undefined) return known;
    ifindexes.set(ifname, ifindexes.size + 2);
    return ifindexes.size + 1;
  };
  const vipName = (v: VipPlace): string => `${v.address}/${v.prefixLength} ${[...ifindexes].find(([, i]) => i === v.ifindex)?.[0] ?? `#${v.ifindex}`}`;
  const paramsOf = (inst: InstanceConfig, from: Parsed): InstanceParams => {
    const params = instanceParams(inst, {
      ownAddress,
      vips: inst.vips.map((vip) => {
        const ifname = vip.dev ?? inst.interface;
        return { vip, ifname, ifindex: ifindexOf(ifname), mac: Buffer.alloc(6) };
      }),
    });
    const cs = from.v3.get(inst.name);
    return cs === undefined ? params : { ...params, advertIntMs: cs * 10, v3: { advertIntCs: cs } };
  };

  const states = new Map<string, FsmState>();
  for (const name of names) {
    const inst = config.instances.find((i) => i.name === name);
    if (!inst) throw new Error(`scenario names instance ${name}, not in the config`);
    states.set(name, initialState(paramsOf(inst, parsed)));
  }
  const groups = new Map<string, SyncGroupState>();
  const groupOf = new Map<string, string>();
  const formGroups = (from: Config): void => {
    groups.clear();
    groupOf.clear();
    for (const g of from.syncGroups) {
      const members = g.members.filter((m) => states.has(m));
      if (members.length === 0) continue;
      groups.set(g.name, initialGroupState(g.name, new Map(members.map((m) => [m, states.get(m) as FsmState]))));
      for (const m of members) groupOf.set(m, g.name);
    }
  };
  formGroups(config);

  const timers = new Map<string, { instance: string; timer: TimerName; due: Millis; seq: number }>();
  let seq = 0;
  const output: OutputLine[] = [];
  const tag = (line: OutputLine, instance: string): OutputLine => (multi ? { ...line, i: instance } : line);

  const memberAction = (instance: string, a: Action, now: Millis): void => {
    const key = `${instance}/${a.type === 'armTimer' || a.type === 'cancelTimer' ? a.timer : ''}`;
    if (a.type === 'armTimer') timers.set(key, { instance, timer: a.timer, due: a.at, seq: seq++ });
    if (a.type === 'cancelTimer') timers.delete(key);
    const line = observable(now, a, vipName);
    if (line) output.push(tag(line, instance));
  };

  /** `alone`: stepped without the group's rules, as the daemon steps a reload's removals. */
  const apply = (instance: string, event: FsmEvent, now: Millis, alone = false): void => {
    const before = new Map([...states].map(([n, st]) => [n, st.role]));
    const groupName = groupOf.get(instance);
    const group = groupName === undefined ? undefined : groups.get(groupName);
    if (group && !alone) {
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

  let running = config;
  /** The daemon's reload (daemon/daemon.ts reload), in its order, without tracking. */
  const reload = (nextParsed: Parsed, now: Millis): void => {
    const next = nextParsed.config;
    const plan = planReload(running, next);
    for (const gone of plan.removed) {
      if (!states.has(gone.name)) continue;
      apply(gone.name, { type: 'shutdown', removed: true }, now, true);
      states.delete(gone.name);
      for (const [key, t] of timers) if (t.instance === gone.name) timers.delete(key);
    }
    for (const k of plan.kept) {
      if (!states.has(k.old.name)) continue;
      if (k.old.name !== k.next.name) throw new Error('the runner does not follow a kept instance that is renamed');
      const params = paramsOf(k.next, nextParsed);
      // Through the group as any event (sync.ts applies no group rule to a reload: the same as the
      // daemon, which steps it alone).
      apply(k.next.name, { type: 'reload', params, priority: params.basePriority }, now);
    }
    for (const added of plan.added) states.set(added.name, initialState(paramsOf(added, nextParsed)));
    names = next.instances.map((i) => i.name).filter((n) => states.has(n));
    formGroups(next);
    running = next;
    for (const added of plan.added) apply(added.name, { type: 'startup' }, now);
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
    if (line.type === 'reload') {
      reload(reloads.get(line.config) as Parsed, line.at);
      continue;
    }
    const event = toEvent(line);
    if (event === 'end') break;
    const targets = line.instance !== undefined ? [line.instance] : line.type === 'startup' || line.type === 'shutdown' ? names : [names[0] as string];
    for (const t of targets) apply(t, event, line.at);
  }
  return output;
}
