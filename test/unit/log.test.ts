// src/log/logger.ts: keepalived's -S facilities, the -g file's lines, "Stopped - used ..." and the sinks
// a logger writes to (a real file here; syslog is observed in test/lab/logs.test.ts).
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addressLine } from '../../src/daemon/address-monitor.js';
import { LOG_DAEMON, LOG_USER, parseFacility } from '../../src/log/facility.js';
import { consoleLine, createLogger, fileLine, fileTimestamp, logFields, reopenLogFiles, stoppedLine } from '../../src/log/logger.js';
import { renameSync } from 'node:fs';
import type { Ipv4 } from '../../src/types.js';

const dir = mkdtempSync(join(tmpdir(), 'vrrpd-log-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('-S facility (keepalived parse_cmdline, measured against keepalived 2.2.7)', () => {
  const LOCAL = (n: number): number => (16 + n) << 3;
  it.each([
    ['0', LOCAL(0)], ['3', LOCAL(3)], ['7', LOCAL(7)], ['03', LOCAL(3)], [' 3', LOCAL(3)], ['+3', LOCAL(3)], ['local 3', LOCAL(3)],
    ['local0', LOCAL(0)], ['local3', LOCAL(3)], ['local7', LOCAL(7)], ['daemon', LOG_DAEMON], ['user', LOG_USER],
  ])('%j -> facility %i', (text, facility) => {
    expect(parseFacility(text)).toEqual({ ok: true, value: facility });
  });
  it('local3 is LOG_LOCAL3 of <syslog.h> (19 << 3), daemon 3 << 3, user 1 << 3', () => {
    expect([LOCAL(3), LOG_DAEMON, LOG_USER]).toEqual([152, 24, 8]);
  });
  it.each(['8', '-1', '3 ', 'local8', 'LOCAL3', 'Daemon', '0x3', 'foo', '', 'local', 'kern', 'syslog'])('%j: keepalived\'s message', (text) => {
    expect(parseFacility(text)).toEqual({ ok: false, error: `Invalid log facility '${text}'` });
  });
});

describe('-g FILE lines', () => {
  it('keepalived\'s timestamp: "%a %b %d %T" + nanoseconds + " %Y", local time', () => {
    const at = new Date(2026, 10, 5, 9, 7, 3, 42).getTime();
    expect(fileTimestamp(at)).toBe('Thu Nov 05 09:07:03.042000000 2026');
    expect(fileLine(at, '(VI_1) Entering MASTER STATE')).toBe('Thu Nov 05 09:07:03.042000000 2026: (VI_1) Entering MASTER STATE\n');
  });

  it('a logger with a file appends keepalived\'s lines, -D lines only with detail, 0666 & ~umask', () => {
    const path = join(dir, 'vrrpd.log');
    const previous = process.umask(0o027);
    try {
      for (const detail of [false, true]) {
        const log = createLogger({ detail, console: false, syslog: false, file: path });
        if (!log.ok) throw new Error(log.error);
        log.value.info('(VI_1) Entering MASTER STATE');
        log.value.debug(`(VI_1) sent 0 priority (detail ${detail})`);
      }
    } finally {
      process.umask(previous);
    }
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.filter((l) => l.endsWith(': (VI_1) Entering MASTER STATE'))).toHaveLength(2);
    expect(lines.filter((l) => l.includes('sent 0 priority'))).toEqual([expect.stringMatching(/^\w{3} \w{3} \d\d \d\d:\d\d:\d\d\.\d{9} \d{4}: \(VI_1\) sent 0 priority \(detail true\)$/)]);
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });

  it('a file that cannot be opened is an error value, not an exception', () => {
    const r = createLogger({ detail: false, console: false, syslog: false, file: join(dir, 'no', 'such', 'dir.log') });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^cannot open log file .*dir\.log: ENOENT/);
  });
});

describe('"Stopped" (keepalived log_stopping)', () => {
  const usage = { userUs: 1_234_567, systemUs: 89, childUserUs: 0, childSystemUs: 0 };
  it('plain without -D', () => expect(stoppedLine(false, usage)).toBe('Stopped'));
  it('the CPU time with -D, sec.usec', () => {
    expect(stoppedLine(true, usage)).toBe('Stopped - used 1.234567 user time, 0.000089 system time');
  });
  it('self/children when the children used any', () => {
    expect(stoppedLine(true, { ...usage, childUserUs: 20_000, childSystemUs: 10_000 })).toBe(
      'Stopped - used (self/children) 1.234567/0.020000 user time, 0.000089/0.010000 system time',
    );
  });
});

describe('-a address lines (keepalived_netlink.c)', () => {
  const address = { index: 2, address: '192.0.2.200' as Ipv4, prefixLength: 32, label: undefined, secondary: false };
  const names = new Map([[2, 'eth0']]);
  it('added / removed, by interface name', () => {
    expect(addressLine({ kind: 'addressAdded', address }, names)).toBe('Netlink reflector reports IP 192.0.2.200 added to eth0');
    expect(addressLine({ kind: 'addressRemoved', address }, names)).toBe('Netlink reflector reports IP 192.0.2.200 removed from eth0');
  });
  it('other events are not address lines', () => {
    expect(addressLine({ kind: 'overrun', message: 'x' }, names)).toBeUndefined();
  });
});

describe('structured JSON lines (stdout in the foreground: journald under systemd)', () => {
  const vridOf = (name: string): number | undefined => (name === 'VI_1' ? 51 : undefined);

  it('fields from keepalived-worded messages: instance, its VRID, the state entered, the peer', () => {
    expect(logFields('(VI_1) Entering MASTER STATE', vridOf)).toEqual({ instance: 'VI_1', vrid: 51, state: 'MASTER' });
    expect(logFields('(VI_1) Master received advert from 192.0.2.11 with higher priority 150, ours 100', vridOf)).toEqual({
      instance: 'VI_1', vrid: 51, peer: '192.0.2.11', priority: 150,
    });
    expect(logFields('(VI_1) received an invalid passwd! - peer 192.0.2.12 uses another auth_pass', vridOf)).toMatchObject({ peer: '192.0.2.12' });
    expect(logFields('Startup complete', vridOf)).toEqual({});
    expect(logFields('(VI_9) Entering FAULT STATE', vridOf)).toEqual({ instance: 'VI_9', state: 'FAULT' });
  });

  it('a JSON line carries the message unchanged and the fields beside it', () => {
    const lines: string[] = [];
    const r = createLogger({ detail: false, json: true, console: false, syslog: false, vridOf, jsonStream: { write: (l: string) => void lines.push(l) } });
    if (!r.ok) throw new Error(r.error);
    r.value.info('(VI_1) Entering BACKUP STATE (init)');
    r.value.info('Startup complete');
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({ msg: '(VI_1) Entering BACKUP STATE (init)', instance: 'VI_1', vrid: 51, state: 'BACKUP', level: 30 });
    expect(second).toMatchObject({ msg: 'Startup complete' });
    expect(second).not.toHaveProperty('instance');
  });

  it("-l: keepalived's console text, \"%a %b %d %T %Y: \" then the message", () => {
    const at = new Date(2026, 10, 5, 9, 7, 3, 42).getTime();
    expect(consoleLine(at, '(VI_1) Entering MASTER STATE')).toBe('Thu Nov 05 09:07:03 2026: (VI_1) Entering MASTER STATE\n');
  });
});

describe('-g FILE under logrotate', () => {
  it('create mode: after the file is moved away, SIGUSR1 (reopenLogFiles) starts a new one; copytruncate needs nothing', () => {
    const path = join(dir, 'rotated.log');
    const r = createLogger({ detail: false, console: false, syslog: false, file: path });
    if (!r.ok) throw new Error(r.error);
    r.value.info('before');
    renameSync(path, `${path}.1`);
    r.value.info('still to the moved file');
    reopenLogFiles();
    r.value.info('after');
    expect(readFileSync(`${path}.1`, 'utf8')).toMatch(/: before\n.*: still to the moved file\n$/s);
    expect(readFileSync(path, 'utf8')).toMatch(/: after\n$/);
  });
});
