// The command line as a user meets it: the bundle dist/bundle/cli.js (what `vrrpd` runs), its
// messages and keepalived's exit codes. Bad input gets `file:line: what is wrong`, never a stack.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labAvailable, withLab } from '../../lab/netns.js';
import { repoRoot, vrrpdCli } from '../../lab/vrrpd.js';
import { describeUnless, itUnless } from '../helpers/unmet.js';

const cli = vrrpdCli();
const built = existsSync(cli);
// Made when the tests run, not when the file is collected: a filtered or skipped run would
// otherwise leave it behind (afterAll does not run for a suite that never ran).
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vrrpd-cli-test-'));
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

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

describeUnless(!built)(`vrrpd command line${built ? '' : ' (skipped: run npm run build first)'}`, () => {
  it('-v prints the version of package.json and exits 0', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string };
    const r = run(['-v']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`vrrpd v${pkg.version}`);
  });

  it('-h lists keepalived\'s flags', () => {
    const r = run(['-h']);
    expect(r.code).toBe(0);
    const flags = ['-f, --use-file', '-D, --log-detail', '-n, --dont-fork', '-l, --log-console', '-p, --pid', '-t, --config-test'];
    for (const flag of [...flags, '-e, --all-config', '-i, --config-id', '-d, --dump-conf', '--dump']) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('an unknown option is an error in keepalived\'s words, exit 1', () => {
    const r = run(['--no-such-flag']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Unknown option --no-such-flag\n');
  });

  it('-t on a config with errors: file:line messages, exit 5', () => {
    const path = file('bad.conf', badConfig);
    const r = run(['-t', '-f', path]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`${path}:4: 'priority' value '300' is not valid`);
    noStackTrace(r.stderr);
  });

  it('-t ends with a summary line: counts, files, instances and the verdict', () => {
    const path = file('bad-summary.conf', badConfig);
    const r = run(['-t', '-f', path]);
    // badConfig: the bad priority (an error) and no virtual_ipaddress (a warning).
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(`${path}: 1 error, 1 warning in 1 file - exit 5: configuration errors`);
  });

  it('-t FILE: the messages and the summary go to FILE (appended), nothing to stderr', () => {
    const path = file('bad-log.conf', badConfig);
    const log = join(dir, 'check.log');
    writeFileSync(log, 'earlier run\n');
    const r = run([`--config-test=${log}`, '-f', path]);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe('');
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('earlier run');
    expect(lines.slice(1, -1).some((l) => l.startsWith(`error: ${path}:4: 'priority' value '300' is not valid`))).toBe(true);
    expect(lines.at(-1)).toMatch(/ - exit 5: configuration errors$/);
  });

  it('-t on an unknown keyword (a typo) fails with exit 5, as keepalived -t does', () => {
    const path = file('typo.conf', readFileSync(join(repoRoot(), 'etc', 'node-a.conf'), 'utf8').replace(/^(\s+)priority 150$/m, '$1priorty 150'));
    const r = run(['-t', '-f', path]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(new RegExp(`error: ${path}:\\d+: unknown keyword 'priorty'`));
  });

  it('-t -d / --dump: the effective config as JSON on stdout, sorted keys, no positions', () => {
    const path = file('dump.conf', readFileSync(join(repoRoot(), 'etc', 'node-a.conf'), 'utf8'));
    const short = run(['-t', '-d', '-f', path]);
    const long = run(['-t', '--dump', '-f', path]);
    expect(short.stdout).toBe(long.stdout);
    const value = JSON.parse(short.stdout) as { global: { routerId: string }; instances: { name: string; priority: number; pos?: unknown }[] };
    expect(value.global.routerId).toBe('NodeA');
    expect(value.instances.map((i) => [i.name, i.priority, i.pos])).toEqual([['VI_1', 150, undefined]]);
    const keys = Object.keys(value);
    expect(keys).toEqual([...keys].sort());
    expect(keys).toEqual(expect.arrayContaining(['global', 'instances']));
    // The messages stay on stderr, so the dump can be piped.
    expect(short.stderr).toContain('1 vrrp_instance');
    expect(short.stdout).not.toContain('vrrp_instance -');
  });

  it('-t --dump on a config with errors prints no dump', () => {
    const r = run(['-t', '--dump', '-f', file('bad-dump.conf', badConfig)]);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
  });

  const compat = join(repoRoot(), 'test', 'fixtures', 'config-compat');

  it('-t -e: a missing include becomes an error (exit 4); without -e it is a warning', () => {
    const path = join(compat, 'include-missing.conf');
    const plain = run(['-t', '-f', path]);
    expect(plain.stderr).toMatch(/^warning: .*include-missing\.conf:5: .*parts\/missing-part\.conf/m);
    const strict = run(['-t', '-e', '-f', path]);
    expect(strict.code).toBe(4);
    expect(strict.stderr).toMatch(/^error: .*include-missing\.conf:5: .*parts\/missing-part\.conf/m);
    expect(run(['-t', '--all-config', '-f', path]).code).toBe(4);
  });

  it('-t -i ID: @ID lines are kept for that id only', () => {
    const path = join(compat, 'config-id.conf');
    const lb1 = run(['-t', '-d', '-i', 'lb1', '-f', path]);
    const value = JSON.parse(lb1.stdout) as { instances: { vrid: number; priority: number }[] };
    expect(value.instances.map((i) => [i.vrid, i.priority])).toEqual([[51, 150]]);
    const other = run(['-t', '--config-id', 'lb2', '-f', path]);
    expect(other.code).toBe(5);
    expect(other.stderr).toContain('the virtual router id must be set');
  });

  it('-t counts the files read, includes too', () => {
    const r = run(['-t', '-f', join(compat, 'include-glob.conf')]);
    expect(r.stderr).toMatch(/include-glob\.conf: \d+ errors?, \d+ warnings? in 3 files, 2 vrrp_instances - /);
  });

  it('-t on scripts configured without enable_script_security: exit 6', () => {
    const path = file(
      'nosec.conf',
      `global_defs {\n    script_user root\n}\nvrrp_script chk {\n    script "${process.execPath} -e 0"\n}\n${badConfig.replace('priority 300', 'priority 100')}`.replace(
        '    priority 100\n',
        '    priority 100\n    track_script {\n        chk\n    }\n',
      ),
    );
    const r = run(['-t', '-f', path]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/SECURITY VIOLATION/);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(/ - exit 6: scripts configured without enable_script_security/);
  });

  it('the daemon honours -e and -i too (it fails on the same lines -t does)', () => {
    // An interface no host has, so that nothing could start even if a flag were ignored.
    const idConf = file('id-daemon.conf', readFileSync(join(compat, 'config-id.conf'), 'utf8').replace('interface eth0', 'interface vrrpdnoif0'));
    const byId = run(['-n', '-i', 'lb2', '-f', idConf, '-p', join(dir, 'x.pid')]);
    expect(byId.code).toBe(2);
    expect(byId.stderr).toContain('the virtual router id must be set');
    const incConf = join(dir, 'include-daemon.conf');
    writeFileSync(incConf, readFileSync(join(compat, 'include-missing.conf'), 'utf8').replace('interface eth0', 'interface vrrpdnoif0'));
    const byE = run(['-n', '-e', '-f', incConf, '-p', join(dir, 'x.pid')]);
    expect(byE.code).toBe(2);
    expect(byE.stderr).toMatch(/include-daemon\.conf:5: .*parts\/missing-part\.conf/);
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
  itUnless(!lab.ok)('-t on the seed config where its interface exists: exit 0', async () => {
    await withLab({ hosts: [{ name: 'a', address: '192.0.2.11/24' }] }, async (l) => {
      const r = await l.exec('a', [process.execPath, cli, '-t', '-f', join(repoRoot(), 'etc', 'node-a.conf')], { timeoutMs: 10_000 });
      expect(r.stderr).toContain('node-a.conf: 0 errors, 0 warnings in 1 file, 1 vrrp_instance - configuration OK');
      expect(r.code).toBe(0);
    });
  });
});
