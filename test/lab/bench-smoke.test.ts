// npm run bench in small: its table and verdicts, its flags, the lateness arithmetic, and one real
// scale measurement (vrrpd, 2 instances, 2 s) in the lab, so a broken bench shows up in CI without
// running it (it takes minutes).
import { describe, expect, it } from 'vitest';
import type { Frame, VrrpFrame } from '../../lab/capture.js';
import { advertLateness, percentile } from '../../lab/measure.js';
import { labAvailable } from '../../lab/netns.js';
import { parseBenchArgs, pairRows, scaleRows } from '../../bench/run.js';
import { layout, measureScale, scaleConfig } from '../../bench/scale.js';
import { baselineVerdictOf, formatTable, nearProtocol, nodeStartPlus, under, verdictOf, withinFactorOfKeepalived, type Row } from '../../bench/table.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../lab/vrrpd.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();
const skipped = available.ok ? '' : ` (skipped: ${available.reason})`;

function advert(t: number, vrid: number, priority = 150, src = '203.0.113.11'): VrrpFrame {
  return {
    kind: 'vrrp',
    t,
    srcMac: '02:00:cb:00:71:0b',
    dstMac: '01:00:5e:00:00:12',
    src,
    dst: '224.0.0.18',
    ttl: 255,
    tos: 0xc0,
    ipId: 0,
    df: false,
    version: 2,
    type: 1,
    vrid,
    priority,
    advertInt: 1,
    authType: 1,
    authData: 'bench',
    checksum: 0,
    addresses: [],
    rawVrrp: Buffer.alloc(0),
  };
}

describe('bench: table, flags, arithmetic', () => {
  it('marks a row met, MISSED or not measured, against the worst sample when there is one', () => {
    const target = nearProtocol(3.609375);
    const row = (v: number, worst?: number): Row => ({
      metric: 'hard takeover',
      unit: 'ms',
      vrrpd: { value: v, ...(worst === undefined ? {} : { worst }) },
      keepalived: { value: 3610 },
      target,
    });
    expect(verdictOf(row(3612))).toBe('met');
    expect(verdictOf(row(3612, 3620))).toBe('MISSED');
    expect(verdictOf(row(3600))).toBe('MISSED');
    expect(verdictOf({ metric: 'x', unit: 'ms', vrrpd: undefined, keepalived: { value: 1 }, target })).toBe('not measured');
    expect(verdictOf({ metric: 'x', unit: 'ms', vrrpd: { value: 1 }, keepalived: undefined })).toBe('');
    expect(verdictOf({ metric: 'cpu', unit: '%', vrrpd: { value: 0.5 }, keepalived: { value: 0.2 }, target: withinFactorOfKeepalived(2) })).toBe('MISSED');
    expect(verdictOf({ metric: 'cpu', unit: '%', vrrpd: { value: 0.5 }, keepalived: undefined, target: withinFactorOfKeepalived(2) })).toBe('MISSED');
  });

  it('prints one line per row with both daemons, the ratio, the target and the verdict', () => {
    const text = formatTable('title', [
      { metric: 'RSS @1', unit: 'MB', vrrpd: { value: 50 }, keepalived: { value: 12.5 }, target: under(60, 'MB') },
      { metric: 'RSS @1000', unit: 'MB', vrrpd: { value: 120 }, keepalived: { value: 20 }, target: under(100, 'MB') },
    ]);
    const lines = text.split('\n');
    expect(lines[0]).toBe('title');
    expect(lines[1]).toMatch(/^metric\s+unit\s+vrrpd\s+keepalived\s+ratio\s+target \(vrrpd\)\s+verdict$/);
    expect(lines[3]).toMatch(/^RSS @1\s+MB\s+50\.0\s+12\.5\s+4\.00x\s+< 60 MB\s+met$/);
    expect(lines[4]).toMatch(/^RSS @1000\s+MB\s+120\.0\s+20\.0\s+6\.00x\s+< 100 MB\s+MISSED$/);
  });

  it('with --baseline: two more columns, the baseline and whether vrrpd is no worse than it (5 %, or the row\'s slack)', () => {
    const rows: Row[] = [
      { metric: 'RSS @1', unit: 'MB', vrrpd: { value: 50 }, keepalived: { value: 12.5 }, baseline: { value: 48 } },
      { metric: 'RSS @1000', unit: 'MB', vrrpd: { value: 60 }, keepalived: { value: 20 }, baseline: { value: 50 } },
      { metric: 'hard takeover', unit: 'ms', vrrpd: { value: 3616 }, keepalived: { value: 3610 }, baseline: { value: 3610 }, baselineSlack: 5 },
      { metric: 'config parse', unit: 'ms', vrrpd: { value: 40 }, keepalived: undefined },
      { metric: 'node -e 0', unit: 'ms', vrrpd: { value: 40 }, keepalived: { value: 30 }, baseline: { value: 30 }, reference: true },
    ];
    expect(rows.map(baselineVerdictOf)).toEqual(['no worse', 'WORSE', 'WORSE', '', '']);
    const lines = formatTable('title', rows, true).split('\n');
    expect(lines[1]).toMatch(/^metric\s+unit\s+vrrpd\s+keepalived\s+ratio\s+target \(vrrpd\)\s+verdict\s+baseline\s+vs baseline$/);
    expect(lines[3]).toMatch(/^RSS @1\s+MB\s+50\.0\s+12\.5\s+4\.00x\s+48\.0\s+no worse$/);
    expect(lines[6]).toMatch(/^config parse\s+ms\s+40\.0\s+-\s+-\s+-$/);
    // Without --baseline the table is as before.
    expect(formatTable('title', rows).split('\n')[1]).toMatch(/verdict$/);
  });

  it('judges start-up against node -e 0 + 50 ms of the same run, and not at all without that figure', () => {
    const row = (v: number, node: number | undefined): Row => ({ metric: 'vrrpd -t', unit: 'ms', vrrpd: { value: v }, keepalived: undefined, target: nodeStartPlus(node, 50) });
    expect(verdictOf(row(79, 30))).toBe('met');
    expect(verdictOf(row(81, 30))).toBe('MISSED');
    expect(verdictOf(row(10, undefined))).toBe('MISSED');
    expect(row(79, 30).target?.text).toBe('<= node -e 0 + 50 ms (80.0)');
    const startupRows = pairRows(new Map(), 3).slice(0, 5);
    expect(startupRows.map((r) => r.metric)).toEqual([
      'node -e 0 on a lab host (ip netns exec), median of 10+',
      'start: process spawn -> "BACKUP STATE (init)", alone on A, median of 10',
      'start: the same in the pair (capture and pings running), median of 6',
      "-t -f CONFIG (the pair's), whole process, median of 10",
      'vrrpd status to the running A, whole process, median of 10',
    ]);
    // The bound judges the figure timed as node -e 0 is; the pair's own is context.
    expect(startupRows.map((r) => r.target !== undefined)).toEqual([false, true, false, true, true]);
  });

  it('--baseline takes a built vrrpd checkout other than this one, and says what is wrong with any other', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vrrpd-bench-baseline-'));
    try {
      expect(parseBenchArgs(['--baseline', join(dir, 'none')])).toMatch(/no bin\/vrrpd there/);
      mkdirSync(join(dir, 'bin'));
      writeFileSync(join(dir, 'bin', 'vrrpd'), '');
      expect(parseBenchArgs(['--baseline', dir])).toMatch(/not built \(no dist\/src\/cli\.js\)/);
      mkdirSync(join(dir, 'dist', 'src'), { recursive: true });
      writeFileSync(join(dir, 'dist', 'src', 'cli.js'), '');
      expect(parseBenchArgs(['--baseline', dir])).toMatchObject({ baseline: join(dir, 'bin', 'vrrpd') });
      expect(parseBenchArgs(['--baseline', repoRoot()])).toMatch(/is this checkout/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shows a daemon that was not measured as not measured, not as a pass', () => {
    const rows = pairRows(new Map(), 3);
    expect(rows.filter((r) => r.target !== undefined).map(verdictOf)).toEqual(rows.filter((r) => r.target !== undefined).map(() => 'not measured'));
    expect(scaleRows([], 1000)).toEqual([]);
  });

  it('reads its flags and refuses bad ones with a message', () => {
    expect(parseBenchArgs([])).toEqual({ reps: 3, jitter: 20, duration: 60, sample: 15, scales: [1, 255, 1000], phases: 'together', only: ['pair', 'scale', 'config'] });
    expect(parseBenchArgs(['--phases', 'spread'])).toMatchObject({ phases: 'spread' });
    expect(parseBenchArgs(['--phases', 'random'])).toMatch(/--phases must be together or spread/);
    expect(parseBenchArgs(['--duration', '300', '--only', 'scale', '--scales', '1000'])).toMatchObject({ duration: 300, only: ['scale'], scales: [1000] });
    expect(parseBenchArgs(['--reps', '0'])).toMatch(/--reps must be an integer 1\.\.50/);
    expect(parseBenchArgs(['--scales', '1,x'])).toMatch(/--scales must be an integer/);
    expect(parseBenchArgs(['--only', 'pairs'])).toMatch(/unknown section pairs/);
    expect(parseBenchArgs(['--bogus'])).toMatch(/bogus/);
  });

  it('lays 1000 instances out as 4 interfaces x 250 VRIDs, 255 on one interface', () => {
    expect(layout(1000)).toEqual([250, 250, 250, 250]);
    expect(layout(255)).toEqual([255]);
    expect(layout(1)).toEqual([1]);
    expect(scaleConfig(1000).match(/^vrrp_instance /gm)).toHaveLength(1000);
    expect(() => layout(0)).toThrow(/instances must be/);
  });

  it('--phases spread gives 253 different priorities in 1..253 over the first 253 instances', () => {
    const priorities = [...scaleConfig(1000, 'spread').matchAll(/^\s*priority (\d+)$/gm)].map((m) => Number(m[1]));
    expect(priorities).toHaveLength(1000);
    expect(new Set(priorities.slice(0, 253)).size).toBe(253);
    expect(Math.min(...priorities)).toBe(1);
    expect(Math.max(...priorities)).toBe(253);
    expect(new Set([...scaleConfig(1000).matchAll(/^\s*priority (\d+)$/gm)].map((m) => m[1]))).toEqual(new Set(['150']));
  });

  it('measures lateness per router and counts a gap of 3 intervals as a break', () => {
    const frames: Frame[] = [
      advert(10.0, 1), advert(10.0005, 2),
      advert(11.002, 1), advert(11.0, 2),
      advert(12.003, 1), advert(12.0, 2, 0), // priority 0: not a period
      advert(15.5, 1), // 3.5 s: a break
    ];
    const l = advertLateness(frames, 1);
    expect(l.samples.map((x) => Math.round(x * 10_000) / 10)).toEqual([2, -0.5, 1]);
    expect(l.breaks).toBe(1);
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 99)).toBe(5);
    expect(Number.isNaN(percentile([], 50))).toBe(true);
  });
});

describeUnless(!available.ok)(`bench in the lab: one scale measurement${skipped}`, () => {
  it('vrrpd with 2 instances: both MASTER, RSS and CPU read, adverts on time, no transition', async () => {
    const f = await measureScale('vrrpd', 2, 2, () => undefined);
    expect(f.instances).toBe(2);
    expect(f.rssMaxBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(f.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(f.capturedCpuPercent).toBeGreaterThanOrEqual(0);
    // The capture-free CPU window follows the lateness window (both 2 s here).
    expect(f.cpuWindowS).toBeGreaterThanOrEqual(2);
    // 2 adverts a second: the daemon sleeps and is woken for them.
    expect(f.wakeupsPerS).toBeGreaterThan(0.5);
    // 2 routers over ~2 s: at least one period each.
    expect(f.lateness.samples.length).toBeGreaterThanOrEqual(2);
    expect(f.lateness.breaks).toBe(0);
    expect(f.transitions).toBe(0);
  }, 25_000);
});
