// Figures the bench and the lab tests derive from what the lab records: percentiles, the lateness of
// a MASTER's adverts on a capture, and a daemon's memory and CPU time from /proc (by PID, only the
// processes the lab started).
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { Frame } from './capture.js';

/** Nearest-rank percentile (p in 0..100) of a sample; NaN for an empty one. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1] as number;
}

export const median = (xs: readonly number[]): number => percentile(xs, 50);

export interface Lateness {
  /** Seconds each advert came after the previous one of the same router plus advert_int (negative: early). */
  readonly samples: readonly number[];
  /** Gaps of more than 3 intervals (a lost MASTER run, or a restart), not counted as lateness. */
  readonly breaks: number;
}

/**
 * Advert lateness per virtual router (source address + VRID + interface of the capture): the period
 * between two consecutive adverts less advert_int. A gap of 3 intervals or more is a break (the router
 * was not MASTER in between), not a late advert.
 */
export function advertLateness(frames: readonly Frame[], advertIntSeconds: number, key = ''): Lateness {
  const last = new Map<string, number>();
  const samples: number[] = [];
  let breaks = 0;
  for (const f of frames) {
    if (f.kind !== 'vrrp' || f.type !== 1 || f.priority === 0) continue;
    const id = `${key}/${f.src}/${f.vrid}`;
    const prev = last.get(id);
    last.set(id, f.t);
    if (prev === undefined) continue;
    const late = f.t - prev - advertIntSeconds;
    if (late >= 2 * advertIntSeconds) breaks++;
    else samples.push(late);
  }
  return { samples, breaks };
}

export interface ProcStats {
  /** Resident set size summed over the PIDs, bytes. */
  readonly rssBytes: number;
  /**
   * CPU time summed over the PIDs and all their live threads, seconds: the scheduler's own
   * nanosecond count (/proc/PID/task/TID/schedstat), where utime + stime are 10 ms clock ticks (at
   * one instance a 15 s window held 0 or 1 tick). Falls back to the ticks without schedstat.
   */
  readonly cpuSeconds: number;
  /**
   * Voluntary context switches of the same threads: how often they slept and were woken (a
   * daemon's wake-ups; 0 without the per-thread status files).
   */
  readonly wakeups: number;
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** /proc/PID/stat fields after the command name (which may contain spaces and parentheses). */
function statFields(pid: number): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/**
 * Over every live thread of `pid`: nanoseconds on the CPU (undefined without schedstat) and
 * voluntary context switches. A thread that ends between the listing and the read is skipped.
 */
function threadCounters(pid: number): { ns: number | undefined; wakeups: number } {
  let ns: number | undefined = 0;
  let wakeups = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const read = (file: string): string | undefined => {
      try {
        return readFileSync(`/proc/${pid}/task/${tid}/${file}`, 'utf8');
      } catch {
        return undefined;
      }
    };
    const status = read('status');
    if (status === undefined) continue;
    wakeups += Number(/^voluntary_ctxt_switches:\s+(\d+)$/m.exec(status)?.[1] ?? 0);
    const run = Number(read('schedstat')?.split(' ')[0]);
    ns = ns === undefined || !Number.isFinite(run) ? undefined : ns + run;
  }
  return { ns, wakeups };
}

/** RSS and CPU time of these PIDs now; undefined when one of them is gone. */
export function procStats(pids: readonly number[]): ProcStats | undefined {
  let rssBytes = 0;
  let ticks = 0;
  let ns: number | undefined = 0;
  let wakeups = 0;
  try {
    for (const pid of pids) {
      const f = statFields(pid);
      // After "pid (comm) ": state is field 3, utime 14, stime 15 (1-based, man 5 proc).
      ticks += Number(f[11]) + Number(f[12]);
      const rss = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      rssBytes += Number(rss?.[1] ?? 0) * 1024;
      const threads = threadCounters(pid);
      ns = ns === undefined || threads.ns === undefined ? undefined : ns + threads.ns;
      wakeups += threads.wakeups;
    }
  } catch {
    return undefined;
  }
  return { rssBytes, cpuSeconds: ns === undefined ? ticks / ticksPerSecond() : ns / 1e9, wakeups };
}
