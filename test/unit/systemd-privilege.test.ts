// Scripts under the systemd unit's least privilege (src/host/privilege.ts): vrrpd as user vrrpd without
// CAP_SETUID/CAP_SETGID can run scripts only as itself; any other script user is named at start-up.
import { describe, expect, it } from 'vitest';
import type { ScriptUse } from '../../src/host/rules.js';
import { effectiveCapabilities, missingNetCapabilities, scriptUserSwitchProblem } from '../../src/host/privilege.js';

const pos = { file: '/etc/vrrpd.conf', line: 3 };
const use = (label: string, uid: number, gid: number): ScriptUse => ({ label, command: '/usr/local/bin/chk', pos, runAs: { ok: true, uid, gid } });
const VRRPD = { uid: 990, gid: 990 };
const NET_ONLY = 0x3000n;
const WITH_SETID = NET_ONLY | (1n << 6n) | (1n << 7n);

describe('effectiveCapabilities', () => {
  it('reads CapEff from /proc/PID/status', () => {
    expect(effectiveCapabilities('Name:\tnode\nCapInh:\t0000000000003000\nCapEff:\t0000000000003000\nCapBnd:\t000001ffffffffff\n')).toBe(NET_ONLY);
    expect(effectiveCapabilities('Name:\tnode\n')).toBeUndefined();
  });
});

describe('scriptUserSwitchProblem', () => {
  it('says nothing when every script runs as vrrpd itself, or when the capabilities are there', () => {
    expect(scriptUserSwitchProblem([use('vrrp_script chk_nginx', 990, 990)], VRRPD, NET_ONLY)).toBeUndefined();
    expect(scriptUserSwitchProblem([use('vrrp_script chk_nginx', 0, 0)], VRRPD, WITH_SETID)).toBeUndefined();
    expect(scriptUserSwitchProblem([], VRRPD, NET_ONLY)).toBeUndefined();
    // Unknown capabilities: no claim either way.
    expect(scriptUserSwitchProblem([use('vrrp_script chk_nginx', 0, 0)], VRRPD, undefined)).toBeUndefined();
  });

  it('names the scripts that would fail with spawn EPERM, and what to do', () => {
    const uses = [use('vrrp_script chk_nginx', 0, 0), use('(VI_1) notify_master', 990, 990), use('(VI_1) notify', 1001, 1001)];
    expect(scriptUserSwitchProblem(uses, VRRPD, NET_ONLY)).toBe(
      'vrrp_script chk_nginx (uid 0 gid 0), (VI_1) notify (uid 1001 gid 1001): vrrpd runs as uid 990 gid 990 without CAP_SETUID/CAP_SETGID, ' +
        "so these scripts cannot start (spawn EPERM) - set script_user (or the script's user) to vrrpd's own user, or grant CAP_SETUID and CAP_SETGID",
    );
  });

  it('a group alone needs CAP_SETGID, not CAP_SETUID', () => {
    const uses = [use('vrrp_script chk', 990, 0)];
    expect(scriptUserSwitchProblem(uses, VRRPD, NET_ONLY | (1n << 6n))).toBeUndefined();
    expect(scriptUserSwitchProblem(uses, VRRPD, NET_ONLY | (1n << 7n))).toMatch(/^vrrp_script chk \(uid 990 gid 0\): .* so this script cannot start/);
  });

  it('keeps to one line with many scripts', () => {
    const uses = Array.from({ length: 10 }, (_, i) => use(`vrrp_script s${i}`, 0, 0));
    const line = scriptUserSwitchProblem(uses, VRRPD, NET_ONLY) ?? '';
    expect(line).toContain('vrrp_script s2 (uid 0 gid 0) and 7 more: ');
    expect(line).not.toContain('\n');
  });
});

describe('missingNetCapabilities', () => {
  it('is satisfied by CAP_NET_RAW + CAP_NET_ADMIN (and by root\'s full set)', () => {
    expect(missingNetCapabilities(NET_ONLY)).toBeUndefined();
    expect(missingNetCapabilities(0x1ffffffffffn)).toBeUndefined();
    expect(missingNetCapabilities(undefined)).toBeUndefined();
  });

  it('names what is missing and what it is for', () => {
    expect(missingNetCapabilities(1n << 13n)).toBe(
      'vrrpd lacks CAP_NET_ADMIN (adding and removing the VIPs): run it as root or grant it (systemd/vrrpd.service: AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN)',
    );
    expect(missingNetCapabilities(0n)).toBe(
      'vrrpd lacks CAP_NET_RAW (the VRRP raw socket and gratuitous ARP) and CAP_NET_ADMIN (adding and removing the VIPs): run it as root or grant them (systemd/vrrpd.service: AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN)',
    );
  });
});
