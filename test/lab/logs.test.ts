// keepalived's log lines from a real vrrpd pair run with -D
// (docs/reference/keepalived-behaviour.md#log-lines and the -D lines of docs/command-line.md), each
// in the situation that produces it: start, failover on link down, link back and preemption,
// SIGTERM; and where they go: -g FILE (keepalived's timestamped lines, the -u umask), syslog with
// -S local3 (observed: the daemon's /dev/log, in a private mount namespace of its own, is a socket
// this test listens on), nothing with -G; and -a, -d, -r, -V.
import { existsSync, mkdtempSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLab, LAB_VIP, labAvailable, pairLabSpec, type Lab } from '../../lab/netns.js';
import { exitWithin, type TrackedProcess } from '../../lab/process.js';
import { parseLogLine, repoRoot, vrrpdCli } from '../../lab/vrrpd.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();
const built = existsSync(vrrpdCli());

/**
 * Runs "$@" with /dev/log pointing at $2: a private mount namespace (nothing propagates back to
 * the host), a tmpfs on /dev holding the few devices Node needs, bound from the real /dev.
 */
const DEVLOG_WRAPPER = [
  'set -e; D=$1; S=$2; shift 2',
  'mkdir -p "$D/realdev"; mount --rbind /dev "$D/realdev"',
  'mount -t tmpfs -o mode=755 tmpfs /dev',
  'for n in null zero full random urandom tty; do touch "/dev/$n"; mount --bind "$D/realdev/$n" "/dev/$n"; done',
  'ln -s /proc/self/fd /dev/fd; ln -s "$S" /dev/log',
  'exec "$@"',
].join('\n');

/** A syslog receiver: glibc falls back to SOCK_STREAM, NUL-terminated messages. */
interface SyslogSink {
  readonly path: string;
  readonly messages: string[];
  close(): Promise<void>;
}

function syslogSink(path: string): Promise<SyslogSink> {
  const messages: string[] = [];
  const server: Server = createServer((conn) => {
    let pending = '';
    conn.on('data', (d: Buffer) => {
      pending += d.toString('utf8');
      const parts = pending.split('\0');
      pending = parts.pop() ?? '';
      messages.push(...parts.filter((p) => p !== ''));
    });
    conn.on('error', () => undefined);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () =>
      resolve({ path, messages, close: () => new Promise<void>((r) => server.close(() => r())) }),
    );
  });
}

interface Daemon {
  readonly proc: TrackedProcess;
  readonly dir: string;
  messages(): string[];
  waitFor(pattern: RegExp, timeoutMs: number, since?: number): Promise<string>;
  mark(): number;
}

const config = (name: string): string => readFileSync(join(repoRoot(), 'etc', name), 'utf8');

describeUnless(!available.ok || !built)(
  `keepalived's log lines from a vrrpd pair${available.ok ? (built ? '' : ' (skipped: npm run build first)') : ` (skipped: ${available.reason})`}`,
  () => {
    let lab: Lab;
    let top: string;
    let sinkA: SyslogSink;
    let sinkB: SyslogSink;
    let a: Daemon;
    let b: Daemon;

    function start(host: string, conf: string, sink: SyslogSink, flags: (dir: string) => readonly string[]): Daemon {
      const dir = mkdtempSync(join(top, `${host}-`));
      const confPath = join(dir, 'vrrpd.conf');
      writeFileSync(confPath, conf);
      const argv = ['unshare', '-m', '--propagation', 'private', 'sh', '-c', DEVLOG_WRAPPER, 'sh', dir, sink.path,
        process.execPath, vrrpdCli(), '-n', '-D', '-f', confPath, '-p', join(dir, 'vrrpd.pid'), ...flags(dir)];
      const proc = lab.spawn(host, argv, { env: { ...process.env, TMPDIR: dir } });
      const messages = (): string[] => proc.lines.map((l) => (l.stream === 'stdout' ? parseLogLine(l.text)?.msg ?? l.text : l.text));
      return {
        proc,
        dir,
        messages,
        mark: () => proc.lines.length,
        waitFor: async (pattern, timeoutMs, since = 0) => {
          const r = await proc.waitForLine((t) => pattern.test(parseLogLine(t)?.msg ?? t), { timeoutMs, since });
          if (!r.ok) throw new Error(`${host}: ${String(pattern)}: ${r.error}`);
          return parseLogLine(r.value)?.msg ?? r.value;
        },
      };
    }

    beforeAll(async () => {
      top = mkdtempSync(join(tmpdir(), 'vrrpd-logs-test-'));
      lab = await createLab(pairLabSpec());
      sinkA = await syslogSink(join(top, 'a-log.sock'));
      sinkB = await syslogSink(join(top, 'b-log.sock'));
    }, 20_000);

    afterAll(async () => {
      await lab?.destroy();
      await sinkA?.close();
      await sinkB?.close();
      // The wrappers' /dev binds lived in their own mount namespaces, gone with them: realdev is an
      // empty directory again. rmdir (never a recursive delete) proves it before the rest goes.
      for (const d of [a?.dir, b?.dir]) if (d !== undefined && existsSync(join(d, 'realdev'))) rmdirSync(join(d, 'realdev'));
      rmSync(top, { recursive: true, force: true });
    }, 20_000);

    it('start: A (-S local3 -g FILE -u 0027 -a -d -r FILE) becomes MASTER, B (-G) BACKUP', async () => {
      a = start('a', config('node-a.conf'), sinkA, (dir) => ['-S', 'local3', '-g', join(dir, 'vrrpd.log'), '-u', '0027', '-a', '-d', '-r', join(dir, 'vrrp.pid')]);
      await a.waitFor(/^Startup complete$/, 8000);
      b = start('b', config('node-b.conf'), sinkB, () => ['-G']);
      await b.waitFor(/^Startup complete$/, 8000);
      await a.waitFor(/^\(VI_1\) Entering MASTER STATE$/, 6000);
      await a.waitFor(/^Sending gratuitous ARP on eth0 for 192\.0\.2\.200$/, 2000);
      const lines = a.messages();
      const inOrder = [
        '(VI_1) removing VIPs.',
        'Startup complete',
        '(VI_1) Entering BACKUP STATE (init)',
        '(VI_1) Receive advertisement timeout',
        '(VI_1) Entering MASTER STATE',
        '(VI_1) setting VIPs.',
        '(VI_1) Sending/queueing gratuitous ARPs on eth0 for 192.0.2.200',
        'Sending gratuitous ARP on eth0 for 192.0.2.200',
      ];
      const at = inOrder.map((l) => lines.indexOf(l));
      expect(at.every((i) => i >= 0), `missing: ${inOrder.filter((_, i) => at[i] === -1).join(' | ')}`).toBe(true);
      expect([...at].sort((x, y) => x - y)).toEqual(at);
      // -a: the address netlink reports once the VIP is set (its place among the GARP lines varies).
      await a.waitFor(/^Netlink reflector reports IP 192\.0\.2\.200 added to eth0$/, 2000);
      // -d: the effective config in the log at start-up.
      expect(lines).toContain('  "instances": [');
      expect(lines.some((l) => /"routerId": "NodeA"/.test(l))).toBe(true);
      // -r: vrrpd is the VRRP process, so its pid is there too; pidfiles are 0644 whatever -u
      // says, as keepalived's pidfile_write() makes them.
      const vrrpPid = join(a.dir, 'vrrp.pid');
      expect(readFileSync(vrrpPid, 'utf8')).toBe(`${a.proc.pid}\n`);
      expect(statSync(vrrpPid).mode & 0o777).toBe(0o644);
      expect(statSync(join(a.dir, 'vrrpd.pid')).mode & 0o777).toBe(0o644);
      expect(b.messages()).toContain('(VI_1) Entering BACKUP STATE (init)');
    }, 20_000);

    it('link down on A: Netlink reports eth0 down, FAULT; B times out and takes over', async () => {
      const sinceA = a.mark();
      const sinceB = b.mark();
      await lab.setLink('a', 'down');
      await a.waitFor(/^Netlink reports eth0 down$/, 3000, sinceA);
      await a.waitFor(/^\(VI_1\) Entering FAULT STATE$/, 2000, sinceA);
      await b.waitFor(/^\(VI_1\) Receive advertisement timeout$/, 6000, sinceB);
      await b.waitFor(/^\(VI_1\) Entering MASTER STATE$/, 1000, sinceB);
      await a.waitFor(/^Netlink reflector reports IP 192\.0\.2\.200 removed from eth0$/, 2000, sinceA);
    }, 15_000);

    it('link up on A: Netlink reports eth0 up, BACKUP, A preempts and B hears the higher priority', async () => {
      const sinceA = a.mark();
      const sinceB = b.mark();
      await lab.setLink('a', 'up');
      await a.waitFor(/^Netlink reports eth0 up$/, 3000, sinceA);
      await a.waitFor(/^\(VI_1\) Entering BACKUP STATE$/, 2000, sinceA);
      await a.waitFor(/^\(VI_1\) received lower priority \(100\) advert from 192\.0\.2\.12 - discarding$/, 3000, sinceA);
      await a.waitFor(/^\(VI_1\) Entering MASTER STATE$/, 6000, sinceA);
      await b.waitFor(/^\(VI_1\) Master received advert from 192\.0\.2\.11 with higher priority 150, ours 100$/, 2000, sinceB);
      await b.waitFor(/^\(VI_1\) Entering BACKUP STATE$/, 1000, sinceB);
    }, 15_000);

    it('SIGTERM A: Stopping, sent 0 priority, Stopped - used ..., the version line; B hears priority 0', async () => {
      const sinceA = a.mark();
      const sinceB = b.mark();
      a.proc.kill('SIGTERM');
      expect(await exitWithin(a.proc, 8000)).toEqual({ code: 0, signal: null });
      const stop = a.messages().slice(sinceA);
      const expected = [/^Stopping$/, /^\(VI_1\) sent 0 priority$/, /^\(VI_1\) removing VIPs\.$/, /^Stopped - used (\(self\/children\) \d+\.\d{6}\/\d+\.\d{6}|\d+\.\d{6}) user time, \d+\.\d{6}(\/\d+\.\d{6})? system time$/, /^Stopped vrrpd v\d/];
      const at = expected.map((p) => stop.findIndex((l) => p.test(l)));
      expect(at.every((i) => i >= 0), `stop lines: ${stop.join(' | ')}`).toBe(true);
      expect([...at].sort((x, y) => x - y)).toEqual(at);
      await b.waitFor(/^\(VI_1\) Backup received priority 0 advertisement$/, 2000, sinceB);
      await b.waitFor(/^\(VI_1\) Entering MASTER STATE$/, 2000, sinceB);
      expect(existsSync(join(a.dir, 'vrrp.pid'))).toBe(false);
      expect(existsSync(join(a.dir, 'vrrpd.pid'))).toBe(false);
    }, 15_000);

    it('-g FILE: keepalived\'s timestamped lines, created 0640 under -u 0027', () => {
      const path = join(a.dir, 'vrrpd.log');
      expect(statSync(path).mode & 0o777).toBe(0o640);
      const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
      const stamp = String.raw`^\w{3} \w{3} \d\d \d\d:\d\d:\d\d\.\d{9} \d{4}: `;
      for (const l of lines) expect(l).toMatch(new RegExp(stamp));
      for (const m of ['\\(VI_1\\) Entering MASTER STATE', 'Netlink reports eth0 down', '\\(VI_1\\) sent 0 priority', 'Stopped vrrpd v']) {
        expect(lines.some((l) => new RegExp(`${stamp}${m}`).test(l)), m).toBe(true);
      }
    });

    it('-S local3 reaches syslog as local3 (<158> info, <159> the -D lines); -G sends nothing', () => {
      const pid = a.proc.pid;
      const line = (pri: number, msg: string): RegExp =>
        new RegExp(`^<${pri}>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d vrrpd\\[${pid}\\]: ${msg.replace(/[()[\].]/g, '\\$&')}$`);
      expect(sinkA.messages.some((m) => line(158, '(VI_1) Entering MASTER STATE').test(m)), sinkA.messages.slice(0, 5).join(' | ')).toBe(true);
      expect(sinkA.messages.some((m) => line(159, '(VI_1) sent 0 priority').test(m))).toBe(true);
      expect(sinkA.messages.some((m) => line(158, 'Stopping').test(m))).toBe(true);
      expect(sinkA.messages.every((m) => /^<15[0-9]>/.test(m))).toBe(true);
      expect(sinkB.messages).toEqual([]);
    });

    it('-V: a MASTER stopped keeps its VIP and sends no priority 0; the backup waits out Master_Down', async () => {
      // B is MASTER now; A comes back with -V, preempts, and is stopped.
      a = start('a', config('node-a.conf'), sinkA, () => ['-V', '-G']);
      await a.waitFor(/^\(VI_1\) Entering MASTER STATE$/, 8000);
      const sinceB = b.mark();
      const stoppedAt = Date.now();
      a.proc.kill('SIGTERM');
      expect(await exitWithin(a.proc, 8000)).toEqual({ code: 0, signal: null });
      expect(a.messages()).not.toContain('(VI_1) sent 0 priority');
      expect(a.messages()).toContain('Stopping');
      expect(await lab.hasAddress('a', LAB_VIP)).toBe(true);
      await b.waitFor(/^\(VI_1\) Entering MASTER STATE$/, 6000, sinceB);
      // No priority 0: B took Master_Down_Interval (3.6 s with priority 100), not Skew_Time (0.6 s).
      expect(Date.now() - stoppedAt).toBeGreaterThan(2500);
      expect(b.messages().slice(sinceB)).not.toContain('(VI_1) Backup received priority 0 advertisement');
    }, 20_000);
  },
);
