// The VRRP sockets of one interface, set up the way keepalived sets up its VRRP socket
// (docs/reference/keepalived-behaviour.md#sockets-and-the-ip-header). They move whole IPv4
// datagrams; building and checking the IPv4 header and the advert is src/vrrp/packet.ts's job. Both
// are the addon's (native/raw-sender.cc, native/raw-receiver.cc).
//
// Receiving: RawReceiver, a raw IPv4 protocol-112 socket bound to the interface, watched on Node's
// loop. Each loop turn it reads what is queued (at most 32 datagrams: a flood cannot hold the loop)
// and stamps every datagram on CLOCK_MONOTONIC as recvfrom() returns, before any JavaScript runs;
// the stamp is carried onto the timers' clock here.
//
// Sending: RawSender (IPPROTO_RAW, so IP_HDRINCL: the kernel would otherwise pick the source
// address and may pick the VIP, while RFC 3768 §5.1.1.1 wants the interface's primary address).
// Its send is one synchronous sendto(), so a takeover's advert is on the wire before the call returns.
import { monotonicClock, openRawReceiver, openRawSender } from '../native/addon.js';
import { err, ok, parseIpv4, type Ipv4, type Millis, type Result } from '../types.js';
import { monotonicOffset } from '../timers/clock.js';
import type { AdvertRepeater, RepeatHandle, RepeatJob } from './repeater.js';

const IFNAMSIZ = 16;

export interface Datagram {
  /** The whole IPv4 datagram, header included; a private copy. */
  readonly bytes: Buffer;
  /** IPv4 source address as recvfrom() reported it. */
  readonly from: Ipv4;
  /** IPv4 TTL (header byte 8), which VRRP receivers must check; -1 if the datagram is too short. */
  readonly ttl: number;
  /** When recvfrom() returned it, on `clock`: before any work on it, however busy the loop was. */
  readonly receivedAt: Millis;
}

export interface VrrpSocket {
  /**
   * datagram: a complete IPv4 datagram (IP_HDRINCL): the header's TOS, TTL, id and source are sent
   * as given; the kernel fills in total length and header checksum. dst: the group or a unicast peer
   * (the header's destination; the kernel routes by this one). Synchronous: on return the kernel
   * has the bytes (or said why not), so the caller may reuse the buffer.
   */
  send(datagram: Buffer, dst: Ipv4): Result<number, string>;
  /**
   * Hands a steady MASTER's advert to `repeater` to send on this socket from now on (net/repeater.ts);
   * undefined once the socket is closed (the instance then keeps sending through send()).
   */
  repeat(repeater: AdvertRepeater, job: RepeatJob): RepeatHandle | undefined;
  /** Joins one more multicast group (a reload that brings an instance with a new group); a group already joined is ok. */
  join(group: Ipv4): Result<void, string>;
  /** Leaves the group and releases both sockets; idempotent. */
  close(): void;
}

export interface VrrpSocketOptions {
  readonly ifname: string;
  readonly ifindex: number;
  /**
   * Multicast groups to join (224.0.0.18, mcast_dst_ip's): those of the interface's multicast
   * instances. None for an interface with unicast instances only: with IP_MULTICAST_ALL off the
   * socket then sees no multicast VRRP at all, as keepalived's unicast socket does not. Unicast
   * adverts to any of the host's addresses arrive either way (a raw socket without bind()).
   */
  readonly groups: readonly Ipv4[];
  readonly onDatagram: (d: Datagram) => void;
  /**
   * The protocol timers' clock, which each datagram's receivedAt is on, so that a Master_Down_Timer
   * an advert re-arms counts from its arrival, not from after its decoding (~0.5 ms on the first
   * ones). It must run at CLOCK_MONOTONIC's rate (the addon's stamp is carried onto it by the offset
   * between the two, measured when the socket opens). Default performance.now(), the daemon's timer
   * clock (timers/clock.ts).
   */
  readonly clock?: () => Millis;
  /** Receive-side failure (the descriptor itself failed); the socket is closed by then. */
  readonly onError: (message: string) => void;
}

export function openVrrpSocket(opts: VrrpSocketOptions): Result<VrrpSocket, string> {
  const where = `VRRP socket on ${opts.ifname}`;
  if (opts.ifname.length === 0 || Buffer.byteLength(opts.ifname) >= IFNAMSIZ) return err(`${where}: bad interface name`);
  if (!Number.isInteger(opts.ifindex) || opts.ifindex <= 0) return err(`${where}: bad ifindex ${opts.ifindex}`);
  const monotonic = monotonicClock();
  if (!monotonic.ok) return err(`${where}: ${monotonic.error}`);
  const sender = openRawSender(opts.ifname, opts.ifindex);
  if (!sender.ok) return err(`${where}: ${sender.error}`);

  let closed = false;
  // stamp - offset: the stamp on `clock`, never later than its true value (monotonicOffset errs late).
  const offset = monotonicOffset(monotonic.value, opts.clock ?? (() => performance.now()));
  const onDatagrams = (bytes: Buffer[], from: string[], at: number[]): void => {
    for (let i = 0; i < bytes.length && !closed; i++) {
      const datagram = bytes[i];
      const source = parseIpv4(from[i] ?? '');
      const stamp = at[i];
      if (datagram === undefined || source === undefined || stamp === undefined) continue; // recvfrom on AF_INET: always a dotted quad
      opts.onDatagram({ bytes: datagram, from: source, ttl: datagram.length > 8 ? (datagram[8] ?? -1) : -1, receivedAt: stamp - offset });
    }
  };
  const onError = (message: string): void => {
    if (closed) return;
    closed = true;
    sender.value.close();
    opts.onError(`${where}: ${message}`);
  };
  const opened = openRawReceiver(opts.ifname, opts.ifindex, onDatagrams, onError);
  if (!opened.ok) {
    sender.value.close();
    return err(`${where}: ${opened.error}`);
  }
  const receiver = opened.value.receiver;
  const release = (): void => {
    closed = true;
    receiver.close();
    sender.value.close();
  };
  const joined = new Set<Ipv4>();
  for (const group of opts.groups) {
    const done = receiver.join(group);
    if (!done.ok) {
      release();
      return err(`${where}: ${done.error}`);
    }
    joined.add(group);
  }

  const send = sender.value;
  return ok({
    send(datagram, dst) {
      if (closed) return err(`${where}: closed`);
      const sent = send.send(datagram, dst);
      return sent.ok ? sent : err(`${where}: ${sent.error}`);
    },
    repeat(repeater, job) {
      return closed ? undefined : repeater.start(send, job);
    },
    join(group) {
      if (closed) return err(`${where}: closed`);
      if (joined.has(group)) return ok(undefined);
      const done = receiver.join(group);
      if (!done.ok) return err(`${where}: ${done.error}`);
      joined.add(group);
      return ok(undefined);
    },
    close() {
      if (!closed) release();
    },
  });
}
