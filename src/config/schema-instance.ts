// vrrp_instance: every keyword of keepalived 2.2's init_vrrp_keywords (vrrp/vrrp_parser.c), read
// with keepalived's ranges into a draft; defaults and cross-keyword rules are applied afterwards
// by instance-complete.ts (keepalived's vrrp_complete_instance), once the whole file is read.
import type { ExcludedIpConfig, GarpExtraIf, RawEntry, UnicastPeer, VirtualIpConfig } from './config.js';
import {
  IFNAME_MAX,
  UINT32_MAX,
  applyKeywords,
  assign,
  integer,
  ipAddress,
  ipv4Address,
  isIpv4Multicast,
  listEntries,
  outOfScope,
  presenceFlag,
  rawEntries,
  readFlag,
  rows,
  scalar,
  seconds,
  vrrpVersion,
  wholeSecondsMs,
  zeroMeansOne,
  readGarpExtraIf,
} from './keywords.js';
import type { ArgParser, HasSettings, KeepsRecognised, KeywordSpec, KeywordTable, Sink } from './keywords.js';
import type { ConfigNode } from './parser.js';
import { instanceNotifyKeywords, notifySpec } from './schema-notify.js';
import type { HasNotify } from './schema-notify.js';
import { TRACK_KINDS, newTrackLists, trackListSpec } from './schema-track.js';
import type { Tracks } from './schema-track.js';
import { WHOLE_SECONDS_MAX } from './schema-global.js';
import { parseExcludedEntry, parseVipEntry } from './vip.js';
import { toPriority, toVrid } from '../types.js';
import type { Ipv4, Millis, Priority, SourcePos, Vrid } from '../types.js';

export interface InstanceScalars {
  /** `state` as written; keepalived calls it wantstate. */
  state: 'MASTER' | 'BACKUP';
  interface: string;
  vrid: Vrid;
  priority: Priority;
  /** As written; VRRPv2 rounding to whole seconds happens at completion, as in keepalived. */
  advertIntMs: Millis;
  preempt: boolean;
  skipCheckAdvAddr: boolean;
  garpMasterDelayMs: Millis;
  garpMasterRepeat: number;
  garpLowerPrioDelayMs: Millis;
  garpLowerPrioRepeat: number;
  garpMasterRefreshMs: Millis;
  garpMasterRefreshRepeat: number;
  downTimerAdverts: number;
  version: 2 | 3;
  authType: 'PASS' | 'AH';
  authPass: string;
  strict: boolean;
  accept: boolean;
  preemptDelayMs: Millis;
  allowNoVips: boolean;
  dontTrackPrimary: boolean;
  sourceAddress: { readonly address: string; readonly keyword: string };
  mcastDstIp: Ipv4;
  unicastTtl: number;
  checkUnicastSrc: boolean;
  unicastFaultNoPeer: boolean;
  oldUnicastChecksum: 'config' | 'never';
  useVmac: { readonly ifname: string | undefined; readonly mac: string | undefined };
  useVmacAddr: boolean;
  vmacXmitBase: boolean;
  useIpvlan: readonly string[];
  vrf: string;
  nativeIpv6: boolean;
  trackSrcIp: boolean;
  garpExtraIf: GarpExtraIf;
  lowerPrioNoAdvert: boolean;
  higherPrioSendAdvert: boolean;
  timerExpiredBackup: Priority;
  promoteSecondaries: boolean;
  linkbeatUsePolling: boolean;
  v3ChecksumAsV2: boolean;
  kernelRxBufSize: number;
  debug: number;
  smtpAlert: boolean;
  notifyPriorityChanges: boolean;
}

export interface InstanceDraft extends HasSettings<InstanceScalars>, Tracks, HasNotify, KeepsRecognised {
  readonly pos: SourcePos;
  readonly vips: VirtualIpConfig[];
  /** The first of `vips` with each address: a list of thousands must not be searched per entry. */
  readonly vipByAddress: Map<string, VirtualIpConfig>;
  readonly excludedVips: ExcludedIpConfig[];
  readonly virtualRoutes: RawEntry[];
  readonly virtualRules: RawEntry[];
  readonly unicastPeers: UnicastPeer[];
  /** Where the first unicast_peer block stands. */
  unicastPeerPos: SourcePos | undefined;
  /** The first keyword that makes keepalived treat the instance as unicast (VRRP_FLAG_UNICAST_CONFIGURED). */
  unicastKeyword: { readonly keyword: string; readonly pos: SourcePos } | undefined;
}

export function newInstanceDraft(name: string, pos: SourcePos, recognised: InstanceDraft['recognised']): InstanceDraft {
  return {
    name, pos, settings: {}, vips: [], vipByAddress: new Map(), excludedVips: [], virtualRoutes: [], virtualRules: [], unicastPeers: [],
    unicastPeerPos: undefined, unicastKeyword: undefined, track: newTrackLists(), notify: { scripts: {} }, recognised,
  };
}

function markUnicast(draft: InstanceDraft, node: ConfigNode): void {
  draft.unicastKeyword ??= { keyword: node.keyword, pos: node.pos };
}

const stateSpec: KeywordSpec<InstanceDraft> = {
  block: 'forbidden',
  minArgs: 1,
  maxArgs: 1,
  handle: (node, draft, sink) => {
    const value = node.args[0] as string;
    if (value !== 'MASTER' && value !== 'BACKUP') {
      // keepalived: "unknown state '%s', defaulting to BACKUP" (a config error). Case matters.
      sink.error(node.pos, `unknown state '${value}': must be MASTER or BACKUP`);
      return;
    }
    // keepalived vrrp_state_handler: once MASTER, a later BACKUP is ignored.
    const previous = draft.settings.state;
    if (value === 'BACKUP' && previous?.value === 'MASTER') {
      sink.corrected(node.pos, `state previously set as MASTER (line ${previous.pos.line}) - ignoring BACKUP`);
      return;
    }
    assign(draft.settings, 'state', { value, pos: node.pos }, node, sink);
  },
};

const interfaceName: ArgParser<string> = (text, node, sink) => {
  if (text.length > IFNAME_MAX) {
    sink.error(node.pos, `interface name '${text}' is too long (at most ${IFNAME_MAX} characters)`);
    return undefined;
  }
  // keepalived checks the interface's hardware type (ARPHRD_LOOPBACK); the config layer knows no
  // kernel, so it catches the usual name here and the daemon must still check the link type.
  if (text === 'lo') sink.error(node.pos, `cannot use a loopback interface (${text}) for vrrp`);
  return text;
};

const vridParser: ArgParser<Vrid> = (text, node, sink) => {
  const n = integer(1, 255)(text, node, sink);
  return n === undefined ? undefined : toVrid(n);
};

const priorityParser: ArgParser<Priority> = (text, node, sink) => {
  // 0 is reserved for "master is leaving" and never configurable (RFC 3768 §5.3.4).
  const n = integer(1, 255)(text, node, sink);
  return n === undefined ? undefined : toPriority(n);
};

const authType: ArgParser<'PASS' | 'AH'> = (text, node, sink) => {
  if (text === 'PASS') return 'PASS';
  if (text === 'AH') {
    sink.error(node.pos, "'auth_type AH' is not supported yet; running without it would send adverts without the IPsec AH header the peers check");
    return 'AH';
  }
  sink.error(node.pos, `unknown authentication type '${text}': must be PASS or AH`);
  return undefined;
};

/** RFC 2338 §5.3.6.1: the password fills the 8-byte authentication data field. */
const AUTH_PASS_MAX_BYTES = 8;

const authPass: ArgParser<string> = (text, node, sink) => {
  if (Buffer.byteLength(text) <= AUTH_PASS_MAX_BYTES) return text;
  // keepalived: "Truncating auth_pass to 8 characters" (a config error). Cut on a character
  // boundary so the string stays valid; a non-ASCII password could come out shorter than 8 bytes.
  let truncated = '';
  for (const ch of text) {
    if (Buffer.byteLength(truncated + ch) > AUTH_PASS_MAX_BYTES) break;
    truncated += ch;
  }
  sink.corrected(node.pos, `Truncating auth_pass to ${AUTH_PASS_MAX_BYTES} characters: '${truncated}' (keepalived does the same; a peer with the full password sends the same 8 bytes)`);
  return truncated;
};

const authenticationKeywords: KeywordTable<InstanceDraft> = rows<InstanceDraft>([
  ['auth_type', scalar('authType', authType)],
  ['auth_pass', scalar('authPass', authPass)],
]);

const authentication: KeywordSpec<InstanceDraft> = {
  block: 'required',
  minArgs: 0,
  maxArgs: 0,
  handle: (node, draft, sink) => applyKeywords(authenticationKeywords, node.children ?? [], draft, sink),
};

const virtualIpaddress: KeywordSpec<InstanceDraft> = {
  block: 'required',
  minArgs: 0,
  maxArgs: 0,
  handle: (node, draft, sink) => {
    // Repeated virtual_ipaddress blocks accumulate, as in keepalived
    // (keepalived-behaviour.md#repeated-keywords).
    for (const entry of listEntries(node, sink)) {
      const vip = parseVipEntry(entry, sink);
      if (vip === undefined) continue;
      // keepalived 2.2 keeps a repeated VIP (alloc_vrrp_vip has no duplicate check) and so
      // advertises it twice; a peer rejects adverts whose address count differs from its own
      // ("received an unexpected ip number count"). Dropping it would break a mixed pair, so it
      // stays, and the user is told to clean it up everywhere.
      const twin = draft.vipByAddress.get(vip.address);
      if (twin === undefined) draft.vipByAddress.set(vip.address, vip);
      else {
        sink.warn(
          entry.pos,
          `virtual IP ${vip.address} is listed twice (first at line ${twin.pos.line}): kept, because keepalived ` +
            'advertises it twice and peers compare the address count; remove it on every node',
        );
      }
      draft.vips.push(vip);
    }
  },
};

const virtualIpaddressExcluded: KeywordSpec<InstanceDraft> = {
  block: 'required',
  minArgs: 0,
  maxArgs: 0,
  handle: (node, draft, sink) => {
    for (const entry of listEntries(node, sink)) {
      const address = parseExcludedEntry(entry, 'virtual_ipaddress_excluded', sink);
      if (address !== undefined) draft.excludedVips.push(address);
    }
  },
};

function rawList(field: 'virtualRoutes' | 'virtualRules'): KeywordSpec<InstanceDraft> {
  return {
    block: 'required',
    minArgs: 0,
    maxArgs: 0,
    handle: (node, draft, sink) => draft[field].push(...rawEntries(node, sink)),
  };
}

/** `unicast_peer { IP [min_ttl N] [max_ttl N] }` (vrrp_data.c alloc_vrrp_unicast_peer). */
const unicastPeer: KeywordSpec<InstanceDraft> = {
  block: 'required',
  minArgs: 0,
  maxArgs: 0,
  handle: (node, draft, sink) => {
    markUnicast(draft, node);
    draft.unicastPeerPos ??= node.pos;
    for (const entry of listEntries(node, sink)) {
      const address = ipAddress(entry.keyword, { ...entry, keyword: 'unicast_peer' }, sink);
      if (address === undefined) continue;
      if (address.includes(':')) {
        sink.error(entry.pos, `(${draft.name}) unicast peer ${address} is IPv6: the instance is IPv4 (VRRPv2), peers MUST be of the same family`);
        continue;
      }
      let minTtl = 0;
      let maxTtl = 255;
      let valid = true;
      for (let i = 0; i < entry.args.length; i += 2) {
        const option = entry.args[i] as string;
        const value = entry.args[i + 1];
        if (option !== 'min_ttl' && option !== 'max_ttl') {
          sink.error(entry.pos, `(${draft.name}) unknown unicast_peer option ${option}: min_ttl or max_ttl`);
          valid = false;
          break;
        }
        if (value === undefined) {
          sink.error(entry.pos, `(${draft.name}) ${option} is missing a value`);
          valid = false;
          break;
        }
        // keepalived silently skips a value that is not a number; say so instead.
        const ttl = integer(0, 255)(value, { ...entry, keyword: option }, sink);
        if (ttl === undefined) {
          valid = false;
          continue;
        }
        if (option === 'min_ttl') minTtl = ttl;
        else maxTtl = ttl;
        // keepalived: min_ttl / max_ttl turn on check_unicast_src.
        draft.settings.checkUnicastSrc ??= { value: true, pos: entry.pos };
      }
      if (!valid) continue;
      if (minTtl > maxTtl) {
        sink.error(entry.pos, `(${draft.name}) min_ttl ${minTtl} > max_ttl ${maxTtl} - all packets will be discarded`);
        continue;
      }
      draft.unicastPeers.push({ address, minTtl, maxTtl, pos: entry.pos });
    }
  },
};

/** A unicast-only flag (check_unicast_src, unicast_fault_no_peer): keepalived marks the instance unicast. */
function unicastFlag(field: 'checkUnicastSrc' | 'unicastFaultNoPeer'): KeywordSpec<InstanceDraft> {
  const inner = presenceFlag<InstanceScalars, typeof field>(field, true);
  return {
    ...inner,
    handle: (node, draft, sink) => {
      markUnicast(draft, node);
      inner.handle(node, draft, sink);
    },
  };
}

/** mcast_src_ip / unicast_src_ip share one source address in keepalived (vrrp_srcip_handler). */
const sourceAddress: KeywordSpec<InstanceDraft> = {
  block: 'forbidden',
  minArgs: 1,
  maxArgs: 1,
  handle: (node, draft, sink) => {
    if (node.keyword === 'unicast_src_ip') markUnicast(draft, node);
    const address = ipAddress(node.args[0] as string, node, sink);
    if (address === undefined) return;
    if (address.includes(':')) {
      sink.error(node.pos, `(${draft.name}) ${node.keyword} ${address} is IPv6: VRRP instance and src address MUST be of the same family (IPv4 for VRRPv2)`);
      return;
    }
    assign(draft.settings, 'sourceAddress', { value: { address, keyword: node.keyword }, pos: node.pos }, node, sink);
  },
};

const mcastDstIp: KeywordSpec<InstanceDraft> = {
  block: 'forbidden',
  minArgs: 1,
  maxArgs: 1,
  handle: (node, draft, sink) => {
    const ip = ipv4Address(node.args[0] as string, node, sink);
    if (ip === undefined) return;
    if (!isIpv4Multicast(ip)) {
      sink.error(node.pos, `(${draft.name}) mcast_dst_ip ${ip} not multicast`);
      return;
    }
    assign(draft.settings, 'mcastDstIp', { value: ip, pos: node.pos }, node, sink);
  },
};

/** Linux dev_name_valid(): not empty, < IFNAMSIZ, not . or .., no '/', ':' or blank. */
function validDeviceName(name: string): boolean {
  return name.length > 0 && name.length <= IFNAME_MAX && name !== '.' && name !== '..' && !/[/:\s]/.test(name);
}

/** `use_vmac [IFNAME] [MAC]`: a MAC has ':' (an interface name cannot); 5 octets take the VRID as 6th. */
const useVmac: KeywordSpec<InstanceDraft> = {
  block: 'forbidden',
  minArgs: 0,
  maxArgs: 2,
  handle: (node, draft, sink) => {
    let ifname: string | undefined;
    let mac: string | undefined;
    for (const arg of node.args) {
      if (arg.includes(':')) {
        const octets = arg.replace(/:$/, '').split(':');
        const valid = (octets.length === 5 || octets.length === 6) && octets.every((o) => /^[0-9a-fA-F]{1,2}$/.test(o));
        if (mac !== undefined) sink.error(node.pos, `(${draft.name}) VMAC interface address already specified`);
        else if (!valid) sink.error(node.pos, `(${draft.name}) VMAC invalid MAC address ${arg}`);
        else if ((parseInt(octets[0] as string, 16) & 1) === 1) sink.error(node.pos, `(${draft.name}) VMAC MAC address is multicast ${arg}`);
        else mac = octets.join(':').toLowerCase();
      } else if (ifname !== undefined) {
        sink.error(node.pos, `(${draft.name}) VMAC interface name already specified`);
      } else if (!validDeviceName(arg)) {
        sink.error(node.pos, `(${draft.name}) VMAC interface name '${arg}' too long or invalid characters`);
      } else {
        ifname = arg;
      }
    }
    assign(draft.settings, 'useVmac', { value: { ifname, mac }, pos: node.pos }, node, sink);
  },
};

const useIpvlan: KeywordSpec<InstanceDraft> = {
  block: 'forbidden',
  minArgs: 0,
  maxArgs: 3,
  handle: (node, draft, sink) => assign(draft.settings, 'useIpvlan', { value: [...node.args], pos: node.pos }, node, sink),
};

const vrf: KeywordSpec<InstanceDraft> = {
  block: 'forbidden',
  minArgs: 1,
  maxArgs: 1,
  handle: (node, draft, sink) => {
    const name = interfaceName(node.args[0] as string, node, sink);
    if (name !== undefined) assign(draft.settings, 'vrf', { value: name, pos: node.pos }, node, sink);
  },
};

const oldUnicastChecksum: KeywordSpec<InstanceDraft> = {
  block: 'forbidden',
  minArgs: 0,
  maxArgs: 1,
  handle: (node, draft, sink) => {
    markUnicast(draft, node);
    const mode = node.args[0];
    if (mode !== undefined && mode !== 'never') {
      sink.error(node.pos, `(${draft.name}) Unknown old_unicast_checksum mode ${mode}: only 'never'`);
      return;
    }
    assign(draft.settings, 'oldUnicastChecksum', { value: mode === 'never' ? 'never' : 'config', pos: node.pos }, node, sink);
  },
};

/** `keyword [BOOL]`: bare means on (check_true_false). */
function optionalBool(field: 'strict' | 'skipCheckAdvAddr' | 'smtpAlert' | 'notifyPriorityChanges' | 'lowerPrioNoAdvert' | 'higherPrioSendAdvert' | 'v3ChecksumAsV2'): KeywordSpec<InstanceDraft> {
  return {
    block: 'forbidden',
    minArgs: 0,
    maxArgs: 1,
    handle: (node, draft, sink) => {
      const on = readFlag(node, sink);
      if (on === undefined) return;
      if (field === 'skipCheckAdvAddr' && !on) {
        // vrrp_skip_check_adv_addr_handler sets the flag for any valid boolean, 'off' included.
        sink.warn(node.pos, `(${draft.name}) keepalived 2.2 turns skip_check_adv_addr on even when written '${node.args[0] as string}'; vrrpd honours it (off)`);
      }
      assign(draft.settings, field, { value: on, pos: node.pos }, node, sink);
    },
  };
}

/** `garp_extra_if [all] SECONDS` (0..86400, 0 disables); vmac_garp_intvl is its deprecated name. */
const garpExtraIf: KeywordSpec<InstanceDraft> = {
  block: 'forbidden',
  minArgs: 1,
  maxArgs: 2,
  handle: (node, draft, sink) => {
    const value = readGarpExtraIf(node, sink, { minSec: 0, deprecated: 'vmac_garp_intvl', current: 'garp_extra_if', owner: `(${draft.name}): ` });
    if (value !== undefined) assign(draft.settings, 'garpExtraIf', { value, pos: node.pos }, node, sink);
  },
};

const timerExpiredBackup: KeywordSpec<InstanceDraft> = {
  block: 'forbidden',
  minArgs: 0,
  maxArgs: 1,
  handle: (node, draft, sink) => {
    // The highest priority any other router may have; 254 (the quickest takeover) by default.
    const n = node.args[0] === undefined ? 254 : integer(1, 254)(node.args[0], node, sink);
    const priority = n === undefined ? undefined : toPriority(n);
    if (priority !== undefined) assign(draft.settings, 'timerExpiredBackup', { value: priority, pos: node.pos }, node, sink);
  },
};

const linkbeatUsePolling: KeywordSpec<InstanceDraft> = {
  ...presenceFlag<InstanceScalars, 'linkbeatUsePolling'>('linkbeatUsePolling', true),
  handle: (node, draft, sink) => {
    sink.warn(node.pos, `(${draft.name}) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block`);
    assign(draft.settings, 'linkbeatUsePolling', { value: true, pos: node.pos }, node, sink);
  },
};

export const instanceKeywords: KeywordTable<InstanceDraft> = rows<InstanceDraft>(
  [
    ['use_vmac', useVmac],
    ['use_vmac_addr', presenceFlag('useVmacAddr', true)],
    ['vmac_xmit_base', presenceFlag('vmacXmitBase', true)],
    ['use_ipvlan', useIpvlan],
    ['unicast_peer', unicastPeer],
    ['unicast_fault_no_peer', unicastFlag('unicastFaultNoPeer')],
    ['check_unicast_src', unicastFlag('checkUnicastSrc')],
    ['old_unicast_checksum', oldUnicastChecksum],
    ['native_ipv6', presenceFlag('nativeIpv6', true)],
    ['state', stateSpec],
    ['interface', scalar('interface', interfaceName)],
    ['vrf', vrf],
    ['dont_track_primary', presenceFlag('dontTrackPrimary', true)],
    ['mcast_src_ip', sourceAddress],
    ['unicast_src_ip', sourceAddress],
    ['mcast_dst_ip', mcastDstIp],
    ['track_src_ip', presenceFlag('trackSrcIp', true)],
    ['virtual_router_id', scalar('vrid', vridParser)],
    ['unicast_ttl', scalar('unicastTtl', integer(0, 255))],
    ['version', scalar('version', vrrpVersion)],
    ['priority', scalar('priority', priorityParser)],
    // keepalived reads advert_int as 0.01..255 s and rounds for v2 later (vrrp_adv_handler).
    ['advert_int', scalar('advertIntMs', seconds(10, 255_000))],
    ['virtual_ipaddress', virtualIpaddress],
    ['virtual_ipaddress_excluded', virtualIpaddressExcluded],
    ['no_virtual_ipaddress', presenceFlag('allowNoVips', true)],
    ['promote_secondaries', presenceFlag('promoteSecondaries', true)],
    ['linkbeat_use_polling', linkbeatUsePolling],
    ['v3_checksum_as_v2', optionalBool('v3ChecksumAsV2')],
    ['virtual_routes', rawList('virtualRoutes')],
    ['virtual_rules', rawList('virtualRules')],
    ['accept', presenceFlag('accept', true)],
    ['no_accept', presenceFlag('accept', false)],
    ['skip_check_adv_addr', optionalBool('skipCheckAdvAddr')],
    ['strict_mode', optionalBool('strict')],
    ['preempt', presenceFlag('preempt', true)],
    ['nopreempt', presenceFlag('preempt', false)],
    // 0..1000 s with µs resolution (vrrp_preempt_delay_handler, TIMER_MAX_SEC).
    ['preempt_delay', scalar('preemptDelayMs', seconds(0, 1_000_000))],
    ['debug', scalar('debug', integer(0, 4))],
    ['smtp_alert', optionalBool('smtpAlert')],
    ['notify_priority_changes', optionalBool('notifyPriorityChanges')],
    ['lvs_sync_daemon_interface', outOfScope<InstanceDraft>()],
    ['garp_master_delay', scalar('garpMasterDelayMs', wholeSecondsMs(WHOLE_SECONDS_MAX))],
    ['garp_master_refresh', scalar('garpMasterRefreshMs', wholeSecondsMs(UINT32_MAX))],
    ['garp_master_repeat', scalar('garpMasterRepeat', zeroMeansOne)],
    ['garp_master_refresh_repeat', scalar('garpMasterRefreshRepeat', zeroMeansOne)],
    ['garp_lower_prio_delay', scalar('garpLowerPrioDelayMs', wholeSecondsMs(WHOLE_SECONDS_MAX))],
    ['garp_lower_prio_repeat', scalar('garpLowerPrioRepeat', integer(0, 2147483647))],
    ['down_timer_adverts', scalar('downTimerAdverts', integer(1, 100))],
    ['timer_expired_backup', timerExpiredBackup],
    ['garp_extra_if', garpExtraIf],
    ['vmac_garp_intvl', garpExtraIf],
    ['lower_prio_no_advert', optionalBool('lowerPrioNoAdvert')],
    ['higher_prio_send_advert', optionalBool('higherPrioSendAdvert')],
    ['kernel_rx_buf_size', scalar('kernelRxBufSize', integer(0, UINT32_MAX))],
    ['authentication', authentication],
  ],
  TRACK_KINDS.map((kind) => [kind, trackListSpec<InstanceDraft>(kind)] as const),
  instanceNotifyKeywords.map(([keyword, key]) => [keyword, notifySpec<InstanceDraft>(key)] as const),
);

export function readInstanceBlock(node: ConfigNode, draft: InstanceDraft, sink: Sink): void {
  applyKeywords(instanceKeywords, node.children ?? [], draft, sink);
}
