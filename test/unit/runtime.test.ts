// The Node.js line the suite runs on (issue 16): package.json's engines admits it, and under
// scripts/with-node (npm test on Node 24, npm run test:node22 on Node 22) it is the line asked for,
// and the `node` that bin/vrrpd execs from PATH - what every lab daemon runs on - is this same binary.
import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, vrrpdBin } from '../../lab/vrrpd.js';

interface PackageJson {
  readonly engines: { readonly node: string };
}

const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as PackageJson;
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
/** The line scripts/with-node was asked for, if the suite runs under it. */
const asked = process.env['VRRPD_TEST_NODE'];

describe('the Node.js runtime', () => {
  it(`${process.version} (${process.execPath}) is a line package.json's engines admits`, () => {
    console.info(`RUNTIME ${process.version} ${process.execPath}${asked === undefined ? '' : ` (scripts/with-node ${asked})`}`);
    const floor = /^>=(\d+)\.(\d+)$/.exec(pkg.engines.node);
    expect(floor, `engines.node "${pkg.engines.node}" is not of the form >=MAJOR.MINOR`).not.toBeNull();
    const [floorMajor, floorMinor] = [Number(floor?.[1]), Number(floor?.[2])];
    expect(
      major > floorMajor || (major === floorMajor && minor >= floorMinor),
      `Node.js ${process.version} is below engines ${pkg.engines.node}: run the suite through npm test or npm run test:node22 (scripts/with-node)`,
    ).toBe(true);
  });

  it(`is the line scripts/with-node was asked for (${asked ?? 'none: not run under it'})`, () => {
    expect(asked, 'run the suite through npm test or npm run test:node22 (scripts/with-node), so the line under test is known').toBeDefined();
    expect(`${major}`).toBe(asked);
  });

  it("the `node` on PATH, which bin/vrrpd execs, is this binary, and the launcher runs on it with vrrpd's flags", () => {
    const onPath = spawnSync('node', ['-p', 'process.execPath'], { encoding: 'utf8', timeout: 10_000 });
    expect(onPath.status, onPath.stderr).toBe(0);
    expect(realpathSync(onPath.stdout.trim())).toBe(realpathSync(process.execPath));
    // VRRPD_NODE_FLAGS is appended to node's flags, split on blanks: -p prints instead of running
    // dist/src/cli.js (no blanks, brackets or stars in the expression, so the shell leaves it whole).
    const expression = 'process.version+process.execArgv.join()';
    const launcher = spawnSync(vrrpdBin(), [], { encoding: 'utf8', timeout: 10_000, env: { ...process.env, VRRPD_NODE_FLAGS: `-p ${expression}` } });
    expect(launcher.status, launcher.stderr).toBe(0);
    expect(launcher.stdout).toBe(`${process.version}--max-semi-space-size=1,--max-old-space-size=256,--v8-pool-size=1,-p,${expression}\n`);
  });
});
