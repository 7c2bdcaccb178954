// The pair half of `npm run bench`: one daemon on both nodes of the pair lab (A priority 150, B 100,
// advert_int 1), a client pinging the VIP every 9 ms and capturing, and per repetition:
//   start    A alone:        A's "BACKUP STATE (init)" log -> A's first GARP (and process spawn -> GARP)
//   hard     SIGKILL A 100 ms after one of its adverts: A's last advert -> B's first GARP
//   preempt  A restarted:    A's "BACKUP STATE (init)" log -> A's first GARP
//   graceful SIGTERM A:      A's priority-0 advert -> B's first GARP, and the client's ping gap
// then B is stopped. The advert period jitter comes from A's adverts on the client's capture while A
// is MASTER and B BACKUP, undisturbed (plus `jitterSeconds` of that in the first repetition). Everything is timed on the wire
// (tcpdump nanosecond stamps) except the init log line, which is where the daemon's protocol starts.
// Start-up costs (issue 18), before the repetitions: process spawn -> "Entering BACKUP STATE
// (init)" of the daemon alone on A and `-t -f CONFIG`, and (vrrpd) `vrrpd status` to the running
// A, each beside `node -e 0` timed the same way (`ip netns exec` on A, from the spawn, one after
// the other) in the same run; and spawn -> init of every A the pair starts, for context (the
// client's capture and pings run then, on the same two cores).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { advertsFrom, firstGarpAfter, lastAdvertBefore, startCapture } from '../lab/capture.js';
import { advertLateness, type Lateness } from '../lab/measure.js';
import { A_IP, B_IP, createLab, LAB_VIP, NODE_A, NODE_B, pairLabSpec } from '../lab/netns.js';
import { atAdvertPhase, clientOutageSeconds, framesOf, pairConfig, startNode, startPinger, type PairDaemon, type PairNode } from '../lab/pair.js';
import { sleep, wallClockSeconds } from '../lab/process.js';
import { vrrpdBin } from '../lab/vrrpd.js';
import type { Lab } from '../lab/netns.js';

export interface PairFigures {
  readonly daemon: PairDaemon;
  /** Seconds, one per repetition. */
  readonly startInit: number[];
  readonly startSpawn: number[];
  readonly hard: number[];
  /** A's last advert -> B's first advert as MASTER: the timer and the send path, without VIPs and GARPs. */
  readonly hardAdvert: number[];
  /** vrrpd only: how late B's Master_Down timer fired after its deadline, ms (its own debug line). */
  readonly timerLateMs: number[];
  /** vrrpd only: how long after its deadline each Master_Down callback ran (start, hard, preempt), ms. */
  readonly callbackLateMs: number[];
  /** vrrpd only: each daemon start's takeover rehearsal (src/vrrp/rehearsal.ts), ms (its debug line). */
  readonly rehearsalMs: number[];
  readonly preempt: number[];
  readonly graceful: number[];
  /** The client's longest reply gap around the graceful handover less one ping interval (0 when nothing was lost). */
  readonly outage: number[];
  lateness: Lateness;
  /** Process spawn -> "Entering BACKUP STATE (init)" of each A started in the pair (start, preempt), seconds. */
  readonly spawnInit: number[];
  /**
   * The same, ms, timed as `node -e 0` is (timeInterleaved, one after the other, before the client's
   * capture and pings start): the start-up bound's figure.
   */
  readonly spawnInitAlone: number[];
  /** Wall ms, spawn -> exit, on A: `node -e 0`, `-t -f CONFIG`, and `vrrpd status` to A (vrrpd only). */
  readonly nodeStart: number[];
  readonly configTest: number[];
  readonly status: number[];
}

/** Runs of each start-up command (interleaved with `node -e 0`), after one unmeasured run. */
export const STARTUP_RUNS = 10;
const KEEPALIVED = '/usr/sbin/keepalived';

/** Wall ms from spawn to exit of `argv` on `host` (through `ip netns exec`, as every daemon here). */
async function timeOnHost(lab: Lab, host: string, argv: readonly string[], env?: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  const r = await lab.exec(host, argv, { timeoutMs: 30_000, ...(env === undefined ? {} : { env }) });
  const elapsed = performance.now() - t0;
  if (r.code === null) throw new Error(`${argv.join(' ')} did not finish`);
  return elapsed;
}

/**
 * Wall ms from spawn to the first output line matching `until` of a daemon started on `host` the
 * same way (`ip netns exec`, the same parent), which is then stopped and waited for.
 */
async function timeToLineOnHost(lab: Lab, host: string, argv: readonly string[], until: RegExp, env?: NodeJS.ProcessEnv): Promise<number> {
  let at: number | undefined;
  const t0 = performance.now();
  const proc = lab.spawn(host, argv, {
    ...(env === undefined ? {} : { env }),
    onLine: (l) => {
      if (at === undefined && until.test(l.text)) at = performance.now();
    },
  });
  const seen = await proc.waitForLine(until, { timeoutMs: 10_000 });
  await proc.stop();
  if (!seen.ok || at === undefined) throw new Error(`${argv.join(' ')}: no ${String(until)}: ${seen.ok ? 'no time' : seen.error}`);
  return at - t0;
}

interface TimedCommand {
  readonly argv: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Timed to this output line (the process then stopped) instead of to its exit. */
  readonly until?: RegExp;
  readonly into: number[];
}

/** `runs` of each command, interleaved (so load on the machine falls on all alike), after one unmeasured round. */
async function timeInterleaved(lab: Lab, host: string, commands: readonly TimedCommand[], runs: number): Promise<void> {
  for (let i = 0; i <= runs; i++) {
    for (const c of commands) {
      const ms = c.until === undefined ? await timeOnHost(lab, host, c.argv, c.env) : await timeToLineOnHost(lab, host, c.argv, c.until, c.env);
      if (i > 0) c.into.push(ms);
    }
  }
}

export const PING_INTERVAL_MS = 9;
/** Where in A's advert cycle the kill happens (as in the mixed-pair matrix). */
const KILL_AFTER_ADVERT_MS = 100;
/** After a state change, before reading the capture: the GARP burst follows the state log. */
const SETTLE_MS = 300;

const A_MAC = NODE_A.mac;
const B_MAC = NODE_B.mac;
const TIMER_LATE = /master down timer fired ([\d.]+) ms after its deadline \(its callback ran ([\d.]+) ms after\)/;
const REHEARSED = /^takeover rehearsed in ([\d.]+) ms$/;
const INIT = /^\(VI_1\) Entering BACKUP STATE \(init\)$/;
/** The same line in a raw output line: vrrpd's JSON or keepalived's text. */
const INIT_ANYWHERE = /\(VI_1\) Entering BACKUP STATE \(init\)/;

function must<T>(r: { ok: true; value: T } | { ok: false; error: string }, what: string): T {
  if (!r.ok) throw new Error(`${what}: ${r.error}`);
  return r.value;
}

/**
 * `bin`: the vrrpd command to run (default this checkout's bin/vrrpd; the bench's --baseline gives
 * another checkout's); `label` names it in progress lines and errors.
 */
export async function measurePair(
  daemon: PairDaemon,
  reps: number,
  jitterSeconds: number,
  progress: (s: string) => void,
  bin: string = vrrpdBin(),
  label: string = daemon,
): Promise<PairFigures> {
  const fig: PairFigures = {
    daemon,
    startInit: [],
    startSpawn: [],
    hard: [],
    hardAdvert: [],
    timerLateMs: [],
    callbackLateMs: [],
    rehearsalMs: [],
    preempt: [],
    graceful: [],
    outage: [],
    lateness: { samples: [], breaks: 0 },
    spawnInit: [],
    spawnInitAlone: [],
    nodeStart: [],
    configTest: [],
    status: [],
  };
  const lab = await createLab(pairLabSpec());
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-bench-startup-'));
  lab.onDestroy(
    () => rmSync(dir, { recursive: true, force: true }),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  try {
    progress(`${label}: start-up commands, ${STARTUP_RUNS} runs each`);
    const conf = join(dir, 'pair.conf');
    writeFileSync(conf, pairConfig('master'));
    const pid = (n: string): string => join(dir, `${n}.pid`);
    const configTest =
      daemon === 'keepalived'
        ? { argv: [KEEPALIVED, '-t', '-G', '-f', conf, '-p', pid('k'), '-r', pid('v'), '-c', pid('c'), '-b', pid('b')], env: { ...process.env, TMPDIR: dir } }
        : { argv: [bin, '-t', '-f', conf] };
    // The daemon alone on A (nobody else on the segment yet), stopped once it has said "init".
    const daemonStart =
      daemon === 'keepalived'
        ? { argv: [KEEPALIVED, '-n', '-l', '-G', '-D', '-P', '-f', conf, '-p', pid('k'), '-r', pid('v'), '-c', pid('c'), '-b', pid('b')], env: { ...process.env, TMPDIR: dir } }
        : { argv: [bin, '-n', '-D', '-f', conf, '-p', pid('d')] };
    await timeInterleaved(
      lab,
      'a',
      [
        { argv: [process.execPath, '-e', '0'], into: fig.nodeStart },
        { ...configTest, into: fig.configTest },
        { ...daemonStart, until: INIT_ANYWHERE, into: fig.spawnInitAlone },
      ],
      STARTUP_RUNS,
    );
    const client = must(await startCapture(lab, 'client'), 'capture');
    const pinger = startPinger(lab, 'client', LAB_VIP, PING_INTERVAL_MS);
    const garp = (fromT: number, mac: string, what: string): number => {
      const g = firstGarpAfter(framesOf(client), LAB_VIP, fromT, mac);
      if (g === undefined) throw new Error(`${daemon}: no GARP from ${mac} after t=${fromT.toFixed(3)} (${what})`);
      return g.t;
    };
    const rehearsal = (node: PairNode): void => {
      const line = node.logLines().map((l) => REHEARSED.exec(l)).find((m) => m !== null);
      if (line) fig.rehearsalMs.push(Number(line[1]));
    };
    const startA = async (): Promise<{ a: PairNode; spawnT: number }> => {
      const spawnT = wallClockSeconds();
      const a = must(await startNode(lab, 'a', daemon, pairConfig('master'), bin), `${label} on A`);
      must(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 }), `${label} A MASTER`);
      const initT = a.loggedAt(INIT);
      if (initT !== undefined) fig.spawnInit.push(initT - spawnT);
      await sleep(SETTLE_MS);
      // A fresh process's takeover: at start, and preempting back.
      const late = a.logLines().map((l) => TIMER_LATE.exec(l)).find((m) => m !== null);
      if (late) fig.callbackLateMs.push(Number(late[2]));
      rehearsal(a);
      return { a, spawnT };
    };
    // A MASTER with B BACKUP, undisturbed: from B's start (less one period) to the kill.
    const steady: [number, number][] = [];
    for (let rep = 1; rep <= reps; rep++) {
      progress(`${label} pair, repetition ${rep}/${reps}`);
      // Start: A alone.
      let { a, spawnT } = await startA();
      // `vrrpd status` as an operator runs it, to this A: the first repetition only.
      if (daemon === 'vrrpd' && rep === 1) {
        const status = { argv: [bin, 'status', '-p', join(a.dir, 'vrrpd.pid')], into: fig.status };
        await timeInterleaved(lab, 'a', [{ argv: [process.execPath, '-e', '0'], into: fig.nodeStart }, status], STARTUP_RUNS);
      }
      const initT = a.loggedAt(INIT);
      if (initT === undefined) throw new Error(`${daemon}: A never logged "Entering BACKUP STATE (init)"`);
      const startGarp = garp(spawnT, A_MAC, 'A starts');
      fig.startInit.push(startGarp - initT);
      fig.startSpawn.push(startGarp - spawnT);

      const b = must(await startNode(lab, 'b', daemon, pairConfig('backup'), bin), `${label} on B`);
      must(await b.waitForState('VI_1', 'BACKUP', { timeoutMs: 3000 }), `${daemon} B BACKUP`);
      rehearsal(b);
      const steadyFrom = wallClockSeconds();
      if (rep === 1 && jitterSeconds > 0) await sleep(jitterSeconds * 1000);

      // Hard takeover.
      let bMark = b.logMark();
      must(await atAdvertPhase(client, A_IP, KILL_AFTER_ADVERT_MS), 'advert from A');
      const killT = wallClockSeconds();
      await a.crash();
      steady.push([steadyFrom - 1, killT]);
      must(await b.waitForState('VI_1', 'MASTER', { timeoutMs: 6000, since: bMark }), `${daemon} B takes over`);
      await sleep(SETTLE_MS);
      const last = lastAdvertBefore(framesOf(client), A_IP, killT + 0.05);
      if (last === undefined) throw new Error(`${daemon}: no advert from A before the kill`);
      fig.hard.push(garp(last.t, B_MAC, 'B takes over') - last.t);
      const firstOwn = advertsFrom(framesOf(client), B_IP).find((f) => f.t > last.t && f.priority > 0);
      if (firstOwn !== undefined) fig.hardAdvert.push(firstOwn.t - last.t);
      const lateLine = b.logLines().slice(bMark).map((l) => TIMER_LATE.exec(l)).find((m) => m !== null);
      if (lateLine) fig.timerLateMs.push(Number(lateLine[1]));
      if (lateLine) fig.callbackLateMs.push(Number(lateLine[2]));

      // Preempt back.
      bMark = b.logMark();
      ({ a, spawnT } = await startA());
      must(await b.waitForState('VI_1', 'BACKUP', { timeoutMs: 3000, since: bMark }), `${daemon} B yields`);
      const preemptInit = a.loggedAt(INIT);
      if (preemptInit === undefined) throw new Error(`${daemon}: restarted A never logged "Entering BACKUP STATE (init)"`);
      fig.preempt.push(garp(spawnT, A_MAC, 'A preempts') - preemptInit);

      // Graceful handover, and what the client sees of it (the VIP leaves A with its priority 0).
      bMark = b.logMark();
      const stopT = wallClockSeconds();
      const [, master] = await Promise.all([a.stop(), b.waitForState('VI_1', 'MASTER', { timeoutMs: 3000, since: bMark })]);
      must(master, `${daemon} B takes over after SIGTERM`);
      await sleep(SETTLE_MS);
      const zero = advertsFrom(framesOf(client), A_IP).find((f) => f.t > stopT && f.priority === 0);
      if (zero === undefined) throw new Error(`${daemon}: no priority-0 advert from A after SIGTERM`);
      const handover = garp(zero.t, B_MAC, 'B takes over after priority 0');
      fig.graceful.push(handover - zero.t);
      const gap = pinger.outage(stopT, handover + SETTLE_MS / 1000);
      fig.outage.push(clientOutageSeconds(gap, PING_INTERVAL_MS));

      await b.stop();
    }
    const frames = framesOf(client);
    const windows = steady.map(([from, to]) => advertLateness(frames.filter((f) => f.kind === 'vrrp' && f.src === A_IP && f.t >= from && f.t <= to), 1));
    fig.lateness = { samples: windows.flatMap((w) => w.samples), breaks: windows.reduce((n, w) => n + w.breaks, 0) };
    return fig;
  } finally {
    await lab.destroy();
  }
}
