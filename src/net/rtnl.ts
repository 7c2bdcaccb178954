// rtnetlink over netlink@0.3.0: list links and IPv4 addresses, add/remove VIPs the way keepalived
// does, and watch link and address changes. Traps (docs/reference/node-runtime.md#netlink-030):
// errors are a bare Error('Request rejected: EEXIST'), createRtNetlink's option type wrongly
// requires buffer sizes, and the high-level 'message' event drops NEW/DEL, so the watcher reads the
// lower-level socket.
import { openNetlinkRoute } from '../native/addon.js';
import { FlagsNew, createRtNetlink, rt, type NetlinkMessage, type RtNetlinkSocket, type RtStructs } from './netlink-rt.js';
import { err, ipv4FromBytes, ipv4ToBytes, ok, type Ipv4, type Result } from '../types.js';

/** A result now (the addon's synchronous netlink) or later (the netlink package's round trip). */
export type Eventually<T> = T | Promise<T>;

const AF_INET = 2;
const RT_SCOPE_UNIVERSE = 0;

export interface LinkInfo {
  index: number;
  name: string;
  /** IFF_UP: administratively up. */
  up: boolean;
  /** IFF_LOWER_UP: carrier. */
  lowerUp: boolean;
  /** IFF_RUNNING: operationally up; keepalived's link-up is IFF_UP && IFF_RUNNING. */
  running: boolean;
  /** IFF_LOOPBACK: keepalived refuses a loopback interface for an instance, whatever its name. */
  loopback: boolean;
  mac: Buffer | undefined;
}

export interface AddressInfo {
  index: number;
  address: Ipv4;
  prefixLength: number;
  label: string | undefined;
  secondary: boolean;
}

/**
 * `link`: an RTM_NEWLINK, sent by the kernel for any change to a link (flags, carrier, name,
 * MAC...), so the same state may repeat; compare with what you knew. A link deleted and created
 * again under the same name comes back with a new index.
 * `overrun`: the kernel dropped notifications (ENOBUFS) or the socket failed; re-read links()
 * and ipv4Addresses() to resynchronise.
 */
export type RtnlEvent =
  | { readonly kind: 'link'; readonly link: LinkInfo }
  | { readonly kind: 'linkDeleted'; readonly index: number; readonly name: string }
  | { readonly kind: 'addressAdded'; readonly address: AddressInfo }
  | { readonly kind: 'addressRemoved'; readonly address: AddressInfo }
  | { readonly kind: 'overrun'; readonly message: string };

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

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** netlink@0.3.0 reports kernel errors only as "Request rejected: ECODE". */
function rejectedCode(e: unknown): string | undefined {
  return /^Request rejected: (E[A-Z0-9]+)$/.exec(message(e))?.[1];
}

/**
 * Synchronous address changes allowed in one event-loop turn. Each one queues a notification on
 * every rtnetlink monitor socket, and netlink@0.3.0 reads at most 32 messages per socket per loop
 * turn; once a few hundred are queued the kernel drops them with ENOBUFS, and netlink@0.3.0 then
 * dies in its poll error path (a NULL syscall name thrown as a C++ exception: "terminate called
 * after throwing an instance of 'Napi::Error'"). 1000 instances taking over in one timer tick hit
 * that; beyond this budget an address change waits for the next turn (after the monitors were
 * read), as a promise. Below the 32 a turn drains, so the queue cannot grow.
 */
export const SYNC_ADDRESS_CHANGES_PER_TURN = 16;

/** The addon's errors end in the errno's name: "RTM_DELADDR: No such device (ENODEV)". */
function nativeCode(error: string): string | undefined {
  return /\((E[A-Z0-9]+)\)$/.exec(error)?.[1];
}

function toLinkInfo(m: RtStructs.LinkMessage): LinkInfo | undefined {
  const index = m.data.index;
  if (index === undefined) return undefined;
  return {
    index,
    name: m.attrs.ifname ?? '',
    up: m.data.flags?.up === true,
    lowerUp: m.data.flags?.lowerUp === true,
    running: m.data.flags?.running === true,
    loopback: m.data.flags?.loopback === true,
    mac: m.attrs.address,
  };
}

function toAddressInfo(m: RtStructs.AddressMessage): AddressInfo | undefined {
  if (m.data.family !== AF_INET || m.data.index === undefined || m.data.prefixlen === undefined) return undefined;
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS differs only on point-to-point links.
  const bytes = m.attrs.local ?? m.attrs.address;
  if (bytes === undefined || bytes.length !== 4) return undefined;
  // The u32 IFA_FLAGS attribute, when present, supersedes the 8-bit ifa_flags field.
  const flags = m.attrs.flags ?? m.data.flags;
  return {
    index: m.data.index,
    address: ipv4FromBytes(bytes),
    prefixLength: m.data.prefixlen,
    label: m.attrs.label,
    secondary: flags?.secondary === true,
  };
}

function notDefined<T>(x: T | undefined): x is T {
  return x !== undefined;
}

// createRtNetlink's declared options demand recvBufferSize/sendBufferSize; the runtime treats
// them as optional. This is the one cast the library's typing bug needs.
type CreateOptions = NonNullable<Parameters<typeof createRtNetlink>[0]>;

function eventFrom(m: NetlinkMessage): RtnlEvent | undefined {
  const type = m.type as RtStructs.MessageType;
  if (type !== rt.MessageType.NEWLINK && type !== rt.MessageType.DELLINK && type !== rt.MessageType.NEWADDR && type !== rt.MessageType.DELADDR) {
    return undefined;
  }
  const parsed = rt.parseMessage(type, m.data);
  if (parsed.kind === 'link') {
    const link = toLinkInfo(parsed);
    if (!link) return undefined;
    return type === rt.MessageType.DELLINK ? { kind: 'linkDeleted', index: link.index, name: link.name } : { kind: 'link', link };
  }
  if (parsed.kind === 'address') {
    const address = toAddressInfo(parsed);
    if (!address) return undefined;
    return type === rt.MessageType.DELADDR ? { kind: 'addressRemoved', address } : { kind: 'addressAdded', address };
  }
  return undefined;
}

export function openRtnl(): Result<Rtnl, string> {
  let requests: RtNetlinkSocket;
  try {
    requests = createRtNetlink();
  } catch (e) {
    return err(`rtnetlink socket: ${message(e)}`);
  }
  const watchers = new Set<() => void>();
  // Address changes go through the addon when it can (synchronous, its own socket, so nothing to
  // serialise with the package's dumps); the package's request socket stays the fallback.
  const route = openNetlinkRoute();
  let changesThisTurn = 0;
  /** A slot in this turn's budget; the count resets in the check phase, after the poll phase read the monitors. */
  const takeSlot = (): boolean => {
    if (changesThisTurn === 0) setImmediate(() => (changesThisTurn = 0));
    return ++changesThisTurn <= SYNC_ADDRESS_CHANGES_PER_TURN;
  };
  const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  // One request at a time on the shared socket: netlink@0.3.0 mixes up a dump's multipart reply
  // with another request's ("Multipart message not terminated properly"), which a reload's address
  // dump running next to a VIP add (or tracking's link resync) showed.
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(request: () => Promise<T>): Promise<T> => {
    const run = tail.then(request, request);
    tail = run.catch(() => undefined);
    return run;
  };

  async function links(): Promise<Result<LinkInfo[], string>> {
    try {
      return ok((await serial(() => requests.getLinks())).map(toLinkInfo).filter(notDefined));
    } catch (e) {
      return err(`list links: ${message(e)}`);
    }
  }

  async function ipv4Addresses(index?: number): Promise<Result<AddressInfo[], string>> {
    try {
      // Dump filtering by index needs strict checking on the socket; filter here instead.
      const all = (await serial(() => requests.getAddresses({ family: AF_INET }))).map(toAddressInfo).filter(notDefined);
      return ok(index === undefined ? all : all.filter((a) => a.index === index));
    } catch (e) {
      return err(`list IPv4 addresses: ${message(e)}`);
    }
  }

  async function primaryIpv4(index: number): Promise<Result<Ipv4 | undefined, string>> {
    const addrs = await ipv4Addresses(index);
    if (!addrs.ok) return addrs;
    return ok(addrs.value.find((a) => !a.secondary)?.address);
  }

  // keepalived (vrrp_ipaddress.c netlink_ipaddress()) sends IFA_LOCAL, IFA_BROADCAST only when
  // `brd` is configured, and IFA_LABEL when `label` is; scope global by default. The result in
  // `ip addr`: `inet 192.0.2.200/32 scope global eth0`. IFA_ADDRESS equal to IFA_LOCAL is what
  // the kernel would fill in anyway.
  function addAddress(a: { index: number; address: Ipv4; prefixLength: number; label?: string }): Eventually<Result<void, string>> {
    if (!route.ok) return addAddressLater(a);
    if (!takeSlot()) return nextTurn().then(() => addAddress(a));
    const done = route.value.addAddress(a);
    return done.ok ? done : err(`add ${a.address}/${a.prefixLength} on ifindex ${a.index}: ${nativeCode(done.error) ?? done.error}`);
  }

  function delAddress(a: { index: number; address: Ipv4; prefixLength: number }): Eventually<Result<void, string>> {
    if (!route.ok) return delAddressLater(a);
    if (!takeSlot()) return nextTurn().then(() => delAddress(a));
    const done = route.value.delAddress(a);
    if (done.ok) return done;
    const code = nativeCode(done.error);
    // EADDRNOTAVAIL: not there. ENODEV: the link is gone, and its addresses with it.
    if (code === 'EADDRNOTAVAIL' || code === 'ENODEV') return ok(undefined);
    return err(`delete ${a.address}/${a.prefixLength} on ifindex ${a.index}: ${code ?? done.error}`);
  }

  async function addAddressLater(a: { index: number; address: Ipv4; prefixLength: number; label?: string }): Promise<Result<void, string>> {
    const what = `add ${a.address}/${a.prefixLength} on ifindex ${a.index}`;
    const bytes = ipv4ToBytes(a.address);
    const attrs: RtStructs.AddressAttrs = a.label === undefined ? { local: bytes, address: bytes } : { local: bytes, address: bytes, label: a.label };
    try {
      await serial(() =>
        requests.newAddress({ family: AF_INET, prefixlen: a.prefixLength, index: a.index, scope: RT_SCOPE_UNIVERSE }, attrs, {
          flags: FlagsNew.CREATE | FlagsNew.REPLACE,
        }),
      );
      return ok(undefined);
    } catch (e) {
      return err(`${what}: ${rejectedCode(e) ?? message(e)}`);
    }
  }

  async function delAddressLater(a: { index: number; address: Ipv4; prefixLength: number }): Promise<Result<void, string>> {
    const what = `delete ${a.address}/${a.prefixLength} on ifindex ${a.index}`;
    try {
      await serial(() => requests.delAddress({ family: AF_INET, prefixlen: a.prefixLength, index: a.index }, { local: ipv4ToBytes(a.address) }));
      return ok(undefined);
    } catch (e) {
      const code = rejectedCode(e);
      // EADDRNOTAVAIL: not there. ENODEV: the link is gone, and its addresses with it.
      if (code === 'EADDRNOTAVAIL' || code === 'ENODEV') return ok(undefined);
      return err(`${what}: ${code ?? message(e)}`);
    }
  }

  function watch(onEvent: (e: RtnlEvent) => void): () => void {
    let monitor: RtNetlinkSocket;
    try {
      // ref: keep the event loop alive while watching, like any server socket.
      monitor = createRtNetlink({ ref: true } as CreateOptions);
      monitor.addMembership(rt.MulticastGroups.LINK);
      monitor.addMembership(rt.MulticastGroups.IPV4_IFADDR);
    } catch (e) {
      const reason = message(e);
      queueMicrotask(() => onEvent({ kind: 'overrun', message: `rtnetlink monitor: ${reason}` }));
      return () => undefined;
    }
    monitor.socket.on('message', (msgs) => {
      for (const m of msgs) {
        let event: RtnlEvent | undefined;
        try {
          event = eventFrom(m);
        } catch (e) {
          event = { kind: 'overrun', message: `unparsable rtnetlink message type ${m.type}: ${message(e)}` };
        }
        if (event) onEvent(event);
      }
    });
    // Unhandled, an 'error' would be thrown by EventEmitter; ENOBUFS means events were lost.
    monitor.socket.on('error', (e) => onEvent({ kind: 'overrun', message: `rtnetlink monitor: ${e.message}` }));
    let stopped = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      watchers.delete(stop);
      monitor.socket.close();
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
      requests.socket.close();
      if (route.ok) route.value.close();
    },
  });
}
