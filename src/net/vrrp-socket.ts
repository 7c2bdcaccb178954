// The VRRP sockets of one interface, set up the way keepalived sets up its VRRP socket
// (reference/keepalived.md §3.1). They move whole IPv4 datagrams; building and checking the IPv4
// header and the advert is src/vrrp/packet.ts's job.
//
// Receiving: a raw IPv4 protocol-112 socket from @neuralegion/raw-socket, used through our own
// interface because its index.d.ts is wrong, and around its traps (reference/node-deps.md §1):
// Buffer options only via the 4-argument setOption, one receive buffer reused for every message
// (we copy), errors are bare strings, and there is no bind().
//
// Sending: the addon's RawSender (IPPROTO_RAW, so IP_HDRINCL: the kernel would otherwise pick the
// source address and may pick the VIP, while RFC 3768 §5.1.1.1 wants the interface's primary
// address). Its send is one synchronous sendto(); raw-socket's send only queues the buffer until
// the fd polls writable on a later loop turn, which cost a takeover 1-2 ms and every advert a
// promise, a poll start and a callback.
import { createRequire } from 'node:module';
import { markCloexec, openRawSender } from '../native.js';
import { err, ok, parseIpv4, type Ipv4, type Millis, type Result } from '../types.js';
import type { AdvertRepeater, RepeatHandle, RepeatJob } from './repeater.js';

interface RawSocket {
  setOption(level: number, option: number, value: number): void;
  setOption(level: number, option: number, value: Buffer, length: number): void;
  on(event: 'message', listener: (buffer: Buffer, source: string) => void): RawSocket;
  on(event: 'error', listener: (error: Error) => void): RawSocket;
  on(event: 'close', listener: () => void): RawSocket;
  close(): RawSocket;
}

interface RawSocketModule {
  createSocket(options: { protocol: number; addressFamily: number; bufferSize?: number }): RawSocket;
}

const ipprotoVrrp = 112;
const addressFamilyIpv4 = 1; // raw-socket's own enum (AddressFamily.IPv4), not AF_INET
/** The kernel's view of raw-socket's socket: socket(AF_INET, SOCK_RAW, IPPROTO_VRRP). */
const receiveSocketKind = { domain: 2, type: 3, protocol: ipprotoVrrp } as const;
/** The IANA-assigned VRRP multicast group (RFC 3768 §5.1.1.2). */
export const vrrpMulticastGroup = '224.0.0.18' as Ipv4;

// Linux <linux/in.h>, <asm-generic/socket.h>
const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const IPPROTO_IP = 0;
const IP_ADD_MEMBERSHIP = 35;
/** Without this a raw socket also receives groups joined by any other socket on the host. */
const IP_MULTICAST_ALL = 49;
const IFNAMSIZ = 16;
/** Largest IPv4 datagram, so a received one is never truncated by the library's buffer. */
const receiveBufferSize = 65535;

export interface Datagram {
  /** The whole IPv4 datagram, header included; a private copy. */
  readonly bytes: Buffer;
  /** IPv4 source address as recvfrom() reported it. */
  readonly from: Ipv4;
  /** IPv4 TTL (header byte 8), which VRRP receivers must check; -1 if the datagram is too short. */
  readonly ttl: number;
  /** `clock` when the library handed the datagram over, before any work on it. */
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
   * Stamps each datagram's receivedAt: the protocol timers' clock, so that a Master_Down_Timer an
   * advert re-arms counts from its arrival, not from after its decoding (~0.5 ms on the first ones).
   * Default performance.now(), the daemon's timer clock (net/clock.ts).
   */
  readonly clock?: () => Millis;
  /** Receive-side failure; the socket is closed by then (the library closes on error). */
  readonly onError: (message: string) => void;
}

let rawModule: Result<RawSocketModule, string> | undefined;

function loadRawSocket(): Result<RawSocketModule, string> {
  if (rawModule) return rawModule;
  try {
    const m: unknown = createRequire(import.meta.url)('@neuralegion/raw-socket');
    const usable = typeof m === 'object' && m !== null && typeof (m as Record<string, unknown>)['createSocket'] === 'function';
    rawModule = usable ? ok(m as RawSocketModule) : err('@neuralegion/raw-socket has no createSocket()');
  } catch (e) {
    rawModule = err(`cannot load @neuralegion/raw-socket: ${message(e)}`);
  }
  return rawModule;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** struct ip_mreqn {imr_multiaddr, imr_address, imr_ifindex} for IP_ADD_MEMBERSHIP. */
function ipMreqn(group: Ipv4 | undefined, ifindex: number): Buffer {
  const b = Buffer.alloc(12);
  if (group) Buffer.from(group.split('.').map(Number)).copy(b, 0);
  b.writeInt32LE(ifindex, 8); // host byte order (x86/arm little-endian)
  return b;
}

/**
 * Open sockets, held here on purpose. raw-socket's native wrap is a weak object: an active poll
 * does not keep it alive, so a socket reachable only through a pending operation is
 * garbage-collected and its destructor closes the fd (seen in lab/inject.ts when it still sent
 * through raw-socket: the fd closed right after the options, the process hung).
 */
const openSockets = new Set<RawSocket>();

export function openVrrpSocket(opts: VrrpSocketOptions): Result<VrrpSocket, string> {
  const where = `VRRP socket on ${opts.ifname}`;
  if (opts.ifname.length === 0 || Buffer.byteLength(opts.ifname) >= IFNAMSIZ) return err(`${where}: bad interface name`);
  if (!Number.isInteger(opts.ifindex) || opts.ifindex <= 0) return err(`${where}: bad ifindex ${opts.ifindex}`);
  const raw = loadRawSocket();
  if (!raw.ok) return err(`${where}: ${raw.error}`);
  const sender = openRawSender(opts.ifname, opts.ifindex);
  if (!sender.ok) return err(`${where}: ${sender.error}`);

  let socket: RawSocket;
  try {
    socket = raw.value.createSocket({ protocol: ipprotoVrrp, addressFamily: addressFamilyIpv4, bufferSize: receiveBufferSize });
  } catch (e) {
    sender.value.close();
    return err(`${where}: ${message(e)}`);
  }
  // raw-socket opens it without SOCK_CLOEXEC and does not expose its fd, so every script would
  // inherit it (and could send adverts with it). The one raw VRRP socket of ours still lacking
  // FD_CLOEXEC is this new one: each earlier one was marked here when it was opened, and nothing can
  // fork in between (both calls run synchronously on the one JS thread).
  const sealed = markCloexec(0, receiveSocketKind);
  if (!sealed.ok) {
    socket.close();
    sender.value.close();
    return err(`${where}: cannot make it close-on-exec: ${sealed.error}`);
  }

  let closed = false;
  openSockets.add(socket);
  const release = (): void => {
    openSockets.delete(socket);
    sender.value.close();
  };

  // An 'error' without a listener would be thrown by EventEmitter and kill the daemon.
  socket.on('error', (e) => {
    if (closed) return;
    closed = true;
    release(); // the library closes the socket itself after an error
    opts.onError(`${where}: ${e.message}`);
  });
  const clock = opts.clock ?? (() => performance.now());
  socket.on('message', (buffer, source) => {
    const receivedAt = clock();
    if (closed) return;
    const from = parseIpv4(source);
    if (!from) return; // recvfrom on an AF_INET socket always yields a dotted quad
    const bytes = Buffer.from(buffer); // the library reuses its buffer for the next message
    opts.onDatagram({ bytes, from, ttl: bytes.length > 8 ? (bytes[8] ?? -1) : -1, receivedAt });
  });

  const device = Buffer.from(`${opts.ifname}\0`);
  const steps: readonly [string, () => void][] = [
    // Receive only what arrives on this interface: raw sockets give no ingress ifindex.
    // (The sender has its own SO_BINDTODEVICE, IP_MULTICAST_IF and IP_MULTICAST_LOOP 0: our own
    // adverts never come back to this socket as if from a peer.)
    ['SO_BINDTODEVICE', () => socket.setOption(SOL_SOCKET, SO_BINDTODEVICE, device, device.length)],
    ['IP_MULTICAST_ALL', () => socket.setOption(IPPROTO_IP, IP_MULTICAST_ALL, 0)],
    ...[...new Set(opts.groups)].map((group): [string, () => void] => [
      `IP_ADD_MEMBERSHIP ${group}`,
      () => socket.setOption(IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreqn(group, opts.ifindex), 12),
    ]),
  ];
  for (const [name, apply] of steps) {
    try {
      apply();
    } catch (e) {
      closed = true;
      socket.close();
      release();
      return err(`${where}: ${name}: ${message(e)}`);
    }
  }

  const send = sender.value;
  const joined = new Set(opts.groups);
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
      try {
        socket.setOption(IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreqn(group, opts.ifindex), 12);
      } catch (e) {
        return err(`${where}: IP_ADD_MEMBERSHIP ${group}: ${message(e)}`);
      }
      joined.add(group);
      return ok(undefined);
    },
    close() {
      if (closed) return;
      closed = true;
      socket.close();
      release();
    },
  });
}
