// The command line as a user meets it: the compiled dist/src/cli.js (what `vrrpd` runs), its
// messages and keepalived's exit codes. Bad input gets `file:line: what is wrong`, never a stack.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labAvailable, withLab } from '../../lab/netns.js';
import { repoRoot, vrrpdCli } from '../../lab/vrrpd.js';

const cli = vrrpdCli();
const built = existsSync(cli);
const dir = mkdtempSync(join(tmpdir(), 'vrrpd-cli-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 10_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const noStackTrace = (text: string): void => expect(text).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);

const badConfig = `vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 300
}
`;

describe.skipIf(!built)(`vrrpd command line${built ? '' : ' (skipped: run npm run build first)'}`, () => {
  it('-v prints the version of package.json and exits 0', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string };
    const r = run(['-v']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`vrrpd v${pkg.version}`);
  });

  it('-h lists keepalived\'s flags', () => {
    const r = run(['-h']);
    expect(r.code).toBe(0);
    for (const flag of ['-f, --use-file', '-D, --log-detail', '-n, --dont-fork', '-l, --log-console', '-p, --pid', '-t, --config-test']) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('an unknown option is an error, exit 1', () => {
    const r = run(['--no-such-flag']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown option '--no-such-flag'");
  });

  it('-t on a config with errors: file:line messages, exit 5', () => {
    const path = file('bad.conf', badConfig);
    const r = run(['-t', '-f', path]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`${path}:4: 'priority' value '300' is not valid`);
    noStackTrace(r.stderr);
  });

  it('-t on a missing file fails (keepalived exits 0 there), exit 4', () => {
    const r = run(['-t', '-f', join(dir, 'absent.conf')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('cannot read config file');
  });

  it('-t on a config naming an interface the host lacks: exit 4', () => {
    const path = file('noif.conf', readFileSync(join(repoRoot(), 'etc', 'node-a.conf'), 'utf8').replace('interface eth0', 'interface vrrpdnoif0'));
    const r = run(['-t', '-f', path]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/interface vrrpdnoif0 for vrrp_instance VI_1 doesn't exist/);
  });

  it('the daemon refuses a bad config with file:line and exit 2, in the foreground and detached', () => {
    const path = file('bad2.conf', badConfig);
    for (const args of [['-n', '-f', path], ['-f', path]]) {
      const r = run([...args, '-p', join(dir, 'x.pid')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${path}:4: 'priority' value '300' is not valid`);
      noStackTrace(r.stderr);
    }
  });

  it('the daemon with an unreadable config exits 6 (keepalived\'s KEEPALIVED_EXIT_NO_CONFIG)', () => {
    const r = run(['-n', '-f', join(dir, 'absent.conf'), '-p', join(dir, 'x.pid')]);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('cannot read config file');
  });

  it('garbage instead of a config: a message and exit 2, no crash', () => {
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 256;
    const path = join(dir, 'garbage.conf');
    writeFileSync(path, bytes);
    const r = run(['-n', '-f', path, '-p', join(dir, 'x.pid')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(path);
    noStackTrace(r.stderr);
  });

  const lab = labAvailable();
  it.skipIf(!lab.ok)('-t on the seed config where its interface exists: exit 0', async () => {
    await withLab({ hosts: [{ name: 'a', address: '192.0.2.11/24' }] }, async (l) => {
      const r = await l.exec('a', [process.execPath, cli, '-t', '-f', join(repoRoot(), 'etc', 'node-a.conf')], { timeoutMs: 10_000 });
      expect(r.stderr).toContain('configuration OK (1 vrrp_instance)');
      expect(r.code).toBe(0);
    });
  });
});
