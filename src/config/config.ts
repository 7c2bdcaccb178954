// The typed configuration the schema produces: keepalived 2.2 defaults already applied, every
// value validated. Times are in milliseconds. Issue "keepalived.conf compatibility" widens it.
import type { Ipv4, Millis, Priority, SourcePos, Vrid } from '../types.js';

export interface Config {
  readonly global: GlobalDefs;
  readonly instances: readonly InstanceConfig[];
}

export interface GlobalDefs {
  readonly routerId: string | undefined;
  readonly notificationEmail: readonly string[];
  readonly notificationEmailFrom: string | undefined;
  readonly smtpServer: string | undefined;
  readonly smtpConnectTimeoutSec: number;
  /** vrrp_skip_check_adv_addr: default for every instance's skipCheckAdvAddr. */
  readonly skipCheckAdvAddr: boolean;
  readonly vrrpStrict: boolean;
  /** vrrp_garp_interval: gap between the GARPs of one burst; 0 = back to back. */
  readonly garpIntervalMs: Millis;
  /** vrrp_gna_interval (IPv6 NA; parsed for compatibility, unused in v2/IPv4). */
  readonly gnaIntervalMs: Millis;
}

export type AuthConfig =
  | { readonly type: 'NONE' }
  /** PASS: the password as it goes on the wire, at most 8 bytes (keepalived truncates longer). */
  | { readonly type: 'PASS'; readonly password: string };

export interface VirtualIpConfig {
  readonly address: Ipv4;
  /** Prefix length; keepalived's default for IPv4 is /32. */
  readonly prefixLength: number;
  /** `dev IF`; undefined means the instance's interface. */
  readonly dev: string | undefined;
  /** `label IF:x`. */
  readonly label: string | undefined;
  readonly pos: SourcePos;
}

export interface InstanceConfig {
  readonly name: string;
  readonly pos: SourcePos;
  /** `state` as written; undefined when absent. keepalived calls this wantstate. */
  readonly wantState: 'MASTER' | 'BACKUP' | undefined;
  readonly interface: string;
  readonly vrid: Vrid;
  /** Base priority after keepalived's rules (`state MASTER` without `priority` gives 255). */
  readonly priority: Priority;
  /** VRRPv2 advert_int, whole seconds 1..255, in ms. */
  readonly advertIntMs: Millis;
  readonly auth: AuthConfig;
  readonly vips: readonly VirtualIpConfig[];
  /** `preempt` (default) / `nopreempt`. */
  readonly preempt: boolean;
  readonly skipCheckAdvAddr: boolean;
  /** garp_master_delay: second GARP burst this long after becoming MASTER; 0 = none. */
  readonly garpMasterDelayMs: Millis;
  /** garp_master_repeat: GARPs per VIP in each burst. */
  readonly garpMasterRepeat: number;
  readonly garpLowerPrioDelayMs: Millis;
  readonly garpLowerPrioRepeat: number;
  /** down_timer_adverts: Master_Down_Interval = this × advert_int + Skew_Time. */
  readonly downTimerAdverts: number;
}

/** A problem found in the config. Errors make `-t` and start-up fail; warnings are logged. */
export interface ConfigDiagnostic {
  readonly severity: 'error' | 'warning';
  readonly pos: SourcePos;
  readonly message: string;
  /**
   * How `-t` ranks it (keepalived's KEEPALIVED_CHK_EXIT_*): 'missing' = a config file or interface
   * that is not there, or a fatal error (exit 4); 'security' = script security (exit 6); absent =
   * any other config problem (exit 5 when it is an error).
   */
  readonly class?: 'missing' | 'security';
}

/** `file:line: message`; line 0 means the file as a whole (e.g. it cannot be read): `file: message`. */
export function formatDiagnostic(d: ConfigDiagnostic): string {
  return d.pos.line === 0 ? `${d.pos.file}: ${d.message}` : `${d.pos.file}:${d.pos.line}: ${d.message}`;
}
