// A poll error on the addon's timerfds (libuv stops a uv_poll handle on EPOLLERR, so those timers
// would never fire again) must not leave a MASTER silent: the daemon logs it, counts it
// (vrrpd_timer_errors_total), moves its protocol timers to setTimeout and sends every advert from
// JS. epoll cannot be made to report an error on a timerfd, so the test hook
// VRRPD_TEST_TIMER_POLL_ERROR_AFTER_MS runs the same path in the addon.
import { afterAll, expect, it } from 'vitest';
import { advertsFrom, startCapture } from '../../lab/capture.js';
import { createLab, labAvailable, pairLabSpec, type Lab } from '../../lab/netns.js';
import { pairConfig } from '../../lab/pair.js';
import { sleep } from '../../lab/process.js';
import { startVrrpd } from '../../lab/vrrpd.js';
import { A_IP, unwrap } from '../helpers/lab.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();
const METRICS = '127.0.0.1:9653';

describeUnless(!available.ok)(`a poll error on the native timers${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  let lab: Lab | undefined;
  afterAll(async () => {
    await lab?.destroy();
  });

  it('is logged and counted, and the MASTER advertises on, once a second', async () => {
    lab = await createLab(pairLabSpec());
    const capture = unwrap(await startCapture(lab, 'client'));
    const a = unwrap(
      await startVrrpd(lab, 'a', pairConfig('master').replace('priority 150', 'priority 255'), {
        env: { VRRPD_TEST_TIMER_POLL_ERROR_AFTER_MS: '2500' },
        extraArgs: ['--metrics-listen', METRICS],
      }),
    );
    unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 3000 }));
    unwrap(await a.waitForLog(/^poll\(timerfd\): Input\/output error \(EIO\): protocol timers moved to setTimeout/, { timeoutMs: 5000 }));
    unwrap(await a.waitForLog(/^poll\(repeater timerfd\): Input\/output error \(EIO\): adverts all sent from JS$/, { timeoutMs: 1000 }));
    const failedAt = performance.now();
    await sleep(5000);
    const r = await lab.exec('a', ['curl', '-sS', '--max-time', '5', `http://${METRICS}/metrics`], { timeoutMs: 10_000 });
    expect(r.stdout).toMatch(/^vrrpd_timer_errors_total 2$/m);
    const adverts = advertsFrom(unwrap(await capture.stop()), A_IP).map((f) => f.t);
    const last = adverts.at(-1) ?? 0;
    // The capture's clock is not ours: the adverts of the last 4.5 s are all after the error.
    const after = adverts.filter((t) => t > last - 4.5);
    const gaps = after.slice(1).map((t, i) => t - (after[i] ?? t));
    console.info(`after the poll error (${(performance.now() - failedAt).toFixed(0)} ms ago): ${after.length} adverts, gaps ${gaps.map((g) => g.toFixed(3)).join(' ')} s`);
    expect(after.length).toBeGreaterThanOrEqual(4);
    for (const g of gaps) expect(g).toBeGreaterThan(0.95);
    for (const g of gaps) expect(g).toBeLessThan(1.1);
  }, 30_000);
});
