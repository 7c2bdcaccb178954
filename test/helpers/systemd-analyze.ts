// systemd-analyze as the unit tests use it: `verify` of a unit inside a throw-away root (vrrpd is not
// installed on a build machine) and the offline exposure score.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
export const analyze = probe.status === 0;
export const skipWhy = analyze ? '' : ` (skipped: systemd-analyze cannot run here: ${probe.error?.message ?? probe.stderr}; scripts/setup.sh installs the systemd package)`;

export function runAnalyze(args: string[]): { code: number | null; out: string } {
  const r = spawnSync('systemd-analyze', args, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** "→ Overall exposure level for vrrpd.service: 2.0 OK 🙂" */
export function exposure(unit: string): number {
  const r = runAnalyze(['security', '--offline=true', '--no-pager', unit]);
  const m = /Overall exposure level for \S+: (\d+\.\d+)/.exec(r.out);
  if (!m) throw new Error(`no exposure level in systemd-analyze's output:\n${r.out}`);
  return Number(m[1]);
}

/**
 * verify checks that ExecStart's binary exists, and vrrpd is not installed on a build machine: so
 * verify under --root, a tree in `root`/`name` with the system's own units, stand-ins for
 * /usr/sbin/vrrpd and /bin/kill, and the unit where an operator installs it.
 */
export function verifyUnder(root: string, name: string, text: string): { code: number | null; out: string } {
  const tree = join(root, name);
  const systemUnits = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((d) => existsSync(join(d, 'sysinit.target')));
  if (systemUnits === undefined) throw new Error('no systemd unit directory with sysinit.target');
  cpSync(systemUnits, join(tree, 'usr/lib/systemd/system'), { recursive: true, dereference: false });
  for (const bin of ['usr/sbin/vrrpd', 'bin/kill']) {
    mkdirSync(join(tree, bin, '..'), { recursive: true });
    writeFileSync(join(tree, bin), '#!/bin/sh\n');
    chmodSync(join(tree, bin), 0o755);
  }
  mkdirSync(join(tree, 'etc/systemd/system'), { recursive: true });
  writeFileSync(join(tree, 'etc/systemd/system/vrrpd.service'), text);
  return runAnalyze(['verify', `--root=${tree}`, '--man=no', '/etc/systemd/system/vrrpd.service']);
}
