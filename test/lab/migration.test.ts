// Issue 5 item 2, the rolling migration: a keepalived pair serves the VIP (A MASTER 150, B BACKUP
// 100, each with its own keepalived.conf: etc/node-a.conf and etc/node-b.conf); B's keepalived is
// replaced by vrrpd reading the very same file, the VIP fails over to B gracefully, then A's
// keepalived is replaced the same way and A takes the VIP back. A client pings the VIP every ~10 ms
// throughout; each step may cost it at most one graceful handover (Skew_Time) and the VIP is on
// exactly one node after each step.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { advertsFrom, firstGarpAfter, startCapture, type Capture } from '../../lab/capture.js';
import { startKeepalived, type Keepalived } from '../../lab/keepalived.js';
import { createLab, LAB_VIP, labAvailable, NODE_A, NODE_B, pairLabSpec, type Lab } from '../../lab/netns.js';
import { framesOf, PAIR_PRIORITY, skewTime, startPinger, type Outage, type Pinger } from '../../lab/pair.js';
import { sleep, wallClockSeconds } from '../../lab/process.js';
import { repoRoot, startVrrpd, type Vrrpd } from '../../lab/vrrpd.js';
import { A_IP, unwrap } from '../helpers/lab.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();
const skipped = available.ok ? '' : ` (skipped: ${available.reason})`;
const SKEW_B = skewTime(PAIR_PRIORITY.backup);
/** The bound for a step: one graceful handover plus 50 ms. */
const STEP_BOUND = SKEW_B + 0.05;
/** How long the new vrrpd backup is watched behind keepalived's adverts: past its Master_Down_Interval. */
const WATCH_MS = 4500;
const SETTLE_MS = 300;

const etc = (name: string): string => readFileSync(join(repoRoot(), 'etc', name), 'utf8');

const msText = (s: number): string => (s * 1000).toFixed(1);
const describeOutage = (o: Outage): string =>
  o.lost === 0 ? `no ping lost (longest reply gap ${msText(o.seconds)} ms)` : `${msText(outageSeconds(o))} ms (${o.lost} pings lost, reply gap ${msText(o.seconds)} ms)`;
/** The client's ping period. */
const PING_INTERVAL_MS = 9;
/**
 * As in the matrix: the reply gap less the one interval any two replies are apart anyway, and 0 with
 * no ping lost (then the gap is the pinger's own scheduling, not an outage).
 */
const outageSeconds = (o: Outage): number => (o.lost === 0 ? 0 : Math.max(0, o.seconds - PING_INTERVAL_MS / 1000));

describeUnless(!available.ok)(`rolling migration keepalived -> vrrpd, node by node, same config files${skipped}`, () => {
  let lab: Lab;
  let capture: Capture;
  let pinger: Pinger;
  let kaA: Keepalived;
  let kaB: Keepalived;
  let vdA: Vrrpd | undefined;
  let vdB: Vrrpd | undefined;
  const steps: string[] = [];

  const holders = async (): Promise<string[]> =>
    (await Promise.all(['a', 'b'].map(async (h) => ((await lab.hasAddress(h, LAB_VIP)) ? [h] : [])))).flat();

  /** On a failure, everything the four daemons said. */
  const logs = (): string =>
    (
      [
        ['keepalived a', kaA?.logLines()],
        ['keepalived b', kaB?.logLines()],
        ['vrrpd a', vdA?.logLines()],
        ['vrrpd b', vdB?.logLines()],
      ] satisfies [string, string[] | undefined][]
    )
      .map(([who, lines]) => `--- ${who} ---\n${(lines ?? []).slice(-40).join('\n')}`)
      .join('\n');

  async function diagnosed(body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (e) {
      console.error(`migration step failed: ${e instanceof Error ? e.message : String(e)}\n${logs()}`);
      throw e;
    }
  }

  beforeAll(async () => {
    lab = await createLab(pairLabSpec());
    capture = unwrap(await startCapture(lab, 'client'));
    pinger = startPinger(lab, 'client', LAB_VIP, PING_INTERVAL_MS);
    kaA = unwrap(await startKeepalived(lab, 'a', etc('node-a.conf')));
    kaB = unwrap(await startKeepalived(lab, 'b', etc('node-b.conf')));
    unwrap(await kaA.waitForState('VI_1', 'MASTER', { timeoutMs: 6000 }));
    unwrap(await kaB.waitForState('VI_1', 'BACKUP', { timeoutMs: 2000 }));
    await sleep(SETTLE_MS);
  }, 20_000);

  afterAll(async () => {
    console.log(`rolling migration, the client's outage per step (ping every ~10 ms):\n${steps.join('\n')}`);
    await lab?.destroy();
  }, 20_000);

  it('step 0: the keepalived pair serves the VIP from A', async () => {
    await diagnosed(async () => {
      expect(await holders()).toEqual(['a']);
      expect(pinger.silenceNow()).toBeLessThan(0.1);
    });
  });

  it("step 1: keepalived on B is replaced by vrrpd on B's unchanged file: no ping lost, B stays BACKUP", async () => {
    await diagnosed(async () => {
      const fromT = wallClockSeconds();
      expect(await kaB.stop()).toEqual({ code: 0, signal: null });
      vdB = unwrap(await startVrrpd(lab, 'b', '', { configFile: kaB.configPath }));
      expect(vdB.configPath).toBe(kaB.configPath);
      unwrap(await vdB.waitForLog(/^\(VI_1\) Entering BACKUP STATE \(init\)$/, { timeoutMs: 2000 }));
      await sleep(WATCH_MS);
      expect(vdB.logLines()).not.toContain('(VI_1) Entering MASTER STATE');
      const outage = pinger.outage(fromT, wallClockSeconds());
      steps.push(`  1. B: keepalived -> vrrpd (backup replaced):   ${describeOutage(outage)}`);
      expect(outage.lost).toBe(0);
      expect(await holders()).toEqual(['a']);
    });
  }, 15_000);

  it(`step 2: keepalived on A stops (SIGTERM): vrrpd on B takes over, outage <= Skew_Time + 50 ms`, async () => {
    await diagnosed(async () => {
      if (vdB === undefined) throw new Error('step 1 did not start vrrpd on B');
      const since = vdB.logMark();
      const stopT = wallClockSeconds();
      const [exit, master] = await Promise.all([kaA.stop(), vdB.waitForState('VI_1', 'MASTER', { timeoutMs: 3000, since })]);
      unwrap(master);
      expect(exit).toEqual({ code: 0, signal: null });
      await sleep(SETTLE_MS);
      const garp = firstGarpAfter(framesOf(capture), LAB_VIP, stopT, NODE_B.mac);
      expect(garp, "vrrpd B's GARP").toBeDefined();
      const outage = pinger.outage(stopT, (garp?.t ?? stopT) + SETTLE_MS / 1000);
      steps.push(`  2. A: keepalived stopped, B (vrrpd) takes over: ${describeOutage(outage)} (bound ${msText(STEP_BOUND)} ms)`);
      expect(outageSeconds(outage)).toBeLessThanOrEqual(STEP_BOUND);
      expect(await holders()).toEqual(['b']);
    });
  }, 15_000);

  it("step 3: vrrpd on A's unchanged file preempts vrrpd on B, outage <= Skew_Time + 50 ms (expected ~0)", async () => {
    await diagnosed(async () => {
      if (vdB === undefined) throw new Error('step 1 did not start vrrpd on B');
      const since = vdB.logMark();
      const startT = wallClockSeconds();
      vdA = unwrap(await startVrrpd(lab, 'a', '', { configFile: kaA.configPath }));
      unwrap(await vdA.waitForState('VI_1', 'MASTER', { timeoutMs: 8000 }));
      unwrap(await vdB.waitForState('VI_1', 'BACKUP', { timeoutMs: 2000, since }));
      await sleep(SETTLE_MS);
      const frames = framesOf(capture);
      const garp = firstGarpAfter(frames, LAB_VIP, startT, NODE_A.mac);
      expect(garp, "vrrpd A's GARP").toBeDefined();
      expect(advertsFrom(frames, A_IP).find((f) => f.t > startT)?.priority).toBe(150);
      const outage = pinger.outage(startT, (garp?.t ?? startT) + SETTLE_MS / 1000);
      steps.push(`  3. A: vrrpd started, preempts B:                ${describeOutage(outage)} (bound ${msText(STEP_BOUND)} ms)`);
      expect(outageSeconds(outage)).toBeLessThanOrEqual(STEP_BOUND);
      expect(await holders()).toEqual(['a']);
      expect(pinger.silenceNow()).toBeLessThan(0.1);
    });
  }, 15_000);
});
