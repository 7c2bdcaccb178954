// A vrrpd without root (systemd/vrrpd.service: user vrrpd, CAP_NET_RAW + CAP_NET_ADMIN only) can
// run scripts as itself, not as anyone else: that takes CAP_SETUID/CAP_SETGID, which the unit does
// not grant. Such a script would fail at every run with a bare "spawn EPERM" (and a weight-0 track
// script would hold its instance in FAULT), so say once at start-up which scripts and why.
import { readFileSync } from 'node:fs';
import type { ScriptUse } from './rules.js';

const CAP_SETGID = 6n;
const CAP_SETUID = 7n;
const CAP_NET_ADMIN = 12n;
const CAP_NET_RAW = 13n;

/** What each capability vrrpd cannot work without is for, in the words of the refusal. */
const NEEDED: readonly (readonly [bigint, string, string])[] = [
  [CAP_NET_RAW, 'CAP_NET_RAW', 'the VRRP raw socket and gratuitous ARP'],
  [CAP_NET_ADMIN, 'CAP_NET_ADMIN', 'adding and removing the VIPs'],
];

/**
 * Why vrrpd cannot do its job with these capabilities, or undefined. Without CAP_NET_ADMIN it
 * would otherwise win the election and then fail to add the VIP: a MASTER that announces an
 * address nobody answers for, which is worse than not starting.
 */
export function missingNetCapabilities(caps: bigint | undefined): string | undefined {
  if (caps === undefined) return undefined;
  const missing = NEEDED.filter(([cap]) => (caps & (1n << cap)) === 0n);
  if (missing.length === 0) return undefined;
  const what = missing.map(([, name, why]) => `${name} (${why})`).join(' and ');
  return `vrrpd lacks ${what}: run it as root or grant ${missing.length === 1 ? 'it' : 'them'} (systemd/vrrpd.service: AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN)`;
}

/** CapEff of /proc/self/status; undefined when it cannot be read (then nothing is claimed). */
export function effectiveCapabilities(status: string): bigint | undefined {
  const m = /^CapEff:\s*([0-9a-f]+)\s*$/im.exec(status);
  return m ? BigInt(`0x${m[1]}`) : undefined;
}

export function readEffectiveCapabilities(): bigint | undefined {
  try {
    return effectiveCapabilities(readFileSync('/proc/self/status', 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * One line naming the scripts that are to run as another uid/gid than ours while we lack what
 * libuv's setgroups/setgid/setuid need; undefined when every script can start.
 */
export function scriptUserSwitchProblem(uses: readonly ScriptUse[], own: { uid: number; gid: number }, caps: bigint | undefined): string | undefined {
  if (caps === undefined) return undefined;
  const has = (cap: bigint): boolean => (caps & (1n << cap)) !== 0n;
  const blocked = uses.filter((u) => {
    if (!u.runAs.ok) return false;
    const otherUid = u.runAs.uid !== own.uid;
    const otherGid = u.runAs.gid !== own.gid;
    // A uid or gid switch both make libuv call setgroups(), which needs CAP_SETGID.
    return (otherUid && !has(CAP_SETUID)) || ((otherUid || otherGid) && !has(CAP_SETGID));
  });
  if (blocked.length === 0) return undefined;
  const as = (u: ScriptUse): string => (u.runAs.ok ? `${u.label} (uid ${u.runAs.uid} gid ${u.runAs.gid})` : u.label);
  const named = blocked.slice(0, 3).map(as).join(', ') + (blocked.length > 3 ? ` and ${blocked.length - 3} more` : '');
  return (
    `${named}: vrrpd runs as uid ${own.uid} gid ${own.gid} without CAP_SETUID/CAP_SETGID, so ` +
    `${blocked.length === 1 ? 'this script' : 'these scripts'} cannot start (spawn EPERM) - set script_user (or the script's user) to vrrpd's own user, or grant CAP_SETUID and CAP_SETGID`
  );
}
