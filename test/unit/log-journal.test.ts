// src/log/journal.ts: the native journal protocol's encoding, checked byte for byte and through a
// real AF_UNIX datagram socket (bound by python3 in a temporary directory: Node cannot bind one)
// that receives what the logger sends, as journald's would.
import { spawn, type ChildProcess } from 'node:child_process';
import { fstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { detectJournal, encodeJournalEntry, journalFields, MAX_VALUE_BYTES, stdoutIsJournal } from '../../src/log/journal.js';

const dir = mkdtempSync(join(tmpdir(), 'vrrpd-journal-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Fields of one datagram, decoded as journald does (both the `=` and the binary length form). */
function decode(entry: Buffer): [string, string][] {
  const out: [string, string][] = [];
  let at = 0;
  while (at < entry.length) {
    const nl = entry.indexOf(0x0a, at);
    const eq = entry.indexOf(0x3d, at);
    if (eq !== -1 && eq < nl) {
      out.push([entry.subarray(at, eq).toString(), entry.subarray(eq + 1, nl).toString()]);
      at = nl + 1;
    } else {
      const name = entry.subarray(at, nl).toString();
      const length = Number(entry.readBigUInt64LE(nl + 1));
      const start = nl + 9;
      out.push([name, entry.subarray(start, start + length).toString()]);
      if (entry[start + length] !== 0x0a) throw new Error(`${name}: no newline after the value`);
      at = start + length + 1;
    }
  }
  return out;
}

/** A datagram socket bound at `path` that keeps what it receives (python3: Node has no unix datagram sockets). */
interface Receiver {
  readonly received: Buffer[];
  waitFor(count: number): Promise<Buffer[]>;
  close(): void;
}

async function receiver(path: string): Promise<Receiver> {
  const code = [
    'import socket, sys',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
    's.bind(sys.argv[1])',
    'print("ready", flush=True)',
    'while True:',
    '    sys.stdout.write(s.recv(1 << 20).hex() + "\\n"); sys.stdout.flush()',
  ].join('\n');
  const child: ChildProcess = spawn('python3', ['-c', code, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const received: Buffer[] = [];
  let buffered = '';
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let nl;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line === 'ready') ready();
      else received.push(Buffer.from(line, 'hex'));
    }
  });
  await isReady;
  return {
    received,
    async waitFor(count) {
      const until = Date.now() + 5000;
      while (received.length < count && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      return received;
    },
    close: () => child.kill(),
  };
}

describe('the native journal protocol (systemd.io/JOURNAL_NATIVE_PROTOCOL)', () => {
  it('NAME=value lines; a value with a newline as NAME, its 64-bit LE length, the value, a newline', () => {
    const entry = encodeJournalEntry([
      ['MESSAGE', 'internal error\n    at f (x.js:1)'],
      ['PRIORITY', '3'],
    ]);
    const expected = Buffer.concat([
      Buffer.from('MESSAGE\n'),
      Buffer.from([32, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from('internal error\n    at f (x.js:1)\n'),
      Buffer.from('PRIORITY=3\n'),
    ]);
    expect(entry.toString('hex')).toBe(expected.toString('hex'));
    expect(decode(entry)).toEqual([['MESSAGE', 'internal error\n    at f (x.js:1)'], ['PRIORITY', '3']]);
  });

  it('an over-long value is cut to MAX_VALUE_BYTES, not refused whole by the socket', () => {
    const [[, value]] = decode(encodeJournalEntry([['MESSAGE', 'x'.repeat(MAX_VALUE_BYTES + 10)]])) as [[string, string]];
    expect(value.length).toBe(MAX_VALUE_BYTES);
  });

  it("journald's fields, then the JSON lines' fields as VRRP_*", () => {
    expect(journalFields({ message: '(VI_1) Entering MASTER STATE', severity: 6, facility: 3 << 3, pid: 42, fields: { instance: 'VI_1', vrid: 51, state: 'MASTER' } })).toEqual([
      ['MESSAGE', '(VI_1) Entering MASTER STATE'],
      ['PRIORITY', '6'],
      ['SYSLOG_FACILITY', '3'],
      ['SYSLOG_IDENTIFIER', 'vrrpd'],
      ['SYSLOG_PID', '42'],
      ['VRRP_INSTANCE', 'VI_1'],
      ['VRRP_VRID', '51'],
      ['VRRP_STATE', 'MASTER'],
    ]);
  });
});

describe('where the journal is', () => {
  it('JOURNAL_STREAM names stdout only when its DEV:INODE are stdout\'s', () => {
    const stdout = (): { dev: number; ino: number } => ({ dev: 64769, ino: 123456 });
    expect(stdoutIsJournal({ JOURNAL_STREAM: '64769:123456' }, stdout)).toBe(true);
    // Inherited by a child whose stdout went elsewhere (a script's, a shell's redirect).
    expect(stdoutIsJournal({ JOURNAL_STREAM: '64769:123457' }, stdout)).toBe(false);
    expect(stdoutIsJournal({}, stdout)).toBe(false);
    expect(stdoutIsJournal({ JOURNAL_STREAM: 'garbage' }, stdout)).toBe(false);
    const real = fstatSync(1);
    expect(stdoutIsJournal({ JOURNAL_STREAM: `${real.dev}:${real.ino}` })).toBe(true);
  });

  it('journald\'s socket must be a socket', async () => {
    const file = join(dir, 'not-a-socket');
    writeFileSync(file, '');
    expect(detectJournal({}, file)).toBeUndefined();
    expect(detectJournal({}, join(dir, 'absent'))).toBeUndefined();
    const path = join(dir, 'detect.sock');
    const r = await receiver(path);
    try {
      expect(detectJournal({}, path)).toEqual({ socket: path, stdout: false });
    } finally {
      r.close();
    }
  });
});

describe('the logger under journald, through a real datagram socket', () => {
  const vridOf = (name: string): number | undefined => (name === 'VI_1' ? 51 : undefined);

  it('stdout is the journal: each event once, as a native entry with fields, and no JSON line', async () => {
    const path = join(dir, 'journal.sock');
    const r = await receiver(path);
    try {
      const json: string[] = [];
      const log = createLogger({
        detail: false, json: true, console: false, syslog: true, vridOf, facility: 19 << 3,
        jsonStream: { write: (l: string) => void json.push(l) },
        journal: { socket: path, stdout: true },
      });
      if (!log.ok) throw new Error(log.error);
      log.value.info('(VI_1) Entering MASTER STATE');
      log.value.warn('(VI_1) Master received advert from 192.0.2.11 with higher priority 150, ours 100');
      log.value.error('internal error (continuing): Error: boom\n    at f (x.js:1:1)');
      log.value.debug('not with -D off');
      const got = (await r.waitFor(3)).map((d) => Object.fromEntries(decode(d)));
      expect(got).toEqual([
        {
          MESSAGE: '(VI_1) Entering MASTER STATE', PRIORITY: '6', SYSLOG_FACILITY: '19', SYSLOG_IDENTIFIER: 'vrrpd', SYSLOG_PID: String(process.pid),
          VRRP_INSTANCE: 'VI_1', VRRP_VRID: '51', VRRP_STATE: 'MASTER',
        },
        expect.objectContaining({ MESSAGE: '(VI_1) Master received advert from 192.0.2.11 with higher priority 150, ours 100', PRIORITY: '4', VRRP_PEER: '192.0.2.11', VRRP_PRIORITY: '150' }),
        expect.objectContaining({ MESSAGE: 'internal error (continuing): Error: boom\n    at f (x.js:1:1)', PRIORITY: '3' }),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(r.received).toHaveLength(3);
      expect(json).toEqual([]);
    } finally {
      r.close();
    }
  });

  it('stdout elsewhere (a terminal): the journal replaces syslog, the JSON lines stay; -G without the journal stdout: no journal', async () => {
    const path = join(dir, 'journal2.sock');
    const r = await receiver(path);
    try {
      const json: string[] = [];
      const opts = { detail: false, json: true, console: false, vridOf, jsonStream: { write: (l: string) => void json.push(l) }, journal: { socket: path, stdout: false } };
      const log = createLogger({ ...opts, syslog: true });
      if (!log.ok) throw new Error(log.error);
      log.value.info('(VI_1) Entering BACKUP STATE');
      expect((await r.waitFor(1)).map((d) => Object.fromEntries(decode(d))['MESSAGE'])).toEqual(['(VI_1) Entering BACKUP STATE']);
      expect(json).toHaveLength(1);
      const quiet = createLogger({ ...opts, syslog: false });
      if (!quiet.ok) throw new Error(quiet.error);
      quiet.value.info('(VI_1) Entering MASTER STATE');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(r.received).toHaveLength(1);
      expect(json).toHaveLength(2);
    } finally {
      r.close();
    }
  });

  it('lines journald does not take are dropped without blocking, and counted in the next line that gets through', async () => {
    const path = join(dir, 'late.sock');
    const log = createLogger({ detail: false, console: false, syslog: true, journal: { socket: path, stdout: true } });
    if (!log.ok) throw new Error(log.error);
    log.value.info('lost 1');
    log.value.info('lost 2');
    const r = await receiver(path);
    try {
      log.value.info('(VI_1) Entering MASTER STATE');
      const got = (await r.waitFor(2)).map((d) => Object.fromEntries(decode(d)));
      expect(got.map((f) => [f['MESSAGE'], f['PRIORITY']])).toEqual([
        ['2 log lines not taken by the journal (ENOENT)', '4'],
        ['(VI_1) Entering MASTER STATE', '6'],
      ]);
    } finally {
      r.close();
    }
  });
});
