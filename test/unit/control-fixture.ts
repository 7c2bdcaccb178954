// A real Instance on recorded ports and a fixed tracker, for the status and metrics tests: what
// the daemon hands the control socket and the metrics registry, without a network.
import type { Config, InstanceConfig } from '../../src/config/config.js';
import { parseConfigText } from '../../src/config/load.js';
import type { StatusSources } from '../../src/control/status.js';
import type { Logger } from '../../src/log/logger.js';
import { createStats } from '../../src/instance/stats.js';
import type { TrackedObjectStatus, Tracker, TrackingOutcome } from '../../src/track/tracker.js';
import { ok, parseIpv4, toPriority, type Ipv4, type Priority } from '../../src/types.js';
import { Instance, type InstancePorts } from '../../src/instance/instance.js';
import { timeoutScheduler } from '../../src/timers/clock.js';

export const ip = (s: string): Ipv4 => parseIpv4(s) as Ipv4;
export const prio = (n: number): Priority => toPriority(n) as Priority;

export function loadConfig(text: string): Config {
  const loaded = parseConfigText(text, 'test.conf');
  if (loaded.config === undefined) throw new Error(loaded.diagnostics.map((d) => d.message).join('; '));
  return loaded.config;
}

export const CONFIG = `vrrp_script chk_nginx {
  script "/bin/true"
  interval 2
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  virtual_ipaddress {
    192.0.2.200/32
  }
  track_script {
    chk_nginx weight 0
  }
}
`;

/** Ports that do nothing and a clock the test moves. */
export function quietPorts(clock: { now: number }): InstancePorts {
  const quiet = (): void => undefined;
  const log = { info: quiet, warn: quiet, error: quiet, debug: quiet } as unknown as Logger;
  return {
    timers: timeoutScheduler(),
    sendDatagram: (d) => ok(d.length),
    addAddress: async () => ok(undefined),
    delAddress: async () => ok(undefined),
    sendFrames: (_i, frames) => ok(frames.length),
    now: () => clock.now,
    log,
  };
}

export function makeInstance(config: InstanceConfig, clock: { now: number }): Instance {
  const mac = Buffer.from([2, 0, 0xc0, 0, 2, 0x0b]);
  const host = { ifname: 'eth0', ifindex: 2, ownAddress: ip('192.0.2.11'), vips: config.vips.map((vip) => ({ vip, ifname: 'eth0', ifindex: 2, mac })) };
  return new Instance(config, host, quietPorts(clock), 0);
}

export function fixedTracker(objects: TrackedObjectStatus[], outcomes: Record<string, TrackingOutcome>): Tracker {
  return {
    start: () => undefined,
    stop: async () => undefined,
    outcome: (name) => outcomes[name],
    onChange: () => () => undefined,
    status: () => objects,
  };
}

export const CHK_UP: TrackedObjectStatus = {
  kind: 'script',
  name: 'chk_nginx',
  trackedBy: ['VI_1'],
  state: 'up',
  counter: 1,
  phase: 'idle',
  pid: undefined,
  runs: 7,
  skipped: 0,
  lastStartedAt: Date.parse('2026-01-02T03:04:05.000Z'),
  lastDurationMs: 3,
  lastResult: { kind: 'exited', status: 0 },
  lastExitStatus: 0,
};

export function sources(instances: Instance[], config: Config, tracker: Tracker): StatusSources {
  const unmatched = createStats();
  return { config, instances, tracker, unmatched, timerErrors: 0 };
}
