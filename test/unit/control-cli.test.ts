// `vrrpd status` and the two new daemon flags as a user meets them: the compiled CLI, its one-line
// messages and exit codes (0 answered, 1 not running / unreachable / bad flag), never a stack.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { execBounded } from '../../lab/process.js';
import { vrrpdCli } from '../../lab/vrrpd.js';
import { startControlServer } from '../../src/control/server.js';
import type { Logger } from '../../src/log/logger.js';
import { describeUnless } from '../helpers/unmet.js';

const cli = vrrpdCli();

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 10_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describeUnless(!existsSync(cli))('vrrpd status (compiled CLI)', () => {
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

  it('a report over 64 KiB is whole through a slow pipe and to a file; a reader that closes early: exit 1, one sentence', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vrrpd-status-out-'));
    const socket = join(dir, 'vrrpd.sock');
    // 300 KB: more than a pipe holds (64 KiB) and than head reads before it closes.
    const report = { version: '9.9.9', pid: 1, startedAt: '', takenAt: '', instances: Array.from({ length: 3000 }, (_, i) => ({ name: `VI_${i}`, pad: 'x'.repeat(80) })), unmatchedDrops: {} };
    const log = { info: () => undefined, warn: () => undefined, debug: () => undefined } as unknown as Pick<Logger, 'info' | 'warn' | 'debug'>;
    const server = await startControlServer({ path: socket, log, handle: () => ({ ok: true, status: report }) });
    if (!server.ok) throw new Error(server.error);
    try {
      const status = `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} status --json --control-socket ${socket}`;
      const slow = await execBounded(['bash', '-c', `${status} | (sleep 0.3; cat); echo "rc=\${PIPESTATUS[0]}" >&2`]);
      expect(slow.stderr).toBe('rc=0\n');
      expect(JSON.parse(slow.stdout)).toEqual(report);
      const toFile = await execBounded(['bash', '-c', `${status} > ${join(dir, 'out.json')}`]);
      expect(toFile.code).toBe(0);
      expect(JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'))).toEqual(report);
      const closed = await execBounded(['bash', '-c', `${status} | head -c 10 >/dev/null; echo "rc=\${PIPESTATUS[0]}" >&2`]);
      expect(closed.stderr).toBe('vrrpd: the reader of stdout closed it before the output was complete (EPIPE)\nrc=1\n');
    } finally {
      await server.value.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
