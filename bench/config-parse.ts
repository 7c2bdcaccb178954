// npm run bench:config — how long reading a big config takes, vrrpd next to keepalived, same run,
// same file. The file: 1000 instances (4 interfaces x 250 VRIDs), 2 VIPs and a track_script each,
// 4 vrrp_script blocks (bench/config-gen.ts).
//
// Measured:
// - vrrpd's parse in-process: loadConfig() (read + lex + parse + schema), median of RUNS after
//   WARMUP runs, so JIT warm-up and module loading are out of it: what a reload would cost;
// - `vrrpd -t` and `keepalived -t` as whole processes (wall clock from spawn to exit, median of
//   PROCESS_RUNS), in a lab namespace that has the four interfaces, so both also check them against
//   the kernel; this is what an operator waits for, Node's start-up included;
// - `ip netns exec NS true`, the cost of entering the namespace that both process figures include,
//   and `node -e 0`, Node's own start-up, which is most of `vrrpd -t` on a small config.
// Target: vrrpd's parse under 200 ms on this machine. Everything it creates (a temp dir, the lab's
// namespaces) is removed at the end, also on failure.
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/load.js';
import { labAvailable, withLab, type Lab } from '../lab/netns.js';
import { vrrpdBin, vrrpdCli } from '../lab/vrrpd.js';
import { BENCH_CONFIG, benchConfig } from './config-gen.js';

const WARMUP = 3;
const RUNS = 15;
const PROCESS_RUNS = 5;
const TARGET_MS = 200;
const KEEPALIVED = ['/usr/sbin/keepalived', '/usr/local/sbin/keepalived'].find((p) => existsSync(p));

export interface Timing {
  readonly label: string;
  readonly samples: readonly number[];
  /** Exit codes seen (process rows), to show that no run measured an error path. */
  readonly exits?: readonly (number | null)[];
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export function timeParse(path: string): { timing: Timing; instances: number; errors: number } {
  let last = loadConfig(path);
  for (let i = 0; i < WARMUP; i++) last = loadConfig(path);
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    last = loadConfig(path);
    samples.push(performance.now() - t0);
  }
  return {
    timing: { label: 'vrrpd loadConfig() in-process', samples },
    instances: last.config?.instances.length ?? 0,
    errors: last.diagnostics.filter((d) => d.severity === 'error').length,
  };
}

async function timeProcess(lab: Lab, label: string, argv: readonly string[], env?: NodeJS.ProcessEnv): Promise<Timing> {
  // One unmeasured run first: page cache, and Node's compile cache.
  await lab.exec('h', argv, { timeoutMs: 30_000, ...(env ? { env } : {}) });
  const samples: number[] = [];
  const exits: (number | null)[] = [];
  for (let i = 0; i < PROCESS_RUNS; i++) {
    const t0 = performance.now();
    const r = await lab.exec('h', argv, { timeoutMs: 30_000, ...(env ? { env } : {}) });
    samples.push(performance.now() - t0);
    exits.push(r.code);
  }
  return { label, samples, exits };
}

/** `baselineBin`: another checkout's bin/vrrpd, timed the same way (the bench's --baseline). */
export async function timeProcesses(path: string, dir: string, baselineBin?: string): Promise<Timing[] | string> {
  const lab = labAvailable();
  if (!lab.ok) return `no lab (${lab.reason})`;
  if (KEEPALIVED === undefined) return 'keepalived is not installed';
  const cli = vrrpdCli();
  if (!existsSync(cli)) return `${cli} is missing: run npm run build`;
  const keepalived = KEEPALIVED;
  const spec = {
    hosts: [
      {
        name: 'h',
        interfaces: BENCH_CONFIG.interfaces.map((name, i) => ({
          name,
          segment: `s${i}`,
          addresses: [`192.0.2.${11 + i}/32`],
        })),
      },
    ],
  };
  return withLab(spec, async (l) => {
    const pid = (n: string): string => join(dir, `${n}.pid`);
    return [
      // Through the launcher, as users run it (its node flags, the bundle).
      await timeProcess(l, 'vrrpd -t (whole process)', [vrrpdBin(), '-t', '-f', path]),
      ...(baselineBin === undefined ? [] : [await timeProcess(l, 'baseline vrrpd -t (whole process)', [baselineBin, '-t', '-f', path])]),
      await timeProcess(
        l,
        'keepalived -t (whole process)',
        [keepalived, '-t', '-G', '-f', path, '-p', pid('k'), '-r', pid('v'), '-c', pid('c'), '-b', pid('b')],
        { ...process.env, TMPDIR: dir },
      ),
      await timeProcess(l, 'ip netns exec ... true (in all 3 above)', ['true']),
      await timeProcess(l, 'node -e 0 (in vrrpd -t)', [process.execPath, '-e', '0']),
    ];
  });
}

function row(t: Timing): string {
  const ms = (x: number): string => x.toFixed(1).padStart(8);
  const exits = t.exits === undefined ? '' : `   exit ${[...new Set(t.exits)].join('/')}`;
  return `${t.label.padEnd(40)}${ms(median(t.samples))}${ms(Math.min(...t.samples))}${ms(Math.max(...t.samples))}${String(t.samples.length).padStart(6)}${exits}`;
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-bench-config-'));
  try {
    const path = join(dir, 'bench.conf');
    const text = benchConfig();
    writeFileSync(path, text);
    const s = BENCH_CONFIG;
    const total = s.interfaces.length * s.vridsPerInterface;
    console.log(
      `config: ${total} instances (${s.interfaces.length} interfaces x ${s.vridsPerInterface} VRIDs), ` +
        `${total * s.vipsPerInstance} VIPs, ${s.scripts} vrrp_scripts; ${text.split('\n').length} lines, ` +
        `${(statSync(path).size / 1024).toFixed(0)} KiB`,
    );

    const parse = timeParse(path);
    if (parse.instances !== total || parse.errors > 0) {
      console.log(`warning: vrrpd read ${parse.instances} of ${total} instances with ${parse.errors} errors - the figure is not for a clean parse`);
    }
    const processes = await timeProcesses(path, dir);

    console.log(`\n${''.padEnd(40)}${'median'.padStart(8)}${'min'.padStart(8)}${'max'.padStart(8)}${'runs'.padStart(6)}   (ms)`);
    console.log(row(parse.timing));
    const parseMs = median(parse.timing.samples);
    if (typeof processes === 'string') {
      console.log(`(process timings skipped: ${processes})`);
    } else {
      for (const t of processes) console.log(row(t));
      const [vrrpdT, keepalivedT] = processes;
      if (vrrpdT && keepalivedT) {
        const ka = median(keepalivedT.samples);
        console.log(`\nratio vrrpd -t / keepalived -t (whole processes): ${(median(vrrpdT.samples) / ka).toFixed(1)}x`);
        console.log(`ratio vrrpd in-process parse / keepalived -t:    ${(parseMs / ka).toFixed(1)}x`);
      }
    }
    const met = parseMs < TARGET_MS;
    console.log(`\ntarget: vrrpd parse under ${TARGET_MS} ms: ${met ? 'MET' : 'NOT MET'} (median ${parseMs.toFixed(1)} ms)`);
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run only as `node dist/bench/config-parse.js`; `npm run bench` imports the measurements.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`bench:config failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(1);
    },
  );
}
