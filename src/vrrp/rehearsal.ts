// A takeover rehearsed at start-up. V8 compiles a function when it is first called, so a BACKUP's
// first takeover ran its advert -> VIPs -> GARP path cold: ~1-2 ms of compiling between the
// Master_Down_Timer and the first GARP on a fresh process, enough to cross the bench's 5 ms
// margin on a slow day. Here a throwaway instance with the first instance's configuration goes
// through start-up, the takeover, a few adverts and shutdown on a virtual clock, with ports that
// do nothing: no packet, address or log line leaves it. The instance, FSM, packet and scheduler
// code the real takeover runs is then compiled; what stays cold is the daemon's own thin wiring
// (its ports, the addon's wrappers).
import type { InstanceConfig } from '../config/config.js';
import { err, ok, type Result } from '../types.js';
import { Instance, type InstanceHost, type InstanceLog, type InstancePorts } from './instance.js';
import { virtualTimers } from './virtual-timers.js';

const quiet = (): void => undefined;
const silent: InstanceLog = { debug: quiet, info: quiet, warn: quiet, error: quiet };

/** Adverts sent as MASTER before shutdown: the Adver_Timer's path, and its hand-over attempt. */
const REHEARSED_ADVERTS = 3;

/** The rehearsal; an error says what broke (the daemon goes on: only the warm-up is lost). */
export function rehearseTakeover(config: InstanceConfig, host: InstanceHost): Result<void, string> {
  const t = virtualTimers();
  const ports: InstancePorts = {
    sendDatagram: (datagram) => ok(datagram.length),
    addAddress: () => ok(undefined),
    delAddress: () => ok(undefined),
    sendFrames: (_ifname, frames) => ok(frames.length),
    repeatAdvert: () => undefined,
    now: () => t.clock.now,
    timers: t.scheduler,
    log: silent,
  };
  // garp interval 0: a GARP burst stays synchronous, no real timer outlives the rehearsal.
  const instance = new Instance(config, host, ports, 0);
  try {
    instance.start();
    // Master_Down_Interval is three intervals and a skew under one; preempt_delay may add more.
    const limit = 10 * config.advertIntMs + config.preemptDelayMs;
    while (instance.fsmState.role !== 'MASTER' && t.clock.now < limit) t.advance(t.clock.now + config.advertIntMs);
    if (instance.fsmState.role !== 'MASTER') return err(`no takeover within ${limit} ms (${instance.fsmState.role})`);
    t.advance(t.clock.now + REHEARSED_ADVERTS * config.advertIntMs);
    instance.feed({ type: 'shutdown' });
    return ok(undefined);
  } catch (e) {
    return err(e instanceof Error ? e.message : String(e));
  } finally {
    instance.dispose();
  }
}
