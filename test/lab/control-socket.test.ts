// The control socket and `vrrpd status` against a running daemon that has many instances (the pair
// lab, vrrpd A with VI_1 MASTER and 249 idle BACKUP instances, a capture on the client): whole
// output however stdout is read, `vrrpd status` getting through local clients that hog the socket
// (slow drip, a bad line then silence, never reading, a flood), complaints rate-limited per kind,
// and 10 MB random requests leaving the MASTER's adverts on time. Figures print as `CONTROL ...`.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { advertsFrom, startCapture, type Capture } from '../../lab/capture.js';
import { exchange, type ClientCounts, type ClientKind } from '../../lab/control-clients.js';
import { renderKeepalivedConfig, type KeepalivedInstanceSpec } from '../../lab/keepalived.js';
import { createLab, LAB_VIP, labAvailable, pairLabSpec, type Lab } from '../../lab/netns.js';
import { execBounded, sleep } from '../../lab/process.js';
import { repoRoot, startVrrpd, vrrpdCli, type Vrrpd } from '../../lab/vrrpd.js';
import { A_IP, unwrap } from '../helpers/lab.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();
/** Enough for `status --json` to pass 64 KiB (a pipe's buffer) twice over, and the table once. */
const INSTANCES = 250;
const TRIES_MS = 12_000;

function bigConfig(): string {
  const instances: KeepalivedInstanceSpec[] = [{ state: 'MASTER', vrid: 51, priority: 150, advertInt: 1, authPass: '1111', vips: [LAB_VIP] }];
  // advert_int 255: they stay BACKUP (silent) for the whole file, so only VI_1 is on the wire.
  for (let vrid = 1; instances.length < INSTANCES; vrid++) {
    if (vrid !== 51) instances.push({ name: `VI_idle_${vrid}`, state: 'BACKUP', vrid, priority: 100, advertInt: 255, authPass: '1111', vips: [`198.51.100.${vrid}`] });
  }
  return renderKeepalivedConfig({ routerId: 'NodeA', instances });
}

/** q-quantile (0..1) of the values, nearest rank. */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

interface Lateness {
  readonly adverts: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Each interval minus the 1 s advert_int, in ms. */
  readonly offsets: readonly number[];
}

describeUnless(!available.ok)(`the control socket of a daemon with ${INSTANCES} instances${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  let lab: Lab;
  let capture: Capture;
  let a: Vrrpd;
  const socket = (): string => join(a.dir, 'vrrpd.sock');
  const cli = (): string => `${JSON.stringify(process.execPath)} ${JSON.stringify(vrrpdCli())}`;
  const bash = (script: string): ReturnType<typeof execBounded> => execBounded(['bash', '-c', script], { timeoutMs: 20_000 });

  /** Runs COUNT clients of KIND for MS from the client namespace; resolves with their counts. */
  const hostile = (kind: ClientKind, count: number, ms: number): Promise<ClientCounts> => {
    const p = lab.spawn('client', [process.execPath, join(repoRoot(), 'dist', 'lab', 'control-clients.js'), socket(), kind, String(count), String(ms)]);
    return p.exited.then(() => JSON.parse(p.stdoutLines()[0] ?? '{}') as ClientCounts);
  };

  /** `vrrpd status --json` over and over for `ms`: how many tries, how many answered, the failures' messages. */
  const statusTries = async (ms: number): Promise<{ tries: number; ok: number; failures: Record<string, number>; p50Ms: number; slowestMs: number }> => {
    const until = Date.now() + ms;
    let tries = 0;
    let okCount = 0;
    const took: number[] = [];
    const failures: Record<string, number> = {};
    while (Date.now() < until) {
      tries++;
      const t0 = Date.now();
      const r = await execBounded([process.execPath, vrrpdCli(), 'status', '--json', '--control-socket', socket()], { timeoutMs: 15_000 });
      took.push(Date.now() - t0);
      if (r.code === 0 && (JSON.parse(r.stdout) as { instances: unknown[] }).instances.length === INSTANCES) okCount++;
      else {
        const why = r.stderr.trim().replace(/\d+/g, 'N') || `exit ${r.code}`;
        failures[why] = (failures[why] ?? 0) + 1;
      }
      await sleep(100);
    }
    return { tries, ok: okCount, failures, p50Ms: quantile(took, 0.5), slowestMs: Math.max(...took) };
  };

  /** A's VI_1 adverts in [from, to] (capture seconds), as lateness against advert_int 1. */
  const lateness = (from: number, to: number): Lateness => {
    const times = advertsFrom(unwrap(capture.framesSoFar()), A_IP)
      .filter((f) => f.vrid === 51 && f.priority > 0 && f.t >= from && f.t <= to)
      .map((f) => f.t);
    const offsets = times.slice(1).map((t, i) => (t - (times[i] ?? t)) * 1000 - 1000);
    return { adverts: times.length, p50: quantile(offsets, 0.5), p99: quantile(offsets, 0.99), max: Math.max(...offsets.map(Math.abs)), offsets };
  };

  const complaints = (mark: number): string[] => a.logLines().slice(mark).filter((l) => l.startsWith('control socket: '));

  beforeAll(async () => {
    lab = await createLab(pairLabSpec());
    capture = unwrap(await startCapture(lab, 'client'));
    a = unwrap(await startVrrpd(lab, 'a', bigConfig(), { startTimeoutMs: 15_000 }));
    unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 }));
  }, 40_000);

  afterAll(async () => {
    await lab?.destroy();
  }, 20_000);

  it('complaints are rate-limited per kind: each kind logs its first, and its own count of the rest', async () => {
    const mark = a.logMark();
    for (let i = 0; i < 30; i++) await exchange(socket(), 'garbage\n');
    await exchange(socket(), `${'x'.repeat(5000)}\n`);
    await exchange(socket(), '{"cmd":"reboot"}\n');
    const first = complaints(mark);
    console.log(`CONTROL complaints, first 10 s: ${JSON.stringify(first)}`);
    expect(first).toEqual([
      'control socket: malformed request: not JSON (send {"cmd":"status"})',
      'control socket: request longer than 4096 bytes',
      'control socket: unknown command "reboot" (known: status)',
    ]);
    await sleep(10_500);
    const mark2 = a.logMark();
    await exchange(socket(), 'garbage\n');
    await exchange(socket(), `${'x'.repeat(5000)}\n`);
    const second = complaints(mark2);
    console.log(`CONTROL complaints, after 10 s: ${JSON.stringify(second)}`);
    expect(second).toEqual(['control socket: malformed request: not JSON (send {"cmd":"status"}) (29 more since last report)', 'control socket: request longer than 4096 bytes']);
  }, 30_000);

  it(`status --json of ${INSTANCES} instances is whole through a pipe, a slow reader and a file; a reader that closes early gets exit 1 and one sentence`, async () => {
    const file = join(a.dir, 'status.json');
    const s = `${cli()} status --json --control-socket ${socket()}`;
    const piped = await bash(`${s} | cat; echo "rc=\${PIPESTATUS[0]}" >&2`);
    const slow = await bash(`${s} | (sleep 0.3; cat); echo "rc=\${PIPESTATUS[0]}" >&2`);
    const toFile = await bash(`${s} > ${file}; echo "rc=$?" >&2`);
    const closed = await bash(`${s} | head -c 10; rc=\${PIPESTATUS[0]}; echo; echo "rc=$rc" >&2`);
    const table = await bash(`${cli()} status --control-socket ${socket()} | (sleep 0.3; cat); echo "rc=\${PIPESTATUS[0]}" >&2`);
    const figures = { piped: piped.stdout.length, slow: slow.stdout.length, file: statSync(file).size, table: table.stdout.length, closed: closed.stderr.trim() };
    console.log(`CONTROL status output bytes: ${JSON.stringify(figures)}`);
    const whole = (text: string): number => (JSON.parse(text) as { instances: unknown[] }).instances.length;
    expect(piped.stderr).toBe('rc=0\n');
    expect(whole(piped.stdout)).toBe(INSTANCES);
    expect(piped.stdout.length).toBeGreaterThan(2 * 65_536);
    expect(slow.stderr).toBe('rc=0\n');
    expect(whole(slow.stdout)).toBe(INSTANCES);
    expect(toFile.stderr).toBe('rc=0\n');
    expect(whole(readFileSync(file, 'utf8'))).toBe(INSTANCES);
    expect(table.stderr).toBe('rc=0\n');
    expect(table.stdout.length).toBeGreaterThan(65_536);
    expect(table.stdout.trimEnd().endsWith('(PRIO: effective/base when tracking moved it)')).toBe(true);
    expect(closed.stdout).toBe('{"version"\n');
    expect(closed.stderr).toBe('vrrpd: the reader of stdout closed it before the output was complete (EPIPE)\nrc=1\n');
  }, 30_000);

  it('-t --dump of the same config is whole through a slow pipe', async () => {
    const r = await bash(`${cli()} -t --dump -f ${a.configPath} 2>/dev/null | (sleep 0.3; cat); echo "rc=\${PIPESTATUS[0]}" >&2`);
    const direct = await bash(`${cli()} -t --dump -f ${a.configPath} 2>/dev/null > ${join(a.dir, 'dump.txt')}`);
    const size = statSync(join(a.dir, 'dump.txt')).size;
    console.log(`CONTROL -t --dump bytes: slow pipe ${r.stdout.length}, file ${size}`);
    expect(direct.code).toBe(0);
    expect(size).toBeGreaterThan(2 * 65_536);
    expect(r.stderr).toBe('rc=0\n');
    expect(r.stdout.length).toBe(size);
  }, 30_000);

  // The issue's 16 of a kind, then more than the daemon has places for (64), reconnecting at once.
  const hogs: readonly { kind: ClientKind; count: number; what: string }[] = [
    { kind: 'drip', count: 16, what: '16 clients sending one byte every 1.5 s' },
    { kind: 'bad-line-open', count: 16, what: '16 clients sending a bad line and never closing' },
    { kind: 'no-read', count: 16, what: '16 clients asking for the status and never reading it' },
    { kind: 'silent', count: 16, what: '16 clients connecting and sending nothing' },
    { kind: 'drip', count: 96, what: '96 clients sending one byte every 1.5 s' },
    { kind: 'silent', count: 96, what: '96 clients connecting and sending nothing' },
    { kind: 'no-read', count: 96, what: '96 clients asking for the status and never reading it' },
    { kind: 'status', count: 64, what: '64 clients asking for the status as fast as they are answered' },
    { kind: 'mixed', count: 64, what: '64 clients flooding the socket (good, malformed, oversized, silent)' },
  ];
  for (const hog of hogs) {
    it(`${hog.what}: every vrrpd status gets through, the MASTER's adverts stay on time`, async () => {
      const t0 = Date.now() / 1000;
      const clients = hostile(hog.kind, hog.count, TRIES_MS + 2000);
      await sleep(1500);
      const tries = await statusTries(TRIES_MS);
      const counts = await clients;
      const late = lateness(t0 + 1, Date.now() / 1000);
      console.log(
        `CONTROL ${hog.kind} x${hog.count}: status ${tries.ok}/${tries.tries} answered (p50 ${tries.p50Ms} ms, slowest ${tries.slowestMs} ms), failures ${JSON.stringify(tries.failures)}; clients ${JSON.stringify(counts)}; advert lateness max ${late.max.toFixed(1)} ms over ${late.adverts}`,
      );
      expect(counts.connections).toBeGreaterThanOrEqual(hog.count);
      expect(tries.tries).toBeGreaterThanOrEqual(10);
      expect(tries.failures).toEqual({});
      // Nobody holds a connection past the deadline and the grace (plus scheduling slack).
      expect(counts.longestMs).toBeLessThan(3000);
      const after = await execBounded([process.execPath, vrrpdCli(), 'status', '--json', '--control-socket', socket()]);
      expect(after.code).toBe(0);
      const vi1 = (JSON.parse(after.stdout) as { instances: { name: string; state: string }[] }).instances.find((i) => i.name === 'VI_1');
      expect(vi1?.state).toBe('MASTER');
      expect(late.max).toBeLessThan(100);
    }, TRIES_MS + 30_000);
  }

  it('8 concurrent 10 MB random-byte requests, over and over: the MASTER\'s adverts stay on time', async () => {
    const t0 = Date.now() / 1000;
    await sleep(10_000);
    const t1 = Date.now() / 1000;
    const floodMs = 20_000;
    const t2 = Date.now() / 1000;
    const counts = await hostile('random-10mb', 8, floodMs);
    const t3 = Date.now() / 1000;
    const quiet = lateness(t0, t1);
    const flooded = lateness(t2 + 0.5, t3 - 0.5);
    const show = (l: Lateness): object => ({ adverts: l.adverts, p50: +l.p50.toFixed(2), p99: +l.p99.toFixed(2), max: +l.max.toFixed(2) });
    console.log(`CONTROL 8 x 10 MB random: clients ${JSON.stringify(counts)}; advert lateness (ms) quiet ${JSON.stringify(show(quiet))} flooded ${JSON.stringify(show(flooded))}`);
    expect(counts.connections).toBeGreaterThan(8);
    expect(flooded.adverts).toBeGreaterThanOrEqual(15);
    // The bound status.test.ts's flood uses: none 100 ms off, at most one period 20 ms off either way.
    expect(flooded.max).toBeLessThan(100);
    expect(flooded.offsets.filter((g) => g >= 20).length).toBeLessThanOrEqual(1);
    expect(flooded.offsets.filter((g) => g <= -20).length).toBeLessThanOrEqual(1);
  }, 60_000);
});
