// What the dump formatters read: the typed config plus one snapshot per instance and the tracked
// objects' status, all taken at the moment of the signal. Times are wall-clock microseconds since
// the epoch, as keepalived's timevals print them.
import type { AddressOptions, CommandConfig, Config } from '../config/config.js';
import type { TrackedObjectStatus } from '../track/tracker.js';
import type { InstanceSnapshot } from '../instance/snapshot.js';

export interface DumpInstance {
  readonly snapshot: InstanceSnapshot;
  /** keepalived's last_transition; undefined = no transition yet (prints as 0.000000). */
  readonly lastTransitionUs: number | undefined;
  /** keepalived's sands ("Read timeout"); undefined = no timer armed (prints DISABLED). */
  readonly readTimeoutUs: number | undefined;
  /** Tracked objects (interfaces, scripts, files) currently holding the instance in FAULT. */
  readonly trackFaults: number;
  /** Weight-0 scripts with no first result yet (keepalived's num_script_init). */
  readonly scriptsInit: number;
}

export interface DumpInput {
  readonly config: Config;
  /** In config order. */
  readonly instances: readonly DumpInstance[];
  readonly tracked: readonly TrackedObjectStatus[];
  /** The short host name keepalived defaults router_id and smtp_helo_name to. */
  readonly hostname: string;
  /** The daemon's user name, for keepalived's default notification_email_from (user@host). */
  readonly userName: string;
  /** uid:gid a script runs as (undefined command = the default script user); undefined when unresolvable. */
  readonly scriptIds: (command: CommandConfig | undefined) => { readonly uid: number; readonly gid: number } | undefined;
}

/** keepalived's enum (vrrp.h VRRP_STATE_*): 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT; 98 STOP. */
export const KEEPALIVED_STATE_NUMBER = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOPPED: 98 } as const;

/** get_state_str(): the names keepalived prints; anything else is "unknown". */
export function keepalivedStateName(state: InstanceSnapshot['state']): string {
  return state === 'STOPPED' ? 'unknown' : state;
}

/** cmd_str(): every word in single quotes, except a leading `<`/`>` file test. */
export function commandString(command: CommandConfig): string {
  return command.argv.map((word, i) => (i === 0 && (word.startsWith('<') || word.startsWith('>')) ? word : `'${word}'`)).join(' ');
}

/** format_ipaddress() for a VIP: "192.0.2.200 dev eth0 scope global set". */
export function formatVip(
  vip: Omit<AddressOptions, 'preferredLft' | 'pos'> & { readonly address: string },
  ifname: string,
  set: boolean,
): string {
  const full = 32;
  let out = vip.prefixLength !== full ? `${vip.address}/${vip.prefixLength}` : vip.address;
  if (vip.broadcast !== undefined) out += ` brd ${vip.broadcast}`;
  out += ` dev ${vip.dev ?? ifname}`;
  if (vip.useVmac) out += ' use_vmac';
  out += ` scope ${scopeName(vip.scope ?? 0)}`;
  if (vip.label !== undefined) out += ` label ${vip.label}`;
  if (vip.peer !== undefined) out += ` peer ${vip.peer.split('/')[0]}/${vip.prefixLength}`;
  if (vip.home) out += ' home';
  if (vip.noDad) out += ' -nodad';
  if (vip.mngTmpAddr) out += ' mngtmpaddr';
  if (vip.noPrefixRoute) out += ' noprefixroute';
  if (vip.autoJoin) out += ' autojoin';
  if (vip.noTrack) out += ' no_track';
  if (set) out += ' set';
  return out;
}

/** /etc/iproute2/rt_scopes names, as get_rttables_scope() prints them. */
function scopeName(scope: number): string {
  const names: Record<number, string> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };
  return names[scope] ?? String(scope);
}

/** A timeval as keepalived prints it: "1795599833.833275". */
export function timevalString(us: number): string {
  const sec = Math.floor(us / 1e6);
  return `${sec}.${String(Math.round(us - sec * 1e6)).padStart(6, '0')}`;
}
