// vrrpd under a low open-files limit (issue 22 item 7): `ulimit -n 20` used to end in a Node stack
// trace (EMFILE while loading vrrpd's own modules, exit 1). bin/vrrpd raises the hard limit where it
// may and otherwise says so in one sentence; without it, running out is one line saying so, no stack trace.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, vrrpdBin, vrrpdCli } from '../../lab/vrrpd.js';
import { MIN_OPEN_FILES, openFilesLimit, tooManyOpenFiles } from '../../src/host/open-files.js';
import { describeUnless } from '../helpers/unmet.js';

const root = repoRoot();
const conf = join(root, 'etc', 'node-a.conf');
/** Whether this host lets the launcher raise a hard limit (root with CAP_SYS_RESOURCE). */
const canRaise = spawnSync('sh', ['-c', 'ulimit -n 20; ulimit -H -n 1024'], { stdio: 'ignore' }).status === 0;
const sh = (script: string) => spawnSync('sh', ['-c', script], { cwd: root, encoding: 'utf8', timeout: 20_000 });
const refusal = (limit: number): string =>
  `vrrpd: the open-files limit (ulimit -n) is ${limit}; vrrpd needs at least ${MIN_OPEN_FILES} - raise it (systemd: LimitNOFILE=)\n`;

describe('the open-files limit', () => {
  it("bin/vrrpd refuses below the same minimum as src/host/open-files.ts", () => {
    const launcher = readFileSync(vrrpdBin(), 'utf8');
    expect(/^min=(\d+)$/m.exec(launcher)?.[1]).toBe(String(MIN_OPEN_FILES));
  });

  it('reads the soft limit from /proc/self/limits; unlimited is no number', () => {
    const limits = 'Max processes             63457                63457                processes \nMax open files            20                   4096                 files     \n';
    expect(openFilesLimit(limits)).toBe(20);
    expect(openFilesLimit('Max open files            unlimited            unlimited            files\n')).toBeUndefined();
    expect(openFilesLimit()).toBeGreaterThan(0);
  });

  it('EMFILE and ENFILE are one sentence each; any other error is not its business', () => {
    const emfile = Object.assign(new Error("EMFILE: too many open files, open '/x/dist/src/native.js'"), { code: 'EMFILE' });
    expect(tooManyOpenFiles(emfile, 30)).toBe(
      `vrrpd: out of file descriptors (EMFILE) with the open-files limit (ulimit -n) at 30; vrrpd needs at least ${MIN_OPEN_FILES} - raise it (systemd: LimitNOFILE=)`,
    );
    expect(tooManyOpenFiles(emfile, undefined)).toMatch(/^vrrpd: out of file descriptors \(EMFILE\) with the open-files limit \(ulimit -n\); /);
    expect(tooManyOpenFiles(Object.assign(new Error('x'), { code: 'ENFILE' }), 20)).toMatch(/system-wide table of open files is full/);
    expect(tooManyOpenFiles(Object.assign(new Error('x'), { code: 'ENOENT' }), 20)).toBeUndefined();
    expect(tooManyOpenFiles('EMFILE', 20)).toBeUndefined();
  });
});

describeUnless(!existsSync(vrrpdCli()))(`vrrpd -t under a low limit${existsSync(vrrpdCli()) ? '' : ' (skipped: run npm run build first)'}`, () => {
  it(`sh -c 'ulimit -n 20; bin/vrrpd -t': ${canRaise ? 'the launcher raises the hard limit, the check runs' : 'no CAP_SYS_RESOURCE here, so one sentence and exit 1'}`, () => {
    const r = sh(`ulimit -n 20; ${vrrpdBin()} -t -f ${conf}`);
    if (canRaise) {
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/configuration OK\n$/);
    } else {
      // Before: exit 1 and a stack trace from Node's module loader (EMFILE opening dist/src/*.js).
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 1, stdout: '', stderr: refusal(20) });
    }
  });

  it(`below the minimum (63) the launcher refuses before Node starts${canRaise ? ' unless it can raise the limit' : ''}; at ${MIN_OPEN_FILES} the check runs`, () => {
    const low = sh(`ulimit -n ${MIN_OPEN_FILES - 1}; ${vrrpdBin()} -t -f ${conf}`);
    if (canRaise) expect(low.status).toBe(0);
    else expect({ status: low.status, stderr: low.stderr }).toEqual({ status: 1, stderr: refusal(MIN_OPEN_FILES - 1) });
    const enough = sh(`ulimit -n ${MIN_OPEN_FILES}; ${vrrpdBin()} -t -f ${conf}`);
    expect(enough.status).toBe(0);
    expect(enough.stderr).toMatch(/^\S+: 0 errors, 0 warnings .* configuration OK\n$/);
  });

  it('a low soft limit under a higher hard one is no problem: Node raises the soft limit itself', () => {
    const r = sh(`ulimit -S -n 20; ${vrrpdBin()} -t -f ${conf}`);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^\S+: 0 errors, 0 warnings .* configuration OK\n$/);
  });

  // Where loading runs out depends on the Node line (measured with vrrpd -t on etc/node-a.conf):
  // Node 22 and 24 run their first module at 22 and vrrpd -t needs 24 (the program is one file,
  // read before anything else: src/cli.ts). Below 22 Node itself fails (a segfault, or its own
  // EMFILE stack trace) before any line of vrrpd runs. So the limit is the lowest at which this Node
  // runs one module of vrrpd's that imports nothing but node:fs: what vrrpd opens next is past it.
  it('node dist/bundle/cli.js without the launcher: out of descriptors is one line saying so, a failure exit, no stack trace', () => {
    const nodeRuns = (limit: number): boolean => sh(`ulimit -n ${limit}; ${process.execPath} ${join(root, 'dist', 'src', 'host', 'open-files.js')}`).status === 0;
    const limit = Array.from({ length: 49 }, (_, i) => 16 + i).find(nodeRuns);
    expect(limit, `${process.execPath} ${process.version} runs no module under any limit from 16 to 64`).toBeDefined();
    const r = sh(`ulimit -n ${limit}; ${process.execPath} ${vrrpdCli()} -t -f ${conf}`);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/EMFILE/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  });
});
