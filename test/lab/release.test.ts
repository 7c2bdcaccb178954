// `npm run release` (scripts/release.sh) end to end, on a committed copy of this working tree:
// - built twice, the artifacts are the same bytes (SOURCE_DATE_EPOCH, sorted archives);
// - the npm tarball installs with `npm install -g --offline` from an empty cache, no registry and
//   no compiler on PATH, and nothing is compiled;
// - the RPM (rpm2cpio | cpio), the deb (dpkg-deb -x) and the npm install lay out the same tree
//   under the package directory (paths, types, modes, contents), less npm's node_modules/.bin and
//   the other architectures' prebuilt binaries the rpm and deb leave out; the rpm and the deb carry
//   the same system files;
// - the installed command runs from each: `vrrpd --version`, and `vrrpd -t` on the shipped
//   /etc/vrrpd.conf inside a lab host that has its eth0 with 192.0.2.11/24 (so the check has the
//   interface it names and passes, rather than a host-dependent "interface missing"). The rpm's and
//   deb's /usr is put over this host's /usr with a read-only overlay in a private mount namespace, so
//   /usr/sbin/vrrpd runs as installed while the host's file system is never touched;
// - an RPM upgrade (rpm --root into a directory) keeps the edited configuration files;
// - upgrading the MASTER as the packages' scriptlets do (try-restart: the old tree stopped, the
//   unpacked RPM's started) loses the VIP for one takeover at most, with no lasting second master;
// - bad input fails naming the problem: a dirty tree, a stale dist/, a .node above RHEL 8's ceiling,
//   a vrrpd(8) lacking a flag of src/cli/flags.ts.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, LAB_VIP, labAvailable, NODE_A, pairLabSpec, type Lab } from '../../lab/netns.js';
import { committedCopy } from '../../lab/systemd.js';
import { repoRoot, startVrrpd, type Vrrpd } from '../../lab/vrrpd.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();
const MINUTE = 60_000;
const version = (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string }).version;

function run(argv: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  const [cmd, ...args] = argv;
  return spawnSync(cmd as string, args, { encoding: 'utf8', cwd: opts.cwd, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 5 * MINUTE, maxBuffer: 64 << 20 });
}

function must(argv: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = run(argv, opts);
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status} ${r.error?.message ?? ''}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function release(copy: string, out: string): SpawnSyncReturns<string> {
  return run(['bash', 'scripts/release.sh', out], { cwd: copy, timeoutMs: 8 * MINUTE });
}

/** Every entry under dir: type, mode, and the sha256 of a file or the target of a link. */
function treeOf(dir: string, skip: (rel: string) => boolean = () => false): Map<string, string> {
  const tree = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      if (skip(r)) continue;
      const st = lstatSync(join(dir, r));
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) tree.set(r, `link ${readlinkSync(join(dir, r))}`);
      else if (st.isDirectory()) {
        tree.set(r, `dir ${mode}`);
        walk(r);
      } else tree.set(r, `file ${mode} ${createHash('sha256').update(readFileSync(join(dir, r))).digest('hex')}`);
    }
  };
  walk('');
  return tree;
}

/** A directory of links to the tools an install needs, and no compiler, make or python. */
function pathWithoutCompilers(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const tool of ['node', 'npm', 'sh', 'env', 'readlink', 'cat', 'mkdir', 'rm', 'uname']) {
    const found = run(['sh', '-c', `command -v ${tool}`]).stdout.trim();
    if (found === '') throw new Error(`${tool} is not on PATH`);
    symlinkSync(found, join(dir, tool));
  }
  return dir;
}

describeUnless(!available.ok)(`npm run release${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  let work = '';
  let out1 = '';
  let lab: Lab | undefined;
  let built: SpawnSyncReturns<string> | undefined;
  const artifacts = (): string[] => readFileSync(join(out1, 'SHA256SUMS'), 'utf8').trim().split('\n').map((l) => l.split(/\s+/)[1] as string);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'vrrpd-release-test-'));
    const copy = committedCopy(join(work, 'copy'));
    out1 = join(work, 'out1');
    built = release(copy, out1);
    lab = await createLab({ hosts: [NODE_A] });
  }, 10 * MINUTE);
  afterAll(async () => {
    await lab?.destroy();
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it('builds the npm tarball, an rpm and a deb, with checksums', () => {
    expect(built?.stderr ?? '', `scripts/release.sh exit ${built?.status}`).not.toMatch(/^release: (?!vrrpd |npm |rpmbuild |dpkg-deb |\d+ \.node)/m);
    expect(built?.status).toBe(0);
    expect(artifacts()).toEqual([
      `vrrpd-${version}.tgz`,
      `vrrpd-${version}-1.x86_64.rpm`,
      `vrrpd_${version}-1_amd64.deb`,
      `vrrpd-${version}-1.aarch64.rpm`,
      `vrrpd_${version}-1_arm64.deb`,
    ]);
  });

  it('is reproducible: a second build from the same commit is the same bytes', () => {
    const out2 = join(work, 'out2');
    const again = release(join(work, 'copy'), out2);
    expect(again.status, again.stderr).toBe(0);
    expect(readFileSync(join(out2, 'SHA256SUMS'), 'utf8')).toBe(readFileSync(join(out1, 'SHA256SUMS'), 'utf8'));
  }, 8 * MINUTE);

  describe('installed three ways', () => {
    const npmPrefix = (): string => join(work, 'npm');
    const rpmRoot = (): string => join(work, 'rpm');
    const debRoot = (): string => join(work, 'deb');
    let install: SpawnSyncReturns<string> | undefined;
    let noCompilers = '';

    beforeAll(() => {
      noCompilers = pathWithoutCompilers(join(work, 'path'));
      const env = { ...process.env, PATH: noCompilers, npm_config_cache: join(work, 'npm-cache'), npm_config_nodedir: '' };
      install = run(['npm', 'install', '-g', '--offline', '--no-audit', '--no-fund', '--registry', 'http://127.0.0.1:9', '--prefix', npmPrefix(), join(out1, `vrrpd-${version}.tgz`)], { env });
      mkdirSync(rpmRoot());
      must(['sh', '-c', `rpm2cpio "$1" | cpio -idm --quiet`, 'sh', join(out1, `vrrpd-${version}-1.x86_64.rpm`)], { cwd: rpmRoot() });
      must(['dpkg-deb', '-x', join(out1, `vrrpd_${version}-1_amd64.deb`), debRoot()]);
      mkdirSync(join(work, 'rpm-arm64'));
      must(['sh', '-c', `rpm2cpio "$1" | cpio -idm --quiet`, 'sh', join(out1, `vrrpd-${version}-1.aarch64.rpm`)], { cwd: join(work, 'rpm-arm64') });
      must(['dpkg-deb', '-x', join(out1, `vrrpd_${version}-1_arm64.deb`), join(work, 'deb-arm64')]);
    }, 5 * MINUTE);

    it('npm install -g --offline: no registry, an empty cache, no compiler on PATH, nothing compiled', () => {
      for (const tool of ['g++', 'gcc', 'cc', 'make', 'python3']) expect(run(['sh', '-c', `PATH=${noCompilers} command -v ${tool}`]).status, tool).not.toBe(0);
      expect(install?.status, `${install?.stdout}\n${install?.stderr}`).toBe(0);
      const pkg = join(npmPrefix(), 'lib', 'node_modules', 'vrrpd');
      expect(existsSync(join(pkg, 'native', 'build'))).toBe(false);
      expect(existsSync(join(pkg, 'build'))).toBe(false);
      expect(readlinkSync(join(npmPrefix(), 'bin', 'vrrpd'))).toBe('../lib/node_modules/vrrpd/bin/vrrpd');
    }, MINUTE);

    it('the three carry the same tree under the package directory (the arm64 rpm and deb too)', () => {
      const npmPkg = join(npmPrefix(), 'lib', 'node_modules', 'vrrpd');
      // The rpm and the deb keep the docs in /usr/share/doc/vrrpd (the next test), not here.
      const isDoc = (rel: string): boolean => /^(docs(\/|$)|README\.md$|CHANGELOG\.md$)/.test(rel);
      const withoutDocs = (tree: Map<string, string>): Map<string, string> => new Map([...tree].filter(([rel]) => !isDoc(rel)));
      const npmTreeFor = (keep: string): Map<string, string> =>
        withoutDocs(treeOf(npmPkg, (rel) => rel === 'node_modules/.bin' || new RegExp(`(^|/)prebuilds/(?!${keep}$)[^/]+$`).test(rel)));
      const npmTree = npmTreeFor('linux-x64');
      const rpmTree = treeOf(join(rpmRoot(), 'usr', 'lib', 'vrrpd'));
      const debTree = treeOf(join(debRoot(), 'usr', 'lib', 'vrrpd'));
      expect(npmTree.size).toBeGreaterThan(100);
      // The bundle is what bin/vrrpd runs and what ships (scripts/bundle.ts), not tsc's dist/src.
      expect(npmTree.get('dist/bundle/cli.js')).toMatch(/^file 644 /);
      expect([...npmTree.keys()].filter((rel) => rel.startsWith('dist/src'))).toEqual([]);
      expect([...rpmTree]).toEqual([...npmTree]);
      expect([...debTree]).toEqual([...npmTree]);
      const npmArm = [...npmTreeFor('linux-arm64')];
      expect(npmArm.some(([rel]) => rel === 'prebuilds/linux-arm64/vrrpd_native.node')).toBe(true);
      expect([...treeOf(join(work, 'rpm-arm64', 'usr', 'lib', 'vrrpd'))]).toEqual(npmArm);
      expect([...treeOf(join(work, 'deb-arm64', 'usr', 'lib', 'vrrpd'))]).toEqual(npmArm);
      // Nothing a runtime does not need.
      // Nothing a runtime does not need; the addon's source stays for the install hook's build from
      // source on a platform without a prebuild.
      // Every source the build from source compiles, and every header they include.
      const addonSources = readdirSync(join(repoRoot(), 'native')).filter((n) => /\.(cc|h)$/.test(n));
      expect(addonSources.length).toBeGreaterThan(2);
      for (const name of [...addonSources, 'binding.gyp']) expect(npmTree.has(`native/${name}`), `native/${name}`).toBe(true);
      for (const rel of npmTree.keys()) {
        if (/^native\/(binding\.gyp|[\w-]+\.(cc|h))$/.test(rel)) continue;
        expect(rel).not.toMatch(/^(test|lab|bench|src|native)\/|^dist\/(lab|bench|scripts)\/|\.ts$|\.map$|\.pcap/);
      }
    });

    it('ship docs/, README.md and CHANGELOG.md: in the npm package beside bin/, in /usr/share/doc/vrrpd of the rpm and the deb, where the shipped comments point', () => {
      const repoDocs = treeOf(repoRoot(), (rel) => !/^(docs(\/|$)|README\.md$|CHANGELOG\.md$)/.test(rel));
      const files = [...repoDocs].filter(([, what]) => what.startsWith('file'));
      expect(files.length).toBeGreaterThan(10);
      const sha = (what: string): string => what.split(' ').at(-1) ?? '';
      const npmPkg = join(npmPrefix(), 'lib', 'node_modules', 'vrrpd');
      for (const [where, root] of [['npm', npmPkg], ['rpm', join(rpmRoot(), 'usr/share/doc/vrrpd')], ['deb', join(debRoot(), 'usr/share/doc/vrrpd')]] as const) {
        const shipped = treeOf(root);
        for (const [rel, what] of files) expect(sha(shipped.get(rel) ?? ''), `${where}: ${rel}`).toBe(sha(what));
      }
      for (const root of [rpmRoot(), debRoot()]) {
        expect(existsSync(join(root, 'usr/lib/vrrpd/docs'))).toBe(false);
        // Every /usr/share/doc/vrrpd path the shipped etc files and the unit name is there.
        const comments = ['etc/vrrpd.conf', 'etc/sysconfig/vrrpd', 'usr/lib/systemd/system/vrrpd.service'].map((f) => readFileSync(join(root, f), 'utf8')).join('\n');
        const named = [...comments.matchAll(/\/usr\/share\/doc\/vrrpd\/[\w./-]*\w/g)].map((m) => m[0]);
        expect(named).toContain('/usr/share/doc/vrrpd/docs/configuration.md');
        expect(named).toContain('/usr/share/doc/vrrpd/docs/operations.md');
        for (const path of named) expect(existsSync(join(root, path)), path).toBe(true);
        expect(comments).not.toMatch(/(?<![\w/])docs\/\w+\.md/);
      }
    });

    it('the rpm and the deb carry the same system files, and the unit starts /usr/sbin/vrrpd', () => {
      const system = ['usr/sbin/vrrpd', 'usr/lib/systemd/system/vrrpd.service', 'usr/lib/sysusers.d/vrrpd.conf', 'etc/vrrpd.conf', 'etc/sysconfig/vrrpd'];
      const rpmAll = treeOf(rpmRoot());
      const debAll = treeOf(debRoot());
      for (const f of system) {
        expect(rpmAll.get(f), f).toBeDefined();
        expect(debAll.get(f), f).toBe(rpmAll.get(f));
      }
      expect(rpmAll.get('etc/vrrpd.conf')).toMatch(/^file 640 /);
      const pkgUnit = readFileSync(join(rpmRoot(), 'usr/lib/vrrpd/systemd/vrrpd.service'), 'utf8');
      expect(readFileSync(join(rpmRoot(), 'usr/lib/systemd/system/vrrpd.service'), 'utf8')).toBe(pkgUnit);
      expect(pkgUnit).toMatch(/^ExecStart=\/usr\/sbin\/vrrpd /m);
      for (const page of ['usr/share/man/man8/vrrpd.8.gz', 'usr/share/man/man5/vrrpd.conf.5.gz']) {
        expect(rpmAll.has(page), page).toBe(true);
        expect(debAll.has(page), page).toBe(true);
      }
    }, MINUTE);

    it('the rpm\'s user is the sysusers.d file\'s (name, home, shell, comment)', () => {
      const sysusers = readFileSync(join(rpmRoot(), 'usr/lib/sysusers.d/vrrpd.conf'), 'utf8').split('\n').find((l) => l.startsWith('u '));
      const m = /^u (\S+) - "([^"]+)" (\S+) (\S+)$/.exec(sysusers ?? '');
      expect(m).not.toBeNull();
      const [, name, comment, home, shell] = m as unknown as string[];
      const scripts = must(['rpm', '-qp', '--scripts', join(out1, `vrrpd-${version}-1.x86_64.rpm`)]);
      expect(scripts).toContain(`useradd -r -g ${name} -d ${home} -s ${shell} -c "${comment}" ${name}`);
      expect(scripts).toMatch(/postuninstall scriptlet[^\n]*\n[^\n]*try-restart vrrpd\.service/);
    }, MINUTE);

    it('depends on the distribution\'s Node.js 22.12 or later, with RHEL\'s Epoch 1', () => {
      const requires = must(['rpm', '-qp', '--requires', join(out1, `vrrpd-${version}-1.x86_64.rpm`)]).split('\n');
      expect(requires).toContain('nodejs >= 1:22.12');
      // Without the epoch, EL 8's default stream (nodejs 1:10) would satisfy it.
      const vercmp = (a: string, b: string): string => must(['rpm', '--eval', `%{lua: print(rpm.vercmp("${a}", "${b}"))}`]).trim();
      expect([vercmp('1:10.24.0', '22.12'), vercmp('1:10.24.0', '1:22.12'), vercmp('1:22.16.0', '1:22.12')]).toEqual(['1', '-1', '1']);
      const depends = must(['dpkg-deb', '-f', join(out1, `vrrpd_${version}-1_amd64.deb`), 'Depends']).trim();
      expect(depends.split(', ')[0]).toBe('nodejs (>= 22.12)');
    }, MINUTE);

    it('an upgrade never overwrites an edited /etc/vrrpd.conf or /etc/sysconfig/vrrpd', () => {
      // The RPM for real, into a root of its own (rpm --root, scriptlets off: nothing of this host
      // is touched): release 1 installed, both files edited, release 2 of the same tree upgraded over it.
      const spec = join(work, 'copy', 'packaging', 'rpm', 'vrrpd.spec');
      const spec2 = join(work, 'vrrpd-2.spec');
      // Release 2 ships both files changed, so rpm has to choose between the edit and its own.
      const text2 = readFileSync(spec, 'utf8')
        .replace(/^Release:( +)1$/m, 'Release:$12')
        .replace(/^(install -D -m 0644 etc\/sysconfig\/vrrpd .*)$/m, "$1\necho '# release 2' >>%{buildroot}%{_sysconfdir}/vrrpd.conf\necho '# release 2' >>%{buildroot}%{_sysconfdir}/sysconfig/vrrpd");
      if (!text2.includes("echo '# release 2'")) throw new Error('vrrpd.spec: the %install line to extend is not there');
      writeFileSync(spec2, text2);
      const stage = join(work, 'copy', '.release-stage', 'rpm');
      must(['rpmbuild', '-bb', '--quiet', '--target', 'x86_64', '--define', `_topdir ${stage}`, '--define', `_rpmdir ${join(work, 'rpm2')}`,
        '--define', '_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm', '--define', `vrrpd_version ${version}`, spec2]);
      const root = join(work, 'rpmroot');
      const rpm = (...args: string[]): string => must(['rpm', '--root', root, '--nodeps', '--noscripts', '--notriggers', ...args]);
      must(['rpm', '--root', root, '--initdb']);
      rpm('-i', join(out1, `vrrpd-${version}-1.x86_64.rpm`));
      const edited = { 'etc/vrrpd.conf': '! edited by the administrator\n', 'etc/sysconfig/vrrpd': 'VRRPD_OPTIONS="-D -l"\n' };
      for (const [file, text] of Object.entries(edited)) writeFileSync(join(root, file), text);
      rpm('-U', join(work, 'rpm2', `vrrpd-${version}-2.x86_64.rpm`));
      expect(must(['rpm', '--root', root, '-q', 'vrrpd']).trim()).toBe(`vrrpd-${version}-2.x86_64`);
      for (const [file, text] of Object.entries(edited)) {
        expect(readFileSync(join(root, file), 'utf8'), file).toBe(text);
        expect(readFileSync(join(root, `${file}.rpmnew`), 'utf8'), `${file}.rpmnew`).toMatch(/# release 2\n$/);
      }
      // How each package declares them: %config(noreplace) ("cn"), and the deb's conffiles.
      const flags = must(['rpm', '-qp', '--qf', '[%{FILEFLAGS:fflags} %{FILENAMES}\n]', join(out1, `vrrpd-${version}-1.x86_64.rpm`)]);
      expect(flags.split('\n').filter((l) => l.startsWith('c')).sort()).toEqual(['cn /etc/sysconfig/vrrpd', 'cn /etc/vrrpd.conf']);
      must(['dpkg-deb', '-e', join(out1, `vrrpd_${version}-1_amd64.deb`), join(work, 'deb-control')]);
      expect(readFileSync(join(work, 'deb-control', 'conffiles'), 'utf8')).toBe('/etc/vrrpd.conf\n/etc/sysconfig/vrrpd\n');
      const postinst = readFileSync(join(work, 'deb-control', 'postinst'), 'utf8');
      expect(postinst).toContain("deb-systemd-invoke try-restart 'vrrpd.service'");
      expect(postinst).not.toMatch(/deb-systemd-invoke (start|restart) /);
    }, 2 * MINUTE);

    const versionLine = `vrrpd v${version}\n`;
    /** Run argv with the package's /usr laid over this host's /usr, in a private mount namespace. */
    const overUsr = (root: string, argv: readonly string[]): string[] => ['unshare', '-m', 'sh', '-c', `mount -t overlay overlay -o ro,lowerdir="$1/usr":/usr /usr && shift && exec "$@"`, 'sh', root, ...argv];

    it('vrrpd --version from each', () => {
      expect(must([join(npmPrefix(), 'bin', 'vrrpd'), '--version'], { env: { ...process.env, PATH: noCompilers } })).toBe(versionLine);
      for (const root of [rpmRoot(), debRoot()]) expect(must(overUsr(root, ['/usr/sbin/vrrpd', '--version'])), root).toBe(versionLine);
    }, MINUTE);

    it('vrrpd -t on the shipped /etc/vrrpd.conf from each, in a host with eth0 192.0.2.11/24', async () => {
      const cases: Array<[string, string[]]> = [
        [join(npmPrefix(), 'lib/node_modules/vrrpd/etc/vrrpd.conf'), [join(npmPrefix(), 'bin', 'vrrpd')]],
        [join(rpmRoot(), 'etc/vrrpd.conf'), overUsr(rpmRoot(), ['/usr/sbin/vrrpd'])],
        [join(debRoot(), 'etc/vrrpd.conf'), overUsr(debRoot(), ['/usr/sbin/vrrpd'])],
      ];
      for (const [conf, cmd] of cases) {
        const r = await (lab as Lab).exec('a', [...cmd, '-t', '-f', conf], { timeoutMs: 30_000 });
        expect({ conf, code: r.code, stderr: r.stderr }).toEqual({ conf, code: 0, stderr: `${conf}: 0 errors, 0 warnings in 1 file, 1 vrrp_instance - configuration OK\n` });
      }
    }, MINUTE);
    it('upgrading the MASTER as the scriptlets do (try-restart: stop the old, start the new) costs one takeover', async () => {
      const pair = await createLab(pairLabSpec());
      const started: Vrrpd[] = [];
      try {
        const conf = (name: string): string => readFileSync(join(repoRoot(), 'etc', name), 'utf8');
        const up = async (host: string, text: string, bin?: string): Promise<Vrrpd> => {
          const r = await startVrrpd(pair, host, text, bin === undefined ? {} : { bin });
          if (!r.ok) throw new Error(r.error);
          started.push(r.value);
          return r.value;
        };
        const b = await up('b', conf('node-b.conf'));
        const oldA = await up('a', conf('node-a.conf'));
        for (const [d, state] of [[oldA, 'MASTER'], [b, 'BACKUP']] as const) {
          const r = await d.waitForState('VI_1', state, { timeoutMs: 8000 });
          if (!r.ok) throw new Error(r.error);
        }
        // The client asks the VIP every 10 ms through the whole upgrade.
        const pinging = pair.ping('client', LAB_VIP, { count: 900, intervalMs: 10, timeoutMs: 14_000 });
        await new Promise((r) => setTimeout(r, 1500));
        const bMark = b.logMark();
        const stopAt = Date.now();
        expect((await oldA.stop()).code).toBe(0);
        const newA = await up('a', conf('node-a.conf'), join(rpmRoot(), 'usr', 'lib', 'vrrpd', 'bin', 'vrrpd'));
        for (const [d, state, since] of [[b, 'MASTER', bMark], [newA, 'MASTER', 0], [b, 'BACKUP', bMark]] as const) {
          const r = await d.waitForState('VI_1', state, { timeoutMs: 10_000, since });
          if (!r.ok) throw new Error(r.error);
        }
        const ping = await pinging;
        /** The wall time (pino's) of the first line matching re logged at or after `after`. */
        const at = (d: Vrrpd, re: RegExp, after: number): number => d.records().find((x) => x.time >= after && re.test(x.msg))?.time ?? Number.NaN;
        const bMaster = at(b, /^\(VI_1\) Entering MASTER STATE/, stopAt);
        const aMaster = at(newA, /^\(VI_1\) Entering MASTER STATE/, stopAt);
        const bBackup = at(b, /^\(VI_1\) Entering BACKUP STATE/, bMaster);
        const lost = ping.transmitted - ping.received;
        console.log(
          `upgrade while MASTER: old A stopped at 0 ms; B MASTER at ${bMaster - stopAt} ms; new A MASTER at ${aMaster - stopAt} ms; ` +
            `B BACKUP again ${bBackup - aMaster} ms after that; ping: ${lost} of ${ping.transmitted} lost (10 ms apart)`,
        );
        // Two takeovers, the second a preemption: B yields on new A's first advert. A logs its
        // transition after sending that advert, so B's line may carry an earlier stamp by a few ms.
        expect(bBackup - aMaster).toBeGreaterThan(-20);
        expect(bBackup - aMaster).toBeLessThan(100);
        // The VIP is unanswered during the first takeover only: B's Skew_Time ((256-100)/256 s) and
        // its GARPs, far below Master_Down_Interval (3 x 1 s + Skew_Time).
        expect(lost * 10).toBeLessThan(1500);
      } finally {
        for (const d of started.reverse()) await d.stop().catch(() => undefined);
        await pair.destroy();
      }
    }, 2 * MINUTE);
  });

  describe('bad input: refused, naming the problem', () => {
    it('a dirty tree', () => {
      const copy = committedCopy(join(work, 'dirty'));
      writeFileSync(join(copy, 'README.md'), `${readFileSync(join(copy, 'README.md'), 'utf8')}\nedited\n`);
      const r = release(copy, join(work, 'out-dirty'));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/release: the tree has uncommitted changes.*\n M README\.md/);
      expect(existsSync(join(work, 'out-dirty'))).toBe(false);
    }, MINUTE);

    it('a stale dist/ (what the tests ran is not what would ship)', () => {
      // This tree's own dist/ (npm test builds it first) with one file as an older build left it.
      const copy = committedCopy(join(work, 'stale'));
      must(['cp', '-a', join(repoRoot(), 'dist'), join(copy, 'dist')]);
      writeFileSync(join(copy, 'dist', 'src', 'version.js'), "export const VERSION = '0.0.9';\n");
      const r = release(copy, join(work, 'out-stale'));
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('release: dist/ is stale: dist/src/version.js differ from (or are missing in) a fresh build of');
    }, 5 * MINUTE);

    it('a .node above RHEL 8\'s ceiling', () => {
      const bad = join(work, 'bad.cc');
      writeFileSync(bad, '#include <memory>\nint *make(unsigned long n) { std::allocator<int> a; return a.allocate(n); }\n');
      must(['g++', '-shared', '-fPIC', '-O0', '-o', join(work, 'bad.node'), bad]);
      const copy = committedCopy(join(work, 'ceiling'), (root) => {
        const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
        pkg.scripts['prebuilds'] = `mkdir -p prebuilds/linux-x64 && cp ${join(work, 'bad.node')} prebuilds/linux-x64/vrrpd_native.node`;
        writeFileSync(join(root, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
      });
      const r = release(copy, join(work, 'out-ceiling'));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/check-elf-ceiling: prebuilds\/linux-x64\/vrrpd_native\.node needs GLIBCXX_3\.4\.\d+, above RHEL 8's GLIBCXX_3\.4\.25/);
      expect(r.stderr).toContain("release: a shipped .node needs more than RHEL 8's");
    }, 5 * MINUTE);

    it('a vrrpd(8) without a flag of src/cli/flags.ts', () => {
      const copy = committedCopy(join(work, 'man'), (root) => {
        const file = join(root, 'scripts', 'man.ts');
        const text = readFileSync(file, 'utf8');
        const dropped = text.replace("'vrrpd.8' ? ['.\\\\\" @FLAGS@', flagsMdoc()]", "'vrrpd.8' ? ['.\\\\\" @FLAGS@', flagsMdoc(FLAGS.filter((f) => f.long !== 'flush-log-file'))]");
        if (dropped === text) throw new Error('scripts/man.ts: the FLAGS line to edit is not there');
        writeFileSync(file, dropped);
      });
      const r = release(copy, join(work, 'out-man'));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/man: dist\/man\/vrrpd\.8 lacks --flush-log-file of src\/cli\/flags\.ts/);
    }, 5 * MINUTE);
  });
});
