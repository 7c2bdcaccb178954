// npm run bench:config-limits — the hostile and the merely big configs of issue 22 item 2 and the
// typo of item 5, each one (a) checked with `vrrpd -t` and `keepalived -t` (wall clock, exit code,
// last line) and (b) handed to a running MASTER by SIGHUP in the pair lab (vrrpd A MASTER, vrrpd B
// BACKUP, a capture on the client): the reload's verdict, the MASTER's advert lateness around it
// (the status flood's probe: interval between A's adverts minus 1 s, from the capture), A's RSS
// after, and who holds the VIP. A config that kills A is reported and A is started again for the
// next case. Everything it creates (temp dirs, the lab's namespaces) is removed at the end.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { advertIntervalsMs, startCapture, type Capture } from '../lab/capture.js';
import { createLab, A_IP, LAB_VIP, labAvailable, pairLabSpec, type Lab } from '../lab/netns.js';
import { pidAlive, rssMb, sleep, wallClockSeconds } from '../lab/process.js';
import { repoRoot, startVrrpd, vrrpdBin, type Vrrpd } from '../lab/vrrpd.js';
import { CONFIG_BOMBS, USR_SHARE_GLOB, writeBomb, type ConfigBomb } from '../lab/config-bombs.js';
import { benchConfig } from './config-gen.js';

const KEEPALIVED = ['/usr/sbin/keepalived', '/usr/local/sbin/keepalived'].find((p) => existsSync(p));

const LIMIT_CASES: readonly ConfigBomb[] = [
  ...CONFIG_BOMBS,
  USR_SHARE_GLOB,
  { name: 'typo: virtual_ipadress', main: (s) => s.replace('virtual_ipaddress', 'virtual_ipadress') },
  // Legal text, refused only for its interfaces (eth1-3 are not in the pair lab): the parse of the
  // largest config the bench knows, on a running MASTER.
  { name: '1000-instance bench config', main: () => benchConfig() },
];

interface TestRun {
  readonly ms: number;
  readonly code: number | null;
  readonly signal: string | null;
  /** The first error (or V8's FATAL ERROR) line, and the last line (the summary). */
  readonly first: string;
  readonly last: string;
}

export interface CaseFigures {
  readonly name: string;
  readonly vrrpdT: TestRun;
  readonly keepalivedT: TestRun | undefined;
  readonly reload: {
    readonly verdict: string;
    /** HUP to the verdict line (or to the daemon's death). */
    readonly ms: number;
    /** Largest |interval - 1000 ms| between A's adverts from 1 s before the HUP to 2 s after the verdict. */
    readonly maxLatenessMs: number;
    readonly rssBeforeMb: number;
    readonly rssAfterMb: number | undefined;
    /** The process's peak RSS (VmHWM) after the reload, if it rose during it. */
    readonly peakMb: number | undefined;
    readonly vipOnA: boolean;
    readonly vipOnB: boolean;
  };
}

async function configTest(lab: Lab, argv: readonly string[], env?: NodeJS.ProcessEnv): Promise<TestRun> {
  const t0 = performance.now();
  const r = await lab.exec('a', argv, { timeoutMs: 120_000, ...(env ? { env } : {}) });
  const ms = performance.now() - t0;
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^\d+: 0x/.test(l));
  const first = lines.find((l) => /^error:|FATAL|^\(/.test(l)) ?? '';
  return { ms, code: r.code, signal: r.signal, first: first.slice(0, 160), last: (lines.at(-1) ?? '').slice(0, 160) };
}

/** Largest |interval - 1000 ms| between A's adverts in [from, to], capture seconds. */
function maxLatenessMs(capture: Capture, from: number, to: number): number {
  const frames = capture.framesSoFar();
  return frames.ok ? Math.max(0, ...advertIntervalsMs(frames.value, A_IP, from, to).map((g) => Math.abs(g - 1000))) : Number.NaN;
}

async function reloadCase(lab: Lab, capture: Capture, a: Vrrpd, c: ConfigBomb, seed: string): Promise<CaseFigures['reload']> {
  const rssBeforeMb = rssMb(a.pid) ?? Number.NaN;
  const peakBefore = rssMb(a.pid, 'VmHWM') ?? Number.NaN;
  writeFileSync(a.configPath, readFileSync(writeBomb(a.dir, c, seed)));
  const mark = a.logMark();
  const from = wallClockSeconds() - 1;
  const t0 = performance.now();
  a.signal('SIGHUP');
  let verdict = 'none within 60 s';
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const lines = a.logLines().slice(mark);
    const line = lines.find((l) => l === 'Reload complete' || l.startsWith('Reload failed'));
    if (line !== undefined) {
      verdict = line === 'Reload complete' ? 'applied' : `refused (${lines.filter((l) => l !== line).length} lines logged)`;
      break;
    }
    if (!pidAlive(a.pid)) {
      verdict = 'DAEMON DIED';
      break;
    }
    await sleep(20);
  }
  const ms = performance.now() - t0;
  await sleep(2500);
  return {
    verdict,
    ms,
    // A dead daemon sends nothing: its lateness is the time until now, not the largest gap before.
    maxLatenessMs: pidAlive(a.pid) ? maxLatenessMs(capture, from, wallClockSeconds()) : Number.POSITIVE_INFINITY,
    rssBeforeMb,
    rssAfterMb: pidAlive(a.pid) ? rssMb(a.pid) : undefined,
    peakMb: ((peak) => (peak !== undefined && peak > peakBefore + 1 ? peak : undefined))(rssMb(a.pid, 'VmHWM')),
    vipOnA: await lab.hasAddress('a', LAB_VIP),
    vipOnB: await lab.hasAddress('b', LAB_VIP),
  };
}

const seedConfig = (name: string): string => readFileSync(join(repoRoot(), 'etc', name), 'utf8');

async function run(only: readonly string[]): Promise<CaseFigures[]> {
  const available = labAvailable();
  if (!available.ok) throw new Error(`no lab: ${available.reason}`);
  const lab = await createLab(pairLabSpec());
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-bench-limits-'));
  const out: CaseFigures[] = [];
  try {
    const capture = await startCapture(lab, 'client');
    if (!capture.ok) throw new Error(capture.error);
    const startA = async (): Promise<Vrrpd> => {
      const a = await startVrrpd(lab, 'a', seedConfig('node-a.conf'));
      if (!a.ok) throw new Error(a.error);
      const master = await a.value.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 });
      if (!master.ok) throw new Error(master.error);
      await sleep(3000); // steady: the repeater sends, the start-up garbage is collected
      return a.value;
    };
    const b = await startVrrpd(lab, 'b', seedConfig('node-b.conf'));
    if (!b.ok) throw new Error(b.error);
    let a = await startA();
    for (const c of LIMIT_CASES.filter((x) => only.length === 0 || only.some((o) => x.name.includes(o)))) {
      const path = writeBomb(dir, c, seedConfig('node-a.conf'));
      const vrrpdT = await configTest(lab, [vrrpdBin(), '-t', '-f', path]);
      const pid = (n: string): string => join(dir, `${n}.pid`);
      const keepalivedT =
        KEEPALIVED === undefined
          ? undefined
          : await configTest(lab, [KEEPALIVED, '-t', '-G', '-f', path, '-p', pid('k'), '-r', pid('v'), '-c', pid('c'), '-b', pid('b')], {
              ...process.env,
              TMPDIR: dir,
            });
      const reload = await reloadCase(lab, capture.value, a, c, seedConfig('node-a.conf'));
      out.push({ name: c.name, vrrpdT, keepalivedT, reload });
      console.log(JSON.stringify(out.at(-1)));
      if (pidAlive(a.pid)) {
        writeFileSync(a.configPath, seedConfig('node-a.conf'));
        const mark = a.logMark();
        a.signal('SIGHUP');
        await a.waitForLog(/^Reload (complete|failed)/, { timeoutMs: 60_000, since: mark });
        await sleep(2000);
      } else {
        a = await startA();
      }
    }
    await capture.value.stop();
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

function table(rows: readonly CaseFigures[]): string {
  const head = '| config | vrrpd -t | keepalived -t | reload | advert lateness max | RSS before → after (new peak) | VIP on A / B |';
  const sep = '|---|---|---|---|---|---|---|';
  const t = (r: TestRun | undefined): string => (r === undefined ? '-' : `${r.code === null ? r.signal : `exit ${r.code}`} in ${(r.ms / 1000).toFixed(2)} s`);
  const body = rows.map((r) =>
    `| ${r.name} | ${t(r.vrrpdT)} | ${t(r.keepalivedT)} | ${r.reload.verdict} after ${(r.reload.ms / 1000).toFixed(2)} s | ` +
      `${r.reload.maxLatenessMs.toFixed(1)} ms | ${r.reload.rssBeforeMb.toFixed(0)} → ${r.reload.rssAfterMb?.toFixed(0) ?? 'dead'} MB` +
      `${r.reload.peakMb === undefined ? '' : ` (${r.reload.peakMb.toFixed(0)})`} | ` +
      `${r.reload.vipOnA ? 'yes' : 'no'} / ${r.reload.vipOnB ? 'yes' : 'no'} |`,
  );
  return [head, sep, ...body].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(process.argv.slice(2)).then(
    (rows) => {
      console.log(`\n${table(rows)}`);
      for (const r of rows) {
        console.log(`${r.name}:\n  vrrpd -t: ${r.vrrpdT.first}\n            ${r.vrrpdT.last}\n  keepalived -t: ${r.keepalivedT?.first ?? '-'}\n                 ${r.keepalivedT?.last ?? '-'}`);
      }
      process.exit(0);
    },
    (e: unknown) => {
      console.error(`bench:config-limits failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(1);
    },
  );
}
