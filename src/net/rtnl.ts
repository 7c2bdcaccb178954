// rtnetlink: list links and IPv4 addresses, add/remove VIPs the way keepalived does, and watch
// link and address changes. The sockets are the addon's (native/netlink-socket.cc for dumps and
// monitors, raw bytes on Node's loop; native/netlink-route.cc for the synchronous VIP changes);
// the messages are built and parsed in src/net/rtnl-messages.ts.
import { constants as osConstants } from 'node:os';
import { openNetlinkRoute, openNetlinkSocket, type NetlinkSocket } from '../native/addon.js';
import {
  NLMSG_DONE,
  NLMSG_ERROR,
  RTMGRP_LINK_AND_IPV4_IFADDR,
  dumpRequest,
  errorCode,
  eventOf,
  parseIpv4Address,
  parseLink,
  splitMessages,
  type AddressInfo,
  type LinkInfo,
  type NetlinkMessage,
  type RtnlEvent,
} from './rtnl-messages.js';
import { err, ok, type Ipv4, type Result } from '../types.js';

export type { AddressInfo, LinkInfo, RtnlEvent } from './rtnl-messages.js';

/** A result now (the addon's synchronous netlink) or later (past this turn's budget, below). */
export type Eventually<T> = T | Promise<T>;

export interface Rtnl {
  links(): Promise<Result<LinkInfo[], string>>;
  ipv4Addresses(index?: number): Promise<Result<AddressInfo[], string>>;
  /** primary = first non-secondary address in kernel order */
  primaryIpv4(index: number): Promise<Result<Ipv4 | undefined, string>>;
  /**
   * Idempotent (NLM_F_CREATE|NLM_F_REPLACE); re-adding does not change an existing label.
   * Synchronous (a Result, not a Promise) through the addon's NetlinkRoute, as keepalived adds a
   * VIP: a takeover then awaits nothing between its advert and its GARP.
   */
  addAddress(a: { index: number; address: Ipv4; prefixLength: number; label?: string }): Eventually<Result<void, string>>;
  /** Absent address (or link already gone) = ok. Synchronous like addAddress. */
  delAddress(a: { index: number; address: Ipv4; prefixLength: number }): Eventually<Result<void, string>>;
  /** Link up/down/deleted, IPv4 address added/removed; returns a function that stops watching. */
  watch(onEvent: (e: RtnlEvent) => void): () => void;
  /** Closes the request socket and every watcher. */
  close(): void;
}

/**
 * Synchronous address changes allowed in one event-loop turn. Each one queues a notification on
 * every rtnetlink monitor socket, which reads at most 32 datagrams a loop turn; a 1000-instance
 * takeover in one timer tick would otherwise fill the monitors' queues and cost a resync (the
 * kernel's ENOBUFS, an `overrun`). Beyond this budget an address change waits for the next turn
 * (after the monitors were read), as a promise.
 */
export const SYNC_ADDRESS_CHANGES_PER_TURN = 16;

/** The addon's errors end in the errno's name: "RTM_DELADDR: No such device (ENODEV)". */
function nativeCode(error: string): string | undefined {
  return /\((E[A-Z0-9]+)\)$/.exec(error)?.[1];
}

function notDefined<T>(x: T | undefined): x is T {
  return x !== undefined;
}

const errnoNames = new Map<number, string>(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));

/** A dump in flight: the request's sequence number and the messages of its reply so far. */
interface Dump {
  readonly seq: number;
  readonly messages: NetlinkMessage[];
  readonly done: (r: Result<NetlinkMessage[], string>) => void;
}

export function openRtnl(): Result<Rtnl, string> {
  let current: Dump | undefined;
  /** Why the request socket is closed, once it is. */
  let broken: string | undefined;
  const finish = (r: Result<NetlinkMessage[], string>): void => {
    const d = current;
    current = undefined;
    requests.ref(false);
    d?.done(r);
  };
  const opened = openNetlinkSocket(
    0,
    (datagrams, overrun) => {
      for (const datagram of datagrams) {
        for (const m of splitMessages(datagram)) {
          if (current === undefined || m.seq !== current.seq) continue;
          if (m.type === NLMSG_DONE) finish(ok(current.messages));
          else if (m.type === NLMSG_ERROR) {
            const code = errorCode(m.payload) ?? 0;
            finish(err(code === 0 ? 'unexpected ack' : (errnoNames.get(code) ?? `errno ${code}`)));
          } else current.messages.push(m);
        }
      }
      if (overrun && current !== undefined) finish(err('reply lost (ENOBUFS)'));
    },
    (reason) => {
      broken = reason;
      finish(err(reason));
    },
  );
  if (!opened.ok) return err(`rtnetlink socket: ${opened.error}`);
  const requests: NetlinkSocket = opened.value;
  let seq = 0;
  const watchers = new Set<() => void>();
  const openedRoute = openNetlinkRoute();
  if (!openedRoute.ok) {
    requests.close();
    return err(`rtnetlink socket: ${openedRoute.error}`);
  }
  const route = openedRoute.value;
  let changesThisTurn = 0;
  /** A slot in this turn's budget; the count resets in the check phase, after the poll phase read the monitors. */
  const takeSlot = (): boolean => {
    if (changesThisTurn === 0) setImmediate(() => (changesThisTurn = 0));
    return ++changesThisTurn <= SYNC_ADDRESS_CHANGES_PER_TURN;
  };
  const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  // One dump at a time: the kernel runs one per socket (another would be EBUSY).
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(request: () => Promise<T>): Promise<T> => {
    const run = tail.then(request, request);
    tail = run.catch(() => undefined);
    return run;
  };
  const dump = (what: 'links' | 'ipv4Addresses'): Promise<Result<NetlinkMessage[], string>> =>
    serial(
      () =>
        new Promise<Result<NetlinkMessage[], string>>((done) => {
          if (broken !== undefined) return done(err(broken));
          seq = (seq + 1) >>> 0;
          current = { seq, messages: [], done };
          // The reply comes on the loop: keep the process alive for it (`vrrpd -t` awaits nothing else).
          requests.ref(true);
          const sent = requests.send(dumpRequest(what, seq));
          if (!sent.ok) finish(err(sent.error));
        }),
    );

  async function links(): Promise<Result<LinkInfo[], string>> {
    const r = await dump('links');
    if (!r.ok) return err(`list links: ${r.error}`);
    return ok(r.value.map((m) => parseLink(m.payload)).filter(notDefined));
  }

  async function ipv4Addresses(index?: number): Promise<Result<AddressInfo[], string>> {
    const r = await dump('ipv4Addresses');
    if (!r.ok) return err(`list IPv4 addresses: ${r.error}`);
    const all = r.value.map((m) => parseIpv4Address(m.payload)).filter(notDefined);
    return ok(index === undefined ? all : all.filter((a) => a.index === index));
  }

  async function primaryIpv4(index: number): Promise<Result<Ipv4 | undefined, string>> {
    const addrs = await ipv4Addresses(index);
    if (!addrs.ok) return addrs;
    return ok(addrs.value.find((a) => !a.secondary)?.address);
  }

  // keepalived (vrrp_ipaddress.c netlink_ipaddress()) sends IFA_LOCAL, IFA_BROADCAST only when
  // `brd` is configured, and IFA_LABEL when `label` is; scope global by default. The result in
  // `ip addr`: `inet 192.0.2.200/32 scope global eth0` (native/netlink-route.cc).
  function addAddress(a: { index: number; address: Ipv4; prefixLength: number; label?: string }): Eventually<Result<void, string>> {
    if (!takeSlot()) return nextTurn().then(() => addAddress(a));
    const done = route.addAddress(a);
    return done.ok ? done : err(`add ${a.address}/${a.prefixLength} on ifindex ${a.index}: ${nativeCode(done.error) ?? done.error}`);
  }

  function delAddress(a: { index: number; address: Ipv4; prefixLength: number }): Eventually<Result<void, string>> {
    if (!takeSlot()) return nextTurn().then(() => delAddress(a));
    const done = route.delAddress(a);
    if (done.ok) return done;
    const code = nativeCode(done.error);
    // EADDRNOTAVAIL: not there. ENODEV: the link is gone, and its addresses with it.
    if (code === 'EADDRNOTAVAIL' || code === 'ENODEV') return ok(undefined);
    return err(`delete ${a.address}/${a.prefixLength} on ifindex ${a.index}: ${code ?? done.error}`);
  }

  function watch(onEvent: (e: RtnlEvent) => void): () => void {
    let stopped = false;
    const monitor = openNetlinkSocket(
      RTMGRP_LINK_AND_IPV4_IFADDR,
      (datagrams, overrun) => {
        for (const datagram of datagrams) {
          for (const m of splitMessages(datagram)) {
            if (stopped) return;
            const event = eventOf(m);
            if (event) onEvent(event);
          }
        }
        if (overrun && !stopped) onEvent({ kind: 'overrun', message: 'rtnetlink monitor: the kernel dropped notifications (ENOBUFS)' });
      },
      // The socket is closed: nothing more will come; the owner's resync is all that can help.
      (reason) => {
        if (!stopped) onEvent({ kind: 'overrun', message: `rtnetlink monitor: ${reason}` });
      },
    );
    if (!monitor.ok) {
      const reason = monitor.error;
      queueMicrotask(() => onEvent({ kind: 'overrun', message: `rtnetlink monitor: ${reason}` }));
      return () => undefined;
    }
    // Keep the event loop alive while watching, like any server socket.
    monitor.value.ref(true);
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      watchers.delete(stop);
      monitor.value.close();
    };
    watchers.add(stop);
    return stop;
  }

  return ok({
    links,
    ipv4Addresses,
    primaryIpv4,
    addAddress,
    delAddress,
    watch,
    close() {
      for (const stop of [...watchers]) stop();
      broken = 'rtnetlink closed';
      finish(err(broken));
      requests.close();
      route.close();
    },
  });
}
