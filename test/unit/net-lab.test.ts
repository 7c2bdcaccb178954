// src/net/* for real: two network namespaces joined by a veth pair (192.0.2.1/24 <-> 192.0.2.2/24),
// created here and deleted in afterAll. The code under test must run inside a namespace, so each
// case spawns `ip netns exec NS node --input-type=module -e SCRIPT`, and SCRIPT imports the
// compiled modules from dist/ (build them first: `npm run build`; `npm test` does).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { nativeAvailable } from '../../src/native/addon.js';
import { locateAddon } from '../../src/native/path.js';
import { describeUnless } from '../helpers/unmet.js';

const root = join(import.meta.dirname, '../..');
const modules = ['native/addon', 'net/garp', 'net/vrrp-socket', 'net/rtnl', 'net/repeater', 'timers/clock'];
const dist = (m: string): string => pathToFileURL(join(root, 'dist/src', `${m}.js`)).href;

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root for network namespaces';
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return '`ip netns` unavailable';
  for (const m of modules) {
    const js = join(root, 'dist/src', `${m}.js`);
    if (!existsSync(js) || statSync(js).mtimeMs < statSync(join(root, 'src', `${m}.ts`)).mtimeMs) {
      return `dist/src/${m}.js missing or older than its source: run npm run build`;
    }
  }
  const addon = nativeAvailable();
  if (!addon.ok) return addon.error;
  return undefined;
}

const skip = skipReason();
const nsA = `h1t-${process.pid}-a`;
const nsB = `h1t-${process.pid}-b`;
const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;

function ip(...args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function deleteNamespaces(): void {
  for (const ns of [nsA, nsB]) spawnSync('ip', ['netns', 'del', ns]);
}

/** Runs SCRIPT in NS to completion; its last stdout line is JSON. */
function runIn<T>(ns: string, script: string): T {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'node', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`script in ${ns} failed (${r.status}): ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? 'null') as T;
}

interface Background {
  readonly child: ChildProcess;
  readonly output: Promise<string>;
}

/** Starts a command in NS and resolves once `ready` (a regex) shows on its stdout or stderr. */
async function startIn(ns: string, argv: string[], ready: RegExp): Promise<Background> {
  const child = spawn('ip', ['netns', 'exec', ns, 'timeout', '8', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const output = new Promise<string>((resolve) => child.on('close', () => resolve(out)));
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (ready.test(out) || ready.test(err)) resolve();
    };
    child.stdout?.on('data', (d: Buffer) => ((out += d.toString()), check()));
    child.stderr?.on('data', (d: Buffer) => ((err += d.toString()), check()));
    child.on('close', (code) => reject(new Error(`${argv[0]} in ${ns} exited (${code}) before ready: ${err}`)));
  });
  return { child, output };
}

function internetChecksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

describeUnless(skip !== undefined)(`net/* in network namespaces${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(() => {
    deleteNamespaces();
    try {
      ip('netns', 'add', nsA);
      ip('netns', 'add', nsB);
      ip('-n', nsA, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', nsB);
      ip('-n', nsA, 'addr', 'add', '192.0.2.1/24', 'dev', 'va');
      ip('-n', nsB, 'addr', 'add', '192.0.2.2/24', 'dev', 'vb');
      for (const [ns, dev] of [[nsA, 'va'], [nsB, 'vb']] as const) {
        ip('-n', ns, 'link', 'set', 'lo', 'up');
        ip('-n', ns, 'link', 'set', dev, 'up');
      }
    } catch (e) {
      deleteNamespaces();
      throw e;
    }
  });
  afterAll(() => {
    deleteNamespaces();
    expect(ip('netns', 'list')).not.toContain(`h1t-${process.pid}-`);
  });

  it('VRRP socket: a hand-built advert arrives with TTL 255, TOS 0xc0 and our source; no loopback to the sender', async () => {
    const receiver = `
      import { openVrrpSocket } from ${JSON.stringify(dist('net/vrrp-socket'))};
      import { ifInfo } from ${JSON.stringify(dist('native/addon'))};
      const openedAt = performance.now();
      const s = openVrrpSocket({ ifname: 'vb', ifindex: ifInfo('vb').value.index, groups: ['224.0.0.18'], clock: () => performance.now() + 1e6,
        onDatagram: (d) => { const handledAt = performance.now(); console.log(JSON.stringify({ from: d.from, ttl: d.ttl, hex: d.bytes.toString('hex'), receivedAt: d.receivedAt, openedAt, handledAt })); s.value.close(); },
        onError: (m) => { console.log(JSON.stringify({ error: m })); } });
      if (!s.ok) { console.log(JSON.stringify({ error: s.error })); process.exit(1); }
      console.error('ready');
      setTimeout(() => s.value.close(), 4000).unref(); // the open socket alone keeps us waiting`;
    const rx = await startIn(nsB, ['node', '--input-type=module', '-e', receiver], /ready/);

    const advert = '2133640101014983c00002c87365637265743132'; // vrid 51 prio 100, VIP 192.0.2.200, PASS secret12
    const sender = `
      import { openVrrpSocket } from ${JSON.stringify(dist('net/vrrp-socket'))};
      import { ifInfo } from ${JSON.stringify(dist('native/addon'))};
      let own = 0;
      const s = openVrrpSocket({ ifname: 'va', ifindex: ifInfo('va').value.index, groups: ['224.0.0.18'], onDatagram: () => own++, onError: () => {} }).value;
      const h = Buffer.alloc(20);
      h[0] = 0x45; h[1] = 0xc0; h.writeUInt16BE(40, 2); h.writeUInt16BE(0x1234, 4); h[8] = 255; h[9] = 112;
      Buffer.from([192, 0, 2, 1]).copy(h, 12); Buffer.from([224, 0, 0, 18]).copy(h, 16);
      const sent = await s.send(Buffer.concat([h, Buffer.from('${advert}', 'hex')]), '224.0.0.18');
      const badDst = await s.send(h, 'not-an-ip');
      await new Promise((r) => setTimeout(r, 300));
      s.close();
      const afterClose = await s.send(h, '224.0.0.18');
      console.log(JSON.stringify({ sent, badDst, afterClose, own }));`;
    const tx = runIn<Record<string, unknown>>(nsA, sender);
    expect(tx).toEqual({
      sent: { ok: true, value: 40 },
      badDst: { ok: false, error: "VRRP socket on va: send to not-an-ip: Invalid argument (EINVAL)" },
      afterClose: { ok: false, error: 'VRRP socket on va: closed' },
      own: 0,
    });

    const got = JSON.parse((await rx.output).trim().split('\n')[0] ?? '{}') as { from: string; ttl: number; hex: string; receivedAt: number; openedAt: number; handledAt: number };
    expect(got.from).toBe('192.0.2.1');
    // On the clock it was given (performance.now() + 1e6): after the socket opened, not after it was handled.
    expect(got.receivedAt - 1e6).toBeGreaterThan(got.openedAt);
    expect(got.receivedAt - 1e6).toBeLessThanOrEqual(got.handledAt);
    expect(got.ttl).toBe(255);
    const bytes = Buffer.from(got.hex, 'hex');
    expect(bytes).toHaveLength(40);
    const header = bytes.subarray(0, 20);
    expect(header[1]).toBe(0xc0); // TOS as we wrote it
    expect(header.readUInt16BE(4)).toBe(0x1234); // IP id as we wrote it
    expect(header[9]).toBe(112);
    expect([...header.subarray(12, 16)]).toEqual([192, 0, 2, 1]);
    expect([...header.subarray(16, 20)]).toEqual([224, 0, 0, 18]);
    expect(internetChecksumOk(header)).toBe(true); // filled in by the kernel
    expect(bytes.subarray(20).toString('hex')).toBe(advert);
  }, 20_000);

  it('repeater: the handed-over advert every period, each with the next IP id and its checksum; stop and give-back report where it was', async () => {
    const receiver = `
      import { openVrrpSocket } from ${JSON.stringify(dist('net/vrrp-socket'))};
      import { ifInfo } from ${JSON.stringify(dist('native/addon'))};
      const got = [];
      const s = openVrrpSocket({ ifname: 'vb', ifindex: ifInfo('vb').value.index, groups: ['224.0.0.18'],
        onDatagram: (d) => got.push(d.bytes.toString('hex')), onError: () => {} });
      if (!s.ok) { console.log(JSON.stringify({ error: s.error })); process.exit(1); }
      console.error('ready');
      setTimeout(() => { s.value.close(); console.log(JSON.stringify(got)); }, 2500);`;
    const rx = await startIn(nsB, ['node', '--input-type=module', '-e', receiver], /ready/);

    const sender = `
      import { openVrrpSocket } from ${JSON.stringify(dist('net/vrrp-socket'))};
      import { timerScheduler } from ${JSON.stringify(dist('timers/clock'))};
      import { openRepeater } from ${JSON.stringify(dist('net/repeater'))};
      import { ifInfo } from ${JSON.stringify(dist('native/addon'))};
      const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
      const timers = timerScheduler();
      const opened = timers.offsetMs === undefined ? { ok: false, error: timers.fallback } : openRepeater(timers.offsetMs);
      if (!opened.ok) { console.log(JSON.stringify({ error: opened.error })); process.exit(1); }
      timers.repeater = opened.value;
      const s = openVrrpSocket({ ifname: 'va', ifindex: ifInfo('va').value.index, groups: [], onDatagram: () => {}, onError: () => {} }).value;
      const h = Buffer.alloc(20);
      h[0] = 0x45; h[1] = 0xc0; h.writeUInt16BE(40, 2); h.writeUInt16BE(0x1234, 4); h[8] = 255; h[9] = 112;
      Buffer.from([192, 0, 2, 1]).copy(h, 12); Buffer.from([224, 0, 0, 18]).copy(h, 16);
      const datagram = Buffer.concat([h, Buffer.from('2133640101014983c00002c87365637265743132', 'hex')]);
      const given = [];
      const first = performance.now() + 50;
      const job = s.repeat(timers.repeater, { datagram, dst: '224.0.0.18', first, periodMs: 100, ipId: 0xfffe, onGiveBack: (p) => given.push(p) });
      datagram.fill(0, 20); // the repeater has its own copy
      await sleep(480);
      const progress = job.progress();
      const stopped = job.stop();
      await sleep(150);
      const afterStop = job.progress();
      // A sender closed under it: the advert due comes back unsent.
      const first2 = performance.now() + 20;
      const job2 = s.repeat(timers.repeater, { datagram: Buffer.concat([h, Buffer.alloc(20)]), dst: '224.0.0.18', first: first2, periodMs: 100, ipId: 7, onGiveBack: (p) => given.push(p) });
      s.close();
      await sleep(150);
      const afterClose = s.repeat(timers.repeater, { datagram, dst: '224.0.0.18', first: first2, periodMs: 100, ipId: 7, onGiveBack: () => {} });
      timers.repeater.close();
      timers.scheduler.close();
      console.log(JSON.stringify({ progressSent: progress.sent, sent: stopped.sent, next: stopped.next - first, ipId: stopped.ipId,
        afterStop: afterStop.sent, job2: job2 !== undefined, given: given.map((p) => ({ sent: p.sent, next: p.next - first2, ipId: p.ipId })),
        afterClose: afterClose === undefined }));`;
    const tx = runIn<{ progressSent: number; sent: number; next: number; ipId: number; afterStop: number; job2: boolean; given: unknown[]; afterClose: boolean }>(nsA, sender);
    // Deadlines at 50, 150, .. 450 ms: five in the 480 ms window unless this machine stalled us.
    expect(tx.sent).toBeGreaterThanOrEqual(3);
    expect(tx.progressSent).toBe(tx.sent);
    expect(tx.afterStop).toBe(tx.sent);
    expect(tx.next).toBeCloseTo(tx.sent * 100, 6);
    // 0xfffe + 1 = 0xffff, then 0 is skipped (the kernel would fill one in): 1, 2, ...
    const ids = [0xffff, 1, 2, 3, 4, 5, 6, 7].slice(0, tx.sent);
    expect(tx.ipId).toBe(ids.at(-1));
    expect(tx.job2).toBe(true);
    expect(tx.given).toEqual([{ sent: 0, next: expect.closeTo(0, 6) as unknown, ipId: 7 }]);
    expect(tx.afterClose).toBe(true);

    const got = JSON.parse((await rx.output).trim().split('\n').at(-1) ?? '[]') as string[];
    expect(got).toHaveLength(tx.sent);
    for (const [i, hex] of got.entries()) {
      const bytes = Buffer.from(hex, 'hex');
      expect(bytes.readUInt16BE(4)).toBe(ids[i]);
      expect(internetChecksumOk(bytes.subarray(0, 20))).toBe(true);
      expect(bytes.subarray(20).toString('hex')).toBe('2133640101014983c00002c87365637265743132');
    }
  }, 20_000);

  /** Sends `count` adverts from va to 224.0.0.18, IP ids 1..count, one sendto() each. */
  const sendAdverts = (count: number): unknown =>
    runIn(nsA, `
      import { openVrrpSocket } from ${JSON.stringify(dist('net/vrrp-socket'))};
      import { ifInfo } from ${JSON.stringify(dist('native/addon'))};
      const s = openVrrpSocket({ ifname: 'va', ifindex: ifInfo('va').value.index, groups: [], onDatagram: () => {}, onError: () => {} }).value;
      const h = Buffer.alloc(20);
      h[0] = 0x45; h[1] = 0xc0; h.writeUInt16BE(40, 2); h[8] = 255; h[9] = 112;
      Buffer.from([192, 0, 2, 1]).copy(h, 12); Buffer.from([224, 0, 0, 18]).copy(h, 16);
      const datagram = Buffer.concat([h, Buffer.from('2133640101014983c00002c87365637265743132', 'hex')]);
      let sent = 0;
      for (let id = 1; id <= ${count}; id++) { datagram.writeUInt16BE(id, 4); if (s.send(datagram, '224.0.0.18').ok) sent++; }
      s.close();
      console.log(JSON.stringify(sent));`);

  /** Script lines that hold the receiver's loop (no JS, no poll) until `flag` exists: datagrams queue in the kernel meanwhile. */
  const holdLoopUntil = (flag: string): string => `
      const { existsSync } = await import('node:fs');
      const nap = new Int32Array(new SharedArrayBuffer(4));
      const holdUntil = performance.now() + 6000;
      while (!existsSync(${JSON.stringify(flag)}) && performance.now() < holdUntil) Atomics.wait(nap, 0, 0, 5);`;

  it('VRRP socket: a queue of 100 is read 32 per loop turn, each stamped before any JS of its turn runs', async () => {
    const located = locateAddon();
    if (!located.ok) throw new Error(located.error);
    const addonPath = located.value.path;
    const flag = join(tmpdir(), `h1t-${process.pid}-drain`);
    rmSync(flag, { force: true });
    const receiver = `
      import { openVrrpSocket } from ${JSON.stringify(dist('net/vrrp-socket'))};
      import { ifInfo } from ${JSON.stringify(dist('native/addon'))};
      import { createRequire } from 'node:module';
      const maxPerWake = createRequire(import.meta.url)(${JSON.stringify(addonPath)}).RawReceiver.maxPerWake;
      const turns = [[]];
      let marked = false;
      const spin = (ms) => { const until = performance.now() + ms; while (performance.now() < until); };
      const s = openVrrpSocket({ ifname: 'vb', ifindex: ifInfo('vb').value.index, groups: ['224.0.0.18'], onError: (m) => console.log(JSON.stringify({ error: m })),
        onDatagram: (d) => {
          const handledAt = performance.now();
          // A setImmediate runs once the loop has turned: it closes the batch this datagram is in.
          if (!marked) { marked = true; setImmediate(() => { marked = false; turns.push([]); }); }
          turns.at(-1).push({ id: d.bytes.readUInt16BE(4), receivedAt: d.receivedAt, handledAt });
          spin(0.2); // JS work per datagram
        } }).value;
      console.error('ready');
      ${holdLoopUntil(flag)}
      setTimeout(() => { s.close(); console.log(JSON.stringify({ maxPerWake, turns: turns.filter((t) => t.length > 0) })); }, 1000);`;
    const rx = await startIn(nsB, ['node', '--input-type=module', '-e', receiver], /ready/);
    try {
      expect(sendAdverts(100)).toBe(100);
    } finally {
      writeFileSync(flag, '');
    }
    const out = JSON.parse((await rx.output).trim().split('\n').at(-1) ?? '{}') as {
      maxPerWake: number;
      turns: { id: number; receivedAt: number; handledAt: number }[][];
    };
    rmSync(flag, { force: true });
    expect(out.maxPerWake).toBe(32);
    // All 100, in order, 32 a turn: between two reads of the queue the loop turned (the setImmediate ran).
    expect(out.turns.flat().map((d) => d.id)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(out.turns.map((t) => t.length)).toEqual([32, 32, 32, 4]);
    for (const turn of out.turns) {
      const stamps = turn.map((d) => d.receivedAt);
      expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
      // The turn's last stamp precedes its first datagram's JS, though its JS took >= 0.2 ms a datagram.
      expect(Math.max(...stamps)).toBeLessThanOrEqual(turn[0]?.handledAt ?? 0);
      expect((turn.at(-1)?.handledAt ?? 0) - (turn[0]?.handledAt ?? 0)).toBeGreaterThanOrEqual(0.2 * (turn.length - 1));
    }
  }, 20_000);

  it('VRRP socket: closed while datagrams are queued, it delivers none after close() and the process exits on its own', async () => {
    const flag = join(tmpdir(), `h1t-${process.pid}-close`);
    rmSync(flag, { force: true });
    const receiver = `
      import { openVrrpSocket } from ${JSON.stringify(dist('net/vrrp-socket'))};
      import { ifInfo } from ${JSON.stringify(dist('native/addon'))};
      import { readFileSync } from 'node:fs';
      const open = (onDatagram) => openVrrpSocket({ ifname: 'vb', ifindex: ifInfo('vb').value.index, groups: ['224.0.0.18'], onDatagram, onError: (m) => errors.push(m) }).value;
      const errors = [];
      const got = { beforeRead: 0, midBatch: 0 };
      // Closed by a timer that runs before the loop polls: 10 queued, none read.
      const beforeRead = open(() => got.beforeRead++);
      setTimeout(() => beforeRead.close(), 0);
      // Closed by its own handler on the first of the 10 read in one turn: the other 9 are dropped.
      const midBatch = open(() => { got.midBatch++; midBatch.close(); midBatch.close(); });
      console.error('ready');
      ${holdLoopUntil(flag)}
      setTimeout(() => {
        // The raw sockets left in this namespace (the kernel's table): none once both are closed.
        const raw = readFileSync('/proc/net/raw', 'utf8').split('\\n').slice(1).filter((l) => l.trim() !== '');
        console.log(JSON.stringify({ got, errors, rawSockets: raw.length, afterClose: beforeRead.join('224.0.0.19') }));
      }, 300);`;
    const started = Date.now();
    const rx = await startIn(nsB, ['node', '--input-type=module', '-e', receiver], /ready/);
    try {
      expect(sendAdverts(10)).toBe(10);
    } finally {
      writeFileSync(flag, '');
    }
    const exitCode = await new Promise<number | null>((resolve) => (rx.child.exitCode !== null ? resolve(rx.child.exitCode) : rx.child.on('exit', resolve)));
    const out = JSON.parse((await rx.output).trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    rmSync(flag, { force: true });
    expect(out).toEqual({ got: { beforeRead: 0, midBatch: 1 }, errors: [], rawSockets: 0, afterClose: { ok: false, error: 'VRRP socket on vb: closed' } });
    // Both uv handles closed: nothing keeps the loop alive (`timeout 8` would exit 124).
    expect(exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(7000);
  }, 20_000);

  it('RawReceiver: one nothing refers to keeps receiving through full garbage collections (it holds itself while open)', async () => {
    const located = locateAddon();
    if (!located.ok) throw new Error(located.error);
    // The addon's object itself, with callbacks that hold nothing of it (the wrappers' closures might).
    const receiver = `
      const a = require(${JSON.stringify(located.value.path)});
      let got = 0;
      const count = (bytes) => { got += bytes.length; };
      const fail = (e) => console.log(JSON.stringify({ error: e.message }));
      (() => { const r = new a.RawReceiver('vb', a.ifInfo('vb').index, count, fail); r.join('224.0.0.18'); })();
      (async () => {
        for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
        console.error('ready');
        setTimeout(() => { globalThis.gc(); console.log(JSON.stringify({ got })); process.exit(0); }, 1000);
      })();`;
    const rx = await startIn(nsB, ['node', '--expose-gc', '-e', receiver], /ready/);
    expect(sendAdverts(3)).toBe(3);
    expect(JSON.parse((await rx.output).trim().split('\n').at(-1) ?? '{}')).toEqual({ got: 3 });
  }, 20_000);

  it('VRRP socket: a missing interface is an error value naming the failing step', () => {
    const script = `
      import { openVrrpSocket } from ${JSON.stringify(dist('net/vrrp-socket'))};
      console.log(JSON.stringify(openVrrpSocket({ ifname: 'h1-none', ifindex: 99, groups: ['224.0.0.18'], onDatagram: () => {}, onError: () => {} })));`;
    expect(runIn(nsA, script)).toEqual({ ok: false, error: 'VRRP socket on h1-none: SO_BINDTODEVICE: No such device (ENODEV)' });
  });

  it('GARP: one frame from va replaces a STALE neighbour entry on the other side', async () => {
    ip('-n', nsB, 'neigh', 'replace', '192.0.2.200', 'lladdr', '02:00:00:00:00:99', 'dev', 'vb', 'nud', 'stale');
    const capture = hasTcpdump ? await startIn(nsB, ['tcpdump', '-i', 'vb', '-nn', '-xx', '-c', '1', 'arp'], /listening on/) : undefined;

    const script = `
      import { buildGarpFrame, openGarpSender } from ${JSON.stringify(dist('net/garp'))};
      import { ifInfo } from ${JSON.stringify(dist('native/addon'))};
      const mac = ifInfo('va').value.mac;
      const sender = openGarpSender('va').value;
      const frame = buildGarpFrame(mac, '192.0.2.200');
      const sent = sender.send([frame]);
      sender.close();
      const afterClose = sender.send([frame]);
      console.log(JSON.stringify({ mac: [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':'), frame: frame.toString('hex'), sent, afterClose }));`;
    const r = runIn<{ mac: string; frame: string; sent: unknown; afterClose: unknown }>(nsA, script);
    expect(r.sent).toEqual({ ok: true, value: 1 });
    expect(r.afterClose).toEqual({ ok: false, error: 'GARP on va: sent 0 of 1: send: Bad file descriptor (EBADF)' });
    expect(ip('-n', nsA, 'link', 'show', 'va')).toContain(`link/ether ${r.mac}`);

    // The kernel applies the update when the frame is received; allow it a moment.
    let neigh = '';
    for (let i = 0; i < 20 && !neigh.includes(r.mac); i++) {
      await new Promise((res) => setTimeout(res, 50));
      neigh = ip('-n', nsB, 'neigh', 'show', '192.0.2.200', 'dev', 'vb');
    }
    expect(neigh).toContain(`lladdr ${r.mac}`);

    if (capture) {
      const dump = await capture.output;
      const wire = [...dump.matchAll(/^\s+0x[0-9a-f]{4}:\s+((?:[0-9a-f]{4} ?)+)/gm)].map((m) => (m[1] ?? '').replace(/\s+/g, '')).join('');
      expect(wire).toBe(r.frame); // the 42 bytes we built, unpadded, as keepalived's on the bridge
    }
  }, 20_000);

  it('rtnl: VIP add (idempotent, labelled, /32 without broadcast), delete (twice), primary address, watcher events', () => {
    const script = `
      import { openRtnl } from ${JSON.stringify(dist('net/rtnl'))};
      import { execFileSync } from 'node:child_process';
      const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
      const ipShow = () => execFileSync('ip', ['-4', 'addr', 'show', 'dev', 'va']).toString();
      const r = openRtnl().value;
      const events = [];
      const stop = r.watch((e) => events.push(e));
      const links = (await r.links()).value;
      const va = links.find((l) => l.name === 'va');
      const vip = { index: va.index, address: '192.0.2.200', prefixLength: 32, label: 'va:vip' };
      const out = { va: { up: va.up, lowerUp: va.lowerUp, macLength: va.mac.length } };
      out.add = await r.addAddress(vip);
      out.addAgain = await r.addAddress(vip);
      out.shown = ipShow();
      out.addresses = (await r.ipv4Addresses(va.index)).value;
      out.primary = await r.primaryIpv4(va.index);
      out.del = await r.delAddress(vip);
      out.delAgain = await r.delAddress(vip);
      out.shownAfter = ipShow();
      out.badIndex = await r.addAddress({ ...vip, index: 9999 });
      // Link events on a throwaway veth pair (no dummy module everywhere) so va/vb stay intact.
      execFileSync('ip', ['link', 'add', 'h1d', 'type', 'veth', 'peer', 'name', 'h1e']);
      execFileSync('ip', ['link', 'set', 'h1d', 'up']);
      execFileSync('ip', ['link', 'set', 'h1d', 'down']);
      execFileSync('ip', ['link', 'del', 'h1d']);
      await sleep(300);
      stop();
      r.close();
      out.events = events.map((e) => e.kind === 'link' ? { kind: e.kind, name: e.link.name, up: e.link.up }
        : e.kind === 'linkDeleted' ? { kind: e.kind, name: e.name }
        : e.kind === 'overrun' ? e
        : { kind: e.kind, address: e.address.address + '/' + e.address.prefixLength, label: e.address.label });
      console.log(JSON.stringify(out));`;
    const r = runIn<Record<string, unknown>>(nsA, script);
    expect(r['va']).toEqual({ up: true, lowerUp: true, macLength: 6 });
    expect(r['add']).toEqual({ ok: true });
    expect(r['addAgain']).toEqual({ ok: true });
    const vipLine = String(r['shown']).split('\n').find((l) => l.includes('192.0.2.200'));
    expect(vipLine?.trim()).toBe('inet 192.0.2.200/32 scope global va:vip');
    expect(r['addresses']).toEqual([
      { index: expect.any(Number), address: '192.0.2.1', prefixLength: 24, label: 'va', secondary: false },
      { index: expect.any(Number), address: '192.0.2.200', prefixLength: 32, label: 'va:vip', secondary: false },
    ]);
    expect(r['primary']).toEqual({ ok: true, value: '192.0.2.1' });
    expect(r['del']).toEqual({ ok: true });
    expect(r['delAgain']).toEqual({ ok: true });
    expect(String(r['shownAfter'])).not.toContain('192.0.2.200');
    expect(r['badIndex']).toEqual({ ok: false, error: 'add 192.0.2.200/32 on ifindex 9999: ENODEV' });

    const events = r['events'] as { kind: string; [k: string]: unknown }[];
    expect(events).not.toContainEqual(expect.objectContaining({ kind: 'overrun' }));
    const vipAdded = events.findIndex((e) => e.kind === 'addressAdded' && e['address'] === '192.0.2.200/32' && e['label'] === 'va:vip');
    const vipRemoved = events.findIndex((e) => e.kind === 'addressRemoved' && e['address'] === '192.0.2.200/32');
    expect(vipAdded).toBeGreaterThanOrEqual(0);
    expect(vipRemoved).toBeGreaterThan(vipAdded);
    const dummy = events.filter((e) => e['name'] === 'h1d');
    expect(dummy).toContainEqual({ kind: 'link', name: 'h1d', up: true });
    const down = dummy.findIndex((e) => e.kind === 'link' && e['up'] === false && dummy.slice(0, dummy.indexOf(e)).some((p) => p['up'] === true));
    expect(down).toBeGreaterThan(0);
    expect(dummy[dummy.length - 1]).toEqual({ kind: 'linkDeleted', name: 'h1d' });
  }, 20_000);

  it('rtnl: a monitor whose queue overflowed (ENOBUFS) reports an overrun and goes on reading', () => {
    // 10000 synchronous address changes with the loop held: more notifications than the monitor's
    // 1 MiB queue holds, so the kernel drops some; then one more change, which must still arrive.
    const script = `
      import { openRtnl } from ${JSON.stringify(dist('net/rtnl'))};
      import { openNetlinkRoute } from ${JSON.stringify(dist('native/addon'))};
      const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
      const r = openRtnl().value;
      const route = openNetlinkRoute().value;
      const events = [];
      const stop = r.watch((e) => events.push(e));
      const va = (await r.links()).value.find((l) => l.name === 'va');
      const vip = { index: va.index, address: '198.51.100.9', prefixLength: 32 };
      for (let i = 0; i < 5000; i++) { route.addAddress(vip); route.delAddress(vip); }
      await sleep(300);
      const overruns = events.filter((e) => e.kind === 'overrun').map((e) => e.message);
      events.length = 0;
      route.addAddress({ ...vip, label: 'va:after' });
      await sleep(200);
      route.delAddress(vip);
      stop();
      r.close();
      route.close();
      console.log(JSON.stringify({ overruns, after: events.filter((e) => e.kind === 'addressAdded').map((e) => e.address.label) }));`;
    const r = runIn<{ overruns: string[]; after: string[] }>(nsA, script);
    expect(r.overruns.length).toBeGreaterThan(0);
    expect(r.overruns[0]).toBe('rtnetlink monitor: the kernel dropped notifications (ENOBUFS)');
    expect(r.after).toEqual(['va:after']);
  }, 20_000);
});
