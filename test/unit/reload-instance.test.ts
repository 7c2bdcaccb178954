// A reload seen by one instance: the core's reload event (pure) keeps the role, and for a MASTER
// yields the VIP diff and the re-announcement; Instance.reconfigure carries it out on the host
// without touching the VIPs that stay; Instance.remove gives up as at stop and reports DELETED.
// Ports are recorded, nothing is timed.
import { describe, expect, it } from 'vitest';
import type { InstanceConfig } from '../../src/config/config.js';
import { hostFor, instanceConfig } from '../helpers/instance.js';
import type { Logger } from '../../src/log/logger.js';
import { ok, toPriority, type Priority } from '../../src/types.js';
import { step, type FsmState, type InstanceParams, type NotifyState, type StepResult } from '../../src/vrrp/fsm.js';
import { Instance, type InstancePorts } from '../../src/instance/instance.js';
import { timeoutScheduler } from '../../src/timers/clock.js';
import { instanceParams } from '../../src/instance/params.js';

const prio = (n: number): Priority => toPriority(n) as Priority;
const paramsOf = (config: InstanceConfig): InstanceParams => instanceParams(config, hostFor(config));
const reload = (s: FsmState, params: InstanceParams, now: number, priority?: Priority): StepResult =>
  step(s, priority === undefined ? { type: 'reload', params } : { type: 'reload', params, priority }, now);


const vipsOf = (addresses: string[]): string => `virtual_ipaddress {\n${addresses.join('\n')}\n}`;


/** BACKUP then MASTER through the core, as at start-up and a Master_Down timeout. */
function masterState(config: InstanceConfig): FsmState {
  const s0 = step({ ...stateOf(config) }, { type: 'startup' }, 0).state;
  return step(s0, { type: 'timer', timer: 'masterDown' }, 3609).state;
}

function stateOf(config: InstanceConfig): FsmState {
  return new Instance(config, hostFor(config), recorder().ports, 0).fsmState;
}

function recorder() {
  const events: string[] = [];
  const quiet = (): void => undefined;
  const log = { info: (m: string) => events.push(`log ${m}`), warn: quiet, error: quiet, debug: quiet } as unknown as Logger;
  const ports: InstancePorts = {
    timers: timeoutScheduler(),
    sendDatagram: (d) => {
      events.push(`advert prio ${d[20 + 2]} count ${d[20 + 3]}`);
      return ok(d.length);
    },
    addAddress: async (a) => {
      events.push(a.index === 2 ? `add ${a.address}` : `add ${a.address} index ${a.index}`);
      return ok(undefined);
    },
    delAddress: async (a) => {
      events.push(a.index === 2 ? `del ${a.address}` : `del ${a.address} index ${a.index}`);
      return ok(undefined);
    },
    sendFrames: (_ifname, frames) => {
      events.push(`garp ${frames.length}`);
      return ok(frames.length);
    },
    now: () => 5000,
    log,
    onNotify: (_name: string, state: NotifyState, priority: number) => events.push(`notify ${state} ${priority}`),
  };
  return { events, ports };
}

describe("the core's reload: the role stays, a MASTER changes its VIPs and re-announces", () => {
  it('a MASTER adds the new VIP (the one that stays in neither list), sends one advert, re-arms its advert timer and sends a GARP burst; no state change', () => {
    const config = instanceConfig(`priority 150\n${vipsOf(['192.0.2.200'])}`);
    const s = masterState(config);
    expect(s.role).toBe('MASTER');
    const r = reload(s, paramsOf(instanceConfig(`priority 150\n${vipsOf(['192.0.2.200', '192.0.2.201'])}`)), 4001);
    expect(r.state.role).toBe('MASTER');
    expect(r.actions).toEqual([
      { type: 'changeVips', removed: [], added: [{ address: '192.0.2.201', prefixLength: 32, ifindex: 2 }] },
      { type: 'sendAdvert', priority: 150 },
      { type: 'armTimer', timer: 'adver', at: 5000 },
      { type: 'garp', count: 5 },
    ]);
    expect(r.actions.some((a) => a.type === 'notify' || a.type === 'delVips')).toBe(false);
  });

  it('a MASTER whose priority drops stays MASTER and advertises the new priority', () => {
    const s = masterState(instanceConfig(`priority 150\n${vipsOf(['192.0.2.200'])}`));
    const next = instanceConfig(`priority 90\n${vipsOf(['192.0.2.200'])}`);
    const r = reload(s, paramsOf(next), 4000, prio(90));
    expect(r.state.role).toBe('MASTER');
    expect(r.state.basePriority).toBe(90);
    expect(r.actions[0]).toEqual({ type: 'changeVips', removed: [], added: [] });
    expect(r.actions[1]).toEqual({ type: 'log', level: 'info', message: '(VI_1) Changing effective priority from 150 to 90' });
    expect(r.actions[2]).toEqual({ type: 'sendAdvert', priority: 90 });
  });

  it('a BACKUP keeps counting Master_Down from the last advert, on the new advert_int', () => {
    const config = instanceConfig(`priority 100\n${vipsOf(['192.0.2.200'])}`);
    const backup = step(stateOf(config), { type: 'startup' }, 1000).state;
    expect(backup.masterDown?.due).toBe(1000 + 3609.375);
    const slower = instanceConfig(`priority 100\nadvert_int 2\n${vipsOf(['192.0.2.200'])}`.replace('advert_int 1', ''));
    const r = reload(backup, { ...paramsOf(slower), advertIntMs: 2000 }, 2000);
    expect(r.state.role).toBe('BACKUP');
    expect(r.state.masterDown).toEqual({ armedAt: 1000, kind: 'full', due: 1000 + 6609.375 });
    expect(r.actions).toEqual([{ type: 'armTimer', timer: 'masterDown', at: 1000 + 6609.375 }]);
  });

  it('FAULT and INIT only take the parameters', () => {
    const config = instanceConfig(`priority 100\n${vipsOf(['192.0.2.200'])}`);
    const r = reload(stateOf(config), paramsOf(instanceConfig(`priority 120\n${vipsOf(['192.0.2.200'])}`)), 0);
    expect(r.state.role).toBe('INIT');
    expect(r.state.basePriority).toBe(120);
    expect(r.actions).toEqual([]);
  });
});

describe('Instance.reconfigure and remove', () => {
  async function master(config: InstanceConfig) {
    const rec = recorder();
    const instance = new Instance(config, hostFor(config), rec.ports, 0);
    instance.start();
    instance.feed({ type: 'timer', timer: 'masterDown' });
    await instance.idle();
    instance.dispose();
    rec.events.length = 0;
    return { instance, events: rec.events };
  }

  it('a MASTER adds the new VIP, removes the dropped one, never touches the one that stays, then advert + GARPs', async () => {
    const old = instanceConfig(`priority 150\n${vipsOf(['192.0.2.200', '192.0.2.201'])}`);
    const { instance, events } = await master(old);
    const next = instanceConfig(`priority 150\n${vipsOf(['192.0.2.200', '192.0.2.202'])}`);
    instance.reconfigure(next, hostFor(next), 0);
    await instance.idle();
    instance.dispose();
    expect(instance.fsmState.role).toBe('MASTER');
    expect(events.filter((e) => !e.startsWith('log'))).toEqual([
      'del 192.0.2.201',
      'add 192.0.2.202',
      'advert prio 150 count 2',
      ...Array<string>(10).fill('garp 1'),
    ]);
    expect(events).toContain('log (VI_1) Sending/queueing gratuitous ARPs on eth0 for 192.0.2.202');
    expect(instance.config).toBe(next);
  });

  it('a re-created interface (same config, new ifindex) is another place: the VIP is removed from the old index and added on the new one', async () => {
    const config = instanceConfig(`priority 150\n${vipsOf(['192.0.2.200'])}`);
    const { instance, events } = await master(config);
    const moved = hostFor(config);
    instance.reconfigure(config, { ...moved, ifindex: 3, vips: moved.vips.map((v) => ({ ...v, ifindex: 3 })) }, 0);
    await instance.idle();
    instance.dispose();
    // eth0's index 2 goes unsaid.
    expect(events.filter((e) => e.startsWith('del') || e.startsWith('add'))).toEqual(['del 192.0.2.200', 'add 192.0.2.200 index 3']);
  });

  it('a BACKUP touches no address and sends nothing', async () => {
    const rec = recorder();
    const old = instanceConfig(`priority 100\n${vipsOf(['192.0.2.200'])}`);
    const instance = new Instance(old, hostFor(old), rec.ports, 0);
    instance.start();
    const next = instanceConfig(`priority 100\n${vipsOf(['192.0.2.200', '192.0.2.201'])}`);
    rec.events.length = 0;
    instance.reconfigure(next, hostFor(next), 0);
    await instance.idle();
    instance.dispose();
    expect(rec.events).toEqual([]);
    expect(instance.fsmState.role).toBe('BACKUP');
  });

  it('remove: a MASTER sends priority 0, removes its VIPs and reports DELETED', async () => {
    const { instance, events } = await master(instanceConfig(`priority 150\n${vipsOf(['192.0.2.200'])}`));
    await instance.remove();
    // The core's order, now that sending and synchronous VIP changes run as they are executed.
    expect(events.filter((e) => !e.startsWith('log'))).toEqual(['advert prio 0 count 1', 'del 192.0.2.200', 'notify DELETED 150']);
    expect(instance.fsmState.role).toBe('STOPPED');
  });

  it('remove: an instance already in FAULT says nothing without notify_deleted, DELETED with it', async () => {
    for (const [extra, expected] of [['', []], ['notify_deleted', ['notify DELETED 100']]] as const) {
      const rec = recorder();
      const config = instanceConfig(`priority 100\n${extra}\n${vipsOf(['192.0.2.200'])}`);
      const instance = new Instance(config, hostFor(config), rec.ports, 0);
      instance.start({ fault: true, priority: prio(100) });
      rec.events.length = 0;
      await instance.remove();
      expect(rec.events.filter((e) => !e.startsWith('log'))).toEqual(expected);
    }
  });
});

describe('unicast_fault_no_peer: FAULT until a reload brings peers (keepalived)', () => {
  it('starts in FAULT, ignores tracking saying all is well, and leaves FAULT once a reload adds a peer', () => {
    const noPeers = instanceConfig(`priority 100\nunicast_fault_no_peer\n${vipsOf(['192.0.2.200'])}`);
    const { events, ports } = recorder();
    const instance = new Instance(noPeers, hostFor(noPeers), ports, 0);
    instance.start();
    expect(instance.fsmState.role).toBe('FAULT');
    expect(events).toContain('log (VI_1) Cannot use unicast without any peers - going to fault state');
    instance.feed({ type: 'faultCleared' });
    expect(instance.fsmState.role).toBe('FAULT');

    const withPeer = instanceConfig(`priority 100\nunicast_fault_no_peer\nunicast_peer {\n192.0.2.12\n}\n${vipsOf(['192.0.2.200'])}`);
    instance.reconfigure(withPeer, hostFor(withPeer), 0);
    // What the daemon's reload does when tracking has no fault and the instance still has one.
    instance.feed({ type: 'faultCleared' });
    expect(instance.fsmState.role).toBe('BACKUP');

    // And a reload that takes the last peer away puts it back in FAULT.
    instance.reconfigure(noPeers, hostFor(noPeers), 0);
    expect(instance.fsmState.role).toBe('FAULT');
    instance.dispose();
  });
});
