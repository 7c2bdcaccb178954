// `vrrpd status` and the two new daemon flags as a user meets them: the compiled CLI, its one-line
// messages and exit codes (0 answered, 1 not running / unreachable / bad flag), never a stack.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { vrrpdCli } from '../../lab/vrrpd.js';

const cli = vrrpdCli();

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 10_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!existsSync(cli))('vrrpd status (compiled CLI)', () => {
  it('no daemon: exit 1 and where it looked', () => {
    expect(run(['status', '--control-socket', '/nonexistent/vrrpd.sock'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'vrrpd is not running (no control socket at /nonexistent/vrrpd.sock; --control-socket PATH names another)\n',
    });
    expect(run(['status', '-p', '/nonexistent/x.pid', '--json']).stderr).toBe(
      'vrrpd is not running (no control socket at /nonexistent/x.sock; --control-socket PATH names another)\n',
    );
  });

  it('an unknown option: exit 1, one line', () => {
    expect(run(['status', '--bogus'])).toEqual({ code: 1, stdout: '', stderr: "vrrpd status: unknown option '--bogus'\n" });
  });

  it('the main help names the subcommand and the flags', () => {
    const help = run(['-h']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('vrrpd status [--json] [--control-socket PATH | -p PIDFILE]');
    expect(help.stdout).toContain('--metrics-listen <host:port>');
    expect(help.stdout).toContain('--control-socket <path>');
  });

  it('a bad --metrics-listen refuses the start before anything is touched', () => {
    expect(run(['-n', '--metrics-listen', '9650', '-f', '/nonexistent.conf', '-p', '/nonexistent/x.pid'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'vrrpd: invalid --metrics-listen "9650": expected HOST:PORT, e.g. 127.0.0.1:9650 - not started\n',
    });
  });
});
