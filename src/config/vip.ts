// One address entry of virtual_ipaddress, virtual_ipaddress_excluded or static_ipaddress:
//   ADDR[/PREFIX] [dev IF] [brd A|+|-] [scope S] [label L] [peer P[/LEN]] [home] [-nodad]
//   [mngtmpaddr] [noprefixroute] [autojoin] [no_track] [preferred_lft N|forever] [use_vmac]
//   [track_group G (static only)]
// with keepalived's checks and defaults (vrrp_ipaddress.c alloc_ipaddress / parse_ipaddress).
// keepalived drops the whole address on most mistakes and only ignores the option on a few; an
// address we cannot read exactly is an error here either way, since guessing would put a
// different address on the wire than the peer advertises.
import { isIPv4, isIPv6 } from 'node:net';
import type { AddressOptions, ExcludedIpConfig, VirtualIpConfig } from './config.js';
import { IFNAME_MAX, notSupportedRefused } from './keywords.js';
import type { Sink } from './keywords.js';
import type { ConfigNode } from './parser.js';
import { ipv4FromUint32, ipv4ToUint32, parseIpv4 } from '../types.js';
import type { Ipv4 } from '../types.js';

/** Where the entry stands: the checks differ a little (alloc_ipaddress's static_addr flag). */
export type AddressContext = 'virtual_ipaddress' | 'virtual_ipaddress_excluded' | 'static_ipaddress';

export interface ParsedAddress {
  readonly address: string;
  readonly family: 4 | 6;
  readonly options: AddressOptions;
  /** static_ipaddress's `track_group NAME`. */
  readonly trackGroup: string | undefined;
  /** The option names written, in order (values excluded). */
  readonly optionsUsed: readonly string[];
}

/** rt_scopes names keepalived knows without /etc/iproute2/rt_scopes (lib/rttables.c). */
const scopeNames: ReadonlyMap<string, number> = new Map([
  ['global', 0], ['site', 200], ['link', 253], ['host', 254], ['nowhere', 255],
]);

interface Draft {
  prefixLength: number;
  prefixGiven: boolean;
  dev: string | undefined;
  label: string | undefined;
  broadcast: { readonly kind: 'address'; readonly value: Ipv4 } | { readonly kind: '+' | '-' } | undefined;
  scope: number | undefined;
  peer: { readonly address: string; readonly prefixLength: number } | undefined;
  home: boolean;
  noDad: boolean;
  mngTmpAddr: boolean;
  noPrefixRoute: boolean;
  autoJoin: boolean;
  noTrack: boolean;
  preferredLft: number | 'forever' | undefined;
  useVmac: boolean;
  trackGroup: string | undefined;
}

interface OptionContext {
  readonly entry: ConfigNode;
  readonly family: 4 | 6;
  readonly context: AddressContext;
  readonly sink: Sink;
}

/** An option's handler; false means the whole address is dropped. */
type OptionHandler = (draft: Draft, value: string, at: OptionContext) => boolean;

interface OptionSpec {
  readonly takesValue: boolean;
  readonly handle: OptionHandler;
}

const flagOption = (set: (d: Draft) => void): OptionSpec => ({ takesValue: false, handle: (d) => (set(d), true) });

function parsePrefixed(text: string): { address: string; family: 4 | 6; prefix: string | undefined } | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const prefix = slash < 0 ? undefined : text.slice(slash + 1);
  if (isIPv4(address) && parseIpv4(address) !== undefined) return { address, family: 4, prefix };
  if (isIPv6(address)) return { address, family: 6, prefix };
  return undefined;
}

function readPrefix(text: string, family: 4 | 6): number | undefined {
  const max = family === 4 ? 32 : 128;
  const n = /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
  return n >= 0 && n <= max ? n : undefined;
}

const options: ReadonlyMap<string, OptionSpec> = new Map<string, OptionSpec>([
  ['dev', {
    takesValue: true,
    handle: (d, value, { entry, sink }) => {
      if (d.dev !== undefined) {
        sink.error(entry.pos, `Cannot specify ipaddress device more than once for ${entry.keyword}`);
        return false;
      }
      if (value.length > IFNAME_MAX) {
        sink.error(entry.pos, `interface name '${value}' is too long (at most ${IFNAME_MAX} characters)`);
        return false;
      }
      d.dev = value;
      return true;
    },
  }],
  ['scope', {
    takesValue: true,
    handle: (d, value, { entry, sink }) => {
      const n = scopeNames.get(value) ?? (/^\d+$/.test(value) && Number(value) <= 255 ? Number(value) : undefined);
      if (n === undefined) {
        sink.error(entry.pos, `Invalid scope '${value}' specified for ${entry.keyword}: must be global, site, link, host, nowhere or 0..255`);
        return false;
      }
      d.scope = n;
      return true;
    },
  }],
  ...(['brd', 'broadcast'] as const).map((name) => [name, {
    takesValue: true,
    handle: (d: Draft, value: string, { entry, family, sink }: OptionContext) => {
      if (family === 6) {
        sink.error(entry.pos, `${name} ${value} given for the IPv6 address ${entry.keyword}: IPv6 has no broadcast address`);
        return false;
      }
      if (value === '+' || value === '-') {
        d.broadcast = { kind: value };
        return true;
      }
      const ip = parseIpv4(value);
      if (ip === undefined) {
        sink.error(entry.pos, `invalid broadcast address '${value}' for ${entry.keyword}`);
        return false;
      }
      d.broadcast = { kind: 'address', value: ip };
      return true;
    },
  }] as const),
  ['label', {
    takesValue: true,
    handle: (d, value, { entry, sink }) => {
      // The kernel keeps the label in an IFNAMSIZ buffer; keepalived drops the address.
      if (value.length > IFNAME_MAX) {
        sink.error(entry.pos, `label '${value}' is too long (at most ${IFNAME_MAX} characters)`);
        return false;
      }
      d.label = value;
      return true;
    },
  }],
  ['peer', {
    takesValue: true,
    handle: (d, value, { entry, family, sink }) => {
      if (d.peer !== undefined) {
        sink.error(entry.pos, `Peer ${value} - another peer has already been specified for ${entry.keyword}`);
        return false;
      }
      const parsed = parsePrefixed(value);
      const prefixLength = parsed === undefined ? undefined : parsed.prefix === undefined ? (parsed.family === 4 ? 32 : 128) : readPrefix(parsed.prefix, parsed.family);
      if (parsed === undefined || prefixLength === undefined) {
        sink.error(entry.pos, `Invalid peer address ${value} for ${entry.keyword}`);
        return false;
      }
      if (parsed.family !== family) {
        sink.error(entry.pos, `Peer address ${value} does not match the address family of ${entry.keyword}`);
        return false;
      }
      d.peer = { address: parsed.address, prefixLength };
      return true;
    },
  }],
  ['preferred_lft', {
    takesValue: true,
    handle: (d, value, { entry, sink }) => {
      if (value === 'forever') d.preferredLft = 'forever';
      else if (/^\d+$/.test(value) && Number(value) <= 4294967295) d.preferredLft = Number(value);
      else {
        sink.error(entry.pos, `preferred_lft ${value} is invalid for ${entry.keyword}: must be 0..4294967295 or forever`);
        return false;
      }
      return true;
    },
  }],
  ['track_group', {
    takesValue: true,
    handle: (d, value, { entry, context, sink }) => {
      if (context !== 'static_ipaddress') {
        sink.error(entry.pos, `track_group only applies to static_ipaddress, not to ${context} (${entry.keyword})`);
        return false;
      }
      d.trackGroup = value;
      return true;
    },
  }],
  ['use_vmac', {
    takesValue: false,
    handle: (d, _value, { entry, context, sink }) => {
      if (context === 'static_ipaddress') {
        sink.error(entry.pos, `use_vmac does not apply to static_ipaddress (${entry.keyword})`);
        return false;
      }
      d.useVmac = true;
      return true;
    },
  }],
  ['home', flagOption((d) => (d.home = true))],
  ['-nodad', flagOption((d) => (d.noDad = true))],
  ['mngtmpaddr', flagOption((d) => (d.mngTmpAddr = true))],
  ['noprefixroute', flagOption((d) => (d.noPrefixRoute = true))],
  ['autojoin', flagOption((d) => (d.autoJoin = true))],
  ['no_track', flagOption((d) => (d.noTrack = true))],
]);

/** `brd +` / `brd -`: the host bits of the address (or the peer's) set or cleared (alloc_ipaddress). */
function computeBroadcast(d: Draft, address: string, entry: ConfigNode, sink: Sink): Ipv4 | undefined {
  const brd = d.broadcast;
  if (brd === undefined) return undefined;
  if (d.peer !== undefined) {
    sink.error(entry.pos, `Cannot specify broadcast and peer addresses for ${entry.keyword} - ignoring broadcast address`);
    return undefined;
  }
  if (brd.kind === 'address') return brd.value;
  if (d.prefixLength > 30) {
    sink.error(entry.pos, `Address prefix length ${d.prefixLength} too long for broadcast '${brd.kind}' (${entry.keyword})`);
    return undefined;
  }
  const base = ipv4ToUint32(address as Ipv4);
  const hostMask = d.prefixLength === 0 ? 0xffffffff : (0xffffffff >>> d.prefixLength);
  return ipv4FromUint32(brd.kind === '+' ? (base | hostMask) >>> 0 : (base & ~hostMask) >>> 0);
}

/** Read one address entry. Undefined (with an error) when the address is dropped. Never throws. */
export function parseAddressEntry(entry: ConfigNode, context: AddressContext, sink: Sink): ParsedAddress | undefined {
  const text = entry.keyword;
  const parsed = parsePrefixed(text);
  if (parsed === undefined) {
    // keepalived: "VRRP parsed invalid IP %s. skipping IP...".
    if (context === 'virtual_ipaddress') sink.error(entry.pos, `invalid virtual IP address '${text}': expected A.B.C.D[/PREFIX]`);
    else sink.error(entry.pos, `invalid IP address '${text}' in ${context}: expected an IPv4 or IPv6 address[/PREFIX]`);
    return undefined;
  }
  const { address, family } = parsed;
  const draft: Draft = {
    prefixLength: family === 4 ? 32 : 128,
    prefixGiven: parsed.prefix !== undefined,
    dev: undefined, label: undefined, broadcast: undefined, scope: undefined, peer: undefined,
    home: false, noDad: false, mngTmpAddr: false, noPrefixRoute: false, autoJoin: false, noTrack: false,
    preferredLft: undefined, useVmac: false, trackGroup: undefined,
  };
  if (parsed.prefix !== undefined) {
    const n = readPrefix(parsed.prefix, family);
    if (n === undefined) {
      sink.error(entry.pos, `invalid prefix length in '${text}': must be 0..${family === 4 ? 32 : 128}`);
      return undefined;
    }
    draft.prefixLength = n;
  }

  let valid = true;
  const at: OptionContext = { entry, family, context, sink };
  const optionsUsed: string[] = [];
  for (let i = 0; i < entry.args.length; i++) {
    const name = entry.args[i] as string;
    const option = options.get(name);
    if (option === undefined) {
      // keepalived: "Unknown configuration entry '%s' for ip address - ignoring" (a config error).
      sink.error(entry.pos, `unknown ${context} option '${name}' for ${text}`);
      valid = false;
      continue;
    }
    let value = '';
    if (option.takesValue) {
      const next = entry.args[i + 1];
      if (next === undefined) {
        sink.error(entry.pos, `No ${name} parameter specified for ${text}`);
        return undefined;
      }
      value = next;
      i++;
    }
    if (!option.handle(draft, value, at)) valid = false;
    optionsUsed.push(name);
  }
  if (!valid) return undefined;

  if (draft.peer !== undefined) {
    // keepalived: the prefix of a point-to-point address is the peer's.
    if (draft.prefixGiven && draft.prefixLength !== (family === 4 ? 32 : 128)) {
      sink.error(entry.pos, `Cannot specify address prefix when specifying peer address (${text}) - the peer's /${draft.peer.prefixLength} is used`);
    }
    draft.prefixLength = draft.peer.prefixLength;
  }
  const broadcast = family === 4 ? computeBroadcast(draft, address, entry, sink) : undefined;
  if (family === 6) {
    if (draft.scope !== undefined) sink.error(entry.pos, `Cannot specify scope for IPv6 addresses (${text}) - ignoring scope`);
    if (draft.label !== undefined) sink.error(entry.pos, `Cannot specify label for IPv6 addresses (${text}) - ignoring label`);
  }
  return {
    address,
    family,
    trackGroup: draft.trackGroup,
    optionsUsed,
    options: {
      prefixLength: draft.prefixLength,
      dev: draft.dev,
      label: family === 6 ? undefined : draft.label,
      broadcast,
      scope: family === 6 ? undefined : draft.scope,
      peer: draft.peer === undefined ? undefined : `${draft.peer.address}/${draft.peer.prefixLength}`,
      home: draft.home,
      noDad: draft.noDad,
      mngTmpAddr: draft.mngTmpAddr,
      noPrefixRoute: draft.noPrefixRoute,
      autoJoin: draft.autoJoin,
      noTrack: draft.noTrack,
      // keepalived: an IPv6 /128 without preferred_lft is deprecated (0), others never expire.
      preferredLft: draft.preferredLft ?? (family === 6 ? (draft.prefixLength === 128 ? 0 : 'forever') : undefined),
      useVmac: draft.useVmac,
      pos: entry.pos,
    },
  };
}

/** Options the daemon applies today; the others are typed and reported "not supported yet". */
const appliedOptions = new Set(['dev', 'label', 'no_track']);

/**
 * Report the options of a VIP the daemon does not apply yet, once per option per config; `use_vmac`
 * would move the address onto a macvlan with the virtual MAC, so ignoring it is refused.
 */
function reportUnappliedVipOptions(entry: ConfigNode, used: readonly string[], sink: Sink): void {
  for (const name of used) {
    if (appliedOptions.has(name)) continue;
    if (name === 'use_vmac') {
      notSupportedRefused(sink, 'use_vmac', entry.pos, `add ${entry.keyword} to the interface itself instead of a VMAC interface with the virtual MAC`);
    } else {
      sink.warnOnce(`vip-option:${name}`, entry.pos, `virtual_ipaddress option '${name}' is not supported yet - ignoring it`, 'notSupportedYet');
    }
  }
}

/** A virtual_ipaddress entry: IPv4 only, since VRRPv2 carries IPv4 addresses (RFC 3768 §5.3.9). */
export function parseVipEntry(entry: ConfigNode, sink: Sink): VirtualIpConfig | undefined {
  const parsed = parseAddressEntry(entry, 'virtual_ipaddress', sink);
  if (parsed === undefined) return undefined;
  if (parsed.family === 6) {
    sink.error(entry.pos, `IPv6 virtual address '${entry.keyword}' is not supported (VRRPv2 carries IPv4 addresses only)`);
    return undefined;
  }
  reportUnappliedVipOptions(entry, parsed.optionsUsed, sink);
  return { ...parsed.options, address: parsed.address as Ipv4 };
}

/** A virtual_ipaddress_excluded or static_ipaddress entry: either family. */
export function parseExcludedEntry(entry: ConfigNode, context: AddressContext, sink: Sink): ExcludedIpConfig | undefined {
  const parsed = parseAddressEntry(entry, context, sink);
  return parsed === undefined ? undefined : { ...parsed.options, address: parsed.address, family: parsed.family };
}
