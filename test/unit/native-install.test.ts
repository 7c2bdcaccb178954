// npm's install hook (scripts/install-native.js) in a scratch copy of the package: with a prebuild
// for this host that loads, nothing is compiled, even with no compiler or node-gyp anywhere (PATH
// empty); with none that fits it says why and goes to node-gyp.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { NATIVE_ABI } from '../../src/native/addon.js';
import { locateAddon } from '../../src/native/path.js';
import { describeUnless } from '../helpers/unmet.js';

const root = join(import.meta.dirname, '../..');
const built = locateAddon();
const platformArch = `${process.platform}-${process.arch}`;
/** The addon's sources, as the package carries them (package.json "files"). */
const sources = readdirSync(join(root, 'native')).filter((n) => /\.(cc|h)$/.test(n)).map((n) => `native/${n}`);

describeUnless(!built.ok)(`install hook${built.ok ? '' : ` (skipped: ${built.ok ? '' : built.error})`}`, () => {
  let pkg = '';
  beforeEach(() => {
    pkg = mkdtempSync(join(tmpdir(), 'vrrpd-install-'));
    for (const file of ['scripts/install-native.js', ...sources, 'native/binding.gyp']) {
      mkdirSync(join(pkg, file, '..'), { recursive: true });
      copyFileSync(join(root, file), join(pkg, file));
    }
    mkdirSync(join(pkg, 'prebuilds', platformArch), { recursive: true });
    if (built.ok) copyFileSync(built.value.path, join(pkg, 'prebuilds', platformArch, 'vrrpd_native.node'));
    // As npm pack leaves them: every file with the same time.
    const then = new Date('1985-10-26T08:15:00Z');
    for (const file of [...sources, `prebuilds/${platformArch}/vrrpd_native.node`]) utimesSync(join(pkg, file), then, then);
  });
  afterEach(() => rmSync(pkg, { recursive: true, force: true }));

  /** The hook as npm runs it, but with nothing on PATH and no npm_config_node_gyp: any compile attempt fails. */
  function install(): { status: number | null; output: string } {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: '' };
    delete env['npm_config_node_gyp'];
    const r = spawnSync(process.execPath, [join(pkg, 'scripts/install-native.js')], { cwd: pkg, env, encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
  }

  it('a prebuild for this host that loads: used as shipped, nothing compiled', () => {
    expect(install()).toEqual({ status: 0, output: `vrrpd: using the prebuilt addon prebuilds/${platformArch}/vrrpd_native.node (nothing to compile)` });
    expect(existsSync(join(pkg, 'native', 'build'))).toBe(false);
  });

  it('a prebuild that does not load here: built from source instead, saying why', () => {
    writeFileSync(join(pkg, 'prebuilds', platformArch, 'vrrpd_native.node'), 'not an ELF file');
    const r = install();
    expect(r.output).toMatch(new RegExp(`^vrrpd: building the addon from source \\(prebuilds/${platformArch}/vrrpd_native.node does not load here: .+\\): needs g\\+\\+, make, python3 and Node's headers\\nvrrpd: cannot run node-gyp: spawnSync node-gyp ENOENT$`));
    expect(r.status).toBe(1);
  });

  it('no prebuild for this architecture, or one older than the source (a checkout): built from source', () => {
    rmSync(join(pkg, 'prebuilds'), { recursive: true });
    expect(install().output).toContain(`(no prebuilds/${platformArch}/vrrpd_native.node)`);
    mkdirSync(join(pkg, 'prebuilds', platformArch), { recursive: true });
    if (built.ok) copyFileSync(built.value.path, join(pkg, 'prebuilds', platformArch, 'vrrpd_native.node'));
    utimesSync(join(pkg, 'prebuilds', platformArch, 'vrrpd_native.node'), new Date(1000), new Date(1000));
    expect(install().output).toMatch(new RegExp(`\\(prebuilds/${platformArch}/vrrpd_native\\.node is older than native/[\\w-]+\\.(cc|h)\\)`));
  });

  it('a prebuild whose ABI number is not native/abi.h\'s: built from source, saying both numbers', () => {
    const abiH = join(pkg, 'native', 'abi.h');
    writeFileSync(abiH, readFileSync(abiH, 'utf8').replace(/^#define VRRPD_NATIVE_ABI \d+$/m, '#define VRRPD_NATIVE_ABI 9999'));
    const then = new Date('1985-10-26T08:15:00Z');
    utimesSync(abiH, then, then);
    const r = install();
    expect(r.output).toContain(`(prebuilds/${platformArch}/vrrpd_native.node has ABI ${NATIVE_ABI}, native/abi.h says 9999)`);
    expect(r.status).toBe(1);
  });

  it('any of the addon sources newer than the prebuild makes it stale, not only the first file', () => {
    utimesSync(join(pkg, 'native', 'journal.cc'), new Date(), new Date());
    expect(install().output).toContain(`(prebuilds/${platformArch}/vrrpd_native.node is older than native/journal.cc)`);
  });
});
