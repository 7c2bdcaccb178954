// Completion of one vrrp_instance: keepalived's defaults and cross-keyword rules, in the order
// vrrp_complete_instance() (vrrp.c) applies them, with strict mode (strict_mode / vrrp_strict)
// resolved into the typed values. Where keepalived corrects a value and runs on ("resetting",
// "ignoring", "clearing") this is a warning carrying keepalived's text and the correction is
// applied; where keepalived refuses the instance it is an error. Values the daemon does not act on
// yet are reported once per config as "not supported yet"; the few whose absence would change the
// wire or where the VIPs go are refused.
import { fitAdvertIntV3 } from './advert-int.js';
import type {
  AuthConfig,
  ExcludedIpConfig,
  GlobalDefs,
  InstanceConfig,
  TrackRef,
  VirtualIpConfig,
} from './config.js';
import { findNamed, notSupportedRefused, notSupportedYet } from './keywords.js';
import type { Setting, Sink } from './keywords.js';
import type { InstanceDraft } from './schema-instance.js';
import { completeNotify } from './schema-notify.js';
import { reportTracksNotActedOn } from './schema-sync-group.js';
import { TRACK_KINDS, resolveTracks } from './schema-track.js';
import type { ResolvedTracks, TrackKind, TrackTargets } from './schema-track.js';
import type { Millis, Priority, SourcePos } from '../types.js';

const SECOND: Millis = 1000;
const DEFAULT_PRIORITY = 100 as Priority;
const OWNER_PRIORITY = 255 as Priority;
const RFC_DOWN_TIMER_ADVERTS = 3;
const MAX_VIPS_PER_ADVERT = 255; // the Count IP Addrs field is 8 bits (RFC 3768 §5.3.5)

export type InheritedField = 'garpMasterRefreshMs' | 'lowerPrioNoAdvert' | 'higherPrioSendAdvert' | 'smtpAlert' | 'garpExtraIf' | 'notifyPriorityChanges';

/** What an instance needs from the rest of the file. */
export interface InstanceContext {
  readonly global: GlobalDefs;
  /** Where global vrrp_strict is written, when it is. */
  readonly globalStrictPos: SourcePos | undefined;
  /** Global vrrp_version as written (default 2): an instance without `version` speaks it. */
  readonly globalVrrpVersion: 2 | 3;
  /** The global keywords (and where written) whose value an instance inherits when it has none. */
  readonly globalSource: Readonly<Partial<Record<InheritedField, { readonly keyword: string; readonly pos: SourcePos }>>>;
  readonly syncGroup: { readonly name: string; readonly trackingWeight: boolean; readonly notifyPriorityChanges: boolean | undefined } | undefined;
  readonly targets: TrackTargets;
}

/**
 * VRRPv2 carries advert_int in whole seconds: keepalived rounds half up (minimum 1) with a config
 * error. VRRPv3 carries centiseconds up to 40.95 s (fitAdvertIntV3).
 */
function completeAdvertInt(d: InstanceDraft, version: 2 | 3, sink: Sink): Millis {
  const written = d.settings.advertIntMs;
  if (written === undefined) return SECOND;
  if (version === 3) {
    const fitted = fitAdvertIntV3(Math.round(written.value * 1000));
    if (fitted.correction !== undefined) sink.corrected(written.pos, `(${d.name}) ${fitted.correction}`);
    return fitted.us / 1000;
  }
  if (written.value % SECOND === 0) return written.value;
  const rounded = Math.max(1, Math.floor((written.value + SECOND / 2) / SECOND));
  sink.corrected(
    written.pos,
    `(${d.name}) VRRPv2 advert_int must be a whole number of seconds: ${written.value / SECOND} rounded to ${rounded}`,
  );
  return rounded * SECOND;
}

function completeAuth(d: InstanceDraft, strict: boolean, strictPos: SourcePos, version: 2 | 3, sink: Sink): AuthConfig {
  const type = d.settings.authType;
  const pass = d.settings.authPass;
  if (type === undefined) {
    if (pass !== undefined) sink.warn(pass.pos, `(${d.name}) auth_pass given without auth_type - no authentication used`);
    return { type: 'NONE' };
  }
  if (strict) {
    // vrrp_complete_instance: strict mode drops authentication (RFC 3768 removed it).
    sink.corrected(
      type.pos,
      `(${d.name}) Strict mode does not support authentication. Ignoring. (strict mode from line ${strictPos.line}: ` +
        'adverts go out with auth type 0 and no password, as a strict keepalived sends them, and only such adverts are accepted: ' +
        'a peer that is not strict and uses auth_type PASS rejects them and both nodes become MASTER)',
    );
    return { type: 'NONE' };
  }
  if (version === 3) {
    // vrrp_complete_instance: RFC 5798 has no authentication; keepalived drops it (strict says so first).
    sink.corrected(type.pos, `(${d.name}) VRRP version 3 does not support authentication. Ignoring.`);
    return { type: 'NONE' };
  }
  if (type.value === 'AH') return { type: 'NONE' }; // already an error at the auth_type line
  if (pass === undefined || pass.value === '') {
    // keepalived vrrp_complete_instance: a warning-class outcome (auth off), reported verbatim.
    sink.corrected(type.pos, `(${d.name}) Authentication specified but no password given. Ignoring`);
    return { type: 'NONE' };
  }
  return { type: 'PASS', password: pass.value };
}

/** nopreempt needs initial state BACKUP and a priority below the owner's (vrrp.c vrrp_complete_instance). */
function completePreempt(d: InstanceDraft, priority: Priority, wantState: InstanceConfig['wantState'], sink: Sink): boolean {
  const written = d.settings.preempt;
  if (written === undefined || written.value) return true;
  if (priority === OWNER_PRIORITY) {
    sink.corrected(
      written.pos,
      `(${d.name}) nopreempt is incompatible with priority 255. resetting nopreempt: priority 255 makes this router the address owner, which always ` +
        'takes over at once (RFC 3768 §6.4.1)' + (d.settings.priority === undefined ? " - 255 comes from 'state MASTER' without 'priority'" : ''),
    );
    return true;
  }
  if (wantState === 'MASTER') {
    sink.corrected(
      written.pos,
      `(${d.name}) Warning - nopreempt will not work with initial state MASTER - clearing: nopreempt only works with initial state BACKUP`,
    );
    return true;
  }
  return false;
}

/** strict mode: `state MASTER` iff priority 255 (vrrp_complete_instance). */
function completeWantState(d: InstanceDraft, priority: Priority, strict: boolean, strictPos: SourcePos, sink: Sink): InstanceConfig['wantState'] {
  const state = d.settings.state;
  if (state === undefined || !strict) return state?.value;
  const owner = priority === OWNER_PRIORITY;
  if ((state.value === 'MASTER') === owner) return state.value;
  const corrected = owner ? 'MASTER' : 'BACKUP';
  sink.corrected(
    state.pos,
    `(${d.name}) State MASTER must match being address owner (strict mode from line ${strictPos.line}): ` +
      `priority ${priority} starts as ${corrected}`,
  );
  return corrected;
}

/**
 * Issue 8 item 3 (docs/reference/keepalived-behaviour.md#vrrp_strict-makes-the-vip-unreachable):
 * under strict mode a master that is not the address owner drops every packet to and from its VIPs
 * (no_accept, RFC 3768 §6.4.3), so the VIP answers ARP but nothing else - a service behind it is
 * unreachable while `ip a` and `arp -a` look right. Said once per instance at -t and at start-up,
 * with the VIPs, and the way out.
 */
function warnUnreachableVips(d: InstanceDraft, priority: Priority, strictPos: SourcePos, sink: Sink): void {
  if (d.vips.length === 0) return;
  const vips = d.vips.map((v) => v.address).join(' ');
  const off = d.settings.strict !== undefined ? `remove 'strict_mode' from ${d.name}` : `remove vrrp_strict (or add 'strict_mode off' to ${d.name})`;
  sink.warn(
    strictPos,
    `(${d.name}) vrrp_strict: the VIPs ${vips} of ${d.name} accept no traffic while this node is MASTER with priority ${priority} ` +
      '(strict mode implies no_accept: firewall rules drop all packets to and from them, RFC 3768 §6.4.3), ' +
      'so a service behind them (nginx) is unreachable although the VIPs answer ARP; ' +
      `to serve traffic on them ${off} - 'accept' is not allowed with VRRPv2 under strict mode`,
  );
}

/** A value with keepalived's strict-mode default and correction (garp_lower_prio_*, lower_prio_no_advert, ...). */
function strictValue<T>(
  written: Setting<T> | undefined,
  strict: boolean,
  strictValue: T,
  otherwise: T,
  message: string,
  sink: Sink,
): T {
  if (written === undefined) return strict ? strictValue : otherwise;
  if (strict && written.value !== strictValue) {
    sink.corrected(written.pos, message);
    return strictValue;
  }
  return written.value;
}

/** VIPs beyond what one advert carries become eVIPs (vrrp_complete_instance), as keepalived does. */
function splitVips(d: InstanceDraft, sink: Sink): { vips: VirtualIpConfig[]; moved: ExcludedIpConfig[] } {
  if (d.vips.length <= MAX_VIPS_PER_ADVERT) return { vips: d.vips, moved: [] };
  sink.corrected(
    d.pos,
    `(${d.name}) Number of VIPs (${d.vips.length}) exceeds maximum/space available in packet (max ${MAX_VIPS_PER_ADVERT} addresses) - excess moved to eVIPs`,
  );
  return {
    vips: d.vips.slice(0, MAX_VIPS_PER_ADVERT),
    moved: d.vips.slice(MAX_VIPS_PER_ADVERT).map((v) => ({ ...v, family: 4 as const })),
  };
}

/** An address label names an alias of its interface; iproute2 insists on `IF` or `IF:x`. */
function checkLabels(d: InstanceDraft, iface: string | undefined, sink: Sink): void {
  for (const vip of d.vips) {
    const dev = vip.dev ?? iface;
    if (vip.label === undefined || dev === undefined) continue;
    if (vip.label !== dev && !vip.label.startsWith(`${dev}:`)) {
      sink.warn(
        vip.pos,
        `(${d.name}) label '${vip.label}' of ${vip.address} does not start with its interface '${dev}': ` +
          `ip and ifconfig expect '${dev}:NAME' (keepalived passes it to the kernel as is)`,
      );
    }
  }
}

const weightedNote: Record<TrackKind, string> = {
  track_interface: 'keepalived sets it to 0 too',
  track_script: 'keepalived drops a weighted track_script here altogether',
  track_file: 'keepalived drops a track_file with an explicit weight here altogether',
  track_process: 'the keepalived man page asks for weight 0 here',
  track_bfd: 'keepalived drops a weighted track_bfd here altogether',
};

/**
 * Tracking weights: a sync-group member without sync_group_tracking_weight tracks unweighted (a
 * failure moves the whole group to FAULT); an address owner never changes priority, so keepalived
 * drops its weighted tracking (and makes the default track_file weight 0). Own interface dropped.
 */
function completeTracks(d: InstanceDraft, iface: string | undefined, priority: Priority, ctx: InstanceContext, sink: Sink): ResolvedTracks {
  const resolved = resolveTracks(d.name, d.track, ctx.targets, sink);
  resolved.track_interface = resolved.track_interface.filter((t) => {
    if (t.name !== iface) return true;
    sink.corrected(t.pos, `(${d.name}) Ignoring track_interface ${t.name} since own interface`);
    return false;
  });
  const group = ctx.syncGroup;
  for (const kind of TRACK_KINDS) {
    resolved[kind] = resolved[kind].flatMap((t): TrackRef[] => {
      if (t.weight === 0) return [t];
      if (group !== undefined && !group.trackingWeight) {
        sink.warn(
          t.pos,
          `(${d.name}) ${kind} ${t.name}: weight ${t.weight} ignored because ${d.name} is in sync group ${group.name} without ` +
            `sync_group_tracking_weight - a failure puts the whole group in FAULT (${weightedNote[kind]})`,
        );
        return [{ ...t, weight: 0 }];
      }
      if (priority === OWNER_PRIORITY && kind !== 'track_process') {
        if (kind === 'track_file' && t.weight === 1 && !hasOwnWeight(d, kind, t.name)) {
          sink.corrected(t.pos, `(${d.name}) ignoring weight from tracked file ${t.name} due to address owner. specify weight 0`);
          return [{ ...t, weight: 0 }];
        }
        sink.warn(t.pos, `(${d.name}) ${kind} ${t.name} with weight ${t.weight} ignored: priority 255 (address owner) never changes`);
        return [];
      }
      return [t];
    });
  }
  return resolved;
}

function hasOwnWeight(d: InstanceDraft, kind: TrackKind, name: string): boolean {
  return findNamed(d.track[kind], name)?.weight !== undefined;
}

/**
 * The VMAC's MAC: 00:00:5e:00:01:VRID (RFC 3768 §7.3), or the one given; given as 5 octets, the
 * VRID is the sixth (vrrp_vmac_handler VRRP_VMAC_MAC_USE_VRID).
 */
function vmacAddress(mac: string | undefined, vrid: number): string {
  const vridOctet = vrid.toString(16).padStart(2, '0');
  if (mac === undefined) return `00:00:5e:00:01:${vridOctet}`;
  return mac.split(':').length === 5 ? `${mac}:${vridOctet}` : mac;
}

/** The features vrrpd refuses to run without: they change the wire or where the VIPs go. */
function refuseUnimplemented(d: InstanceDraft, iface: string | undefined, sink: Sink): void {
  const s = d.settings;
  if (s.useVmac !== undefined) {
    notSupportedRefused(
      sink, 'use_vmac', s.useVmac.pos,
      `put the VIPs on ${iface ?? 'the interface'} and send adverts and GARPs from its own MAC instead of a VMAC interface with ${vmacAddress(s.useVmac.value.mac, s.vrid?.value ?? 0)}`,
    );
  }
  if (s.useVmacAddr !== undefined) notSupportedRefused(sink, 'use_vmac_addr', s.useVmacAddr.pos, 'put VIPs of other interfaces on those interfaces instead of VMAC interfaces');
  if (s.useIpvlan !== undefined) notSupportedRefused(sink, 'use_ipvlan', s.useIpvlan.pos, `put the VIPs on ${iface ?? 'the interface'} instead of an ipvlan interface`);
  if (s.vrf !== undefined) notSupportedRefused(sink, 'vrf', s.vrf.pos, `run the instance in the default VRF instead of ${s.vrf.value}`);
  if (s.nativeIpv6 !== undefined) {
    sink.error(s.nativeIpv6.pos, `(${d.name}) native_ipv6: IPv6 instances need VRRPv3, which vrrpd does not speak (VRRPv2, RFC 3768)`);
  }
}

/**
 * Unicast keywords without peers (vrrp_complete_instance). keepalived falls back to multicast with
 * a deprecation warning (unicast_ttl: "resetting"), so adverts meant for two hosts go to the whole
 * LAN and a peer configured for unicast never hears them: both nodes become MASTER. vrrpd refuses.
 * With unicast_fault_no_peer the instance is held in FAULT until a reload brings peers, as in
 * keepalived: that is the user's explicit choice, not a fall-back.
 */
function completeUnicast(d: InstanceDraft, strict: boolean, sink: Sink): void {
  const s = d.settings;
  if (strict && d.unicastPeers.length > 0 && d.unicastPeerPos !== undefined) {
    sink.error(d.unicastPeerPos, `(${d.name}) Unicast peers are not supported in strict mode`);
  }
  if (d.unicastPeers.length === 0) {
    if (s.unicastTtl !== undefined) {
      sink.error(s.unicastTtl.pos, `(${d.name}) unicast_ttl without any unicast_peer: keepalived resets it and runs multicast; vrrpd refuses`);
    }
    if (s.unicastFaultNoPeer !== undefined) {
      // Not a fall-back: keepalived (and vrrpd) hold the instance in FAULT until a reload brings
      // peers (instance.ts). Said at -t and at start.
      sink.warn(s.unicastFaultNoPeer.pos, `(${d.name}) Cannot use unicast without any peers - going to fault state`);
    } else if (d.unicastKeyword !== undefined && d.unicastPeerPos === undefined) {
      sink.error(
        d.unicastKeyword.pos,
        `(${d.name}) A unicast keyword (${d.unicastKeyword.keyword}) has been specified without any unicast peers: ` +
          'keepalived defaults to multicast (deprecated); vrrpd refuses - add a unicast_peer block or remove the keyword',
      );
    } else if (d.unicastPeerPos !== undefined) {
      // A unicast_peer block whose every entry was wrong (each already reported): say what follows.
      sink.error(d.unicastPeerPos, `(${d.name}) unicast_peer has no valid peer: vrrpd would have no one to send adverts to`);
    }
  } else if (s.mcastDstIp !== undefined) {
    sink.corrected(s.mcastDstIp.pos, `(${d.name}) multicast destination specified with unicast - ignoring`);
  }
}

/** The effective values vrrpd does not act on yet, reported once per config. */
function reportNotActedOn(d: InstanceDraft, c: InstanceConfig, ctx: InstanceContext, strictPos: SourcePos | undefined, tracks: ResolvedTracks, sink: Sink): void {
  const s = d.settings;
  /**
   * Name where the value comes from: the instance's own keyword, else strict mode when it decided
   * the value, else the global keyword it inherits (so a global line is named once, not per instance).
   */
  const report = (field: InheritedField, own: SourcePos | undefined, keyword: string, consequence: string, strictDecides = false): void => {
    const inherited = ctx.globalSource[field];
    if (own !== undefined) notSupportedYet(sink, keyword, own, consequence);
    else if (strictDecides && strictPos !== undefined) notSupportedYet(sink, `${keyword} (implied by strict mode)`, strictPos, consequence);
    else if (inherited !== undefined) notSupportedYet(sink, inherited.keyword, inherited.pos, consequence);
  };
  const excluded = c.excludedVips[0];
  if (excluded !== undefined) notSupportedYet(sink, 'virtual_ipaddress_excluded', excluded.pos, 'these addresses are not added');
  const route = c.virtualRoutes[0];
  if (route !== undefined) notSupportedYet(sink, 'virtual_routes', route.pos, 'these routes are not added');
  const rule = c.virtualRules[0];
  if (rule !== undefined) notSupportedYet(sink, 'virtual_rules', rule.pos, 'these rules are not added');
  if (c.smtpAlert) report('smtpAlert', s.smtpAlert?.pos, 'smtp_alert', 'no e-mail is sent');
  if (c.notifyPriorityChanges) report('notifyPriorityChanges', s.notifyPriorityChanges?.pos, 'notify_priority_changes', 'nothing is written to the FIFO');
  if (c.garpExtraIf !== undefined && c.garpExtraIf.intervalSec > 0) {
    report('garpExtraIf', s.garpExtraIf?.pos, 'garp_extra_if', 'no periodic GARP is sent on extra interfaces');
  }
  if (c.timerExpiredBackup !== undefined && s.timerExpiredBackup !== undefined) {
    notSupportedYet(sink, 'timer_expired_backup', s.timerExpiredBackup.pos, 'a late master is not turned back into BACKUP');
  }
  if (c.promoteSecondaries && s.promoteSecondaries !== undefined) {
    notSupportedYet(sink, 'promote_secondaries', s.promoteSecondaries.pos, 'the interface keeps the kernel setting, so removing a VIP may remove other addresses of its subnet');
  }
  if (c.trackSrcIp && s.trackSrcIp !== undefined) {
    notSupportedYet(sink, 'track_src_ip', s.trackSrcIp.pos, `the instance does not go to FAULT when ${c.sourceAddress ?? 'its source address'} is removed`);
  }
  if (s.linkbeatUsePolling !== undefined) notSupportedYet(sink, 'linkbeat_use_polling', s.linkbeatUsePolling.pos, 'the link state is not polled');
  if (s.kernelRxBufSize !== undefined) notSupportedYet(sink, 'kernel_rx_buf_size', s.kernelRxBufSize.pos, 'the kernel default receive buffer is used');
  reportTracksNotActedOn(tracks, sink);
}


export function completeInstance(d: InstanceDraft, ctx: InstanceContext, sink: Sink): InstanceConfig | undefined {
  const s = d.settings;
  const g = ctx.global;
  let complete = true;
  if (s.vrid === undefined) {
    sink.error(d.pos, `(${d.name}) the virtual router id must be set ('virtual_router_id' 1..255)`);
    complete = false;
  }
  if (s.interface === undefined) {
    // keepalived 2.2 (chk_min_cfg): "Unknown interface!"; default_interface is only for static addresses.
    sink.error(d.pos, `(${d.name}) no 'interface' given (keepalived: 'Unknown interface!'; global default_interface only applies to static addresses)`);
    complete = false;
  }
  const iface = s.interface?.value;
  const strict = s.strict?.value ?? g.vrrpStrict;
  const strictPos = s.strict?.pos ?? ctx.globalStrictPos ?? d.pos;

  // keepalived: no priority => 255 with `state MASTER` (address owner), else 100.
  const priority = s.priority?.value ?? (s.state?.value === 'MASTER' ? OWNER_PRIORITY : DEFAULT_PRIORITY);
  const wantState = completeWantState(d, priority, strict, strictPos, sink);
  // Refused at the keyword (keywords.ts vrrpVersion); the version still decides what keepalived
  // would report below, so `-t` says both.
  const version = s.version?.value ?? ctx.globalVrrpVersion;
  if (version === 3) complete = false;
  const auth = completeAuth(d, strict, strictPos, version, sink);
  completeUnicast(d, strict, sink);
  const multicastGroup = s.mcastDstIp?.value ?? g.mcastGroup4;
  refuseUnimplemented(d, iface, sink);
  if (s.vmacXmitBase !== undefined && s.useVmac === undefined) {
    sink.corrected(s.vmacXmitBase.pos, `(${d.name}) vmac_xmit_base is only valid with a vmac - ignoring`);
  }
  const { vips, moved } = splitVips(d, sink);
  checkLabels(d, iface, sink);

  const preempt = completePreempt(d, priority, wantState, sink);
  let preemptDelayMs = s.preemptDelayMs?.value ?? 0;
  if (preemptDelayMs > 0 && s.preemptDelayMs !== undefined) {
    const pos = s.preemptDelayMs.pos;
    if (wantState === 'MASTER') {
      sink.corrected(pos, `(${d.name}) Warning - preempt delay will not work with initial state MASTER - clearing`);
      preemptDelayMs = 0;
    } else if (strict) {
      sink.corrected(pos, `(${d.name}) preempt_delay is incompatible with strict mode - resetting`);
      preemptDelayMs = 0;
    } else if (!preempt) {
      sink.corrected(pos, `(${d.name}) preempt_delay is incompatible with nopreempt mode - resetting`);
      preemptDelayMs = 0;
    }
  }

  let downTimerAdverts = s.downTimerAdverts?.value ?? g.downTimerAdverts;
  if (strict && downTimerAdverts !== RFC_DOWN_TIMER_ADVERTS) {
    sink.corrected(s.downTimerAdverts?.pos ?? strictPos, `(${d.name}) down_timer_adverts is incompatible with strict mode - resetting`);
    downTimerAdverts = RFC_DOWN_TIMER_ADVERTS;
  }

  let timerExpiredBackup = s.timerExpiredBackup?.value;
  if (timerExpiredBackup !== undefined && preempt && s.timerExpiredBackup !== undefined) {
    sink.corrected(s.timerExpiredBackup.pos, `(${d.name}) expired_timer_backup requires nopreempt - resetting`);
    timerExpiredBackup = undefined;
  }

  // Accept mode: on unless strict; strict allows it only to the address owner (RFC 3768 §6.4.3).
  let accept = s.accept?.value ?? (priority === OWNER_PRIORITY ? true : !strict);
  if (accept && priority !== OWNER_PRIORITY && strict && version === 2) {
    sink.corrected(s.accept?.pos ?? strictPos, `(${d.name}) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting`);
    accept = false;
  }

  if (strict && !accept) warnUnreachableVips(d, priority, strictPos, sink);

  const garpLowerPrioRepeat = strictValue(s.garpLowerPrioRepeat, strict, 0, g.garpLowerPrioRepeat, `(${d.name}) Strict mode requires no repeat garps. resetting`, sink);
  const garpLowerPrioDelayMs = strictValue(s.garpLowerPrioDelayMs, strict, 0, g.garpLowerPrioDelayMs, `(${d.name}) Strict mode requires no repeat garp delay. resetting`, sink);
  const lowerPrioNoAdvert = strictValue(s.lowerPrioNoAdvert, strict, true, g.lowerPrioNoAdvert, `(${d.name}) Strict mode requires no lower priority advert. resetting`, sink);
  const higherPrioSendAdvert = strictValue(
    s.higherPrioSendAdvert, strict, false, g.higherPrioSendAdvert, `(${d.name}) strict mode requires higher_prio_send_advert to be clear. resetting`, sink,
  );

  const advertIntMs = completeAdvertInt(d, version, sink);
  let allowNoVips = s.allowNoVips?.value ?? false;
  if (allowNoVips && strict && s.allowNoVips !== undefined) {
    sink.corrected(s.allowNoVips.pos, `(${d.name}) no_virtual_ipaddress and strict mode incompatible, clearing no_virtual_ipaddress`);
    allowNoVips = false;
  }
  if (vips.length === 0 && !allowNoVips) {
    if (strict) sink.error(d.pos, `(${d.name}) No VIP specified; at least one is required (strict mode)`);
    else if (version === 3) sink.error(d.pos, `(${d.name}) No VIP specified; at least one is required (VRRPv3)`);
    // keepalived allows it unless strict; an instance with no VIPs still elects a master.
    else sink.warn(d.pos, `(${d.name}) no virtual_ipaddress: the instance will advertise no addresses`);
  }

  const tracks = completeTracks(d, iface, priority, ctx, sink);

  if (!complete || s.vrid === undefined || iface === undefined) return undefined;
  const config: InstanceConfig = {
    name: d.name,
    pos: d.pos,
    wantState,
    interface: iface,
    vrid: s.vrid.value,
    priority,
    advertIntMs,
    auth,
    vips,
    preempt,
    skipCheckAdvAddr: s.skipCheckAdvAddr?.value ?? g.skipCheckAdvAddr,
    garpMasterDelayMs: s.garpMasterDelayMs?.value ?? g.garpMasterDelayMs,
    garpMasterRepeat: s.garpMasterRepeat?.value ?? g.garpMasterRepeat,
    garpLowerPrioDelayMs,
    garpLowerPrioRepeat,
    downTimerAdverts,
    strict,
    version: 2,
    accept,
    preemptDelayMs,
    excludedVips: [...d.excludedVips, ...moved],
    allowNoVips,
    virtualRoutes: d.virtualRoutes,
    virtualRules: d.virtualRules,
    trackInterfaces: tracks.track_interface,
    trackScripts: tracks.track_script,
    trackFiles: tracks.track_file,
    trackProcesses: tracks.track_process,
    trackBfds: tracks.track_bfd,
    dontTrackPrimary: s.dontTrackPrimary?.value ?? false,
    syncGroup: ctx.syncGroup?.name,
    notify: completeNotify(d.notify),
    notifyDeleted: d.notify.scripts.deleted !== undefined,
    smtpAlert: s.smtpAlert?.value ?? g.smtpAlertVrrp ?? g.smtpAlert ?? false,
    notifyPriorityChanges: s.notifyPriorityChanges?.value ?? ctx.syncGroup?.notifyPriorityChanges ?? g.notifyPriorityChanges,
    sourceAddress: s.sourceAddress?.value.address,
    unicastPeers: d.unicastPeers,
    unicastTtl: d.unicastPeers.length > 0 ? (s.unicastTtl?.value ?? 255) : 255,
    checkUnicastSrc: s.checkUnicastSrc?.value ?? g.checkUnicastSrc,
    unicastFaultNoPeer: s.unicastFaultNoPeer?.value ?? false,
    oldUnicastChecksum: s.oldUnicastChecksum?.value,
    multicastGroup,
    useVmac: s.useVmac === undefined ? undefined : { ifname: s.useVmac.value.ifname, mac: vmacAddress(s.useVmac.value.mac, s.vrid.value) },
    useVmacAddr: s.useVmacAddr?.value ?? false,
    vmacXmitBase: s.useVmac !== undefined && (s.vmacXmitBase?.value ?? false),
    useIpvlan: s.useIpvlan?.value,
    vrf: s.vrf?.value,
    // keepalived clears track_src_ip when no source address is configured.
    trackSrcIp: s.sourceAddress !== undefined && (s.trackSrcIp?.value ?? false),
    garpMasterRefreshMs: s.garpMasterRefreshMs?.value ?? g.garpMasterRefreshMs,
    garpMasterRefreshRepeat: s.garpMasterRefreshRepeat?.value ?? g.garpMasterRefreshRepeat,
    garpExtraIf: s.garpExtraIf?.value ?? g.garpExtraIf,
    lowerPrioNoAdvert,
    higherPrioSendAdvert,
    timerExpiredBackup,
    promoteSecondaries: s.promoteSecondaries?.value ?? false,
    linkbeatUsePolling: s.linkbeatUsePolling?.value ?? false,
    v3ChecksumAsV2: s.v3ChecksumAsV2?.value ?? g.v3ChecksumAsV2,
    kernelRxBufSize: s.kernelRxBufSize?.value,
    debug: s.debug?.value ?? 0,
  };
  reportNotActedOn(d, config, ctx, strict ? strictPos : undefined, tracks, sink);
  return config;
}
