// npm run bench: vrrpd and keepalived measured in the same run on the lab, one table with both, their
// ratio, and each row's target (issue 7) marked met or MISSED for vrrpd. Sections run one after the
// other, keepalived first, one lab at a time (two daemons measured at once would disturb each
// other's figures), and every lab is destroyed, also on failure.
//
//   --reps N         pair repetitions per daemon (start, hard takeover, preempt back, graceful)  [3]
//   --jitter S       extra steady seconds of the pair in the first repetition, for advert jitter  [20]
//   --duration S     measuring window at the largest instance count (lateness, transitions, CPU)  [60]
//   --sample S       measuring window at the smaller instance counts                              [15]
//   --scales LIST    instance counts                                                               [1,255,1000]
//   --phases P       scale: together (all priority 150) or spread (priorities 1..253: advert phases
//                    spread over the second)                                                       [together]
//   --only LIST      sections: pair, scale, config                                                 [all]
//   --baseline DIR   another vrrpd checkout, built (dist/, the addon; scripts/baseline.sh makes one):
//                    measured after vrrpd in every section, the same way (the pair without the
//                    extra --jitter seconds), as a third column with "no worse than baseline" per
//                    row. A full run with it takes about 1.5 times as long (~14 min instead of 9).
import { spawnSync } from 'node:child_process';
import { cpus, hostname, loadavg, release, totalmem } from 'node:os';
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { labAvailable } from '../lab/netns.js';
import { repoRoot, vrrpdBin } from '../lab/vrrpd.js';
import { err, ok, type Result } from '../src/types.js';
import { median, percentile } from '../lab/measure.js';
import { masterDownInterval, PAIR_PRIORITY, skewTime, type PairDaemon } from '../lab/pair.js';
import { benchConfig, BENCH_CONFIG } from './config-gen.js';
import { timeParse, timeProcesses } from './config-parse.js';
import { measurePair, PING_INTERVAL_MS, STARTUP_RUNS, type PairFigures } from './pair.js';
import { measureScale, STEADY_AFTER_S, type Phases, type ScaleFigures } from './scale.js';
import {
  atMost,
  formatTable,
  nearProtocol,
  nodeStartPlus,
  noWorseThanKeepalived,
  under,
  withinFactorOfKeepalived,
  type Figure,
  type Row,
} from './table.js';

/** Math.max(...xs) overflows the call stack on a 5-minute window's 300 000 lateness samples. */
function largestOf(xs: readonly number[]): number {
  let largest = Number.NEGATIVE_INFINITY;
  for (const x of xs) if (x > largest) largest = x;
  return largest;
}

const SECTIONS = ['pair', 'scale', 'config'] as const;
type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  readonly reps: number;
  readonly jitter: number;
  readonly duration: number;
  readonly sample: number;
  readonly scales: readonly number[];
  readonly phases: Phases;
  readonly only: readonly Section[];
  /** Another checkout's bin/vrrpd, from --baseline DIR. */
  readonly baseline?: string;
}

/** Flags to options, or a message saying what is wrong with them. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | string {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        reps: { type: 'string', default: '3' },
        jitter: { type: 'string', default: '20' },
        duration: { type: 'string', default: '60' },
        sample: { type: 'string', default: '15' },
        scales: { type: 'string', default: '1,255,1000' },
        phases: { type: 'string', default: 'together' },
        only: { type: 'string', default: SECTIONS.join(',') },
        baseline: { type: 'string' },
      },
      strict: true,
    }));
  } catch (e) {
    return (e as Error).message;
  }
  const num = (name: string, text: string, min: number, max: number): number | string => {
    const n = Number(text);
    return Number.isInteger(n) && n >= min && n <= max ? n : `--${name} must be an integer ${min}..${max}, not ${JSON.stringify(text)}`;
  };
  const reps = num('reps', values.reps, 1, 50);
  const jitter = num('jitter', values.jitter, 0, 3600);
  const duration = num('duration', values.duration, 1, 3600);
  const sample = num('sample', values.sample, 1, 3600);
  const scales = values.scales.split(',').map((s) => num('scales', s.trim(), 1, 1000));
  const only = values.only.split(',').map((s) => s.trim());
  for (const x of [reps, jitter, duration, sample, ...scales]) if (typeof x === 'string') return x;
  const unknown = only.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length > 0) return `--only: unknown section ${unknown.join(', ')} (sections: ${SECTIONS.join(', ')})`;
  const phases = values.phases;
  if (phases !== 'together' && phases !== 'spread') return `--phases must be together or spread, not ${JSON.stringify(phases)}`;
  let baseline: string | undefined;
  if (values.baseline !== undefined) {
    const b = baselineBin(values.baseline);
    if (!b.ok) return b.error;
    baseline = b.value;
  }
  return {
    ...(baseline === undefined ? {} : { baseline }),
    reps: reps as number,
    jitter: jitter as number,
    duration: duration as number,
    sample: sample as number,
    scales: scales as number[],
    phases,
    only: only as Section[],
  };
}

/** DIR's bin/vrrpd, if DIR is a built vrrpd checkout other than this one. */
export function baselineBin(dir: string): Result<string, string> {
  const root = resolve(dir);
  const bin = join(root, 'bin', 'vrrpd');
  if (!existsSync(bin)) return err(`--baseline ${dir}: no bin/vrrpd there (a vrrpd checkout; scripts/baseline.sh REV makes one)`);
  if (!existsSync(join(root, 'dist', 'src', 'cli.js'))) return err(`--baseline ${dir}: not built (no dist/src/cli.js): run npm ci and npm run build there`);
  if (realpathSync(root) === realpathSync(repoRoot())) return err(`--baseline ${dir} is this checkout: name another`);
  return ok(bin);
}

const DAEMONS: readonly PairDaemon[] = ['keepalived', 'vrrpd'];
/** Issue 18: vrrpd's start-up at most this much more than `node -e 0`'s, measured the same way. */
const STARTUP_SLACK_MS = 50;
const ms = (s: number): number => s * 1000;
const MB = 1024 * 1024;

/** Median of seconds samples in ms, with the worst (largest) one. */
function msFigure(samples: readonly number[]): Figure | undefined {
  if (samples.length === 0) return undefined;
  const worst = ms(largestOf(samples));
  return { value: ms(median(samples)), worst, detail: `max ${worst.toFixed(1)}` };
}

const medianOnly = (f: Figure | undefined): Figure | undefined => (f === undefined ? undefined : { value: f.value, ...(f.detail === undefined ? {} : { detail: f.detail }) });

/** Takeovers are judged by their distance from the protocol's interval: the worst is the farthest. */
function takeoverFigure(samples: readonly number[], protocolS: number): Figure | undefined {
  const f = msFigure(samples);
  if (f === undefined) return undefined;
  const farthest = samples.reduce((w, s) => (Math.abs(s - protocolS) > Math.abs(w - protocolS) ? s : w), samples[0] ?? 0);
  return { ...f, worst: ms(farthest) };
}

export function pairRows(figs: ReadonlyMap<PairDaemon, PairFigures>, reps: number, baseline?: PairFigures): Row[] {
  const of = (d: PairDaemon | 'baseline'): PairFigures | undefined => (d === 'baseline' ? baseline : figs.get(d));
  const f = (d: PairDaemon | 'baseline', pick: (p: PairFigures) => readonly number[], protocol?: number): Figure | undefined => {
    const p = of(d);
    if (p === undefined) return undefined;
    return protocol === undefined ? msFigure(pick(p)) : takeoverFigure(pick(p), protocol);
  };
  const row = (metric: string, pick: (p: PairFigures) => readonly number[], protocol: number | undefined, target: Row['target']): Row => ({
    metric: `${metric}, median of ${reps}`,
    unit: 'ms',
    vrrpd: f('vrrpd', pick, protocol),
    keepalived: f('keepalived', pick, protocol),
    baseline: f('baseline', pick, protocol),
    // Two runs of one build differ by about a millisecond on a takeover (docs/performance.md).
    ...(protocol === undefined ? {} : { baselineSlack: 5 }),
    ...(target === undefined ? {} : { target }),
  });
  const masterDownA = masterDownInterval(PAIR_PRIORITY.master);
  const masterDownB = masterDownInterval(PAIR_PRIORITY.backup);
  const skewB = skewTime(PAIR_PRIORITY.backup);
  const late = (d: PairDaemon | 'baseline', p: number): Figure | undefined => {
    const l = of(d)?.lateness;
    return l === undefined || l.samples.length === 0 ? undefined : { value: ms(percentile(l.samples, p)), detail: `${l.samples.length} periods` };
  };
  /** A vrrpd -D figure keepalived has no counterpart for: the largest, the median beside it. */
  const vrrpdOnly = (pick: (p: PairFigures) => readonly number[], digits: number, d: 'vrrpd' | 'baseline' = 'vrrpd'): Figure | undefined => {
    const pair = of(d);
    const xs = pair === undefined ? [] : pick(pair);
    return xs.length === 0 ? undefined : { value: largestOf(xs), detail: `median ${median(xs).toFixed(digits)}` };
  };
  /** Start-up: wall ms, the median and the largest of the runs. */
  const startup = (d: PairDaemon | 'baseline', pick: (p: PairFigures) => readonly number[], scale = 1): Figure | undefined => {
    const xs = (of(d) === undefined ? [] : pick(of(d) as PairFigures)).map((x) => x * scale);
    return xs.length === 0 ? undefined : { value: median(xs), detail: `max ${largestOf(xs).toFixed(1)}` };
  };
  const nodeMs = startup('vrrpd', (p) => p.nodeStart)?.value;
  const startupRow = (metric: string, pick: (p: PairFigures) => readonly number[], scale: number, withKeepalived: boolean): Row => ({
    metric,
    unit: 'ms',
    vrrpd: startup('vrrpd', pick, scale),
    keepalived: withKeepalived ? startup('keepalived', pick, scale) : undefined,
    baseline: startup('baseline', pick, scale),
    target: nodeStartPlus(nodeMs, STARTUP_SLACK_MS),
  });
  const runs = `median of ${STARTUP_RUNS}`;
  return [
    {
      metric: `node -e 0 on a lab host (ip netns exec), ${runs}+`,
      unit: 'ms',
      vrrpd: startup('vrrpd', (p) => p.nodeStart),
      keepalived: startup('keepalived', (p) => p.nodeStart),
      baseline: startup('baseline', (p) => p.nodeStart),
      reference: true,
    },
    startupRow(`start: process spawn -> "BACKUP STATE (init)", alone on A, ${runs}`, (p) => p.spawnInitAlone, 1, true),
    { ...startupRow(`start: the same in the pair (capture and pings running), median of ${2 * reps}`, (p) => p.spawnInit, 1000, true), target: undefined },
    startupRow(`-t -f CONFIG (the pair's), whole process, ${runs}`, (p) => p.configTest, 1, true),
    startupRow(`vrrpd status to the running A, whole process, ${runs}`, (p) => p.status, 1, false),
    row('start -> MASTER: init log -> first GARP', (p) => p.startInit, masterDownA, nearProtocol(masterDownA)),
    row('start -> MASTER: process spawn -> first GARP', (p) => p.startSpawn, undefined, undefined),
    row('hard takeover: last advert -> first GARP', (p) => p.hard, masterDownB, nearProtocol(masterDownB)),
    row('hard takeover: last advert -> first advert', (p) => p.hardAdvert, masterDownB, undefined),
    { metric: `Master_Down timer lateness (vrrpd's -D line), max of ${reps}`, unit: 'ms', vrrpd: vrrpdOnly((p) => p.timerLateMs, 3), keepalived: undefined, baseline: vrrpdOnly((p) => p.timerLateMs, 3, 'baseline'), baselineSlack: 0.1, target: atMost(0.2, 'ms'), digits: 3 },
    { metric: `Master_Down callback late (start, hard, preempt), max of ${3 * reps}`, unit: 'ms', vrrpd: vrrpdOnly((p) => p.callbackLateMs, 3), keepalived: undefined, baseline: vrrpdOnly((p) => p.callbackLateMs, 3, 'baseline'), baselineSlack: 0.1, target: undefined, digits: 3 },
    { metric: `takeover rehearsal at start (-D line), max of ${3 * reps}`, unit: 'ms', vrrpd: vrrpdOnly((p) => p.rehearsalMs, 1), keepalived: undefined, baseline: vrrpdOnly((p) => p.rehearsalMs, 1, 'baseline'), target: undefined, digits: 1 },
    row('graceful: priority 0 -> first GARP', (p) => p.graceful, skewB, nearProtocol(skewB)),
    row('preempt back: init log -> first GARP', (p) => p.preempt, masterDownA, nearProtocol(masterDownA)),
    // Relative to keepalived, so median against median (the worst sample is shown, not judged).
    {
      ...row(`client outage (graceful), ping every ${PING_INTERVAL_MS} ms`, (p) => p.outage, undefined, noWorseThanKeepalived(PING_INTERVAL_MS + 1, 'ms')),
      vrrpd: medianOnly(f('vrrpd', (p) => p.outage)),
      baseline: medianOnly(f('baseline', (p) => p.outage)),
      baselineSlack: PING_INTERVAL_MS + 1,
    },
    { metric: 'advert lateness p50, pair', unit: 'ms', vrrpd: late('vrrpd', 50), keepalived: late('keepalived', 50), baseline: late('baseline', 50), baselineSlack: 0.1, digits: 2 },
    { metric: 'advert lateness p99, pair', unit: 'ms', vrrpd: late('vrrpd', 99), keepalived: late('keepalived', 99), baseline: late('baseline', 99), baselineSlack: 0.5, target: under(5, 'ms'), digits: 2 },
  ];
}

/** `baseline`: the --baseline checkout's figures, at the counts it was measured at. */
export function scaleRows(figs: readonly ScaleFigures[], largest: number, baseline: readonly ScaleFigures[] = []): Row[] {
  const rows: Row[] = [];
  const counts = [...new Set(figs.map((f) => f.instances))].sort((a, b) => a - b);
  for (const n of counts) {
    const get = (d: PairDaemon): ScaleFigures | undefined => figs.find((f) => f.daemon === d && f.instances === n);
    const v = get('vrrpd');
    const k = get('keepalived');
    const bl = baseline.find((f) => f.instances === n);
    const secs = Math.round(v?.seconds ?? k?.seconds ?? 0);
    const fig = (s: ScaleFigures | undefined, pick: (s: ScaleFigures) => number, detail?: (s: ScaleFigures) => string): Figure | undefined =>
      s === undefined ? undefined : { value: pick(s), ...(detail === undefined ? {} : { detail: detail(s) }) };
    const at = `@${n} (${secs} s)`;
    const rssTarget = n === 1 ? under(60, 'MB') : n === 1000 ? under(100, 'MB') : undefined;
    // A frame the capture dropped reads as a ~1000 ms late period: say so beside the figure.
    const maxAndDrops = (s: ScaleFigures): string =>
      `max ${ms(largestOf(s.lateness.samples)).toFixed(1)}${s.captureDrops > 0 ? `, capture dropped ${s.captureDrops}` : ''}`;
    const lateP = (p: number) => (s: ScaleFigures) => ms(percentile(s.lateness.samples, p));
    rows.push(
      { metric: `RSS max ${at}`, unit: 'MB', vrrpd: fig(v, (s) => s.rssMaxBytes / MB), keepalived: fig(k, (s) => s.rssMaxBytes / MB, () => 'parent+child'), baseline: fig(bl, (s) => s.rssMaxBytes / MB), ...(rssTarget ? { target: rssTarget } : {}) },
      {
        metric: `CPU @${n} (${Math.round(v?.cpuWindowS ?? k?.cpuWindowS ?? 0)} s, steady, no capture)`,
        unit: '% core',
        vrrpd: fig(v, (s) => s.cpuPercent, (s) => `${s.cpuSeconds.toFixed(3)} s`),
        keepalived: fig(k, (s) => s.cpuPercent, (s) => `${s.cpuSeconds.toFixed(3)} s`),
        baseline: fig(bl, (s) => s.cpuPercent, (s) => `${s.cpuSeconds.toFixed(3)} s`),
        target: withinFactorOfKeepalived(2),
        digits: 2,
      },
      {
        // Informational: how often the daemon slept and was woken in the CPU window; the cost of a
        // wake-up is most of what separates the daemons' CPU (docs/performance.md, the Adver_Timer
        // grid).
        metric: `wake-ups per s @${n}, CPU window`,
        unit: '/s',
        vrrpd: fig(v, (s) => s.wakeupsPerS),
        keepalived: fig(k, (s) => s.wakeupsPerS),
        baseline: fig(bl, (s) => s.wakeupsPerS),
        digits: 0,
      },
      {
        // Informational: the lateness window's CPU, from all MASTER on (JIT warm-up and the
        // garp_master_delay round in), with tcpdump's per-frame cost charged to both senders.
        metric: `CPU ${at}, while captured`,
        unit: '% core',
        vrrpd: fig(v, (s) => s.capturedCpuPercent),
        keepalived: fig(k, (s) => s.capturedCpuPercent),
        baseline: fig(bl, (s) => s.capturedCpuPercent),
        digits: 2,
      },
      {
        metric: `advert lateness p50 ${at}`,
        unit: 'ms',
        vrrpd: fig(v, lateP(50), (s) => `${s.lateness.samples.length} periods`),
        keepalived: fig(k, lateP(50), (s) => `${s.lateness.samples.length} periods`),
        baseline: fig(bl, lateP(50), (s) => `${s.lateness.samples.length} periods`),
        baselineSlack: 0.1,
        digits: 2,
      },
      {
        metric: `advert lateness p99 ${at}`,
        unit: 'ms',
        vrrpd: fig(v, lateP(99), maxAndDrops),
        keepalived: fig(k, lateP(99), maxAndDrops),
        baseline: fig(bl, lateP(99), maxAndDrops),
        baselineSlack: 0.5,
        ...(n === largest ? { target: under(5, 'ms') } : {}),
        digits: 2,
      },
      {
        metric: `advert lateness p99 @${n}, from ${STEADY_AFTER_S} s on`,
        unit: 'ms',
        vrrpd: fig(v, (s) => ms(percentile(s.steadyLateness.samples, 99)), (s) => `${s.steadyLateness.samples.length} periods`),
        keepalived: fig(k, (s) => ms(percentile(s.steadyLateness.samples, 99)), (s) => `${s.steadyLateness.samples.length} periods`),
        baseline: fig(bl, (s) => ms(percentile(s.steadyLateness.samples, 99)), (s) => `${s.steadyLateness.samples.length} periods`),
        baselineSlack: 0.5,
        digits: 2,
      },
      {
        metric: `spurious transitions ${at}`,
        unit: 'count',
        vrrpd: fig(v, (s) => s.transitions, (s) => `${s.lateness.breaks} advert gaps`),
        keepalived: fig(k, (s) => s.transitions, (s) => `${s.lateness.breaks} advert gaps`),
        baseline: fig(bl, (s) => s.transitions, (s) => `${s.lateness.breaks} advert gaps`),
        target: atMost(0, ''),
        digits: 0,
      },
      { metric: `spawn -> all MASTER @${n}`, unit: 's', vrrpd: fig(v, (s) => s.allMasterS), keepalived: fig(k, (s) => s.allMasterS), baseline: fig(bl, (s) => s.allMasterS), digits: 2 },
    );
  }
  return rows;
}

async function configRows(baselineBin?: string): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-bench-'));
  try {
    const path = join(dir, 'bench.conf');
    writeFileSync(path, benchConfig());
    const total = BENCH_CONFIG.interfaces.length * BENCH_CONFIG.vridsPerInterface;
    const parse = timeParse(path);
    const processes = await timeProcesses(path, dir, baselineBin);
    const byLabel = (label: string): Figure | undefined => {
      if (typeof processes === 'string') return undefined;
      const t = processes.find((p) => p.label.startsWith(label));
      return t === undefined ? undefined : { value: median(t.samples), detail: `max ${largestOf(t.samples).toFixed(1)}` };
    };
    return [
      {
        metric: `config parse in-process, ${total} instances`,
        unit: 'ms',
        vrrpd: { value: median(parse.timing.samples), detail: parse.errors > 0 ? `${parse.errors} errors` : `${parse.instances} read` },
        keepalived: undefined,
        target: under(200, 'ms'),
      },
      { metric: `config check -t, whole process, ${total} inst.`, unit: 'ms', vrrpd: byLabel('vrrpd -t'), keepalived: byLabel('keepalived -t'), baseline: byLabel('baseline vrrpd -t') },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `git describe`-like words for the checkout a bin/vrrpd is in: its commit, and whether it is modified. */
function describeCheckout(bin: string): string {
  const dir = resolve(bin, '..', '..');
  const r = spawnSync('git', ['-C', dir, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' });
  const dirty = spawnSync('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' });
  if (r.status !== 0) return 'not a git checkout';
  return `${r.stdout.trim().slice(0, 60)}${dirty.stdout.trim() === '' ? '' : ' (modified)'}`;
}

export function machine(): string {
  const cpu = cpus()[0]?.model.trim() ?? '?';
  return `${cpus().length} x ${cpu}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, kernel ${release()}, Node ${process.version.slice(1)}, host ${hostname()}`;
}

async function main(): Promise<number> {
  const opts = parseBenchArgs(process.argv.slice(2));
  if (typeof opts === 'string') {
    console.error(`bench: ${opts}`);
    return 2;
  }
  const lab = labAvailable();
  if (!lab.ok) {
    console.error(`bench: the lab is not available: ${lab.reason}`);
    return 1;
  }
  const progress = (s: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`);
  const rows: Row[] = [];
  const problems: string[] = [];
  const t0 = Date.now();
  // Other work on the machine shows in every figure: say how busy it was.
  const loadBefore = loadavg()[0] ?? Number.NaN;
  if (opts.only.includes('pair')) {
    const figs = new Map<PairDaemon, PairFigures>();
    for (const d of DAEMONS) {
      try {
        figs.set(d, await measurePair(d, opts.reps, opts.jitter, progress));
      } catch (e) {
        problems.push(`pair ${d}: ${(e as Error).message}`);
      }
    }
    let baseline: PairFigures | undefined;
    if (opts.baseline !== undefined) {
      try {
        baseline = await measurePair('vrrpd', opts.reps, 0, progress, opts.baseline, 'baseline vrrpd');
      } catch (e) {
        problems.push(`pair baseline: ${(e as Error).message}`);
      }
    }
    rows.push(...pairRows(figs, opts.reps, baseline));
  }
  if (opts.only.includes('scale')) {
    const largest = Math.max(...opts.scales);
    const figs: ScaleFigures[] = [];
    const baseline: ScaleFigures[] = [];
    for (const n of opts.scales) {
      const seconds = n === largest ? opts.duration : opts.sample;
      for (const d of DAEMONS) {
        try {
          figs.push(await measureScale(d, n, seconds, progress, opts.phases));
        } catch (e) {
          problems.push(`scale ${d} @${n}: ${(e as Error).message}`);
        }
      }
      if (opts.baseline !== undefined) {
        try {
          baseline.push(await measureScale('vrrpd', n, seconds, (s) => progress(`baseline ${s}`), opts.phases, opts.baseline));
        } catch (e) {
          problems.push(`scale baseline @${n}: ${(e as Error).message}`);
        }
      }
    }
    rows.push(...scaleRows(figs, largest, baseline));
  }
  if (opts.only.includes('config')) {
    progress('config parse');
    rows.push(...(await configRows(opts.baseline)));
  }
  const title =
    `vrrpd vs keepalived 2.2.7, same run, ${new Date().toISOString().slice(0, 16)}Z, ${((Date.now() - t0) / 1000).toFixed(0)} s` +
    `\nmachine: ${machine()}; 1-min load average ${loadBefore.toFixed(2)} at the start, ${(loadavg()[0] ?? Number.NaN).toFixed(2)} at the end` +
    (opts.only.includes('pair') ? `\npair: advert_int 1, priorities 150/100, ${opts.reps} repetitions, +${opts.jitter} s steady` : '') +
    (opts.only.includes('scale')
      ? `\nscale: ${opts.scales.join('/')} instances all MASTER (${opts.phases === 'spread' ? 'priorities 1..253: advert phases spread' : 'priority 150: advert phases together'}), ${opts.duration} s window at ${Math.max(...opts.scales)}, ${opts.sample} s at the others`
      : '') +
    (opts.baseline === undefined ? '' : `\nbaseline: ${opts.baseline}, ${describeCheckout(opts.baseline)}; this vrrpd: ${describeCheckout(vrrpdBin())}`) +
    '\nratio = vrrpd / keepalived; verdict = vrrpd against the target' +
    (opts.baseline === undefined ? '' : '; vs baseline = vrrpd no worse than the baseline (within 5 %, or the row\'s own slack)') +
    `\n(ms figures: median of the repetitions, max in brackets; takeover verdicts use the sample farthest from the protocol, relative ones the medians)\n`;
  console.log(formatTable(title, rows, opts.baseline !== undefined));
  for (const p of problems) console.log(`NOT MEASURED: ${p}`);
  return problems.length > 0 ? 1 : 0;
}

// `node dist/bench/run.js` runs it; the smoke test imports the functions.
if (process.argv[1]?.endsWith('/bench/run.js') === true) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(1);
    },
  );
}
