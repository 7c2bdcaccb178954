// Hosts with a real systemd for the lab: a Debian bookworm tree (scripts/lab-rootfs.sh, cached
// outside the repo) booted by `systemd-nspawn --boot` with systemd 252 as PID 1, inside one of the
// lab's network namespaces, each on an overlay of its own (the cache stays untouched; the overlay
// outlives a reboot of the container). The packages come from `npm run release` on a committed
// copy of this tree, plus a local `nodejs` package wrapping the pinned Node 24 (.node/): vrrpd's
// deb depends on nodejs (>= 22.12), which on Debian is NodeSource's package, while bookworm's own
// nodejs is 18 and the container has no network. Containers are driven with `nsenter -t PID1 -a`
// (the host has no systemd, so no machinectl). Powered off on destroy; killed with the lab's
// namespaces when the process exits or is interrupted.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { labAvailable, type Lab, type LabAvailability } from './netns.js';
import { execBounded, sleep, spawnTracked, type ExecOptions, type ExecResult, type TrackedProcess } from './process.js';
import { startReaper, type Reaper } from './reaper.js';
import { repoRoot } from './vrrpd.js';
import { err, ok, type Result } from '../src/types.js';

export const ROOTFS = process.env['VRRPD_LAB_ROOTFS'] ?? '/var/cache/vrrpd-lab/bookworm-systemd';
/** The Node.js the containers run: the pinned linux-x64 Node 24 (scripts/node-lts), packaged as NodeSource names it. */
const NODE24 = (): string => join(repoRoot(), '.node', 'node_modules', 'node24');
const MINUTE = 60_000;

/** Whether this host can boot the containers: the lab, systemd-nspawn, nsenter, overlayfs, the pinned Node 24. */
export function systemdLabAvailable(): LabAvailability {
  const lab = labAvailable();
  if (!lab.ok) return lab;
  for (const tool of ['systemd-nspawn', 'nsenter', 'dpkg-deb']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return { ok: false, reason: `${tool} is not installed (scripts/setup.sh installs it)` };
  }
  if (!readFileSync('/proc/filesystems', 'utf8').includes('\toverlay\n')) {
    spawnSync('modprobe', ['overlay']);
    if (!readFileSync('/proc/filesystems', 'utf8').includes('\toverlay\n')) return { ok: false, reason: 'the kernel has no overlay file system' };
  }
  if (!existsSync(join(NODE24(), 'bin', 'node'))) return { ok: false, reason: `no pinned Node 24 at ${NODE24()} (run scripts/setup.sh)` };
  return { ok: true };
}

/** The cached tree, built (network needed) when missing or out of date. */
export async function ensureRootfs(): Promise<Result<string, string>> {
  const r = await execBounded(['bash', join(repoRoot(), 'scripts', 'lab-rootfs.sh'), ROOTFS], { timeoutMs: 10 * MINUTE });
  if (r.code !== 0) return err(`scripts/lab-rootfs.sh ${ROOTFS} failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${r.stderr.trim() || r.stdout.trim()}`);
  return ok(ROOTFS);
}

function run(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const [cmd, ...args] = argv;
  const r = spawnSync(cmd as string, args, { encoding: 'utf8', cwd, env, timeout: 10 * MINUTE, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status} ${r.error?.message ?? ''}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * The working tree as one commit in `dir` (tracked and untracked-but-not-ignored files as they are
 * now), `edit` applied first, committed at HEAD's time so SOURCE_DATE_EPOCH is the same in every copy.
 */
export function committedCopy(dir: string, edit?: (root: string) => void): string {
  const root = repoRoot();
  const files = run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], root)
    .split('\0')
    .filter((f) => f !== '' && existsSync(join(root, f)));
  mkdirSync(dir, { recursive: true });
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    run(['cp', '-a', join(root, f), join(dir, f)], root);
  }
  edit?.(dir);
  const when = run(['git', 'log', '-1', '--format=%ct'], root).trim();
  const env = { ...process.env, GIT_AUTHOR_DATE: `@${when}`, GIT_COMMITTER_DATE: `@${when}`, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
  run(['git', 'init', '-q', '.'], dir);
  run(['git', 'add', '-A'], dir, env);
  run(['git', 'commit', '-q', '-m', 'release test'], dir, env);
  return dir;
}

export interface Packages {
  readonly vrrpd: string;
  readonly nodejs: string;
}

/**
 * A `nodejs` deb of the pinned Node 24 binary, versioned as NodeSource's (24.21.0-1nodesource1),
 * uncompressed (the binary is 120 MB; xz would take a minute for a package that never leaves here).
 */
function nodejsDeb(dir: string): string {
  const work = dir;
  const version = run([join(NODE24(), 'bin', 'node'), '--version'], work).trim().replace(/^v/, '');
  const root = join(work, 'nodejs-root');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, 'usr', 'bin'), { recursive: true });
  mkdirSync(join(root, 'DEBIAN'));
  copyFileSync(join(NODE24(), 'bin', 'node'), join(root, 'usr', 'bin', 'node'));
  chmodSync(join(root, 'usr', 'bin', 'node'), 0o755);
  writeFileSync(
    join(root, 'DEBIAN', 'control'),
    [
      'Package: nodejs',
      `Version: ${version}-1nodesource1`,
      'Architecture: amd64',
      'Maintainer: vrrpd lab <lab@example.org>',
      'Depends: libc6 (>= 2.28), libstdc++6 (>= 8)',
      'Section: web',
      'Priority: optional',
      `Description: Node.js ${version} (the vrrpd lab's stand-in for NodeSource's nodejs)`,
      '',
    ].join('\n'),
  );
  const deb = join(work, `nodejs_${version}-1nodesource1_amd64.deb`);
  run(['dpkg-deb', '--root-owner-group', '-Znone', '--build', root, deb], work);
  rmSync(root, { recursive: true, force: true });
  return deb;
}

/**
 * The deb `npm run release` makes from a committed copy of this tree (x86_64; about 40 s), or the
 * one VRRPD_LAB_DEB names (to iterate on the lab without rebuilding), and the nodejs stand-in.
 */
export function buildPackages(work: string): Result<Packages, string> {
  try {
    mkdirSync(work, { recursive: true });
    let vrrpd = process.env['VRRPD_LAB_DEB'];
    if (vrrpd === undefined || vrrpd === '') {
      const copy = committedCopy(join(work, 'copy'));
      const out = join(work, 'release');
      run(['bash', 'scripts/release.sh', out], copy);
      const name = readdirSync(out).find((f) => /^vrrpd_.*_amd64\.deb$/.test(f));
      if (name === undefined) return err(`npm run release made no amd64 deb in ${out}`);
      vrrpd = join(out, name);
      rmSync(copy, { recursive: true, force: true });
    } else if (!existsSync(vrrpd)) {
      return err(`VRRPD_LAB_DEB=${vrrpd} does not exist`);
    }
    // One directory, bound read-only into the containers.
    const dir = join(work, 'packages');
    mkdirSync(dir, { recursive: true });
    const deb = join(dir, vrrpd.split('/').at(-1) ?? 'vrrpd.deb');
    copyFileSync(vrrpd, deb);
    return ok({ vrrpd: deb, nodejs: nodejsDeb(dir) });
  } catch (e) {
    return err(`building the packages failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Containers

export interface Container {
  readonly host: string;
  /** The merged tree (overlay of the cache and this container's own layer). */
  readonly root: string;
  /** The container's PID 1 as the host sees it; undefined while it is not running. */
  leader(): number | undefined;
  /** argv inside the container (all its namespaces), bounded in time. */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Like exec, a non-zero exit is an error value naming the command and its output. */
  must(argv: readonly string[], opts?: ExecOptions): Promise<Result<string, string>>;
  /** Boot (again): start systemd-nspawn and wait until systemd reports running (or degraded). */
  boot(): Promise<Result<void, string>>;
  /** `systemctl reboot` inside, then wait for the new boot (nspawn exits on a reboot; it is started again). */
  reboot(): Promise<Result<void, string>>;
  /** The last lines of the container's journal, for failure reports. */
  journalTail(lines?: number): Promise<string>;
  /** Orderly poweroff (nspawn's SIGTERM is the container's SIGRTMIN+3), SIGKILL after graceMs. */
  poweroff(graceMs?: number): Promise<void>;
}

/** /proc/PID/task/PID/children: the first child, nspawn's container init. */
function childOf(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first === undefined || first === '' ? undefined : Number(first);
  } catch {
    return undefined;
  }
}

function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function unmount(path: string): void {
  if (!readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === path)) return;
  try {
    execFileSync('umount', [path], { timeout: 10_000, stdio: 'ignore' });
  } catch {
    execFileSync('umount', ['-l', path], { timeout: 10_000, stdio: 'ignore' });
  }
}

/**
 * A container for lab host `host`, in that host's network namespace, its tree an overlay of
 * ROOTFS in `dir` (created here, removed on destroy), `binds` read-only inside as given. Not booted yet.
 */
export function createContainer(
  lab: Lab,
  host: string,
  dir: string,
  binds: readonly { host: string; inside: string }[] = [],
  reaper?: Reaper,
): Result<Container, string> {
  const root = join(dir, 'root');
  try {
    for (const d of ['upper', 'work', 'root']) mkdirSync(join(dir, d), { recursive: true });
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${ROOTFS},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`, root], {
      timeout: 10_000,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    return err(`cannot mount the overlay for ${host} at ${root}: ${e instanceof Error ? e.message : String(e)}`);
  }
  reaper?.set(`mount ${host}`, `mount ${root}`);
  // A persistent journal (journald's Storage=auto uses /var/log/journal when it exists): a reboot keeps the lines before it.
  mkdirSync(join(root, 'var', 'log', 'journal'), { recursive: true });
  // The root is the host's overlay mount, with no fstab entry to apply: remounting it fails now and
  // then ("Remount Root and Kernel File Systems") and leaves the boot degraded for nothing.
  try {
    symlinkSync('/dev/null', join(root, 'etc', 'systemd', 'system', 'systemd-remount-fs.service'));
  } catch {
    // already masked (a second boot of the same tree)
  }
  let nspawn: TrackedProcess | undefined;
  let stopping = false;
  const ns = lab.ns(host);
  const leader = (): number | undefined => {
    if (nspawn === undefined || !nspawn.running()) return undefined;
    const child = childOf(nspawn.pid);
    if (child === undefined || commOf(child) !== 'systemd') return undefined;
    reaper?.set(`leader ${host}`, `pid ${child} systemd`);
    return child;
  };
  const exec = async (argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> => {
    const pid = leader();
    if (pid === undefined) return { code: null, signal: null, stdout: '', stderr: `container ${host} is not running`, timedOut: false };
    return execBounded(['nsenter', '-t', String(pid), '-a', ...argv], opts);
  };
  const must = async (argv: readonly string[], opts?: ExecOptions): Promise<Result<string, string>> => {
    const r = await exec(argv, opts);
    if (r.code === 0 && !r.timedOut) return ok(r.stdout);
    return err(`[${host}] ${argv.join(' ')}: ${r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}`}: ${(r.stderr + r.stdout).trim()}`);
  };
  const start = (): Result<void, string> => {
    const argv = [
      'systemd-nspawn', '-q', '-D', root, '--boot', '--register=no', '--keep-unit', `--machine=vrrpd-${host}`,
      '--capability=CAP_NET_ADMIN', `--network-namespace-path=/run/netns/${ns}`, '--console=pipe',
      ...binds.map((b) => `--bind-ro=${b.host}:${b.inside}`),
    ];
    const p = spawnTracked(argv);
    if (!p.ok) return err(p.error);
    nspawn = p.value;
    reaper?.set(`nspawn ${host}`, `pid ${p.value.pid} systemd-nspawn`);
    return ok(undefined);
  };
  const waitRunning = async (timeoutMs: number): Promise<Result<void, string>> => {
    const deadline = Date.now() + timeoutMs;
    while (leader() === undefined) {
      if (nspawn === undefined || !nspawn.running()) return err(`systemd-nspawn for ${host} exited: ${nspawn?.lines.map((l) => l.text).slice(-20).join('\n') ?? ''}`);
      if (Date.now() > deadline) return err(`container ${host}: no systemd as PID 1 after ${timeoutMs} ms`);
      await sleep(50);
    }
    // Until PID 1 has its bus socket up, systemctl cannot even ask; until it has made
    // /run/systemd/system, systemctl says "offline" (sd_booted() is false in there yet).
    const tooEarly = (x: { stdout: string; stderr: string }): boolean =>
      (x.stdout.trim() === '' && /Failed to connect to bus/.test(x.stderr)) || x.stdout.trim() === 'offline';
    let r = await exec(['systemctl', 'is-system-running', '--wait'], { timeoutMs: Math.max(1000, deadline - Date.now()) });
    while (tooEarly(r) && Date.now() < deadline) {
      await sleep(100);
      r = await exec(['systemctl', 'is-system-running', '--wait'], { timeoutMs: Math.max(1000, deadline - Date.now()) });
    }
    const state = r.stdout.trim();
    if (state === 'running') return ok(undefined);
    if (state === 'degraded') {
      // A unit of the container's own failed (under load: systemd-update-utmp, remount-fs, whose
      // cgroup systemd cannot always kill here); nothing vrrpd needs, so say which and go on.
      const failed = await exec(['systemctl', '--failed', '--no-legend', '--plain'], { timeoutMs: 5000 });
      console.warn(`container ${host} booted degraded (going on): ${failed.stdout.trim()}`);
      return ok(undefined);
    }
    return err(`container ${host} did not finish booting (${state || r.stderr.trim() || 'timed out'})`);
  };
  const poweroff = async (graceMs = 20_000): Promise<void> => {
    stopping = true;
    const p = nspawn;
    if (p === undefined || !p.running()) return;
    await p.stop(graceMs);
  };
  const container: Container = {
    host,
    root,
    leader,
    exec,
    must,
    async boot() {
      stopping = false;
      const started = start();
      if (!started.ok) return started;
      return waitRunning(60_000);
    },
    async reboot() {
      const before = nspawn;
      await exec(['systemctl', 'reboot'], { timeoutMs: 10_000 });
      // systemd-nspawn exits (133) when its container reboots; systemd-nspawn@.service starts it again.
      const gone = await Promise.race([before?.exited.then(() => true), sleep(60_000).then(() => false)]);
      if (!gone) return err(`container ${host} did not go down for the reboot within 60 s`);
      if (stopping) return err(`container ${host} is being powered off`);
      return container.boot();
    },
    async journalTail(lines = 60) {
      const r = await exec(['journalctl', '--no-pager', '-n', String(lines), '-o', 'short-precise'], { timeoutMs: 10_000 });
      return `--- journal of container ${host} (last ${lines} lines) ---\n${r.stdout}${r.stderr}`;
    },
    poweroff,
  };
  const sync = (): void => {
    // At exit: the lab kills every process of its namespaces (the container's too) first.
    const pid = leader();
    if (pid !== undefined) spawnSync('kill', ['-KILL', String(pid)]);
    nspawn?.kill('SIGKILL');
    try {
      unmount(root);
    } catch {
      // busy while its processes die: lazy unmount failed too; the directory is left
    }
    rmSync(dir, { recursive: true, force: true });
  };
  lab.onDestroy(async () => {
    await poweroff(20_000);
    sync();
  }, sync);
  return ok(container);
}

// ---------------------------------------------------------------------------------------------
// The seed's pair, installed from the package

export interface SystemdPair {
  readonly a: Container;
  readonly b: Container;
  /** Power both off (B first: A stays MASTER to the end). */
  poweroff(): Promise<void>;
}

const PKG_DIR = '/run/vrrpd-lab-packages';

/** Install the packages with apt (no network: every dependency is in the tree), the seed config as /etc/vrrpd.conf. */
async function install(c: Container, pkgs: Packages, config: string): Promise<Result<void, string>> {
  const inside = (p: string): string => join(PKG_DIR, p.split('/').at(-1) ?? p);
  const apt = await c.must(['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', inside(pkgs.nodejs), inside(pkgs.vrrpd)], { timeoutMs: 3 * MINUTE });
  if (!apt.ok) return apt;
  // The postinst's owner and mode (root:vrrpd 0640) stay: the file is rewritten, not replaced.
  const conf = await c.must(['sh', '-c', 'cat > /etc/vrrpd.conf'], { input: config, timeoutMs: 10_000 });
  return conf.ok ? ok(undefined) : conf;
}

/**
 * Containers `a` and `b` on the lab's hosts of those names, booted, with the packages installed and
 * etc/node-a.conf / etc/node-b.conf as /etc/vrrpd.conf; vrrpd not started (the caller enables it).
 */
export async function bootPair(lab: Lab, work: string, pkgs: Packages): Promise<Result<SystemdPair, string>> {
  const binds = [{ host: dirname(pkgs.vrrpd), inside: PKG_DIR }];
  // Interrupted (vitest SIGKILLs its workers on Ctrl+C), the reaper removes what is left.
  const reaper = startReaper(work);
  for (const ns of [lab.switchNs, ...lab.hosts.map((h) => h.ns)]) reaper.set(`ns ${ns}`, `ns ${ns}`);
  const made: Container[] = [];
  for (const host of ['a', 'b']) {
    const c = createContainer(lab, host, join(work, `container-${host}`), binds, reaper);
    if (!c.ok) return c;
    made.push(c.value);
  }
  const [a, b] = made as [Container, Container];
  const booted = await Promise.all([a.boot(), b.boot()]);
  for (const r of booted) if (!r.ok) return r;
  const config = (name: string): string => readFileSync(join(repoRoot(), 'etc', name), 'utf8');
  const installed = await Promise.all([install(a, pkgs, config('node-a.conf')), install(b, pkgs, config('node-b.conf'))]);
  for (const r of installed) if (!r.ok) return r;
  return ok({
    a,
    b,
    async poweroff() {
      await b.poweroff();
      await a.poweroff();
    },
  });
}
