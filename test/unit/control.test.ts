// The control socket end to end on a real unix socket in a temp directory (the daemon's server,
// `vrrpd status`'s client), the request parser, the status a real Instance gives and the table.
// Nothing is timed: the one timeout test asserts the reply, not how long it took.
import { lstatSync, mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from '../../src/control/client.js';
import { runStatusCommand } from '../../src/control/command.js';
import { formatStatus } from '../../src/control/format.js';
import { defaultSocketPath, parseRequest } from '../../src/control/protocol.js';
import { soPeerCred, startControlServer, type ControlServer } from '../../src/control/server.js';
import { collectStatus } from '../../src/control/status.js';
import type { Logger } from '../../src/log/logger.js';
import { ok, type Vrid } from '../../src/types.js';
import { CHK_UP, CONFIG, fixedTracker, ip, loadConfig, makeInstance, prio, sources } from './control-fixture.js';

const warnings: string[] = [];
const log = { info: () => undefined, debug: () => undefined, warn: (m: string) => warnings.push(m) } as unknown as Pick<Logger, 'info' | 'warn' | 'debug'>;

/** Raw bytes in, the whole reply out (what a hostile or broken client sees). */
function raw(path: string, bytes: string, halfClose = true): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (text += d));
    s.on('close', () => resolve(text));
    s.on('error', reject);
    s.on('connect', () => {
      if (bytes !== '') s.write(bytes);
      if (halfClose) s.end();
    });
  });
}

describe('parseRequest', () => {
  it('takes {"cmd":"status"} and refuses everything else with a reason', () => {
    expect(parseRequest('{"cmd":"status"}')).toEqual(ok({ cmd: 'status' }));
    expect(parseRequest('status')).toMatchObject({ ok: false, error: { kind: 'malformed', message: expect.stringContaining('not JSON') } });
    expect(parseRequest('[1]')).toMatchObject({ ok: false, error: { kind: 'malformed', message: expect.stringContaining('not a JSON object') } });
    expect(parseRequest('{"cmd":5}')).toMatchObject({ ok: false, error: { kind: 'malformed', message: expect.stringContaining('no "cmd"') } });
    expect(parseRequest('{"cmd":"reboot"}')).toMatchObject({ ok: false, error: { kind: 'unknownCommand', message: 'unknown command "reboot" (known: status)' } });
    expect(parseRequest('{"__proto__":{"cmd":"status"}}').ok).toBe(false);
  });

  it('the socket sits beside the pidfile, named after it', () => {
    expect(defaultSocketPath('/run/vrrpd.pid')).toBe('/run/vrrpd.sock');
    expect(defaultSocketPath('/run/vrrpd/vrrpd.pid')).toBe('/run/vrrpd/vrrpd.sock');
    expect(defaultSocketPath('/tmp/x/lock')).toBe('/tmp/x/lock.sock');
  });
});

describe('control socket server', () => {
  let dir: string;
  let server: ControlServer | undefined;
  let served = 0;
  const path = (): string => join(dir, 'vrrpd.sock');
  const start = async (extra: Partial<Parameters<typeof startControlServer>[0]> = {}): Promise<ControlServer> => {
    const r = await startControlServer({ path: path(), log, handle: () => ({ ok: true, status: { instances: [], served: ++served } }), ...extra });
    if (!r.ok) throw new Error(r.error);
    server = r.value;
    return r.value;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vrrpd-control-'));
    warnings.length = 0;
    served = 0;
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a socket of mode 0600 that answers a status request, and is removed on close', async () => {
    const s = await start();
    const st = lstatSync(path());
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(await request(path(), 'status')).toEqual(ok({ instances: [], served: 1 }));
    await s.close();
    server = undefined;
    expect(existsSync(path())).toBe(false);
  });

  it('malformed, unknown, empty and oversized requests get an error reply, and the next request is served', async () => {
    await start();
    expect(JSON.parse(await raw(path(), 'hello\n'))).toEqual({ ok: false, error: 'malformed request: not JSON (send {"cmd":"status"})' });
    expect(JSON.parse(await raw(path(), '{"cmd":"stop"}\n'))).toMatchObject({ ok: false, error: expect.stringContaining('unknown command') });
    expect(JSON.parse(await raw(path(), ''))).toMatchObject({ ok: false, error: expect.stringContaining('empty request') });
    expect(JSON.parse(await raw(path(), 'x'.repeat(10_000), false))).toEqual({ ok: false, error: 'request longer than 4096 bytes' });
    expect(JSON.parse(await raw(path(), '\u0000\u00ff\n'))).toMatchObject({ ok: false });
    // Without a newline, a half-close ends the request.
    expect(JSON.parse(await raw(path(), '{"cmd":"status"}'))).toEqual({ ok: true, status: { instances: [], served: 1 } });
    expect(await request(path(), 'status')).toEqual(ok({ instances: [], served: 2 }));
    // One complaint per kind logged, the rest counted (rate-limited per kind).
    expect(warnings).toEqual([
      'control socket: malformed request: not JSON (send {"cmd":"status"})',
      'control socket: unknown command "stop" (known: status)',
      'control socket: request longer than 4096 bytes',
    ]);
  });

  it('a client that sends nothing gets an error reply at the deadline', async () => {
    await start({ deadlineMs: 50 });
    expect(JSON.parse(await raw(path(), '', false))).toEqual({ ok: false, error: 'no complete request within 50 ms' });
  });

  it('SO_PEERCRED names this process; another uid is refused with a reason and served nothing', async () => {
    let seen: number | undefined;
    await start({
      peerOf: (socket) => {
        const cred = soPeerCred(socket);
        if (cred.ok) seen = cred.value.uid;
        return ok({ pid: 1234, uid: 4242, gid: 4242 });
      },
      ownUid: 999,
    });
    expect(await request(path(), 'status')).toEqual({ ok: false, error: 'vrrpd: permission denied: only root and uid 999 may use this socket' });
    expect(seen).toBe(process.getuid?.());
    expect(served).toBe(0);
    expect(warnings[0]).toContain('refused uid 4242 (pid 1234)');
  });

  it('root and the own uid are let in', async () => {
    await start({ peerOf: () => ok({ pid: 1, uid: 0, gid: 0 }), ownUid: 999 });
    expect((await request(path(), 'status')).ok).toBe(true);
    await server?.close();
    await start({ peerOf: () => ok({ pid: 1, uid: 999, gid: 999 }), ownUid: 999 });
    expect((await request(path(), 'status')).ok).toBe(true);
  });

  it('a stale socket is replaced; a regular file at the path is left alone and reported', async () => {
    const first = await start();
    const inode = statSync(path()).ino;
    // A crashed daemon leaves its socket file: starting again over it replaces it. (The pidfile
    // lock keeps a second live daemon away; libuv unlinks the path on close, whoever's it is.)
    const second = await startControlServer({ path: path(), log, handle: () => ({ ok: true, status: { second: true } }) });
    expect(second.ok).toBe(true);
    expect(statSync(path()).ino).not.toBe(inode);
    expect(await request(path(), 'status')).toEqual(ok({ second: true }));
    await first.close();
    if (second.ok) await second.value.close();
    server = undefined;
    writeFileSync(path(), 'precious');
    const refused = await startControlServer({ path: path(), log, handle: () => ({ ok: true, status: {} }) });
    expect(refused).toEqual({ ok: false, error: `${path()} exists and is not a socket - not replacing it` });
    expect(lstatSync(path()).isFile()).toBe(true);
  });

  it('the deadline counts from accept: a client trickling a byte every 20 ms is answered at the deadline', async () => {
    await start({ deadlineMs: 150 });
    const s = connect(path());
    const timer = setInterval(() => s.write(' '), 20);
    const reply = await new Promise<string>((resolve) => {
      let text = '';
      s.on('data', (d: Buffer) => (text += d.toString('utf8')));
      s.on('close', () => resolve(text));
      s.on('error', () => undefined);
    });
    clearInterval(timer);
    expect(JSON.parse(reply)).toEqual({ ok: false, error: 'no complete request within 150 ms' });
    expect(warnings).toEqual(['control socket: a client sent no complete request within 150 ms']);
  });

  it('a client that is answered and never closes loses its connection after the grace', async () => {
    await start({ graceMs: 50 });
    const s = connect({ path: path(), allowHalfOpen: true });
    s.on('connect', () => s.write('garbage\n'));
    s.resume();
    // After the reply the client keeps its side open, poking now and then: only the daemon can end it.
    let poke: NodeJS.Timeout | undefined;
    const closed = await new Promise<boolean>((resolve) => {
      s.on('error', () => undefined);
      s.on('end', () => (poke = setInterval(() => s.write(' '), 10)));
      s.on('close', () => resolve(true));
    });
    clearInterval(poke);
    expect(closed).toBe(true);
  });

  it('a client that never reads its (large) reply cannot keep the next one out', async () => {
    const big = { instances: [], pad: 'x'.repeat(4 * 1024 * 1024) };
    await start({ limits: { maxOpen: 1, answeredMinAgeMs: 20 }, handle: () => ({ ok: true, status: big }) });
    const hog = connect(path());
    hog.pause();
    hog.on('error', () => undefined);
    hog.write('{"cmd":"status"}\n');
    await new Promise((r) => setTimeout(r, 100));
    expect((await request(path(), 'status')).ok).toBe(true);
    hog.destroy();
  });

  it('64 silent clients: 16 wait, the rest are turned away at their first read, and a status request is answered at once', async () => {
    await start({ deadlineMs: 10_000 });
    const silent = Array.from({ length: 64 }, () => raw(path(), '', false));
    await new Promise((r) => setTimeout(r, 100));
    expect(server?.connections()).toBe(16);
    expect(await request(path(), 'status', 50)).toEqual(ok({ instances: [], served: 1 }));
    expect(warnings).toEqual(['control socket: turned a connection away: its request was not complete at its first read, and all 16 waiting places are taken']);
    await server?.close();
    server = undefined;
    const replies = (await Promise.all(silent)).map((t) => (t === '' ? 'closed' : (JSON.parse(t) as { error: string }).error));
    expect(replies.filter((r) => r === 'busy: request not complete at once, and all 16 waiting places are taken')).toHaveLength(48);
  });

  it('all places taken by waiting clients: a newcomer replaces the one waiting longest, which is told "busy"', async () => {
    await start({ deadlineMs: 10_000, limits: { maxOpen: 4, maxWaiting: 4 } });
    const silent = Array.from({ length: 4 }, () => raw(path(), '', false));
    await new Promise((r) => setTimeout(r, 50));
    expect(await request(path(), 'status', 50)).toEqual(ok({ instances: [], served: 1 }));
    expect(JSON.parse((await silent[0]) ?? '')).toEqual({ ok: false, busy: true, error: 'busy: dropped for a new connection while still without a complete request' });
    expect(warnings).toEqual(['control socket: all 4 connections in use: dropped one still without a complete request for a new one']);
    await server?.close();
    server = undefined;
    await Promise.all(silent);
  });

  it('all places just taken by new connections: the newcomer is told "busy", and the client asks again until it gets in', async () => {
    await start({ deadlineMs: 10_000, limits: { maxOpen: 2 } });
    const silent = [raw(path(), '', false), raw(path(), '', false)];
    // Connected at once with the others: they are new (not read yet), so none may be replaced.
    expect(JSON.parse(await raw(path(), '{"cmd":"status"}\n', false))).toEqual({ ok: false, busy: true, error: 'busy: all 2 connections in use' });
    expect(await request(path(), 'status')).toEqual(ok({ instances: [], served: 1 }));
    await server?.close();
    server = undefined;
    await Promise.all(silent);
  });

  it('a daemon that stays busy, or closes without answering: one sentence after the time is up, not "write EPIPE"', async () => {
    const busy = createServer((c) => c.resume().end('{"ok":false,"busy":true,"error":"busy: all 64 connections in use"}\n'));
    await new Promise<void>((r) => busy.listen(path(), r));
    const r1 = await request(path(), 'status', 300);
    await new Promise((r) => busy.close(r));
    expect(r1).toMatchObject({ ok: false, error: expect.stringMatching(new RegExp(`^vrrpd on ${path()} was busy for 300 ms \\(\\d+ tries, last: busy: all 64 connections in use\\); another local client may be flooding its control socket$`)) });
    const rude = createServer((c) => c.destroy());
    await new Promise<void>((r) => rude.listen(path(), r));
    const r2 = await request(path(), 'status', 300);
    await new Promise((r) => rude.close(r));
    expect(r2).toMatchObject({ ok: false, error: expect.stringMatching(/closed the connection without answering \(\d+ tries in 300 ms\); it may be stopping, or another local client is flooding its control socket$/) });
  });

  it('the client says the daemon is not running when there is no socket', async () => {
    expect(await request(join(dir, 'none.sock'), 'status')).toEqual({ ok: false, error: `vrrpd is not running (no control socket ${join(dir, 'none.sock')})` });
    const errors: string[] = [];
    const code = await runStatusCommand({ json: false, controlSocket: join(dir, 'none.sock') }, () => undefined, (l) => errors.push(l));
    expect(code).toBe(1);
    expect(errors[0]).toMatch(/^vrrpd is not running \(no control socket at .*none\.sock/);
  });
});

describe('status of a real instance', () => {
  const config = loadConfig(CONFIG);
  const vi1 = config.instances[0];
  if (vi1 === undefined) throw new Error('no instance');

  it('names the last transition and its reason: master down timer, higher priority advert, priority 0, fault', () => {
    const clock = { now: 1000 };
    const i = makeInstance(vi1, clock);
    expect(i.lastTransition).toBeUndefined();
    i.start();
    expect(i.lastTransition).toMatchObject({ from: 'INIT', to: 'BACKUP', reason: 'start-up' });
    clock.now = 5000;
    i.feed({ type: 'timer', timer: 'masterDown' });
    expect(i.lastTransition).toEqual({ at: 5000, from: 'BACKUP', to: 'MASTER', reason: 'master down timer' });
    i.feed({ type: 'advert', priority: prio(200), from: ip('192.0.2.12') });
    expect(i.lastTransition).toMatchObject({ to: 'BACKUP', reason: 'higher priority advert from 192.0.2.12 (200)' });
    i.feed({ type: 'advert', priority: prio(0), from: ip('192.0.2.12') });
    i.feed({ type: 'timer', timer: 'masterDown' });
    expect(i.lastTransition).toMatchObject({ to: 'MASTER', reason: 'master down timer after priority 0 from 192.0.2.12' });
    i.feed({ type: 'fault' }, 'fault: script chk_nginx failed');
    expect(i.lastTransition).toMatchObject({ to: 'FAULT', reason: 'fault: script chk_nginx failed' });
    expect(i.transitionCount).toBe(5);
    i.dispose();
  });

  it('collectStatus: state, priorities, master, VIPs, transition, tracking, counters and the table shows them', () => {
    const clock = { now: 1000 };
    const i = makeInstance(vi1, clock);
    i.start();
    i.receive({ vrid: 51 as Vrid, priority: prio(200), advertIntSec: 1, authType: 0, addresses: [ip('192.0.2.200')], src: ip('192.0.2.12'), dst: ip('224.0.0.18'), ttl: 255 });
    i.dropped({ reason: 'badPassword', detail: 'bad password' });
    const tracker = fixedTracker([CHK_UP], { VI_1: { fault: false, faultReasons: [], priority: prio(150), pending: false } });
    const report = collectStatus(sources([i], config, tracker), { version: '9.9.9', startedAtMs: 0 });
    const s = report.instances[0];
    expect(s).toMatchObject({
      name: 'VI_1',
      vrid: 51,
      interface: 'eth0',
      state: 'BACKUP',
      basePriority: 150,
      effectivePriority: 150,
      master: { address: '192.0.2.12', priority: 200, self: false },
      vips: ['192.0.2.200/32'],
      vipsSet: false,
      lastTransition: { from: 'INIT', to: 'BACKUP', reason: 'start-up' },
      tracked: [{ kind: 'script', name: 'chk_nginx', result: 'up', weight: 0, detail: 'exit 0, 7 runs, last run 2026-01-02T03:04:05.000Z' }],
      counters: { advertReceived: 1, advertSent: 0, drops: { badPassword: 1 } },
    });
    const text = formatStatus(report);
    expect(text).toMatch(/^VI_1\s+BACKUP\s+150\s+192\.0\.2\.12 \(prio 200\)\s+192\.0\.2\.200\s+\d+s ago\s+start-up$/m);
    expect(text).toContain('  track script chk_nginx weight 0: up (exit 0, 7 runs, last run 2026-01-02T03:04:05.000Z)');
    expect(text).toContain('  drops: badPassword 1');
    i.dispose();
  });

  it('vrrpd status prints the table, or the JSON with --json, from a daemon on the socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vrrpd-control-'));
    const clock = { now: 1000 };
    const i = makeInstance(vi1, clock);
    i.start();
    i.feed({ type: 'timer', timer: 'masterDown' });
    const tracker = fixedTracker([CHK_UP], {});
    const path = join(dir, 'vrrpd.sock');
    const srv = await startControlServer({ path, log, handle: () => ({ ok: true, status: collectStatus(sources([i], config, tracker), { version: '9.9.9', startedAtMs: 0 }) }) });
    if (!srv.ok) throw new Error(srv.error);
    try {
      let out = '';
      expect(await runStatusCommand({ json: false, pidFile: join(dir, 'vrrpd.pid') }, (t) => (out += t), () => undefined)).toBe(0);
      expect(out).toMatch(/^VI_1\s+MASTER\s+150\s+this node \(192\.0\.2\.11\)\s+192\.0\.2\.200\s+.+ ago\s+master down timer$/m);
      out = '';
      expect(await runStatusCommand({ json: true, controlSocket: path }, (t) => (out += t), () => undefined)).toBe(0);
      expect(JSON.parse(out)).toMatchObject({ version: '9.9.9', instances: [{ name: 'VI_1', state: 'MASTER', master: { self: true } }] });
    } finally {
      await srv.value.close();
      i.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
