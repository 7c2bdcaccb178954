// A VRRP pair in the lab with either daemon on either node: one config spec rendered for both
// (they read the same keepalived.conf), one handle for both (lab/keepalived.ts and lab/vrrpd.ts
// already share their shape), a client that pings the VIP continuously, and the wire helpers the
// failover measurements share (wait for a node's advert, act at a fixed phase after it).
import type { Result } from '../src/types.js';
import { err, ok } from '../src/types.js';
import { advertsFrom, type Capture, type Frame, type VrrpFrame } from './capture.js';
import { renderKeepalivedConfig, startKeepalived } from './keepalived.js';
import { LAB_VIP, type Lab } from './netns.js';
import { sleep, wallClockSeconds, type ExitInfo, type TrackedProcess } from './process.js';
import { startVrrpd } from './vrrpd.js';

export type PairDaemon = 'keepalived' | 'vrrpd';
export type PairRole = 'master' | 'backup';

/** RFC 3768 §6.1 with advert_int 1 (seconds). */
export const PAIR_PRIORITY: Readonly<Record<PairRole, number>> = { master: 150, backup: 100 };
export const skewTime = (priority: number): number => (256 - priority) / 256;
export const masterDownInterval = (priority: number): number => 3 + skewTime(priority);

/**
 * The pair's keepalived.conf, the same for both daemons: `state MASTER` priority 150 on the master,
 * `state BACKUP` priority 100 on the backup; VRID 51, advert_int 1, PASS 1111, the lab's VIP.
 */
export function pairConfig(role: PairRole, routerId = role === 'master' ? 'NodeA' : 'NodeB', globalLines: readonly string[] = []): string {
  return renderKeepalivedConfig({
    routerId,
    globalLines,
    instances: [
      {
        state: role === 'master' ? 'MASTER' : 'BACKUP',
        vrid: 51,
        priority: PAIR_PRIORITY[role],
        advertInt: 1,
        authPass: '1111',
        vips: [LAB_VIP],
      },
    ],
  });
}

/** What a test needs from either daemon. */
export interface PairNode {
  readonly daemon: PairDaemon;
  readonly host: string;
  readonly pid: number;
  readonly process: TrackedProcess;
  /** The daemon's own directory (its pidfile, and vrrpd's control socket beside it). */
  readonly dir: string;
  /** Log messages (keepalived's without its timestamp prefix, vrrpd's pino `msg`), one per output line. */
  logLines(): string[];
  logMark(): number;
  waitForLog(pattern: RegExp, opts: { timeoutMs: number; since?: number }): Promise<Result<string, string>>;
  waitForState(instance: string, state: 'MASTER' | 'BACKUP' | 'FAULT', opts: { timeoutMs: number; since?: number }): Promise<Result<string, string>>;
  /** Wall-clock seconds at which the first message matching `pattern` (from `since` on) reached us. */
  loggedAt(pattern: RegExp, since?: number): number | undefined;
  /** SIGTERM and wait for the exit (a MASTER sends priority 0 first). */
  stop(timeoutMs?: number): Promise<ExitInfo>;
  /** SIGKILL (keepalived: its VRRP child and parent), no priority 0: the VIP stays behind. */
  crash(timeoutMs?: number): Promise<ExitInfo>;
}

/** `vrrpdBin`: another checkout's bin/vrrpd in place of this one's (the bench's --baseline). */
export async function startNode(lab: Lab, host: string, daemon: PairDaemon, configText: string, vrrpdBin?: string): Promise<Result<PairNode, string>> {
  const started =
    daemon === 'keepalived'
      ? await startKeepalived(lab, host, configText)
      : await startVrrpd(lab, host, configText, vrrpdBin === undefined ? {} : { bin: vrrpdBin });
  if (!started.ok) return err(started.error);
  const d = started.value;
  return ok({
    daemon,
    host,
    pid: d.pid,
    process: d.process,
    dir: d.dir,
    logLines: () => d.logLines(),
    logMark: () => d.logMark(),
    waitForLog: (p, o) => d.waitForLog(p, o),
    waitForState: (i, s, o) => d.waitForState(i, s, o),
    loggedAt: (pattern, since = 0) => {
      // logLines() maps process.lines one to one, so an index in one is an index in the other.
      const messages = d.logLines();
      for (let i = since; i < messages.length; i++) {
        pattern.lastIndex = 0;
        if (pattern.test(messages[i] ?? '')) {
          const at = d.process.lines[i]?.at;
          return at === undefined ? undefined : at / 1000;
        }
      }
      return undefined;
    },
    stop: (t) => d.stop(t),
    crash: (t) => d.crash(t),
  });
}

// ---------------------------------------------------------------------------------------------
// The client's view: a ping every few ms, and the longest silence in a window

export interface Pinger {
  readonly process: TrackedProcess;
  readonly intervalMs: number;
  /** The replies so far: ping's own -D timestamp (wall-clock seconds) and icmp_seq. */
  replies(): Reply[];
  /** The longest run without a reply around [fromT, toT]; open when no reply came after toT yet. */
  outage(fromT: number, toT: number): Outage;
  /** Seconds since the last reply (Infinity before the first). */
  silenceNow(): number;
}

export interface Reply {
  readonly t: number;
  readonly seq: number;
}

export interface Outage {
  /** Seconds between the replies around the gap; one interval when nothing was lost. */
  readonly seconds: number;
  /** Pings sent in the gap and never answered (icmp_seq difference − 1; at the end: unknown, −1). */
  readonly lost: number;
  /** Last reply before the gap, first reply after it (undefined if still open). */
  readonly from: number;
  readonly to: number | undefined;
}

const REPLY = /^\[(\d+\.\d+)\] \d+ bytes from [\d.]+: icmp_seq=(\d+)/;

/** Longest gap between consecutive replies that overlaps [fromT, toT] (pure, for unit use too). */
export function longestGap(replies: readonly Reply[], fromT: number, toT: number): Outage {
  let best: Outage = { seconds: 0, lost: 0, from: fromT, to: fromT };
  let previous: Reply | undefined;
  for (const r of replies) {
    if (previous !== undefined && r.t >= fromT && previous.t <= toT && r.t - previous.t > best.seconds) {
      // icmp_seq is 16 bits and wraps.
      best = { seconds: r.t - previous.t, lost: ((r.seq - previous.seq + 0x10000) % 0x10000) - 1, from: previous.t, to: r.t };
    }
    previous = r;
  }
  // Still silent at toT: the silence so far counts, open-ended.
  if (previous === undefined) return { seconds: toT - fromT, lost: -1, from: fromT, to: undefined };
  if (previous.t < toT && toT - previous.t > best.seconds) best = { seconds: toT - previous.t, lost: -1, from: previous.t, to: undefined };
  return best;
}

/**
 * What the client lost: the reply gap less one ping interval (a gap of one interval is no outage),
 * and 0 when no ping went unanswered (under load the pinger itself can stall without a loss).
 */
export function clientOutageSeconds(outage: Outage, intervalMs: number): number {
  return outage.lost === 0 ? 0 : Math.max(0, outage.seconds - intervalMs / 1000);
}

/**
 * `ping -D` from a host every `intervalMs`. iputils 20221126 turns `-i 0.01` into a 16 ms period
 * (its own rounding) while 0.009 gives 9 ms, so ask for 9 ms to get "every 10 ms" or better.
 */
export function startPinger(lab: Lab, host: string, ip: string, intervalMs = 9): Pinger {
  const proc = lab.spawn(host, ['ping', '-n', '-D', '-i', (intervalMs / 1000).toFixed(3), ip]);
  const replies = (): Reply[] =>
    proc.stdoutLines().flatMap((l) => {
      const m = REPLY.exec(l);
      return m === null ? [] : [{ t: Number(m[1]), seq: Number(m[2]) }];
    });
  return {
    process: proc,
    intervalMs,
    replies,
    outage: (fromT, toT) => longestGap(replies(), fromT, toT),
    silenceNow: () => {
      const last = replies().at(-1);
      return last === undefined ? Number.POSITIVE_INFINITY : wallClockSeconds() - last.t;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The wire

/** The first advert from `src` captured after `afterT`, polling the capture every 5 ms. */
export async function nextAdvert(capture: Capture, src: string, afterT: number, timeoutMs = 3000): Promise<Result<VrrpFrame, string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frames = capture.framesSoFar();
    if (!frames.ok) return err(frames.error);
    const found = advertsFrom(frames.value, src).find((f) => f.t > afterT);
    if (found !== undefined) return ok(found);
    if (Date.now() > deadline) return err(`no advert from ${src} after t=${afterT.toFixed(3)} within ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** Sleep until wall-clock second `t` (no-op if it is past). */
export async function sleepUntil(t: number): Promise<void> {
  const ms = (t - wallClockSeconds()) * 1000;
  if (ms > 0) await sleep(ms);
}

/**
 * Wait for the next advert from `src` and return `offsetMs` after it: an event (kill, link down)
 * placed at the same phase of the advert cycle in every run, so an outage that depends on where in
 * that cycle the master died compares between runs.
 */
export async function atAdvertPhase(capture: Capture, src: string, offsetMs: number): Promise<Result<VrrpFrame, string>> {
  const advert = await nextAdvert(capture, src, wallClockSeconds());
  if (advert.ok) await sleepUntil(advert.value.t + offsetMs / 1000);
  return advert;
}

export function framesOf(capture: Capture): Frame[] {
  const r = capture.framesSoFar();
  if (!r.ok) throw new Error(r.error);
  return r.value;
}
