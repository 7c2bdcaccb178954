// The fault suite (issue 7 item 2), each fault on a fresh pair (A MASTER 150, B BACKUP 100, VRID
// 51, advert_int 1): tc netem loss and reordering (without sch_netem: nftables loss and a reordering
// relay, lab/netem.ts) with vrrpd and keepalived side by side (two labs
// at once, the same loss), link flapping, the interface deleted and recreated, the VIP deleted by
// someone else, SIGSTOP/SIGCONT of the master, hung track and notify scripts. Short form for CI;
// VRRPD_LONG=1 holds the loss for 60 s as the issue asks. Figures are printed as `FAULTS ...`.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { clearAdvertLoss, clearNetem, deleteInterface, ifindexOf, netemAvailable, recreateInterface, setAdvertLoss, setNetem, startAdvertReorder, type NetemSpec, type ReorderCounts } from '../../lab/netem.js';
import { createLab, LAB_VIP, labAvailable, pairLabSpec, type Lab } from '../../lab/netns.js';
import { pairConfig, startNode, type PairDaemon, type PairNode } from '../../lab/pair.js';
import { sleep, wallClockSeconds } from '../../lab/process.js';
import { unwrap } from '../helpers/lab.js';
import { describeUnless } from '../helpers/unmet.js';

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

/** A's adverts reordered by a relay for `seconds`; the transitions of both nodes and the reorderer's counts. */
async function underReorder(daemon: PairDaemon, percent: number, seconds: number): Promise<{ transitions: string[]; counts: ReorderCounts }> {
  return withPair(daemon, async (p) => {
    const marks = [p.a.logMark(), p.b.logMark()] as const;
    const reorder = unwrap(await startAdvertReorder(p.lab, 'a', percent, seconds + 5));
    await sleep(seconds * 1000);
    const counts = unwrap(await reorder.stop());
    await sleep(1500);
    return { transitions: [...transitionsSince(p.a, marks[0]), ...transitionsSince(p.b, marks[1])], counts };
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

describeUnless(!available.ok)(`fault suite${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
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
    `reordering for ${LOSS_SECONDS} s: no transition for either daemon`,
    async () => {
      if (await hasNetem()) {
        const spec: NetemSpec = { delayMs: 10, reorderPercent: 25 };
        const [v, k] = await Promise.all([underNetem('vrrpd', spec, LOSS_SECONDS, true), underNetem('keepalived', spec, LOSS_SECONDS, true)]);
        report(`reorder (netem, 25 % overtake a 10 ms delay): vrrpd ${v.a.length + v.b.length} transitions; keepalived ${k.a.length + k.b.length}`);
        expect([...v.a, ...v.b]).toEqual([]);
        expect([...k.a, ...k.b]).toEqual([]);
        return;
      }
      // No sch_netem: half the master's adverts are held back until the next one has overtaken
      // them (lab/reorder-relay.py), so the backup sees adverts out of order and up to ~1 s late.
      const [v, k] = await Promise.all([underReorder('vrrpd', 50, LOSS_SECONDS), underReorder('keepalived', 50, LOSS_SECONDS)]);
      report(
        `reorder (relay, 50 % held behind the next advert) ${LOSS_SECONDS}s: vrrpd ${v.transitions.length} transitions, ${v.counts.overtaken} of ${v.counts.passed + v.counts.held} adverts reordered; keepalived ${k.transitions.length}, ${k.counts.overtaken} of ${k.counts.passed + k.counts.held}`,
      );
      // The reordering happened (it could silently not: a rule that matched nothing).
      expect(v.counts.overtaken).toBeGreaterThan(0);
      expect(k.counts.overtaken).toBeGreaterThan(0);
      expect(v.transitions).toEqual([]);
      expect(k.transitions).toEqual([]);
    },
    LOSS_SECONDS * 1000 + 60_000,
  );
});

/** Seconds until `probe` is true (polling every 50 ms), or undefined after `timeoutMs`. */
async function secondsUntil(probe: () => Promise<boolean>, timeoutMs: number): Promise<number | undefined> {
  const t0 = wallClockSeconds();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return wallClockSeconds() - t0;
    await sleep(50);
  }
  return undefined;
}

/**
 * The pair's config with extra lines in VI_1 and top-level text (a vrrp_script) before the
 * instance: keepalived ignores a track_script whose vrrp_script comes later in the file.
 */
function configWith(role: 'master' | 'backup', instanceLines: readonly string[], topLevel = ''): string {
  const base = pairConfig(role);
  return base.replace(/(vrrp_instance VI_1 \{\n)/, `${topLevel}\n$1${instanceLines.map((l) => `    ${l}\n`).join('')}`);
}

describeUnless(!available.ok)(`fault suite, single faults${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  /** Someone (`ip addr del`) removes the VIP from the MASTER: seconds until it is back, what A logged. */
  const vipDeleted = (daemon: PairDaemon): Promise<{ back: number | undefined; logged: string[] }> =>
    withPair(daemon, async (p) => {
      const mark = p.a.logMark();
      unwrap(await execIn(p.lab, 'a', ['ip', 'addr', 'del', `${LAB_VIP}/32`, 'dev', 'eth0']));
      const back = await secondsUntil(() => p.lab.hasAddress('a', LAB_VIP), 3000);
      const logged = p.a.logLines().slice(mark);
      report(`VIP deleted (${daemon}): restored after ${back === undefined ? 'never (3 s)' : `${back.toFixed(3)} s`}; A logged: ${JSON.stringify(logged.slice(0, 10))}`);
      expect(p.a.process.running()).toBe(true);
      return { back, logged };
    });

  it('the VIP deleted by someone else while MASTER (keepalived): restored within one advert interval', async () => {
    const { back, logged } = await vipDeleted('keepalived');
    expect(back).toBeLessThan(1);
    expect(logged[0]).toBe(`Netlink reflector reports IP ${LAB_VIP} removed from eth0`);
  }, 40_000);

  // Found by this suite (A kept advertising without the VIP); now put back at once, without the
  // transition keepalived makes (Instance.addressRemoved).
  it('the VIP deleted by someone else while MASTER (vrrpd): restored and logged within one advert interval, no transition', async () => {
    const { back, logged } = await vipDeleted('vrrpd');
    expect(back).toBeLessThan(1);
    expect(logged).toContain(`(VI_1) VIP ${LAB_VIP} was removed from eth0 by someone else while MASTER - restoring it`);
    expect(logged.filter((l) => /Entering (BACKUP|FAULT) STATE/.test(l))).toEqual([]);
  }, 40_000);

  it(
    'SIGSTOP of the vrrpd master for 5 s, then SIGCONT: B takes over once, A takes back, one VIP holder',
    async () => {
      await withPair('vrrpd', async (p) => {
        const [aMark, bMark] = [p.a.logMark(), p.b.logMark()];
        process.kill(p.a.pid, 'SIGSTOP');
        const took = await secondsUntil(() => p.lab.hasAddress('b', LAB_VIP), 6000);
        await sleep(5000 - (took ?? 0) * 1000);
        process.kill(p.a.pid, 'SIGCONT');
        const contT = wallClockSeconds();
        const ok = await converged(p, 8000);
        const settled = wallClockSeconds() - contT;
        report(`SIGSTOP 5 s: B MASTER after ${took?.toFixed(3)} s; after SIGCONT converged=${ok} (${settled.toFixed(1)} s incl. 1.5 s hold); A ${JSON.stringify(transitionsSince(p.a, aMark))} B ${JSON.stringify(transitionsSince(p.b, bMark))}`);
        // SIGSTOP lands 0..1 s after A's last advert: B takes over 2.6..3.6 s later.
        expect(took).toBeGreaterThan(2.5);
        expect(ok).toBe(true);
        expect(transitionsSince(p.b, bMark)).toEqual(['(VI_1) Entering MASTER STATE', '(VI_1) Entering BACKUP STATE']);
      });
    },
    40_000,
  );

  it.each(['vrrpd', 'keepalived'] as const)(
    'link flapping on the master, 10 times in 10 s (%s): the pair converges afterwards',
    async (daemon) => {
      await withPair(daemon, async (p) => {
        const [aMark, bMark] = [p.a.logMark(), p.b.logMark()];
        for (let i = 0; i < 10; i++) {
          await p.lab.setLink('a', 'down');
          await sleep(500);
          await p.lab.setLink('a', 'up');
          await sleep(500);
        }
        const ok = await converged(p, 10_000);
        report(`link flap x10 (${daemon}): converged=${ok}; A ${transitionsSince(p.a, aMark).length} transitions, B ${transitionsSince(p.b, bMark).length}`);
        expect(ok).toBe(true);
      });
    },
    60_000,
  );

  /**
   * Found by this suite (vrrpd): after the interface is recreated (new ifindex) the VRRP
   * socket used to stay on the old ifindex (`send to 224.0.0.18: No such device`, nothing received,
   * B a second MASTER); now reopened on the new one (daemon.ts followRecreatedLink), as keepalived does.
   */
  const recreatedUnderBackup = async (daemon: PairDaemon): Promise<void> => {
    await withPair(daemon, async (p) => {
        const bMark = p.b.logMark();
        const before = await ifindexOf(p.lab, 'b');
        unwrap(await deleteInterface(p.lab, 'b'));
        await sleep(1500);
        unwrap(await recreateInterface(p.lab, 'b'));
        const after = await ifindexOf(p.lab, 'b');
        // If B's socket no longer receives (old ifindex, group not re-joined), B becomes a second
        // MASTER within Master_Down_Interval; wait well past it.
        await sleep(6000);
        const bLines = p.b.logLines().slice(bMark);
        const holders = await vipHolders(p.lab);
        report(`iface recreated under B (${daemon}): ifindex ${before} -> ${after}; VIP holders ${holders.join('+')}; B ${JSON.stringify(bLines.filter((l) => TRANSITION.test(l) || /eth0|interface|socket/i.test(l)).slice(0, 8))}`);
        expect(after).not.toBe(before);
        expect(p.b.process.running()).toBe(true);
        expect(holders).toEqual(['a']);
        expect(bLines.filter((l) => /Entering MASTER STATE/.test(l))).toEqual([]);
      });
  };
  it('the interface deleted and recreated under the backup (keepalived): it hears the master again', () => recreatedUnderBackup('keepalived'), 40_000);
  it('the interface deleted and recreated under the backup (vrrpd): it hears the master again', () => recreatedUnderBackup('vrrpd'), 40_000);

  const recreatedUnderMaster = async (daemon: PairDaemon): Promise<void> => {
    await withPair(daemon, async (p) => {
      const [aMark, bMark] = [p.a.logMark(), p.b.logMark()];
      unwrap(await deleteInterface(p.lab, 'a'));
      unwrap(await p.b.waitForState('VI_1', 'MASTER', { timeoutMs: 6000, since: bMark }));
      unwrap(await recreateInterface(p.lab, 'a'));
      const ok = await converged(p, 15_000);
      const aLines = p.a.logLines().slice(aMark);
      report(`iface recreated under A (${daemon}): converged=${ok}; holders ${(await vipHolders(p.lab)).join('+')}; A ${JSON.stringify(aLines.slice(0, 20))} B ${JSON.stringify(p.b.logLines().slice(bMark, bMark + 20))}`);
      expect(p.a.process.running()).toBe(true);
      expect(ok).toBe(true);
    });
  };
  // vrrpd reopens its socket on the new ifindex (followRecreatedLink), A comes back through BACKUP
  // and preempts B. keepalived 2.2.7: A logs `Entering BACKUP STATE` after the interface returns,
  // then nothing: it neither preempts B (150 > 100) nor times out to MASTER; B keeps the VIP.
  it('the interface deleted and recreated under the master (vrrpd): it takes the VIP back and advertises', () => recreatedUnderMaster('vrrpd'), 40_000);
  it.fails('the interface deleted and recreated under the master (keepalived 2.2.7 stays BACKUP): it takes the VIP back and advertises', () => recreatedUnderMaster('keepalived'), 40_000);
});


async function execIn(lab: Lab, host: string, argv: readonly string[]): Promise<{ ok: true; value: string } | { ok: false; error: string }> {
  const r = await lab.exec(host, argv, { timeoutMs: 5000 });
  return r.code === 0 ? { ok: true, value: r.stdout } : { ok: false, error: `${argv.join(' ')}: ${r.stderr}` };
}

describeUnless(!available.ok)(`fault suite, hung scripts${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  /** A script that never returns, in a root-owned directory of its own (script security). */
  const hangingScript = (): { path: string; cleanup: () => void } => {
    const dir = mkdtempSync(join(tmpdir(), 'vrrpd-hang-'));
    const path = join(dir, 'hang.sh');
    writeFileSync(path, '#!/bin/sh\nexec sleep 1000\n');
    chmodSync(path, 0o755);
    return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  };

  it.each(['vrrpd', 'keepalived'] as const)(
    'a hung track script (timeout 2) on the master (%s): counted as failed, A never MASTER, B keeps the VIP, SIGTERM still exits',
    async (daemon) => {
      const script = hangingScript();
      try {
        const top = `vrrp_script chk_hang {\n    script "${script.path}"\n    interval 1\n    timeout 2\n    fall 1\n    rise 1\n}\n`;
        const lab = await createLab(pairLabSpec());
        try {
          const b = unwrap(await startNode(lab, 'b', daemon, pairConfig('backup')));
          unwrap(await b.waitForState('VI_1', 'MASTER', { timeoutMs: 6000 }));
          const a = unwrap(await startNode(lab, 'a', daemon, configWith('master', ['track_script {', '    chk_hang', '}'], top)));
          const t0 = wallClockSeconds();
          const fault = await a.waitForState('VI_1', 'FAULT', { timeoutMs: 8000 });
          const faultAfter = wallClockSeconds() - t0;
          await sleep(2000);
          const aLines = a.logLines();
          report(`hung track script (${daemon}): A FAULT ${fault.ok ? `${faultAfter.toFixed(2)} s after start` : 'never'}; A MASTER ever: ${aLines.some((l) => /Entering MASTER STATE/.test(l))}; lines ${JSON.stringify(aLines.filter((l) => /chk_hang|timed|FAULT|fault|VI_1/.test(l)).slice(0, 8))}`);
          // The hung script counts as failed: A never becomes MASTER, B keeps the VIP.
          expect(aLines.some((l) => /Entering MASTER STATE/.test(l))).toBe(false);
          expect(aLines.some((l) => /VRRP_Script\(chk_hang\) timed_out/.test(l))).toBe(true);
          expect(await vipHolders(lab)).toEqual(['b']);
          // Still responsive: SIGTERM ends it promptly despite the script hanging.
          const exit = await a.stop(5000);
          expect(exit.code).toBe(0);
        } finally {
          await lab.destroy();
        }
      } finally {
        script.cleanup();
      }
    },
    40_000,
  );

  it.each(['vrrpd', 'keepalived'] as const)(
    'a hung notify_master script (%s): the master keeps advertising, B never takes over, SIGTERM still exits',
    async (daemon) => {
      const script = hangingScript();
      try {
        await withPair(
          daemon,
          async (p) => {
            const bMark = p.b.logMark();
            await sleep(6000);
            expect(transitionsSince(p.b, bMark)).toEqual([]);
            expect(await vipHolders(p.lab)).toEqual(['a']);
            const t0 = wallClockSeconds();
            const exit = await p.a.stop(5000);
            report(`hung notify_master (${daemon}): B stayed BACKUP 6 s; A SIGTERM exit ${exit.code} after ${(wallClockSeconds() - t0).toFixed(2)} s`);
            expect(exit.code).toBe(0);
          },
          (role) => (role === 'master' ? configWith('master', [`notify_master "${script.path}"`]) : pairConfig(role)),
        );
      } finally {
        script.cleanup();
      }
    },
    40_000,
  );
});
