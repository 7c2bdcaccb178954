// `npm run demo -- --systemd [--minutes N]`: the seed's pair as two booted Debian containers with
// systemd as PID 1 (lab/systemd.ts), vrrpd installed from the deb `npm run release` builds, enabled
// with etc/node-a.conf and etc/node-b.conf, a client namespace beside them. It prints the commands
// to look around (nsenter into a container for systemctl/journalctl, ip netns exec for the client)
// and keeps everything up until Enter, Ctrl+C or N minutes (default 60), then powers the containers
// off and deletes the namespaces.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, LAB_VIP, pairLabSpec, type Lab } from './netns.js';
import { sleep } from './process.js';
import { bootPair, buildPackages, ensureRootfs, systemdLabAvailable, type Container, type SystemdPair } from './systemd.js';

const say = (line: string): void => console.log(line);

async function waitStatus(c: Container, want: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await c.exec(['systemctl', 'show', '-p', 'StatusText', '--value', 'vrrpd']);
    if (r.stdout.trim() === want) return true;
    await sleep(100);
  }
  return false;
}

/** Enter on stdin, SIGINT/SIGTERM, or the time limit, whichever comes first. */
function untilAsked(minutes: number): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(`${minutes} minutes passed`), minutes * 60_000);
    const done = (why: string): void => {
      clearTimeout(timer);
      process.stdin.pause();
      resolve(why);
    };
    process.stdin.once('data', () => done('Enter pressed'));
    process.stdin.once('end', () => undefined);
    process.once('SIGINT', () => done('interrupted'));
    process.once('SIGTERM', () => done('terminated'));
  });
}

function parseMinutes(args: readonly string[]): number | string {
  const rest = args.filter((a) => a !== '--systemd');
  if (rest.length === 0) return 60;
  const minutes = Number(rest[1]);
  if (rest.length === 2 && rest[0] === '--minutes' && Number.isInteger(minutes) && minutes > 0 && minutes <= 24 * 60) return minutes;
  return `usage: npm run demo -- --systemd [--minutes N] (N: 1..1440; got '${rest.join(' ')}')`;
}

export async function systemdDemo(args: readonly string[]): Promise<number> {
  const minutes = parseMinutes(args);
  if (typeof minutes === 'string') {
    console.error(minutes);
    return 2;
  }
  const available = systemdLabAvailable();
  if (!available.ok) {
    console.error(`demo --systemd cannot boot containers here: ${available.reason}`);
    return 1;
  }
  say('Debian tree for the containers (built once with debootstrap, about a minute; cached in /var/cache/vrrpd-lab)...');
  const rootfs = await ensureRootfs();
  if (!rootfs.ok) {
    console.error(rootfs.error);
    return 1;
  }
  const work = mkdtempSync(join(tmpdir(), 'vrrpd-demo-systemd-'));
  let lab: Lab | undefined;
  let pair: SystemdPair | undefined;
  try {
    say('building the deb (npm run release on a committed copy of this tree, about 40 s)...');
    const pkgs = buildPackages(work);
    if (!pkgs.ok) throw new Error(pkgs.error);
    lab = await createLab(pairLabSpec());
    say('booting two containers with systemd as PID 1 and installing the packages with apt...');
    const booted = await bootPair(lab, work, pkgs.value);
    if (!booted.ok) throw new Error(booted.error);
    pair = booted.value;
    for (const c of [pair.a, pair.b]) {
      const r = await c.must(['systemctl', 'enable', '--now', 'vrrpd'], { timeoutMs: 30_000 });
      if (!r.ok) throw new Error(r.error);
    }
    const aMaster = await waitStatus(pair.a, 'MASTER: VI_1', 8000);
    const bBackup = await waitStatus(pair.b, 'BACKUP: VI_1', 8000);
    const a = pair.a.leader();
    const b = pair.b.leader();
    const client = lab.ns('client');
    say('');
    say(`node A: container PID ${a}, 192.0.2.11, etc/node-a.conf (priority 150)${aMaster ? ', MASTER' : ''}`);
    say(`node B: container PID ${b}, 192.0.2.12, etc/node-b.conf (priority 100)${bBackup ? ', BACKUP' : ''}`);
    say(`client: namespace ${client}, 192.0.2.100; VIP ${LAB_VIP}`);
    say('');
    say('Look around (as root, in another terminal):');
    say(`  nsenter -t ${a} -a systemctl status vrrpd`);
    say(`  nsenter -t ${a} -a journalctl -u vrrpd -f`);
    say(`  nsenter -t ${a} -a journalctl -u vrrpd VRRP_INSTANCE=VI_1 VRRP_STATE=MASTER -o verbose`);
    say(`  nsenter -t ${a} -a systemctl stop vrrpd        # B takes over after Skew_Time (0.61 s)`);
    say(`  nsenter -t ${a} -a systemctl start vrrpd       # A preempts after its Master_Down_Interval`);
    say(`  nsenter -t ${a} -a systemctl kill --kill-who=main -s KILL vrrpd   # Restart= brings it back in 2 s`);
    say(`  nsenter -t ${a} -a sh -c 'vi /etc/vrrpd.conf && systemctl reload vrrpd'`);
    say(`  nsenter -t ${b} -a journalctl -u vrrpd -f`);
    say(`  ip netns exec ${client} ping ${LAB_VIP}`);
    say(`  ip netns exec ${client} ip neigh show ${LAB_VIP}`);
    say('(A reboot or poweroff inside a container ends that container for this demo.)');
    say('');
    say(`Press Enter (or Ctrl+C) to tear everything down; it goes by itself after ${minutes} minutes.`);
    const why = await untilAsked(minutes);
    say(`${why}: powering the containers off and deleting the namespaces...`);
    return 0;
  } catch (e) {
    console.error(`demo --systemd failed: ${e instanceof Error ? e.message : String(e)}`);
    for (const c of [pair?.a, pair?.b]) if (c !== undefined) console.error(await c.journalTail(40));
    return 1;
  } finally {
    await pair?.poweroff();
    await lab?.destroy();
    rmSync(work, { recursive: true, force: true });
    say('torn down.');
  }
}
