// The JSON signal (SIGRTMIN+2): keepalived.json's format (keepalived 2.2.7 vrrp_json.c), field for
// field and in keepalived's order, so the exporters written for keepalived read vrrpd unchanged:
// [{"data": {...instance...}, "stats": {...counters...}}, ...]. Numbers are written as keepalived's
// json_writer prints them (%g for its doubles, %f for last_transition), which JSON.stringify
// cannot be told to do, hence the hand-built text.
import type { InstanceConfig, NotifyScripts } from '../config/config.js';
import { keepalivedJsonStats } from '../instance/stats.js';
import { authTypeNumber } from '../vrrp/packet.js';
import { commandString, formatVip, KEEPALIVED_STATE_NUMBER, timevalString, type DumpInput, type DumpInstance } from './input.js';

/** A JSON value whose number text is already fixed. */
type Json = { readonly raw: string } | string | boolean | number | readonly Json[] | { readonly [key: string]: Json };

const raw = (text: string): Json => ({ raw: text });

function isRaw(v: Json): v is { readonly raw: string } {
  return typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { raw?: unknown }).raw === 'string';
}

function write(v: Json): string {
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(write).join(',')}]`;
  if (isRaw(v)) return v.raw;
  return `{${Object.entries(v as { readonly [key: string]: Json })
    .map(([k, x]) => `${JSON.stringify(k)}:${write(x)}`)
    .join(',')}}`;
}

/** printf's %g for the small values keepalived prints with it (seconds: 1, 0.5, 5). */
const g = (n: number): Json => raw(String(Number(n.toPrecision(6))));

export function formatJson(input: DumpInput): string {
  const byName = new Map(input.config.instances.map((c) => [c.name, c]));
  const entries: Json[] = [];
  for (const d of input.instances) {
    const c = byName.get(d.snapshot.name);
    if (c) entries.push({ data: instanceData(input, c, d), stats: keepalivedJsonStats(d.snapshot.stats) });
  }
  // keepalived.json ends with a newline.
  return `${write(entries)}\n`;
}

const SCRIPT_FIELDS: readonly (readonly [keyof NotifyScripts, string])[] = [
  ['backup', 'script_backup'],
  ['master', 'script_master'],
  ['fault', 'script_fault'],
  ['stop', 'script_stop'],
  ['deleted', 'script_deleted'],
  ['generic', 'script'],
  ['masterRxLowerPri', 'script_master_rx_lower_pri'],
];

function instanceData(input: DumpInput, c: InstanceConfig, d: DumpInstance): Json {
  const s = d.snapshot;
  const data: Record<string, Json> = {
    iname: c.name,
    dont_track_primary: c.dontTrackPrimary ? 1 : 0,
    skip_check_adv_addr: c.skipCheckAdvAddr ? 1 : 0,
    strict_mode: c.strict ? 1 : 0,
    vmac_ifname: '',
    ifp_ifname: c.interface,
    master_priority: s.master?.priority ?? 0,
    last_transition: raw(timevalString(d.lastTransitionUs ?? 0)),
    garp_delay: g(c.garpMasterDelayMs / 1000),
    garp_refresh: Math.floor(c.garpMasterRefreshMs / 1000),
    garp_rep: c.garpMasterRepeat,
    garp_refresh_rep: c.garpMasterRefreshRepeat,
    garp_lower_prio_delay: Math.floor(c.garpLowerPrioDelayMs / 1000),
    garp_lower_prio_rep: c.garpLowerPrioRepeat,
    lower_prio_no_advert: c.lowerPrioNoAdvert ? 1 : 0,
    higher_prio_send_advert: c.higherPrioSendAdvert ? 1 : 0,
    vrid: c.vrid,
    base_priority: s.basePriority,
    effective_priority: s.effectivePriority,
    vipset: s.vipSet,
    promote_secondaries: c.promoteSecondaries,
    adver_int: g(c.advertIntMs / 1000),
    // VRRPv2: the master's interval is ours (a different one is dropped).
    master_adver_int: g(c.advertIntMs / 1000),
    accept: c.accept ? 1 : 0,
    nopreempt: !c.preempt,
    preempt_delay: Math.floor(c.preemptDelayMs / 1000),
    state: KEEPALIVED_STATE_NUMBER[s.state],
    wantstate: KEEPALIVED_STATE_NUMBER[s.wantState],
    version: c.version,
    smtp_alert: c.smtpAlert,
    notify_deleted: c.notifyDeleted,
  };
  for (const [field, key] of SCRIPT_FIELDS) {
    const cmd = c.notify[field];
    if (cmd !== undefined) data[key] = commandString(cmd);
  }
  // keepalived leaves an empty list out altogether.
  if (c.vips.length > 0) data['vips'] = c.vips.map((v) => formatVip(v, c.interface, s.vipSet));
  if (c.excludedVips.length > 0) data['evips'] = c.excludedVips.map((v) => formatVip(v, c.interface, false));
  if (c.trackInterfaces.length > 0) data['track_ifp'] = c.trackInterfaces.map((t) => t.name);
  // keepalived lists the tracked scripts by their command line, not their name.
  const commands = new Map(input.config.scripts.map((x) => [x.name, commandString(x.command)]));
  if (c.trackScripts.length > 0) data['track_script'] = c.trackScripts.map((t) => commands.get(t.name) ?? t.name);
  data['auth_type'] = authTypeNumber(c.auth);
  if (c.auth.type === 'PASS') data['auth_data'] = c.auth.password;
  return data;
}
