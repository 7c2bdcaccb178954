// Who else speaks on our VRID, and why we ignore them. A peer whose adverts fail our checks because
// of its configuration (another VIP list, advert_int, password or auth type, another cluster on the
// same VRID) makes both nodes MASTER, and keepalived says so once per advert, forever, in words
// that name neither side (docs/reference/keepalived-behaviour.md#peers-with-different-configs and
// #another-cluster-on-our-vrid). Here each (peer, cause) is reported once,
// naming both sides and the fix, reminded at most every REMINDER_MS, and kept for the status
// output until the peer's adverts are accepted again. Damaged packets (checksum, length, version)
// are not a peer's configuration: the instance counts and rate-limits those by reason alone.
import { AUTH_TYPE_AH, AUTH_TYPE_NONE, AUTH_TYPE_PASS, type DropReason } from './packet.js';
import { ipv4FromBytes, type Ipv4, type Millis } from '../types.js';

export type PeerCause = 'foreignRouter' | 'vipList' | 'advertInterval' | 'password' | 'authType' | 'ttl' | 'transport' | 'notPeer';

/** The fields of a dropped advert that say who sent it and how it is configured (best effort). */
export interface PeerView {
  readonly src: Ipv4;
  readonly dst: Ipv4 | undefined;
  readonly ttl: number | undefined;
  readonly priority: number | undefined;
  readonly advertIntSec: number | undefined;
  readonly authType: number | undefined;
  readonly addresses: readonly Ipv4[];
}

/** What we are: the other side of every mismatch message. */
export interface OwnSide {
  readonly vrid: number;
  readonly address: Ipv4;
  readonly vips: readonly Ipv4[];
  readonly advertIntSec: number;
  readonly authType: number;
  /** vrrp_strict / strict_mode: our adverts carry auth type 0 and only auth type 0 is accepted. */
  readonly strict?: boolean;
}

export interface PeerReport {
  readonly peer: Ipv4;
  readonly cause: PeerCause;
  /** keepalived's line for the drop, then who, what and the fix. */
  readonly message: string;
  readonly firstSeen: Millis;
  readonly lastSeen: Millis;
  /** Adverts ignored for this cause. */
  readonly count: number;
  /** false once the peer's adverts were accepted again. */
  readonly active: boolean;
  readonly reportedAt: Millis;
  /** Ignored since the last report (for the reminder line). */
  readonly sinceReport: number;
}

/** A reminder for a mismatch that persists, so it is not lost in rotated logs - but no flood. */
export const REMINDER_MS = 60_000;
/** Spoofed sources must not grow the table without bound. */
export const MAX_PEER_REPORTS = 32;

const AUTH_NAMES: Record<number, string> = { [AUTH_TYPE_NONE]: 'none', [AUTH_TYPE_PASS]: 'PASS', [AUTH_TYPE_AH]: 'AH' };
const authName = (t: number | undefined): string => (t === undefined ? '?' : (AUTH_NAMES[t] ?? String(t)));
const list = (a: readonly Ipv4[]): string => (a.length === 0 ? 'none' : a.join(' '));

/** Read what can be read of an IPv4 VRRP datagram that failed a check; never throws. */
export function peerView(bytes: Uint8Array, from: Ipv4): PeerView {
  const ihl = ((bytes[0] ?? 0) & 0x0f) * 4;
  const at = (i: number): number | undefined => (i < bytes.length ? bytes[i] : undefined);
  const ipAt = (i: number): Ipv4 | undefined => (i + 4 <= bytes.length ? ipv4FromBytes(bytes, i) : undefined);
  const count = at(ihl + 3) ?? 0;
  const addresses: Ipv4[] = [];
  for (let k = 0; k < count; k++) {
    const a = ipAt(ihl + 8 + 4 * k);
    if (a === undefined) break;
    addresses.push(a);
  }
  return {
    src: from,
    dst: ipAt(16),
    ttl: at(8),
    priority: at(ihl + 2),
    advertIntSec: at(ihl + 5),
    authType: at(ihl + 4),
    addresses,
  };
}

/** A configuration cause for the drop, or undefined for a damaged or meaningless packet. */
export function causeOf(reason: DropReason, peer: PeerView, own: OwnSide): PeerCause | undefined {
  const configured: Partial<Record<DropReason, PeerCause>> = {
    authTypeMismatch: 'authType',
    badPassword: 'password',
    advertIntervalMismatch: 'advertInterval',
    addressCountMismatch: 'vipList',
    addressMissing: 'vipList',
    badTtl: 'ttl',
    ttlOutOfRange: 'ttl',
    badDestination: 'transport',
    notUnicastPeer: 'notPeer',
  };
  const cause = configured[reason];
  if (cause === undefined || cause === 'ttl' || cause === 'transport' || cause === 'notPeer') return cause;
  // Not one VIP in common: not our peer with another config, but another cluster on our VRID.
  const ours = new Set(own.vips);
  if (peer.addresses.length > 0 && !peer.addresses.some((a) => ours.has(a))) return 'foreignRouter';
  return cause;
}

function explain(cause: PeerCause, peer: PeerView, own: OwnSide): string {
  const us = `ours (${own.address})`;
  const bothMaster = 'its adverts are ignored, so both nodes may be MASTER';
  switch (cause) {
    case 'foreignRouter':
      return `VRID ${own.vrid} is also used by ${peer.src} (VIPs ${list(peer.addresses)}; ${us}: ${list(own.vips)}), another cluster on this LAN? ` +
        'Its adverts are ignored; give one of the two clusters another virtual_router_id';
    case 'vipList':
      return `peer ${peer.src} advertises VIPs ${list(peer.addresses)}, ${us} ${list(own.vips)}: ${bothMaster}; make virtual_ipaddress the same on both nodes`;
    case 'advertInterval':
      return `peer ${peer.src} advertises advert_int ${peer.advertIntSec ?? '?'}, ${us} ${own.advertIntSec}: ${bothMaster}; make advert_int the same on both nodes`;
    case 'password':
      return `peer ${peer.src} uses another auth_pass than ${us}: ${bothMaster}; make auth_pass the same on both nodes`;
    case 'authType': {
      const fix = 'make vrrp_strict (and the authentication) the same on both nodes';
      if (own.strict === true) {
        return `peer ${peer.src} uses auth type ${authName(peer.authType)}, ${us} ${authName(own.authType)}: we are strict ` +
          `(vrrp_strict/strict_mode here: auth_type PASS is ignored, only auth type none is accepted), the peer is not: ${bothMaster}; ${fix}`;
      }
      if (peer.authType === 0) {
        return `peer ${peer.src} uses auth type none, ${us} ${authName(own.authType)}: the peer is strict ` +
          `(vrrp_strict there ignores auth_type PASS), we are not: ${bothMaster}; ${fix}`;
      }
      return `peer ${peer.src} uses auth type ${authName(peer.authType)}, ${us} ${authName(own.authType)}: ${bothMaster}; make the authentication the same on both nodes`;
    }
    case 'ttl':
      return `peer ${peer.src} arrives with TTL ${peer.ttl ?? '?'}, outside what ${us} accepts (255 for multicast, RFC 3768 §7.1; a unicast_peer's min_ttl/max_ttl): ${bothMaster}`;
    case 'notPeer':
      return `${peer.src} sends unicast adverts on VRID ${own.vrid} but is not in the unicast_peer list of ${us}: ` +
        'its adverts are ignored; add it to unicast_peer, or check the other node\'s unicast_src_ip';
    case 'transport':
      return `peer ${peer.src} sends to ${peer.dst ?? '?'}, which ${us} does not expect: configure unicast_peer on both nodes or on neither; ${bothMaster}`;
  }
}

/** One instance's reports; owns its table, takes time as an argument (pure apart from that). */
export class PeerReports {
  private readonly reports = new Map<string, PeerReport>();

  /** A dropped advert with a configuration cause: the line to log now, if any. */
  dropped(cause: PeerCause, peer: PeerView, own: OwnSide, keepalivedLine: string, now: Millis): string | undefined {
    const key = `${peer.src} ${cause}`;
    const known = this.reports.get(key);
    const message = `${keepalivedLine} - ${explain(cause, peer, own)}`;
    if (known === undefined || !known.active) {
      this.makeRoom();
      this.reports.delete(key);
      this.reports.set(key, {
        peer: peer.src, cause, message, firstSeen: known?.firstSeen ?? now, lastSeen: now,
        count: (known?.count ?? 0) + 1, active: true, reportedAt: now, sinceReport: 0,
      });
      return message;
    }
    const remind = now - known.reportedAt >= REMINDER_MS;
    this.reports.set(key, {
      ...known, message, lastSeen: now, count: known.count + 1,
      reportedAt: remind ? now : known.reportedAt, sinceReport: remind ? 0 : known.sinceReport + 1,
    });
    return remind ? `${message} (still so: ${known.sinceReport + 1} adverts ignored since the last report)` : undefined;
  }

  /** The peer's advert passed every check: its mismatches are over. Lines to log. */
  accepted(peer: Ipv4): string[] {
    const lines: string[] = [];
    for (const [key, r] of this.reports) {
      if (r.peer !== peer || !r.active) continue;
      this.reports.set(key, { ...r, active: false });
      lines.push(`adverts from ${peer} are accepted again (${r.cause} mismatch over after ${r.count} ignored)`);
    }
    return lines;
  }

  all(): PeerReport[] {
    return [...this.reports.values()];
  }

  private makeRoom(): void {
    if (this.reports.size < MAX_PEER_REPORTS) return;
    const victim = [...this.reports.entries()].sort(([, a], [, b]) => Number(a.active) - Number(b.active) || a.lastSeen - b.lastSeen)[0];
    if (victim) this.reports.delete(victim[0]);
  }
}
