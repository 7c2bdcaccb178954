// The scale half of `npm run bench`: one lab host with 4 interfaces on 4 segments, one daemon with
// `instances` VRRP instances spread over them (VRIDs 1..n per interface, up to 250 each; 1000 = 4 x
// 250), every one `state MASTER` priority 150, advert_int 1, alone on its segment, so every
// instance is MASTER and sends an advert a second: the load. Once all are MASTER, two windows:
// 1. `seconds` from that moment with a capture of each interface (tcpdump in the host): the
//    lateness of every advert, every state transition logged (each one is spurious: nobody else is
//    there), and the CPU meanwhile, reported as "while captured".
// 2. Then the steady state with nothing watching (up to CPU_WINDOW_MAX_S): CPU time of the daemon
//    (keepalived: parent + VRRP child summed, all threads). A tcpdump tap is paid inside the
//    sender's sendto (the kernel clones each frame to the capture socket in the sender's context):
//    ~2 points of a core at 1000 instances added alike to both daemons, which hid their ratio.
// RSS is the max of 1 s samples over both.
import { startCapture, type Capture, type Frame } from '../lab/capture.js';
import { startKeepalived, renderKeepalivedConfig, type KeepalivedInstanceSpec } from '../lab/keepalived.js';
import { advertLateness, procStats, type Lateness } from '../lab/measure.js';
import { createLab, type LabSpec } from '../lab/netns.js';
import type { PairDaemon } from '../lab/pair.js';
import { sleep, waitUntil, wallClockSeconds } from '../lab/process.js';
import { startVrrpd } from '../lab/vrrpd.js';
import { benchAddress } from './config-gen.js';

export const SCALE_INTERFACES = ['eth0', 'eth1', 'eth2', 'eth3'] as const;
const PER_INTERFACE = 250;

export interface ScaleFigures {
  readonly daemon: PairDaemon;
  readonly instances: number;
  /** Spawn -> the last instance logged MASTER, seconds. */
  readonly allMasterS: number;
  readonly seconds: number;
  readonly rssMaxBytes: number;
  /** The CPU window's length (no capture running, after the capture window), seconds. */
  readonly cpuWindowS: number;
  /** CPU time over wall time in the CPU window, percent of one core. */
  readonly cpuPercent: number;
  /** The CPU time itself (the scheduler's ns count, lab/measure.ts), seconds. */
  readonly cpuSeconds: number;
  /** Wake-ups per second in the CPU window (voluntary context switches, all threads). */
  readonly wakeupsPerS: number;
  /** CPU in the capture window, from all MASTER on (start-up transients and the taps' cost in), % of a core. */
  readonly capturedCpuPercent: number;
  readonly lateness: Lateness;
  /**
   * The same from STEADY_AFTER_S into the window on: without the start-up transients, chiefly the
   * garp_master_delay round (5 s after MASTER every instance sends its GARPs again, all at once).
   */
  readonly steadyLateness: Lateness;
  readonly adverts: number;
  /** State changes logged in either window. */
  readonly transitions: number;
  /**
   * Frames tcpdump says the kernel dropped from its ring (whole capture, a little longer than the
   * window). Each one turns a period into a ~1000 ms "late" one: a capture with drops cannot be
   * trusted for lateness, which is why the bench says so next to the figure.
   */
  readonly captureDrops: number;
}

/** VRIDs per interface: all on eth0 up to 250 (255 -> 250 + 5), else spread evenly. */
export function layout(instances: number): number[] {
  if (instances < 1 || instances > SCALE_INTERFACES.length * 255) throw new Error(`instances must be 1..${SCALE_INTERFACES.length * 255}`);
  if (instances % SCALE_INTERFACES.length === 0 && instances / SCALE_INTERFACES.length <= PER_INTERFACE && instances >= 100) {
    return SCALE_INTERFACES.map(() => instances / SCALE_INTERFACES.length);
  }
  const out: number[] = [];
  let left = instances;
  for (let i = 0; i < SCALE_INTERFACES.length && left > 0; i++) {
    const n = Math.min(left, i === 0 ? 255 : PER_INTERFACE);
    out.push(n);
    left -= n;
  }
  return out;
}

/**
 * When the instances' adverts fall in the second. `together`: all priority 150, so all become MASTER
 * after the same Master_Down_Interval and their adverts stay bunched (the issue's layout). `spread`:
 * priorities 1..253 in a scrambled order, so Skew_Time spreads their takeovers, and with them their
 * advert phases, over ~1 s, as for routers that took over at different moments. A daemon that
 * coalesces timers (vrrpd's Adver_Timer grid) gains most from the first.
 */
export type Phases = 'together' | 'spread';

export function spreadPriority(index: number): number {
  return 1 + ((index * 97) % 253);
}

export function scaleConfig(instances: number, phases: Phases = 'together'): string {
  const specs: KeepalivedInstanceSpec[] = [];
  layout(instances).forEach((n, i) => {
    const ifname = SCALE_INTERFACES[i] ?? 'eth0';
    for (let vrid = 1; vrid <= n; vrid++) {
      const priority = phases === 'spread' ? spreadPriority(specs.length) : 150;
      specs.push({ name: `VI_${ifname}_${vrid}`, state: 'MASTER', interface: ifname, vrid, priority, advertInt: 1, authPass: 'bench', vips: [benchAddress(vrid - 1)] });
    }
  });
  return renderKeepalivedConfig({ routerId: 'bench', instances: specs });
}

const scaleLab = (): LabSpec => ({
  hosts: [
    {
      name: 'n',
      // The node's own addresses are outside the VIPs' range (benchAddress: 192.0.2.x, 198.51.100.x first).
      interfaces: SCALE_INTERFACES.map((name, i) => ({ name, segment: `s${i}`, addresses: [`203.0.113.${11 + i}/24`] })),
    },
  ],
});

const MASTER = / Entering MASTER STATE/;
/** garp_master_delay (5 s) and one period more. */
export const STEADY_AFTER_S = 6;
/** The capture-free CPU window: the whole `seconds`, up to this. */
export const CPU_WINDOW_MAX_S = 60;
const TRANSITION = / Entering (MASTER|BACKUP|FAULT) STATE/;

export async function measureScale(
  daemon: PairDaemon,
  instances: number,
  seconds: number,
  progress: (s: string) => void,
  phases: Phases = 'together',
  /** Another checkout's bin/vrrpd (the bench's --baseline). */
  vrrpdBin?: string,
): Promise<ScaleFigures> {
  const config = scaleConfig(instances, phases);
  const used = layout(instances).length;
  const lab = await createLab(scaleLab());
  try {
    progress(`${daemon}, ${instances} instance(s): starting`);
    const spawnT = wallClockSeconds();
    const startTimeoutMs = 60_000;
    let logLines: () => string[];
    let pids: () => number[];
    if (daemon === 'keepalived') {
      const k = await startKeepalived(lab, 'n', config, { startTimeoutMs });
      if (!k.ok) throw new Error(k.error);
      logLines = () => k.value.logLines();
      pids = () => {
        const child = k.value.vrrpChildPid();
        return child === undefined ? [k.value.pid] : [k.value.pid, child];
      };
    } else {
      const v = await startVrrpd(lab, 'n', config, { startTimeoutMs, ...(vrrpdBin === undefined ? {} : { bin: vrrpdBin }) });
      if (!v.ok) throw new Error(v.error);
      logLines = () => v.value.logLines();
      pids = () => [v.value.pid];
    }
    const masters = (): number => logLines().filter((l) => MASTER.test(l)).length;
    if (!(await waitUntil(() => masters() >= instances, { timeoutMs: 60_000, intervalMs: 50 }))) {
      throw new Error(`${daemon}: only ${masters()} of ${instances} instances became MASTER within 60 s`);
    }
    const allMasterS = wallClockSeconds() - spawnT;
    const expectPids = daemon === 'keepalived' ? 2 : 1;
    if (pids().length !== expectPids) throw new Error(`${daemon}: expected ${expectPids} process(es), found ${pids().length}`);

    const sample = (): { t: number; cpuSeconds: number; rssBytes: number; wakeups: number } => {
      const st = procStats(pids());
      if (st === undefined) throw new Error(`${daemon}: its process is gone`);
      return { t: wallClockSeconds(), cpuSeconds: st.cpuSeconds, rssBytes: st.rssBytes, wakeups: st.wakeups };
    };
    /** Sleep through `length` s from `start`, keeping the RSS max; the last sample. */
    let rssMax = 0;
    const through = async (start: { t: number }, length: number) => {
      let now = sample();
      while (now.t - start.t < length) {
        await sleep(Math.min(1000, (length - (now.t - start.t)) * 1000));
        now = sample();
        rssMax = Math.max(rssMax, now.rssBytes);
      }
      return now;
    };

    // Window 1, from the moment all are MASTER: lateness and transitions on a capture of each interface.
    const captures: Capture[] = [];
    for (const iface of SCALE_INTERFACES.slice(0, used)) {
      // 250 instances that went MASTER together send their adverts in the same ms; libpcap's default
      // 2 MiB ring dropped part of such bursts (for both daemons: p99 swung 4.5 .. 844 ms run to run).
      const c = await startCapture(lab, 'n', { iface, filter: 'vrrp', bufferKiB: 32 * 1024 });
      if (!c.ok) throw new Error(c.error);
      captures.push(c.value);
    }
    progress(`${daemon}, ${instances} instance(s): all MASTER after ${allMasterS.toFixed(1)} s, measuring ${seconds} s`);
    const mark = logLines().length;
    const s0 = sample();
    const t0 = s0.t;
    const s1 = await through(s0, seconds);
    const t1 = s1.t;
    const transitions = logLines().slice(mark).filter((l) => TRANSITION.test(l)).length;
    const frameSets: Frame[][] = [];
    let captureDrops = 0;
    for (const c of captures) {
      const frames = await c.stop();
      if (!frames.ok) throw new Error(frames.error);
      captureDrops += c.kernelDrops() ?? 0;
      frameSets.push(frames.value);
    }

    // Window 2, the steady state with nothing watching: CPU.
    const cpuWindowS = Math.min(seconds, CPU_WINDOW_MAX_S);
    progress(`${daemon}, ${instances} instance(s): CPU without capture for ${cpuWindowS} s`);
    const c0 = sample();
    const c1 = await through(c0, cpuWindowS);

    const lateness: number[] = [];
    const steady: number[] = [];
    let breaks = 0;
    let adverts = 0;
    for (const [i, frames] of frameSets.entries()) {
      // Only the window: frames after t0 (the capture started a little before it).
      const inWindow: Frame[] = frames.filter((f) => f.t >= t0 && f.t <= t1);
      adverts += inWindow.filter((f) => f.kind === 'vrrp').length;
      const l = advertLateness(inWindow, 1, String(i));
      for (const x of l.samples) lateness.push(x);
      for (const x of advertLateness(inWindow.filter((f) => f.t >= t0 + STEADY_AFTER_S), 1, String(i)).samples) steady.push(x);
      breaks += l.breaks;
    }
    return {
      daemon,
      instances,
      allMasterS,
      seconds: t1 - t0,
      rssMaxBytes: rssMax,
      cpuWindowS: c1.t - c0.t,
      cpuPercent: ((c1.cpuSeconds - c0.cpuSeconds) / (c1.t - c0.t)) * 100,
      cpuSeconds: c1.cpuSeconds - c0.cpuSeconds,
      wakeupsPerS: (c1.wakeups - c0.wakeups) / (c1.t - c0.t),
      capturedCpuPercent: ((s1.cpuSeconds - s0.cpuSeconds) / (t1 - t0)) * 100,
      lateness: { samples: lateness, breaks },
      steadyLateness: { samples: steady, breaks: 0 },
      adverts,
      transitions,
      captureDrops,
    };
  } finally {
    await lab.destroy();
  }
}
