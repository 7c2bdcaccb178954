// systemd/vrrpd.service as systemd itself judges it: `systemd-analyze verify` has nothing to say,
// and `systemd-analyze security --offline=true` scores it 3.0 or lower (keepalived's units: 9.6 for
// Debian's and its upstream default, 5.6 for its hardened non-root one). Also what the unit
// promises operators: notify, reload by HUP, the sysconfig file, an unprivileged user, two capabilities.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../lab/vrrpd.js';
import { analyze, exposure, skipWhy, verifyUnder as verifyUnderRoot } from '../helpers/systemd-analyze.js';
import { describeUnless, itUnless } from '../helpers/unmet.js';

const unitPath = join(repoRoot(), 'systemd', 'vrrpd.service');
const unitText = readFileSync(unitPath, 'utf8');

/** Every value of `key=` in the unit, in order (a key may repeat). */
function values(key: string): string[] {
  return unitText
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
}

describeUnless(!analyze)(`systemd-analyze on systemd/vrrpd.service${skipWhy}`, () => {
  let root = '';
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'vrrpd-unit-test-'));
  });
  afterAll(() => {
    if (root !== '') rmSync(root, { recursive: true, force: true });
  });

  const verifyUnder = (name: string, text: string): { code: number | null; out: string } => verifyUnderRoot(root, name, text);

  it('verify is clean', () => {
    expect(verifyUnder('ours', unitText)).toEqual({ code: 0, out: '' });
  });

  it('verify does speak up about a broken unit (so its silence above means something)', () => {
    const broken = verifyUnder('broken', unitText.replace('Type=notify', 'Type=notifyy').replace('/bin/kill', '/bin/nokill'));
    expect(broken.out).toMatch(/notifyy/);
    expect(broken.out).toMatch(/nokill/);
  });

  itUnless(spawnSync('systemd-sysusers', ['--help']).status !== 0)('systemd/vrrpd.sysusers creates the user and group the unit runs as', () => {
    const tree = join(root, 'sysusers');
    mkdirSync(join(tree, 'etc'), { recursive: true });
    writeFileSync(join(tree, 'etc/passwd'), '');
    writeFileSync(join(tree, 'etc/group'), '');
    const r = spawnSync('systemd-sysusers', [`--root=${tree}`, join(repoRoot(), 'systemd', 'vrrpd.sysusers')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(readFileSync(join(tree, 'etc/passwd'), 'utf8')).toMatch(/^vrrpd:x:\d+:\d+:[^:]*:\/var\/lib\/vrrpd:\/sbin\/nologin$/m);
    expect(readFileSync(join(tree, 'etc/group'), 'utf8')).toMatch(/^vrrpd:x:\d+:/m);
    expect([values('User'), values('Group')]).toEqual([['vrrpd'], ['vrrpd']]);
  });

  it('security --offline=true scores 3.0 or lower', () => {
    const score = exposure(unitPath);
    console.log(`systemd-analyze security --offline=true systemd/vrrpd.service: ${score}`);
    expect(score).toBeLessThanOrEqual(3.0);
  });

  itUnless(!existsSync('/lib/systemd/system/keepalived.service'))('keepalived as Debian ships it scores worse (reference: 9.6 UNSAFE)', () => {
    const copy = join(root, 'keepalived.service');
    copyFileSync('/lib/systemd/system/keepalived.service', copy);
    const theirs = exposure(copy);
    console.log(`systemd-analyze security --offline=true keepalived.service (Debian): ${theirs}`);
    expect(theirs).toBeGreaterThan(exposure(unitPath));
  });
});

describe('what systemd/vrrpd.service promises', () => {
  it('is Type=notify with a watchdog, reloads by SIGHUP and restarts on failure', () => {
    expect(values('Type')).toEqual(['notify']);
    expect(values('WatchdogSec')).toHaveLength(1);
    expect(values('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
    expect(values('Restart')).toEqual(['on-failure']);
    expect(values('After')).toContain('network-online.target');
    expect(values('Wants')).toContain('network-online.target');
  });

  it('runs in the foreground with the options of /etc/sysconfig/vrrpd, whose default is -D', () => {
    expect(values('EnvironmentFile')).toEqual(['-/etc/sysconfig/vrrpd']);
    const [execStart] = values('ExecStart');
    expect(execStart?.split(' ')).toEqual(expect.arrayContaining(['-n', '$VRRPD_OPTIONS']));
    const sysconfig = readFileSync(join(repoRoot(), 'etc', 'sysconfig', 'vrrpd'), 'utf8');
    expect(sysconfig.split('\n').filter((l) => !l.startsWith('#') && l.trim() !== '')).toEqual(['VRRPD_OPTIONS="-D"']);
  });

  it('runs as the vrrpd user with exactly CAP_NET_RAW and CAP_NET_ADMIN, and no way to gain more', () => {
    expect(values('User')).toEqual(['vrrpd']);
    expect(values('DynamicUser')).toEqual([]);
    const caps = (key: string): string[] => values(key).flatMap((v) => v.split(/\s+/)).sort();
    expect(caps('AmbientCapabilities')).toEqual(['CAP_NET_ADMIN', 'CAP_NET_RAW']);
    expect(caps('CapabilityBoundingSet')).toEqual(['CAP_NET_ADMIN', 'CAP_NET_RAW']);
    expect(values('NoNewPrivileges')).toEqual(['yes']);
    // The sockets vrrpd opens: VRRP raw (INET), rtnetlink, AF_PACKET for GARP, syslog (UNIX).
    expect(values('RestrictAddressFamilies')).toEqual(['AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET']);
  });
});
