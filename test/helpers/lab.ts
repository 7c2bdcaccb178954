// What every lab test names: the pair lab's hosts (lab/netns.ts pairLabSpec) without their prefix
// length, their MACs, the pair's protocol intervals, a Result unwrapper that fails the test with
// the error's own text, the pair lab with its client capture for a describe block, and the
// preemption a restarted master makes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { firstGarpAfter, startCapture, type Capture, type Frame, type VrrpFrame } from '../../lab/capture.js';
import { CLIENT, createLab, LAB_VIP, NODE_A, NODE_B, pairLabSpec, type Lab } from '../../lab/netns.js';
import { masterDownInterval, PAIR_PRIORITY, skewTime, type PairNode } from '../../lab/pair.js';
import { sleep } from '../../lab/process.js';
import { repoRoot } from '../../lab/vrrpd.js';

export { A_IP, B_IP, CLIENT_IP } from '../../lab/netns.js';
export const A_MAC: string = NODE_A.mac;
export const B_MAC: string = NODE_B.mac;
export const CLIENT_MAC: string = CLIENT.mac;

/** RFC 3768 §6.1 with advert_int 1 (seconds): what node B (priority 100) waits after a priority 0. */
export const SKEW_B = skewTime(PAIR_PRIORITY.backup);
/** What node B waits without one: 3 × advert_int + Skew_Time. */
export const MASTER_DOWN_B = masterDownInterval(PAIR_PRIORITY.backup);
/** Node A's (priority 150), which it waits out in BACKUP (init) before its first advert. */
export const MASTER_DOWN_A = masterDownInterval(PAIR_PRIORITY.master);

export function unwrap<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** A config of the seed pair under etc/ (node-a.conf, node-b.conf). */
export const seedConfig = (name: string): string => readFileSync(join(repoRoot(), 'etc', name), 'utf8');

/** The VRRP frames a capture saw from `src`. */
export const advertsFrom = (frames: readonly Frame[], src: string): VrrpFrame[] =>
  frames.filter((f): f is VrrpFrame => f.kind === 'vrrp' && f.src === src);

/** Seconds from `fromT` (capture time) to the first GARP for the VIP from `mac` after it: a takeover on the wire. */
export function takeoverAfter(frames: readonly Frame[], fromT: number, mac: string): number {
  const garp = firstGarpAfter(frames, LAB_VIP, fromT, mac);
  expect(garp, `a GARP for ${LAB_VIP} from ${mac} after t=${fromT}`).toBeDefined();
  return (garp?.t ?? 0) - fromT;
}

/** The pair lab of a describe block and what its client's tcpdump saw. */
export interface PairLabUse {
  /** The lab; only from the block's own hooks and tests on (its beforeAll creates it). */
  readonly lab: Lab;
  /** tcpdump on the client, from before the block's first test. */
  readonly capture: Capture;
  /** Every frame the client's capture has decoded so far. */
  frames(): Frame[];
  /** The MAC the client's neighbour table has for the VIP. */
  vipMac(): Promise<string | undefined>;
}

/**
 * The pair lab (lab/netns.ts pairLabSpec) with tcpdump on the client, for the describe block this
 * is called in: created by a beforeAll registered here (so a later beforeAll of the block finds it
 * up), destroyed after the block's tests, also when one fails.
 */
export function usePairLab(): PairLabUse {
  let lab: Lab | undefined;
  let capture: Capture | undefined;
  const up = (): { lab: Lab; capture: Capture } => {
    if (lab === undefined || capture === undefined) throw new Error('the pair lab is not up: its beforeAll failed or has not run');
    return { lab, capture };
  };
  beforeAll(async () => {
    lab = await createLab(pairLabSpec());
    capture = unwrap(await startCapture(lab, 'client'));
  }, 20_000);
  afterAll(async () => {
    await lab?.destroy();
  }, 20_000);
  return {
    get lab() {
      return up().lab;
    },
    get capture() {
      return up().capture;
    },
    frames: () => unwrap(up().capture.framesSoFar()),
    vipMac: async () => (await up().lab.neigh('client', LAB_VIP))?.mac,
  };
}

/**
 * `a`, just restarted with node A's priority 150, preempts `b`: A becomes MASTER, B hears its
 * higher priority (from `since`, a mark of B's log) and goes back to BACKUP, and the VIP is on A
 * alone.
 */
export async function expectPreemptBack(lab: Lab, a: Pick<PairNode, 'waitForState'>, b: Pick<PairNode, 'waitForState' | 'waitForLog'>, since: number): Promise<void> {
  unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 6000 }));
  unwrap(await b.waitForLog(/^\(VI_1\) Master received advert from 192\.0\.2\.11 with higher priority 150, ours 100$/, { timeoutMs: 2000, since }));
  unwrap(await b.waitForState('VI_1', 'BACKUP', { timeoutMs: 3000, since }));
  await sleep(300);
  expect(await lab.hasAddress('a', LAB_VIP)).toBe(true);
  expect(await lab.hasAddress('b', LAB_VIP)).toBe(false);
}
