// SIGUSR1: keepalived.data's layout (keepalived 2.2.7 dump_data_vrrp(): global_data.c
// dump_global_data, vrrp_data.c dump_vrrp / dump_sock_pool / dump_sync_group / dump_vscript,
// track_file.c, vrrp_if.c dump_if), for what vrrpd has. Same section headers, labels, indentation
// and value formats, so a runbook's grep or a diff against a keepalived host reads the same.
// Left out, as vrrpd has no such thing: LVS/checker/BFD/SNMP/DBus/nftables lines, process
// priorities and netlink buffer sizes, socket fds, and interface details vrrpd does not track
// (MTU, flags, debounce, IPv6, interfaces no instance uses).
import type { Config, InstanceConfig, NotifyScripts, TrackRef } from '../config/config.js';
import type { TrackedObjectStatus } from '../track/tracker.js';
import { commandString, formatVip, keepalivedStateName, timevalString, type DumpInput, type DumpInstance } from './input.js';

export function formatData(input: DumpInput): string {
  const lines: string[] = [];
  const w = (line: string): void => {
    lines.push(line);
  };
  globalSection(input, w);
  topology(input, w);
  sockpool(input, w);
  syncGroups(input, w);
  scripts(input, w);
  trackFiles(input, w);
  interfaces(input, w);
  return lines.map((l) => `${l}\n`).join('');
}

type Write = (line: string) => void;

const onOff = (v: boolean | undefined): string => (v === undefined ? 'unset' : v ? 'on' : 'off');
const sec = (ms: number): number => Math.floor(ms / 1000);

function globalSection(input: DumpInput, w: Write): void {
  const g = input.config.global;
  w('------< Global definitions >------');
  w(' Network namespace = (default)');
  w(` Router ID = ${g.routerId ?? input.hostname}`);
  if (g.smtpServer !== undefined) {
    w(` Smtp server = ${g.smtpServer}`);
    w(` Smtp server port = ${g.smtpServerPort}`);
  }
  // keepalived fills these in from the host name only when there is an smtp_server.
  const helo = g.smtpHeloName ?? (g.smtpServer !== undefined ? input.hostname : undefined);
  if (helo !== undefined) w(` Smtp HELO name = ${helo}`);
  if (g.smtpServer !== undefined) w(` Smtp server connection timeout = ${g.smtpConnectTimeoutSec}`);
  const from = g.notificationEmailFrom ?? (g.smtpServer !== undefined ? `${input.userName}@${input.hostname}` : undefined);
  if (from !== undefined) {
    w(` Email notification from = ${from}`);
    w(' Email notification to:');
    for (const to of g.notificationEmail) w(`   ${to}`);
  }
  w(` Default smtp_alert = ${onOff(g.smtpAlert)}`);
  w(` Default smtp_alert_vrrp = ${onOff(g.smtpAlertVrrp)}`);
  const ids = (c: Parameters<DumpInput['scriptIds']>[0]): string => {
    const r = input.scriptIds(c);
    return r === undefined ? '?:?' : `${r.uid}:${r.gid}`;
  };
  if (g.startupScript) w(` Startup script = ${commandString(g.startupScript)}, uid:gid ${ids(g.startupScript)}, timeout ${g.startupScriptTimeoutSec}`);
  if (g.shutdownScript) w(` Shutdown script = ${commandString(g.shutdownScript)}, uid:gid ${ids(g.shutdownScript)} timeout ${g.shutdownScriptTimeoutSec}`);
  w(` Dynamic interfaces = ${g.dynamicInterfaces === 'off' ? 'false' : 'true'}`);
  if (g.dynamicInterfaces !== 'off') w(` Allow interface changes = ${g.dynamicInterfaces === 'allow_if_changes' ? 'true' : 'false'}`);
  if (g.noEmailFaults) w(' Send emails for fault transitions = off');
  w(` Default interface = ${g.defaultInterface}`);
  w(` Disable local IGMP = ${g.disableLocalIgmp ? 'yes' : 'no'}`);
  for (const [label, fifo] of [
    ['Global notify fifo', g.notifyFifo],
    ['VRRP notify fifo', g.vrrpNotifyFifo],
  ] as const) {
    if (!fifo) continue;
    w(` ${label} = ${fifo.path}, uid:gid ${ids(fifo.script)}`);
    if (fifo.script) w(` ${label} script = ${commandString(fifo.script)}, uid:gid ${ids(fifo.script)}`);
  }
  w(` FIFO write vrrp states on reload = ${g.fifoWriteVrrpStatesOnReload}`);
  w(` VRRP notify priority changes = ${g.notifyPriorityChanges}`);
  w(` VRRP IPv4 mcast group = ${g.mcastGroup4}`);
  w(` VRRP IPv6 mcast group = ${g.mcastGroup6}`);
  w(` Gratuitous ARP delay = ${sec(g.garpMasterDelayMs)}`);
  w(` Gratuitous ARP repeat = ${g.garpMasterRepeat}`);
  w(` Gratuitous ARP refresh timer = ${sec(g.garpMasterRefreshMs)}`);
  w(` Gratuitous ARP refresh repeat = ${g.garpMasterRefreshRepeat}`);
  w(` Gratuitous ARP lower priority delay = ${sec(g.garpLowerPrioDelayMs)}`);
  w(` Gratuitous ARP lower priority repeat = ${g.garpLowerPrioRepeat}`);
  w(` Num adverts before down = ${g.downTimerAdverts}`);
  w(` Gratuitous ARP for each secondary ${g.garpExtraIf?.all ? 'i/f' : 'VMAC'} = ${g.garpExtraIf?.intervalSec ?? 0}s`);
  w(` Send advert after receive lower priority advert = ${!g.lowerPrioNoAdvert}`);
  w(` Send advert after receive higher priority advert = ${g.higherPrioSendAdvert}`);
  w(` Gratuitous ARP interval = ${(g.garpIntervalMs / 1000).toFixed(6)}`);
  w(` Gratuitous NA interval = ${(g.gnaIntervalMs / 1000).toFixed(6)}`);
  w(` VRRP default protocol version = ${g.vrrpVersion}`);
  w(` VRRP check unicast_src = ${g.checkUnicastSrc}`);
  w(` VRRP skip check advert addresses = ${g.skipCheckAdvAddr}`);
  w(` VRRP strict mode = ${g.vrrpStrict}`);
  w(` Script security ${g.enableScriptSecurity ? 'enabled' : 'disabled'}`);
  const dflt = input.scriptIds(undefined);
  if (dflt !== undefined) w(` Default script uid:gid ${dflt.uid}:${dflt.gid}`);
  if (g.startupDelayMs > 0) w(` vrrp_startup_delay = ${g.startupDelayMs / 1000}`);
  if (g.logUnknownVrids) w(' log_unknown_vrids');
  if (g.vmacPrefix !== undefined) w(` VMAC prefix = ${g.vmacPrefix}`);
  if (g.vmacAddrPrefix !== undefined) w(` VMAC address prefix = ${g.vmacAddrPrefix}`);
}

/** asctime() with microseconds and the year, in local time: "Wed Nov 25 09:43:53.833275 2026". */
export function ctimeUs(us: number): string {
  const d = new Date(Math.floor(us / 1000));
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number): string => String(n).padStart(2, '0');
  const micro = timevalString(us).split('.')[1] ?? '000000';
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${micro} ${d.getFullYear()}`;
}

const timeval = (us: number): string => `${timevalString(us)} (${ctimeUs(us)})`;

/** keepalived's Skew_Time and Master_Down_Interval in integer microseconds (VRRP_TIMER_SKEW). */
export function masterDownUs(inst: InstanceConfig, effectivePriority: number): number {
  const advertUs = inst.advertIntMs * 1000;
  return inst.downTimerAdverts * advertUs + Math.floor(((256 - effectivePriority) * 1_000_000) / 256);
}

function topology(input: DumpInput, w: Write): void {
  if (input.instances.length === 0) return;
  w('------< VRRP Topology >------');
  const byName = new Map(input.config.instances.map((c) => [c.name, c]));
  for (const d of input.instances) {
    const c = byName.get(d.snapshot.name);
    if (c) instance(input, c, d, w);
  }
}

function instance(input: DumpInput, c: InstanceConfig, d: DumpInstance, w: Write): void {
  const s = d.snapshot;
  w(` VRRP Instance = ${c.name}`);
  w(`   VRRP Version = ${c.version}`);
  if (c.syncGroup !== undefined) w(`   Sync group = ${c.syncGroup}`);
  w(`   State = ${keepalivedStateName(s.state)}`);
  if (s.state === 'BACKUP' && s.master) {
    w(`   Master router = ${s.master.address}`);
    w(`   Master priority = ${s.master.priority}`);
  }
  // keepalived prints "Flags:" when any vrrp->flags bit is set; the unicast lines are the only ones
  // listed under it (vrrpd is multicast only).
  const flags = c.dontTrackPrimary || c.linkbeatUsePolling || c.skipCheckAdvAddr || c.sourceAddress !== undefined || c.trackSrcIp || c.checkUnicastSrc || c.promoteSecondaries || !c.preempt;
  w(flags ? '   Flags:' : '   Flags: none');
  w(`   Wantstate = ${keepalivedStateName(s.wantState)}`);
  w('   Number of config faults = 0');
  w(`   Number of interface and track script faults = ${d.trackFaults}`);
  w(`   Number of track scripts init = ${d.scriptsInit}`);
  w(`   Last transition = ${timeval(d.lastTransitionUs ?? 0)}`);
  w(d.readTimeoutUs === undefined ? '   Read timeout = DISABLED' : `   Read timeout = ${timeval(d.readTimeoutUs)}`);
  w(`   Master down timer = ${masterDownUs(c, s.effectivePriority)} usecs`);
  w(`   Interface = ${c.interface}`);
  if (c.dontTrackPrimary) w('   VRRP interface tracking disabled');
  if (c.skipCheckAdvAddr) w('   Skip checking advert IP addresses');
  if (c.strict) w('   Enforcing strict VRRP compliance');
  w(`   Using src_ip = ${c.sourceAddress ?? s.ownAddress}${c.sourceAddress !== undefined ? ' (from configuration)' : ''}`);
  w(`   Multicast address ${c.multicastGroup}`);
  w(`   Gratuitous ARP delay = ${sec(c.garpMasterDelayMs)}`);
  w(`   Gratuitous ARP repeat = ${c.garpMasterRepeat}`);
  w(`   Gratuitous ARP refresh = ${sec(c.garpMasterRefreshMs)}`);
  w(`   Gratuitous ARP refresh repeat = ${c.garpMasterRefreshRepeat}`);
  w(`   Gratuitous ARP lower priority delay = ${sec(c.garpLowerPrioDelayMs)}`);
  w(`   Gratuitous ARP lower priority repeat = ${c.garpLowerPrioRepeat}`);
  w(`   Down timer adverts = ${c.downTimerAdverts}`);
  w(`   Send advert after receive lower priority advert = ${!c.lowerPrioNoAdvert}`);
  w(`   Send advert after receive higher priority advert = ${c.higherPrioSendAdvert}`);
  w(`   Virtual Router ID = ${c.vrid}`);
  w(`   Priority = ${s.basePriority}`);
  w(`   Effective priority = ${s.effectivePriority}`);
  w(`   Total priority = ${s.effectivePriority}`);
  w(`   Advert interval = ${sec(c.advertIntMs)} sec`);
  w(`   Accept = ${c.accept ? 'enabled' : 'disabled'}`);
  w(`   Preempt = ${c.preempt ? 'enabled' : 'disabled'}`);
  if (c.preemptDelayMs > 0) w(`   Preempt delay = ${c.preemptDelayMs / 1000} secs`);
  w(`   Promote_secondaries = ${c.promoteSecondaries ? 'enabled' : 'disabled'}`);
  if (c.auth.type === 'PASS') {
    w('   Authentication type = SIMPLE_PASSWORD');
    // In clear, as keepalived does: the reason these files are mode 0600.
    w(`   Password = ${c.auth.password}`);
  } else {
    w('   Authentication type = none');
  }
  if (c.kernelRxBufSize !== undefined && c.kernelRxBufSize > 0) w(`   Kernel rx buffer size = ${c.kernelRxBufSize}`);
  if (c.debug > 0) w(`   Debug level = ${c.debug}`);
  if (c.vips.length > 0) {
    w(`   Virtual IP (${c.vips.length}):`);
    for (const v of c.vips) w(`     ${formatVip(v, c.interface, s.vipSet)}`);
  }
  if (c.excludedVips.length > 0) {
    w('   Virtual IP Excluded :');
    for (const v of c.excludedVips) w(`     ${formatVip(v, c.interface, false)}`);
  }
  trackList(w, '   Tracked interfaces :', c.trackInterfaces, ' ');
  trackList(w, '   Tracked scripts :', c.trackScripts, ' ');
  trackList(w, '   Tracked files :', c.trackFiles, ', ');
  w(`   Using smtp notification = ${c.smtpAlert ? 'yes' : 'no'}`);
  w(`   Notify deleted = ${c.notifyDeleted ? 'Deleted' : 'Fault'}`);
  notifyScripts(input, c.notify, w);
  w(`   Notify priority changes = ${c.notifyPriorityChanges}`);
  peerProblems(w, s, d.snapshot.takenAt);
}

/**
 * vrrpd's addition, printed only when there is something to say: peers whose adverts this instance
 * ignores for their configuration (peers.ts), so a dual MASTER is explained where it is looked at.
 */
function peerProblems(w: Write, s: DumpInstance['snapshot'], now: number): void {
  if (s.peers.length === 0) return;
  w(`   Peer problems (${s.peers.length}):`);
  for (const p of s.peers) {
    const ago = Math.round((now - p.lastSeen) / 1000);
    w(`     ${p.peer} ${p.cause}: ${p.count} adverts ignored, last ${ago} s ago, ${p.active ? 'ongoing' : 'over'}`);
    w(`       ${p.message}`);
  }
}

/** dump_track_if / dump_track_script: "name weight N"; dump_track_file_monitor: "name, weight N". */
function trackList(w: Write, header: string, refs: readonly TrackRef[], sep: string): void {
  if (refs.length === 0) return;
  w(header);
  for (const r of refs) w(`     ${r.name}${sep}weight ${r.weight}${r.reverse ? ' reverse' : ''}`);
}

const NOTIFY_LABELS: readonly (readonly [keyof NotifyScripts, string])[] = [
  ['backup', 'Backup'],
  ['master', 'Master'],
  ['fault', 'Fault'],
  ['stop', 'Stop'],
  ['deleted', 'Deleted'],
  ['generic', 'Generic'],
  ['masterRxLowerPri', 'Master rx lower pri'],
];

function notifyScripts(input: DumpInput, n: NotifyScripts, w: Write): void {
  for (const [field, label] of NOTIFY_LABELS) {
    const c = n[field];
    if (c === undefined) continue;
    const ids = input.scriptIds(c);
    w(`   ${label} state transition script = ${commandString(c)}, uid:gid ${ids ? `${ids.uid}:${ids.gid}` : '?:?'}`);
  }
}

/** dump_sock_pool: one socket per interface, shared by its instances (vrrpd: raw proto 112, multicast). */
function sockpool(input: DumpInput, w: Write): void {
  const byIf = new Map<string, InstanceConfig[]>();
  for (const c of input.config.instances) byIf.set(c.interface, [...(byIf.get(c.interface) ?? []), c]);
  if (byIf.size === 0) return;
  w('------< VRRP Sockpool >------');
  for (const [ifname, members] of byIf) {
    w(`   Interface = ${ifname}`);
    w('   Family = IPv4');
    w('   Protocol = VRRP');
    w('   Type = Multicast');
    w(`   Rx buf size = ${members[0]?.kernelRxBufSize ?? 0}`);
    w('   VRRP instances');
    // keepalived walks its rb-tree by VRID.
    for (const c of [...members].sort((a, b) => a.vrid - b.vrid)) w(`     ${c.name} vrid ${c.vrid}`);
  }
}

function syncGroups(input: DumpInput, w: Write): void {
  const groups = input.config.syncGroups;
  if (groups.length === 0) return;
  w('------< VRRP Sync groups >------');
  const stateOf = new Map(input.instances.map((d) => [d.snapshot.name, d.snapshot.state]));
  for (const g of groups) {
    const states = g.members.map((m) => stateOf.get(m) ?? 'INIT');
    const fault = states.filter((s) => s === 'FAULT').length;
    const init = states.filter((s) => s === 'INIT').length;
    const state = fault > 0 ? 'FAULT' : init > 0 ? 'INIT' : states.every((s) => s === 'MASTER') ? 'MASTER' : 'BACKUP';
    w(` VRRP Sync Group = ${g.name}, ${state}`);
    w(`   Num member fault ${fault}, num member init ${init}`);
    if (g.members.length > 0) {
      w('   VRRP member instances :');
      for (const m of g.members) w(`     ${m}`);
    }
    if (g.trackingWeight) w('   sync group tracking weight set');
    w(`   Using smtp notification = ${g.smtpAlert ? 'yes' : 'no'}`);
    if (g.notifyPriorityChanges !== undefined) w(`   Notify priority changes = ${g.notifyPriorityChanges ? 'yes' : 'no'}`);
    trackList(w, '   Tracked interfaces :', g.trackInterfaces, ' ');
    trackList(w, '   Tracked scripts :', g.trackScripts, ' ');
    trackList(w, '   Tracked files :', g.trackFiles, ', ');
    notifyScripts(input, { ...g.notify, deleted: undefined, masterRxLowerPri: undefined }, w);
  }
}

/** Which instances track an object, with the weight each gives it ("VI_1, weight 0"). */
function trackingLines(config: Config, kind: 'trackScripts' | 'trackFiles' | 'trackInterfaces', name: string): string[] {
  const out: string[] = [];
  for (const c of config.instances) {
    for (const r of c[kind]) if (r.name === name) out.push(`     ${c.name}, weight ${r.weight}${r.reverse ? ' reverse' : ''}`);
  }
  return out;
}

function scripts(input: DumpInput, w: Write): void {
  const list = input.config.scripts;
  if (list.length === 0) return;
  w('------< VRRP Scripts >------');
  const status = new Map(input.tracked.flatMap((t) => (t.kind === 'script' ? [[t.name, t] as const] : [])));
  for (const s of list) {
    const st = status.get(s.name);
    const result = st?.counter ?? (s.initFail ? 0 : s.rise - 1);
    w(` VRRP Script = ${s.name}`);
    w(`   Command = ${commandString(s.command)}`);
    w(`   Interval = ${sec(s.intervalMs)} sec`);
    w(`   Timeout = ${sec(s.timeoutMs)} sec`);
    w(`   Weight = ${s.weight}${s.reverse ? ' reverse' : ''}`);
    w(`   Rise = ${s.rise}`);
    w(`   Fall = ${s.fall}`);
    w(`   Result = ${result}`);
    w('   Insecure = no');
    // keepalived's switch has no case for "done": after the first result it prints "unknown".
    const init = st === undefined || st.state === 'unknown' ? (s.initFail ? 'INIT/FAILED' : 'INIT') : 'unknown';
    w(`   Init state = ${init}`);
    w(`   Status = ${result >= s.rise ? 'GOOD' : 'BAD'}`);
    const ids = input.scriptIds(s.command);
    w(`   Script uid:gid = ${ids ? `${ids.uid}:${ids.gid}` : '?:?'}`);
    w('   VRRP instances :');
    for (const l of trackingLines(input.config, 'trackScripts', s.name)) w(l);
    w(`   State = ${scriptPhase(st)}`);
  }
}

function scriptPhase(st: Extract<TrackedObjectStatus, { kind: 'script' }> | undefined): string {
  switch (st?.phase) {
    case 'running':
      return 'running';
    case 'terminating':
      return 'requested termination';
    case 'killing':
      return 'forcing termination';
    default:
      return 'idle';
  }
}

function trackFiles(input: DumpInput, w: Write): void {
  const list = input.config.trackFiles;
  if (list.length === 0) return;
  w('------< VRRP Track files >------');
  const status = new Map(input.tracked.flatMap((t) => (t.kind === 'file' ? [[t.name, t] as const] : [])));
  for (const f of list) {
    w(` Track file = ${f.name}`);
    w(`   File = ${f.path}`);
    w(`   Status = ${status.get(f.name)?.value ?? 0}`);
    w(`   Weight = ${f.weight}${f.reverse ? ' reverse' : ''}`);
    for (const l of trackingLines(input.config, 'trackFiles', f.name)) w(l);
  }
}

const macString = (mac: Buffer): string => [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');

/** dump_if for the interfaces vrrpd knows: the instances' own, with who tracks them. */
function interfaces(input: DumpInput, w: Write): void {
  const seen = new Map<string, DumpInstance>();
  for (const d of input.instances) if (!seen.has(d.snapshot.ifname)) seen.set(d.snapshot.ifname, d);
  if (seen.size === 0) return;
  w('------< Interfaces >------');
  for (const [ifname, d] of seen) {
    const s = d.snapshot;
    w(` Name = ${ifname}`);
    w(`   index = ${s.ifindex}`);
    w(`   IPv4 address = ${s.ownAddress}`);
    if (s.mac) {
      w(`   MAC = ${macString(s.mac)}`);
      w('   MAC broadcast = ff:ff:ff:ff:ff:ff');
    }
    // An instance tracks its own interface with weight 0 unless dont_track_primary (keepalived).
    const tracking = input.config.instances.flatMap((c) => {
      const own = c.interface === ifname && !c.dontTrackPrimary ? [`     ${c.name}, weight 0`] : [];
      const refs = c.trackInterfaces.filter((r) => r.name === ifname).map((r) => `     ${c.name}, weight ${r.weight}${r.reverse ? ' reverse' : ''}`);
      return [...own, ...refs];
    });
    if (tracking.length > 0) {
      w('   Tracking VRRP instances :');
      for (const l of tracking) w(l);
    }
  }
}
