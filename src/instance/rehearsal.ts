// A takeover rehearsed at start-up. V8 compiles a function when it is first called, so on a fresh
// process the first adverts a BACKUP heard and its first takeover ran cold: ~2 ms between an
// advert's arrival and its Master_Down_Timer re-armed (the hard takeover came that much late when
// the master died right after the backup started) and ~1-2 ms between the Master_Down_Timer and
// the first GARP. Here a throwaway instance with the first instance's configuration hears a
// master, is handed over to by a priority 0, sends a few adverts, is preempted, takes over again
// when that master falls silent, and shuts down, on a virtual clock with ports that do nothing:
// no packet, address or log line leaves it. The decode, instance, FSM, packet and scheduler code
// of those events is then compiled; what stays cold is the daemon's own thin wiring (its ports,
// the socket library, the addon's wrappers).
import type { InstanceConfig } from '../config/config.js';
import { err, ipv4FromUint32, ipv4ToUint32, ok, type Ipv4, type Result } from '../types.js';
import { Instance, type InstanceHost, type InstancePorts } from './instance.js';
import type { LineLog } from '../log/lines.js';
import { decodeDatagram, encodeDatagram, type Advert } from '../vrrp/packet.js';
import { VRRP_TTL } from '../vrrp/ip-fields.js';
import { virtualTimers, type VirtualTimers } from '../timers/virtual-timers.js';

const quiet = (): void => undefined;
const silent: LineLog = { debug: quiet, info: quiet, warn: quiet, error: quiet };

/** Adverts sent as MASTER before being preempted: the Adver_Timer's path, and its hand-over attempt. */
const REHEARSED_ADVERTS = 3;

/**
 * The rehearsal; an error says where it stopped (the daemon goes on: only part of the warm-up is
 * lost). An address owner (priority 255) starts as MASTER and is never preempted: it rehearses a
 * lower priority heard, its adverts and shutdown.
 */
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
  const peer = rehearsalPeer(instance);
  const hear = (priority: number): Result<void, string> => {
    const heard = decodeAsDaemon(instance, peer, priority);
    if (!heard.ok) return heard;
    instance.receive(heard.value);
    return ok(undefined);
  };
  const advertise = (): Result<void, string> => ok(t.advance(t.clock.now + REHEARSED_ADVERTS * config.advertIntMs));
  const own = config.priority;
  const script: readonly (() => Result<void, string>)[] =
    own < 255
      ? [
          () => hear(own + 1),
          () => expectRole(instance, 'BACKUP', 'a higher priority heard'),
          () => hear(0),
          () => untilMaster(instance, t, 'the skew time after a priority 0'),
          advertise,
          () => hear(own + 1),
          () => expectRole(instance, 'BACKUP', 'preempted'),
          () => untilMaster(instance, t, 'Master_Down_Interval of silence'),
        ]
      : [() => expectRole(instance, 'MASTER', 'start-up as the owner'), () => hear(own - 1), advertise];
  try {
    instance.start();
    for (const step of script) {
      const done = step();
      if (!done.ok) return done;
    }
    instance.feed({ type: 'shutdown' });
    return ok(undefined);
  } catch (e) {
    return err(e instanceof Error ? e.message : String(e));
  } finally {
    instance.dispose();
  }
}

function expectRole(instance: Instance, role: 'MASTER' | 'BACKUP', after: string): Result<void, string> {
  const now = instance.fsmState.role;
  return now === role ? ok(undefined) : err(`${now}, not ${role}, after ${after}`);
}

/** Time passes until the instance takes over; Master_Down_Interval is under four intervals, preempt_delay adds. */
function untilMaster(instance: Instance, t: VirtualTimers, after: string): Result<void, string> {
  const config = instance.config;
  const limit = t.clock.now + 10 * config.advertIntMs + config.preemptDelayMs;
  while (instance.fsmState.role !== 'MASTER' && t.clock.now < limit) t.advance(t.clock.now + config.advertIntMs);
  return expectRole(instance, 'MASTER', after);
}

/** Who the rehearsal's adverts come from: the first unicast peer, else an address beside ours that is no VIP. */
function rehearsalPeer(instance: Instance): Ipv4 {
  const first = instance.unicastPeers[0];
  if (first !== undefined) return first.address;
  const { config, host } = instance;
  const taken = new Set<Ipv4>([host.ownAddress, ...config.vips.map((v) => v.address)]);
  const base = ipv4ToUint32(host.ownAddress) & 0xffffff00;
  for (let last = 1; last < 255; last++) {
    const candidate = ipv4FromUint32(base + last);
    if (!taken.has(candidate)) return candidate;
  }
  return ipv4FromUint32(base + 254);
}

/** An advert as the peer would send it, through the checks the daemon applies to a received one. */
function decodeAsDaemon(instance: Instance, peer: Ipv4, priority: number): Result<Advert, string> {
  const { config, host } = instance;
  const unicast = instance.unicastPeers.length > 0;
  const bytes = encodeDatagram({
    vrid: config.vrid,
    priority: priority as Advert['priority'],
    advertIntSec: config.advertIntMs / 1000,
    auth: config.auth,
    addresses: config.vips.map((v) => v.address),
    src: peer,
    dst: unicast ? host.ownAddress : config.multicastGroup,
    id: 1,
    ttl: unicast ? config.unicastTtl : VRRP_TTL,
  });
  const decoded = decodeDatagram(bytes, peer, () => instance.expectation(peer));
  return decoded.ok ? ok(decoded.advert) : err(`rehearsed advert dropped: ${decoded.drop.detail}`);
}
