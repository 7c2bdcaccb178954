// Typed, error-as-value face of the native addon (native/*.cc; native/common.h lists its parts). The addon is loaded lazily on first use so
// that modules importing this one (e.g. the pure GARP frame builder) stay usable in tests and
// tools on machines where the addon was never built; every entry point then reports why. Which
// file is loaded (a prebuild or a build from source): src/native/path.ts.
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { locateAddon } from './path.js';
import { err, ok, type Result } from '../types.js';

interface NativePacketSocket {
  send(frame: Buffer): number;
  close(): void;
}

interface NativeRawSender {
  send(datagram: Buffer, dst: string): number;
  close(): void;
}

interface NativeRawReceiver {
  join(group: string): void;
  close(): void;
}

/** One loop turn's datagrams, index by index: the bytes, the source, the CLOCK_MONOTONIC stamp. */
type NativeDatagrams = (bytes: Buffer[], from: string[], at: number[]) => void;

interface NativeNetlinkRoute {
  address(add: boolean, ifindex: number, address: string, prefixLength: number, label?: string): void;
  close(): void;
}

interface NativeNetlinkSocket {
  send(bytes: Buffer): void;
  ref(on: boolean): void;
  close(): void;
}

interface NativeSignalWatcher {
  close(): void;
}

interface NativeTimerFd {
  arm(deadlineMs: number): void;
  disarm(): void;
  close(): void;
  failForTest(errno: number): void;
}

/** [adverts sent since start, next deadline (CLOCK_MONOTONIC ms), IP id of the last advert]. */
type NativeRepeatReport = [number, number, number];

interface NativeAdvertRepeater {
  start(key: number, sender: NativeRawSender, datagram: Buffer, dst: string, firstMs: number, periodMs: number, ipId: number): void;
  stop(key: number): NativeRepeatReport | undefined;
  progress(key: number): NativeRepeatReport | undefined;
  close(): void;
  failForTest(errno: number): void;
}

interface NativeAddon {
  /** native/abi.h: what these exports are; checked at load against NATIVE_ABI. */
  abi: number;
  ifInfo(name: string): { index: number; mac: Buffer };
  sigrtmin(): number;
  peerCred(fd: number): { pid: number; uid: number; gid: number };
  flock(fd: number): boolean;
  cloexec(minFd: number): number[];
  cloexecRange(minFd: number): boolean;
  SignalWatcher: new (signum: number, callback: (signum: number) => void) => NativeSignalWatcher;
  PacketSocket: new (ifname: string) => NativePacketSocket;
  RawSender: new (ifname: string, ifindex: number) => NativeRawSender;
  NetlinkRoute: new () => NativeNetlinkRoute;
  NetlinkSocket: new (groups: number, onDatagrams: (datagrams: Buffer[], overrun: boolean) => void, onError: (e: Error) => void) => NativeNetlinkSocket;
  RawReceiver: (new (ifname: string, ifindex: number, onDatagrams: NativeDatagrams, onError: (e: Error) => void) => NativeRawReceiver) & {
    readonly maxPerWake: number;
  };
  TimerFd: new (callback: () => void, onError: (e: Error) => void) => NativeTimerFd;
  monotonicMs(): number;
  spinUntil(ms: number): number;
  AdvertRepeater: new (callback: (key: number, nextMs: number, sent: number, ipId: number) => void, onError: (e: Error) => void) => NativeAdvertRepeater;
  sdNotify(state: string): boolean;
  openlog(ident: string, facility: number): void;
  syslog(priority: number, message: string): void;
  journalSend(path: string, entry: Buffer): number;
}

/**
 * The addon's ABI this code is written against: native/abi.h's VRRPD_NATIVE_ABI (a unit test keeps
 * them equal). A build with another number (or none: built before the number existed) is refused
 * whole at load, so no entry point has to allow for an older addon.
 */
export const NATIVE_ABI = 3;

/** Why `exports`, loaded from `path`, is not this vrrpd's addon; undefined when it is. */
export function abiMismatch(exports: unknown, path: string): string | undefined {
  const abi = typeof exports === 'object' && exports !== null ? (exports as { abi?: unknown }).abi : undefined;
  if (abi === NATIVE_ABI) return undefined;
  const built = typeof abi === 'number' ? `ABI ${abi}` : 'no ABI number';
  return `${path} is a build of the native addon with ${built}, this vrrpd needs ABI ${NATIVE_ABI}: rebuild it with npm run install (scripts/install-native.js)`;
}

let loaded: Result<NativeAddon, string> | undefined;
let loadedFrom: string | undefined;

function addon(): Result<NativeAddon, string> {
  if (loaded) return loaded;
  const located = locateAddon();
  if (!located.ok) {
    loaded = located;
    return loaded;
  }
  const { path, note } = located.value;
  try {
    const exports: unknown = createRequire(import.meta.url)(path);
    const mismatch = abiMismatch(exports, path);
    loaded = mismatch === undefined ? ok(exports as NativeAddon) : err(mismatch);
    loadedFrom = note;
  } catch (e) {
    loaded = err(`cannot load ${path}: ${describe(e)}`);
  }
  return loaded;
}

const errnoNames = new Map<number, string>(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));

/** "send: Network is down (ENETDOWN)": the addon's strerror text plus the errno name to match on. */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const errno: unknown = (e as Error & { errno?: unknown }).errno;
  const name = typeof errno === 'number' ? errnoNames.get(errno) : undefined;
  return name ? `${e.message} (${name})` : e.message;
}

function attempt<T>(f: (a: NativeAddon) => T): Result<T, string> {
  const a = addon();
  if (!a.ok) return a;
  try {
    return ok(f(a.value));
  } catch (e) {
    return err(describe(e));
  }
}

/** Whether the addon can be loaded; the error says why not. */
export function nativeAvailable(): Result<void, string> {
  const a = addon();
  return a.ok ? ok(undefined) : a;
}

/** Which file the addon was loaded from and why (for a debug line): "prebuilds/linux-x64/vrrpd_native.node, prebuilt for linux-x64". */
export function nativeAddonSource(): Result<string, string> {
  const a = addon();
  return a.ok ? ok(loadedFrom ?? 'unknown') : a;
}

export interface InterfaceInfo {
  readonly index: number;
  /** Hardware address as the kernel reports it (6 bytes; zeros for loopback). */
  readonly mac: Buffer;
}

/** ifindex and MAC by SIOCGIFINDEX/SIOCGIFHWADDR: namespace-correct even under nsenter. */
export function ifInfo(name: string): Result<InterfaceInfo, string> {
  return attempt((a) => a.ifInfo(name));
}

/** A send-only AF_PACKET socket bound to one interface; frames include the Ethernet header. */
export interface PacketSocket {
  /** Bytes the kernel accepted; errors like "send: Network is down (ENETDOWN)". */
  send(frame: Buffer): Result<number, string>;
  /** Idempotent. */
  close(): void;
}

export function openPacketSocket(ifname: string): Result<PacketSocket, string> {
  return attempt((a) => {
    const socket = new a.PacketSocket(ifname);
    return {
      send: (frame: Buffer) => attempt(() => socket.send(frame)),
      close: () => socket.close(),
    };
  });
}

/** A send-only IPv4 raw socket (IPPROTO_RAW, so IP_HDRINCL) bound to one interface. */
export interface RawSender {
  /**
   * One synchronous sendto() of a whole IPv4 datagram to `dst`: when it returns ok the kernel has
   * the bytes, so the caller may reuse the buffer at once. Never blocks; a full queue is an error
   * like "send to 224.0.0.18: No buffer space available (ENOBUFS)".
   */
  send(datagram: Buffer, dst: string): Result<number, string>;
  /** Idempotent. */
  close(): void;
}

export function openRawSender(ifname: string, ifindex: number): Result<RawSender, string> {
  const a = addon();
  if (!a.ok) return a;
  const Sender = a.value.RawSender;
  return attempt(() => {
    const socket = new Sender(ifname, ifindex);
    const sender: RawSender = {
      send(datagram: Buffer, dst: string): Result<number, string> {
        // Inline rather than attempt(): this runs for every advert.
        try {
          return ok(socket.send(datagram, dst));
        } catch (e) {
          return err(describe(e));
        }
      },
      close: () => socket.close(),
    };
    nativeSenders.set(sender, socket);
    return sender;
  });
}

/** CLOCK_MONOTONIC in ms (fractional), read by the addon. */
export function monotonicClock(): Result<() => number, string> {
  const a = addon();
  if (!a.ok) return a;
  return ok(a.value.monotonicMs);
}

/** The VRRP receive socket (native/raw-receiver.cc). */
export interface RawReceiver {
  /** IP_ADD_MEMBERSHIP on the socket's interface; a group already joined is fine. */
  join(group: string): Result<void, string>;
  /** Idempotent; datagrams still queued in the kernel are dropped, none is delivered after it. */
  close(): void;
}

/**
 * A raw IPv4 protocol-112 socket bound to `ifname`, close-on-exec, on Node's loop. `onDatagrams`
 * gets each loop turn's datagrams (at most `maxPerWake`, oldest first, every one stamped before the
 * next is read); `onError` a failure that closed the socket (an error of a single read does not).
 */
export function openRawReceiver(
  ifname: string,
  ifindex: number,
  onDatagrams: (bytes: Buffer[], from: string[], at: number[]) => void,
  onError: (message: string) => void,
): Result<{ receiver: RawReceiver; maxPerWake: number }, string> {
  const a = addon();
  if (!a.ok) return a;
  const Receiver = a.value.RawReceiver;
  return attempt(() => {
    const socket = new Receiver(ifname, ifindex, onDatagrams, (e) => onError(describe(e)));
    const receiver: RawReceiver = {
      join: (group) => attempt(() => socket.join(group)),
      close: () => socket.close(),
    };
    return { receiver, maxPerWake: Receiver.maxPerWake };
  });
}

/** The addon's object behind each RawSender, for the repeater (which sends on its fd). */
const nativeSenders = new WeakMap<RawSender, NativeRawSender>();

/** An advert the repeater is sending or has stopped sending (times in CLOCK_MONOTONIC ms). */
export interface RepeatReport {
  /** Adverts it sent since start. */
  readonly sent: number;
  /** The deadline of the next advert, not sent yet. */
  readonly nextMs: number;
  /** The IP id of the last advert sent (the one given at start if none). */
  readonly ipId: number;
}

/**
 * The addon's periodic advert sender (native/repeater.cc; src/net/repeater.ts
 * says when it is used). `onGiveBack(key, report)`: the entry removed itself (a send failed, or
 * the loop was held up a whole period); report.nextMs is the advert it did not send. `onError`: its
 * timerfd failed (a poll error); every entry was given back first and start() refuses from then on.
 */
export interface AdvertRepeaterNative {
  start(key: number, sender: RawSender, datagram: Buffer, dst: string, firstMs: number, periodMs: number, ipId: number): Result<void, string>;
  stop(key: number): RepeatReport | undefined;
  progress(key: number): RepeatReport | undefined;
  /** Idempotent; entries still in it are dropped unsent. */
  close(): void;
  /** What a poll error on its timerfd does (tests: epoll cannot be made to report one). */
  failForTest(errno: number): void;
}

const STARTED: Result<void, string> = ok(undefined);
const reportOf = (r: NativeRepeatReport | undefined): RepeatReport | undefined => (r === undefined ? undefined : { sent: r[0], nextMs: r[1], ipId: r[2] });

export function openAdvertRepeater(
  onGiveBack: (key: number, report: RepeatReport) => void,
  onError: (message: string) => void,
): Result<AdvertRepeaterNative, string> {
  const a = addon();
  if (!a.ok) return a;
  const Native = a.value.AdvertRepeater;
  return attempt(() => {
    const native = new Native(
      (key, nextMs, sent, ipId) => onGiveBack(key, { sent, nextMs, ipId }),
      (e) => onError(describe(e)),
    );
    return {
      start(key, sender, datagram, dst, firstMs, periodMs, ipId) {
        const socket = nativeSenders.get(sender);
        if (socket === undefined) return err('not a native RawSender');
        try {
          native.start(key, socket, datagram, dst, firstMs, periodMs, ipId);
          return STARTED;
        } catch (e) {
          return err(describe(e));
        }
      },
      stop: (key) => reportOf(native.stop(key)),
      progress: (key) => reportOf(native.progress(key)),
      close: () => native.close(),
      failForTest: (errno) => native.failForTest(errno),
    };
  });
}

/** Synchronous rtnetlink address requests (one request, its ack read before returning). */
export interface NetlinkRoute {
  /** Errors name the kernel's errno: "RTM_DELADDR: Cannot assign requested address (EADDRNOTAVAIL)". */
  addAddress(a: { index: number; address: string; prefixLength: number; label?: string }): Result<void, string>;
  delAddress(a: { index: number; address: string; prefixLength: number }): Result<void, string>;
  /** Idempotent. */
  close(): void;
}

export function openNetlinkRoute(): Result<NetlinkRoute, string> {
  const a = addon();
  if (!a.ok) return a;
  const Route = a.value.NetlinkRoute;
  return attempt(() => {
    const socket = new Route();
    return {
      addAddress: (x) => attempt(() => socket.address(true, x.index, x.address, x.prefixLength, x.label)),
      delAddress: (x) => attempt(() => socket.address(false, x.index, x.address, x.prefixLength)),
      close: () => socket.close(),
    };
  });
}

/** A NETLINK_ROUTE socket on Node's loop (native/netlink-socket.cc): raw bytes each way. */
export interface NetlinkSocket {
  /** One datagram to the kernel (a request, built by src/net/rtnl-messages.ts). */
  send(bytes: Buffer): Result<void, string>;
  /** Whether the socket keeps the process alive (off when opened). */
  ref(on: boolean): void;
  /** Idempotent; nothing is delivered after it. */
  close(): void;
}

/**
 * A NETLINK_ROUTE socket bound to the multicast `groups` (a bit mask of RTMGRP_*; 0: requests
 * only). `onDatagrams` gets each loop turn's datagrams as the kernel sent them (at most 32),
 * `overrun` true when the kernel dropped some (ENOBUFS); `onError` a failure that closed it.
 */
export function openNetlinkSocket(
  groups: number,
  onDatagrams: (datagrams: Buffer[], overrun: boolean) => void,
  onError: (message: string) => void,
): Result<NetlinkSocket, string> {
  const a = addon();
  if (!a.ok) return a;
  const Native = a.value.NetlinkSocket;
  return attempt(() => {
    const socket = new Native(groups, onDatagrams, (e) => onError(describe(e)));
    return {
      send: (bytes: Buffer) => attempt(() => socket.send(bytes)),
      ref: (on: boolean) => socket.ref(on),
      close: () => socket.close(),
    };
  });
}

/**
 * sd_notify(3): `READY=1`, `WATCHDOG=1`, `STATUS=...`, `STOPPING=1`. ok(false) when not started by
 * systemd (NOTIFY_SOCKET unset), which is normal, not an error.
 */
export function sdNotify(state: string): Result<boolean, string> {
  return attempt((a) => a.sdNotify(state));
}

/** syslog(3) facilities keepalived can log to: `daemon` by default, `-S 0..7` selects local0..7. */
export const syslogFacility = {
  daemon: 3 << 3,
  local0: 16 << 3,
  local1: 17 << 3,
  local2: 18 << 3,
  local3: 19 << 3,
  local4: 20 << 3,
  local5: 21 << 3,
  local6: 22 << 3,
  local7: 23 << 3,
} as const;

/** syslog(3) severities; keepalived logs its state changes at `info`. */
export const syslogSeverity = {
  emerg: 0,
  alert: 1,
  crit: 2,
  err: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
} as const;

/** openlog(ident, LOG_PID, facility): lines then read `ident[pid]: message`. */
export function openSyslog(ident: string, facility: number): Result<void, string> {
  return attempt((a) => a.openlog(ident, facility));
}

/** priority = severity, optionally or-ed with a facility (else the openlog one applies). */
export function syslog(priority: number, message: string): Result<void, string> {
  return attempt((a) => a.syslog(priority, message));
}

/**
 * One datagram of the native journal protocol to journald's socket at `path`, never blocking: 0 or
 * the errno (EAGAIN when journald's queue is full, ENOENT/ECONNREFUSED while it restarts).
 */
export function journalSend(path: string, entry: Buffer): Result<number, string> {
  const send = journalSender();
  return send.ok ? attempt(() => send.value(path, entry)) : send;
}

/** The addon's journalSend, or why the addon cannot be loaded. */
export function journalSender(): Result<(path: string, entry: Buffer) => number, string> {
  const a = addon();
  if (!a.ok) return a;
  return ok(a.value.journalSend);
}

/**
 * flock(fd, LOCK_EX|LOCK_NB): ok(true) when we now hold the lock, ok(false) when another open file
 * (another daemon) holds it. The kernel releases it when the fd closes or the process dies.
 */
export function flockExclusive(fd: number): Result<boolean, string> {
  return attempt((a) => a.flock(fd));
}

/**
 * Sets FD_CLOEXEC on every open descriptor >= minFd that lacks it; returns the descriptors it
 * marked. Reads /proc/self/fd and asks about each one (cost: src/host/exec-guard.ts).
 */
export function markCloexec(minFd: number): Result<readonly number[], string> {
  return attempt((a) => a.cloexec(minFd));
}

const MARKED: Result<void, string> = ok(undefined);

/**
 * FD_CLOEXEC on every descriptor >= minFd: one close_range(CLOSE_RANGE_CLOEXEC) call (Linux 5.11+,
 * whatever the count), else markCloexec's scan.
 */
export function markAllCloexec(minFd: number): Result<void, string> {
  const a = addon();
  if (!a.ok) return a;
  try {
    if (a.value.cloexecRange(minFd)) return MARKED;
  } catch (e) {
    return err(describe(e));
  }
  const scanned = markCloexec(minFd);
  return scanned.ok ? MARKED : scanned;
}

/** libc's SIGRTMIN (34 with glibc, which keeps two for itself; not a constant to hard-code). */
export function sigrtmin(): Result<number, string> {
  return attempt((a) => a.sigrtmin());
}

/** A caught signal; close() stops catching it (the signal's default action applies again). */
export interface SignalWatch {
  /** Idempotent. */
  close(): void;
}

/**
 * Catch `signum` on Node's event loop, also a realtime one Node's process.on() cannot name. The
 * callback runs on the main thread; the watch alone does not keep the process alive.
 */
export function watchSignal(signum: number, callback: (signum: number) => void): Result<SignalWatch, string> {
  const a = addon();
  if (!a.ok) return a;
  const Watcher = a.value.SignalWatcher;
  return attempt(() => {
    const watcher = new Watcher(signum, callback);
    return { close: () => watcher.close() };
  });
}

/** Who is at the other end of a connected unix socket (SO_PEERCRED, as of its connect()). */
export interface PeerCredentials {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

export function peerCredentials(fd: number): Result<PeerCredentials, string> {
  return attempt((a) => a.peerCred(fd));
}

/**
 * One CLOCK_MONOTONIC timerfd on Node's loop (src/timers/clock.ts): arm() takes an absolute deadline
 * in CLOCK_MONOTONIC ms (monotonicMs()'s clock, fractional), the callback runs on the main thread
 * once it has passed. Re-arming replaces the deadline; an expiry replaced before it was read never
 * calls back. A poll error closes it and calls onError once: nothing fires after that.
 */
export interface TimerFd {
  arm(deadlineMs: number): Result<void, string>;
  disarm(): void;
  /** Idempotent. */
  close(): void;
  /** What a poll error on the timerfd does (tests: epoll cannot be made to report one). */
  failForTest(errno: number): void;
}

const ARMED: Result<void, string> = ok(undefined);

/**
 * `monotonicMs`: CLOCK_MONOTONIC now. `spinUntil(ms)`: busy-wait in C until CLOCK_MONOTONIC reaches
 * ms (a no-op when that is more than 2 ms away), returning the time it stopped.
 */
export function openTimerFd(
  callback: () => void,
  onError: (message: string) => void,
): Result<{ timer: TimerFd; monotonicMs: () => number; spinUntil: (ms: number) => number }, string> {
  const a = addon();
  if (!a.ok) return a;
  const { TimerFd: Native, monotonicMs, spinUntil } = a.value;
  return attempt(() => {
    const native = new Native(callback, (e) => onError(describe(e)));
    const timer: TimerFd = {
      // Once per wakeup: no closure or result object built when it works.
      arm(deadlineMs) {
        try {
          native.arm(deadlineMs);
          return ARMED;
        } catch (e) {
          return err(describe(e));
        }
      },
      disarm: () => native.disarm(),
      close: () => native.close(),
      failForTest: (errno) => native.failForTest(errno),
    };
    return { timer, monotonicMs, spinUntil };
  });
}
