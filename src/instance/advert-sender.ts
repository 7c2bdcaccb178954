// An instance's adverts on the wire: encoded once per priority and configuration (only the IP id
// changes per advert), fanned out to the multicast group or each unicast peer, and the core's
// steady periodic advert (fsm.ts steadyAdvert) handed to the addon's repeater (net/repeater.ts)
// and taken back. It sends what it is told; when is the core's.
import type { InstanceConfig } from '../config/config.js';
import type { Ipv4, Millis, Result } from '../types.js';
import { VRRP_TTL } from '../vrrp/ip-fields.js';
import { encodeDatagram, nextIpId, setIpId, type Advert, type PeerTtlRange } from '../vrrp/packet.js';
import type { RepeatHandle, RepeatJob, RepeatProgress } from '../net/repeater.js';
import type { SayLevel } from './vips.js';
import { recordAdvertSent, type InstanceStats } from './stats.js';

/** The sending side of the instance's ports (instance.ts InstancePorts). */
export interface AdvertPorts {
  /**
   * Synchronous: the sender reuses `datagram` for its next advert (only the IP id changes), so
   * a port that keeps the bytes must copy them.
   */
  sendDatagram(datagram: Buffer, dst: Ipv4): Result<number, string>;
  /**
   * Hands the steady periodic advert to the addon's repeater (net/repeater.ts), which sends it on
   * this instance's socket without waking JS; undefined when it cannot (then we keep sending).
   * Absent: every advert is sent through sendDatagram.
   */
  repeatAdvert?(job: RepeatJob): RepeatHandle | undefined;
}

/** Who sends: the configuration's advert fields, our address, the unicast peers (none: multicast). */
export interface AdvertSource {
  readonly config: InstanceConfig;
  readonly ownAddress: Ipv4;
  readonly peers: readonly PeerTtlRange[];
}

export interface AdvertSenderDeps {
  readonly ports: AdvertPorts;
  /** The instance's log line (held until a takeover's packets are out). */
  say(level: SayLevel, message: string): void;
  /** keepalived's counters: every advert that left, the repeater's counted in when asked. */
  readonly counters: InstanceStats;
  /** The repeater gave the advert back: the Adver_Timer takes over again at `next`. */
  resumeAt(next: Millis): void;
}

type Datagrams = readonly { readonly dst: Ipv4; readonly bytes: Buffer }[];

export class AdvertSender {
  private readonly deps: AdvertSenderDeps;
  private source: AdvertSource;
  private ipId = 0;
  /** The encoded advert per target at one priority; the IP id is patched per send (packet.setIpId). */
  private adverts: { readonly priority: number; readonly datagrams: Datagrams } | undefined;
  /** The repeater sending our periodic advert, and how many of its adverts are counted already. */
  private repeat: RepeatHandle | undefined;
  private repeatCounted = 0;
  /** The last send() sent every copy. */
  private leftWhole = false;

  constructor(deps: AdvertSenderDeps, source: AdvertSource) {
    this.deps = deps;
    this.source = source;
  }

  /** A reload: the next advert is encoded from the new configuration (take the repeater's back first). */
  configure(source: AdvertSource): void {
    this.source = source;
    this.adverts = undefined;
  }

  get repeating(): boolean {
    return this.repeat !== undefined;
  }

  /** The repeater's next advert, while it has them. */
  get repeatedNext(): Millis | undefined {
    return this.repeat?.progress().next;
  }

  /**
   * One advert: to the multicast group, or one copy per unicast peer (keepalived's vrrp_send_adv):
   * every copy carries the same IP id (one counter step per advert), the peer as destination and
   * unicast_ttl; it counts once as sent when any copy left.
   */
  send(priority: number): void {
    this.ipId = nextIpId(this.ipId);
    const unicast = this.source.peers.length > 0;
    const name = this.source.config.name;
    let sentAny = false;
    let allSent = true;
    for (const { dst, bytes } of this.datagrams(priority)) {
      setIpId(bytes, this.ipId);
      const sent = this.deps.ports.sendDatagram(bytes, dst);
      if (sent.ok) {
        sentAny = true;
        continue;
      }
      allSent = false;
      if (unicast) this.deps.say('warn', `(${name}) Cant send advert to ${dst} (${sent.error})`);
      else this.deps.say('warn', `(${name}) cannot send advert on ${this.source.config.interface}: ${sent.error}`);
    }
    this.leftWhole = sentAny && allSent;
    if (!sentAny) return;
    recordAdvertSent(this.deps.counters, priority);
    // keepalived (-D) says so whenever a priority-0 advert leaves: at shutdown and entering FAULT.
    if (priority === 0) this.deps.say('debug', `(${name}) sent 0 priority`);
  }

  /** An advert is queued behind I/O: until it leaves, the last one does not count as whole. */
  queued(): void {
    this.leftWhole = false;
  }

  /** The advert's datagrams at `priority`, encoded once per priority and configuration. */
  datagrams(priority: number): Datagrams {
    if (this.adverts?.priority === priority) return this.adverts.datagrams;
    const { config, ownAddress, peers } = this.source;
    const targets = peers.length > 0 ? peers.map((p) => ({ dst: p.address, ttl: config.unicastTtl })) : [{ dst: config.multicastGroup, ttl: VRRP_TTL }];
    const datagrams = targets.map(({ dst, ttl }) => ({
      dst,
      bytes: encodeDatagram({
        vrid: config.vrid,
        priority: priority as Advert['priority'],
        advertIntSec: config.advertIntMs / 1000,
        auth: config.auth,
        addresses: config.vips.map((v) => v.address),
        src: ownAddress,
        dst,
        id: this.ipId,
        ttl,
      }),
    }));
    this.adverts = { priority, datagrams };
    return datagrams;
  }

  /**
   * The core's steadyAdvert: the repeater sends the same advert from `first`, one period apart,
   * until takeBack(). Only an advert that just went out whole, to one destination (with several
   * unicast peers a copy can fail alone, which only send() reports per peer). True when the
   * repeater took it: the caller's Adver_Timer must then stop.
   */
  handOver(priority: number, first: Millis, periodMs: Millis): boolean {
    const repeatAdvert = this.deps.ports.repeatAdvert;
    if (repeatAdvert === undefined || !this.leftWhole || this.repeat !== undefined) return false;
    const datagrams = this.datagrams(priority);
    const only = datagrams[0];
    if (datagrams.length !== 1 || only === undefined) return false;
    const handle: RepeatHandle | undefined = repeatAdvert({
      datagram: only.bytes,
      dst: only.dst,
      first,
      periodMs,
      ipId: this.ipId,
      onGiveBack: (progress) => {
        if (this.repeat === handle) this.resume(progress);
      },
    });
    if (handle === undefined) return false;
    this.repeat = handle;
    this.repeatCounted = 0;
    return true;
  }

  /** The repeater's advert back to the Adver_Timer (a new state, another advert, a reload). */
  takeBack(): void {
    if (this.repeat !== undefined) this.resume(this.repeat.stop());
  }

  /** The repeater's adverts counted so far (stats read it). */
  countRepeated(): void {
    if (this.repeat !== undefined) this.count(this.repeat.progress());
  }

  /** Stops the repeater without handing the advert back (the instance is going away). */
  stop(): void {
    if (this.repeat !== undefined) this.count(this.repeat.stop());
    this.repeat = undefined;
  }

  /** The Adver_Timer again, at the advert the repeater did not send; its count and IP id kept. */
  private resume(progress: RepeatProgress): void {
    this.repeat = undefined;
    this.count(progress);
    this.ipId = progress.ipId;
    this.deps.resumeAt(progress.next);
  }

  private count(progress: RepeatProgress): void {
    this.deps.counters.advertSent += progress.sent - this.repeatCounted;
    this.repeatCounted = progress.sent;
  }
}
