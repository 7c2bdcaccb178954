// One `virtual_ipaddress` entry: `ADDR[/PREFIX] [dev IF] [label L] [other ip-address options]`
// (keepalived vrrp_ipaddress.c alloc_ipaddress()). IPv4 only: VRRPv2 carries IPv4 addresses.
// Options keepalived knows but vrrpd does not apply yet are warned about and skipped with their
// argument; an unknown option is an error, as keepalived reports it ("Unknown configuration entry").
import type { VirtualIpConfig } from './config.js';
import { IFNAME_MAX } from './keywords.js';
import type { Sink } from './keywords.js';
import type { ConfigNode } from './parser.js';
import { parseIpv4 } from '../types.js';
import type { Ipv4 } from '../types.js';

interface VipDraft {
  dev: string | undefined;
  label: string | undefined;
}

/** Where an option is being applied: the option's name, the whole entry, the sink. */
interface VipOptionContext {
  readonly name: string;
  readonly entry: ConfigNode;
  readonly sink: Sink;
}

interface VipOption {
  readonly takesValue: boolean;
  readonly apply: (vip: VipDraft, value: string, at: VipOptionContext) => void;
}

const vipOptionNotYet = (takesValue: boolean): VipOption => ({
  takesValue,
  apply: (_vip, _value, at) => at.sink.warn(at.entry.pos, `virtual_ipaddress option '${at.name}' is not supported yet - ignoring it`),
});

const vipOptions: ReadonlyMap<string, VipOption> = new Map<string, VipOption>([
  ['dev', {
    takesValue: true,
    apply: (vip, value, { entry, sink }) => {
      if (vip.dev !== undefined) sink.error(entry.pos, `'dev' given twice for ${entry.keyword}`);
      else if (value.length > IFNAME_MAX) sink.error(entry.pos, `interface name '${value}' is too long (at most ${IFNAME_MAX} characters)`);
      else vip.dev = value;
    },
  }],
  ['label', {
    takesValue: true,
    apply: (vip, value, { entry, sink }) => {
      // An address label is an interface name to the kernel (IFNAMSIZ); keepalived drops the address.
      if (value.length > IFNAME_MAX) sink.error(entry.pos, `label '${value}' is too long (at most ${IFNAME_MAX} characters)`);
      else vip.label = value;
    },
  }],
  ...(['brd', 'broadcast', 'scope', 'peer', 'preferred_lft'] as const).map((name) => [name, vipOptionNotYet(true)] as const),
  ...(['home', '-nodad', 'mngtmpaddr', 'noprefixroute', 'autojoin', 'no_track', 'use_vmac'] as const).map((name) => [name, vipOptionNotYet(false)] as const),
]);

/** Parse `A.B.C.D[/P]`; undefined (with an error) when it is not a usable IPv4 VIP. */
function parseVipAddress(entry: ConfigNode, sink: Sink): { address: Ipv4; prefixLength: number } | undefined {
  const text = entry.keyword;
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  if (addressText.includes(':')) {
    sink.error(entry.pos, `IPv6 virtual address '${text}' is not supported (VRRPv2 carries IPv4 addresses only)`);
    return undefined;
  }
  const address = parseIpv4(addressText);
  if (address === undefined) {
    sink.error(entry.pos, `invalid virtual IP address '${text}': expected A.B.C.D[/PREFIX]`);
    return undefined;
  }
  // keepalived's default for an IPv4 VIP is /32.
  let prefixLength = 32;
  if (prefixText !== undefined) {
    const n = /^\d{1,2}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
    if (!(n >= 0 && n <= 32)) {
      sink.error(entry.pos, `invalid prefix length in '${text}': must be 0..32`);
      return undefined;
    }
    prefixLength = n;
  }
  return { address, prefixLength };
}

export function parseVipEntry(entry: ConfigNode, sink: Sink): VirtualIpConfig | undefined {
  const parsed = parseVipAddress(entry, sink);
  const vip: VipDraft = { dev: undefined, label: undefined };
  let valid = parsed !== undefined;
  for (let i = 0; i < entry.args.length; i++) {
    const name = entry.args[i] as string;
    const option = vipOptions.get(name);
    if (option === undefined) {
      // keepalived: "Unknown configuration entry '%s' for ip address - ignoring" (config error).
      sink.error(entry.pos, `unknown virtual_ipaddress option '${name}' for ${entry.keyword}`);
      valid = false;
      continue;
    }
    let value = '';
    if (option.takesValue) {
      const next = entry.args[i + 1];
      if (next === undefined) {
        sink.error(entry.pos, `no ${name} value given for ${entry.keyword}`);
        valid = false;
        break;
      }
      value = next;
      i++;
    }
    option.apply(vip, value, { name, entry, sink });
  }
  if (!valid || parsed === undefined) return undefined;
  return { address: parsed.address, prefixLength: parsed.prefixLength, dev: vip.dev, label: vip.label, pos: entry.pos };
}
