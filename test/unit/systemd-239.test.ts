// systemd/vrrpd.service as RHEL 8's systemd 239 applies it. There is no systemd 239 userland here,
// so: every directive of the unit is dated (the upstream release that added it, or the value it
// uses), a directive added to the unit without a date fails here; the ones after 239 must be
// exactly those docs/operations.md ("RHEL 8's systemd 239") lists for RHEL 8, with the same
// versions; and the unit without them (what 239 keeps after its "Unknown lvalue" lines) verifies
// clean and scores what docs/operations.md says (`systemd-analyze security --offline=true`, systemd
// 252).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../lab/vrrpd.js';
import { analyze, exposure, skipWhy, verifyUnder } from '../helpers/systemd-analyze.js';
import { describeUnless } from '../helpers/unmet.js';

const RHEL8 = 239;

/**
 * The upstream systemd release that made each directive (or the value the unit gives it) mean what
 * the unit relies on, from systemd's NEWS and the systemd.exec/systemd.service man pages. Anything at
 * or below 219 (CentOS 7) is simply old here.
 */
const SINCE: Readonly<Record<string, number>> = {
  // [Unit], [Install]
  Description: 1, Documentation: 187, After: 1, Wants: 1, WantedBy: 1,
  // [Service]
  Type: 1, // notify
  NotifyAccess: 1,
  WatchdogSec: 183,
  EnvironmentFile: 1,
  Environment: 1,
  ExecStart: 1,
  ExecReload: 1,
  KillMode: 209, // mixed
  Restart: 1,
  RestartSec: 1,
  RestartPreventExitStatus: 189,
  User: 1,
  Group: 1,
  AmbientCapabilities: 229,
  CapabilityBoundingSet: 1,
  NoNewPrivileges: 187,
  RuntimeDirectory: 211,
  RuntimeDirectoryMode: 211,
  StateDirectory: 235,
  CacheDirectory: 235,
  CacheDirectoryMode: 235,
  ProtectSystem: 232, // strict
  ProtectHome: 214,
  PrivateTmp: 1,
  PrivateDevices: 209,
  PrivateIPC: 248,
  PrivateMounts: 239,
  ProtectKernelTunables: 232,
  ProtectKernelModules: 232,
  ProtectKernelLogs: 244,
  ProtectControlGroups: 232,
  ProtectClock: 245,
  ProtectHostname: 242,
  RestrictAddressFamilies: 211,
  RestrictNamespaces: 233,
  RestrictRealtime: 231,
  RestrictSUIDSGID: 242,
  LockPersonality: 235,
  RemoveIPC: 232,
  UMask: 1,
  SystemCallArchitectures: 209,
  SystemCallFilter: 231, // the @system-service, @privileged and @resources groups
  SystemCallErrorNumber: 209,
};

const unitText = readFileSync(join(repoRoot(), 'systemd', 'vrrpd.service'), 'utf8');
const operations = readFileSync(join(repoRoot(), 'docs', 'operations.md'), 'utf8');
const directives = [...new Set(unitText.split('\n').filter((l) => /^[A-Za-z]+=/.test(l)).map((l) => l.slice(0, l.indexOf('='))))];
const after239 = directives.filter((d) => (SINCE[d] ?? Number.POSITIVE_INFINITY) > RHEL8);

/** The unit as 239 applies it: the lines it does not know dropped (it logs them and goes on). */
const as239 = unitText
  .split('\n')
  .filter((l) => !after239.some((d) => l.startsWith(`${d}=`)))
  .join('\n');

describe(`systemd/vrrpd.service on RHEL 8 (systemd ${RHEL8})`, () => {
  it('every directive of the unit is dated (a new one must say which systemd has it)', () => {
    expect(directives.filter((d) => SINCE[d] === undefined)).toEqual([]);
  });

  it("the directives after 239 are exactly docs/operations.md's list for RHEL 8, with its versions", () => {
    const paragraph = (/\*\*RHEL 8's systemd 239\*\*[\s\S]*?\n\n/.exec(operations)?.[0] ?? '').replace(/\s+/g, ' ');
    expect(paragraph).not.toBe('');
    // "`ProtectHostname=` and `RestrictSUIDSGID=` (242), `ProtectKernelLogs=` (244), ..."
    const listed = new Map<string, number>();
    for (const m of paragraph.matchAll(/((?:`\w+=`(?: and |, )?)+) \((\d{3})\)/g)) {
      for (const d of (m[1] ?? '').matchAll(/`(\w+)=`/g)) listed.set(d[1] ?? '', Number(m[2]));
    }
    const lost = new Map(after239.map((d) => [d, SINCE[d] as number]));
    // The docs' list also names what 239 does have; those are at or below 239 in both.
    const listedLost = new Map([...listed].filter(([, v]) => v > RHEL8));
    expect(listedLost).toEqual(lost);
    expect(after239.sort()).toEqual(['PrivateIPC', 'ProtectClock', 'ProtectHostname', 'ProtectKernelLogs', 'RestrictSUIDSGID']);
    for (const [d, v] of listed) if (v <= RHEL8) expect(SINCE[d]).toBe(v);
  });
});

describeUnless(!analyze)(`the unit as systemd ${RHEL8} applies it, judged by this systemd${skipWhy}`, () => {
  const root = mkdtempSync(join(tmpdir(), 'vrrpd-unit-239-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('verify is clean without the five lines', () => {
    expect(as239).not.toBe(unitText);
    expect(verifyUnder(root, 'as239', as239)).toEqual({ code: 0, out: '' });
  });

  it("scores docs/operations.md's exposure without them (2.5), still within 3.0", () => {
    const path = join(root, 'vrrpd.service');
    writeFileSync(path, as239);
    const score = exposure(path);
    console.log(`systemd-analyze security --offline=true, the unit without ${after239.join(', ')}: ${score}`);
    expect(operations).toContain(`scores the unit without\nthose five lines ${score.toFixed(1)} instead of`);
    expect(score).toBeLessThanOrEqual(3.0);
  });

  it('a directive this systemd does not know is reported by verify, as 239 reports the five (so the check above could fail)', () => {
    const r = verifyUnder(root, 'unknown', unitText.replace('PrivateIPC=yes', 'PrivateIPC=yes\nProtectFutureThing=yes'));
    expect(r.out).toMatch(/Unknown key 'ProtectFutureThing' in section \[Service\], ignoring/);
  });
});
