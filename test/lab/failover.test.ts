// The seed's pair, for real: two vrrpd processes with etc/node-a.conf and etc/node-b.conf in two
// namespaces on a bridge, a client watching with tcpdump and its neighbour table. Timings are
// measured on the client's capture (the wire), not taken from the daemons' own logs.
import { realpathSync } from 'node:fs';
import { expect, it } from 'vitest';
import { garpsFor } from '../../lab/capture.js';
import { LAB_VIP, labAvailable } from '../../lab/netns.js';
import { sleep } from '../../lab/process.js';
import { startVrrpd, type Vrrpd } from '../../lab/vrrpd.js';
import { A_IP, B_IP, A_MAC, B_MAC, advertsFrom, expectPreemptBack, MASTER_DOWN_B, seedConfig, SKEW_B, takeoverAfter, unwrap, usePairLab } from '../helpers/lab.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();
/** How much later than the protocol's own interval the takeover may be seen on the wire. */
const SLACK = 0.1;

describeUnless(!available.ok)(`seed pair failover with two vrrpd${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  const pair = usePairLab();
  const { frames, vipMac } = pair;
  let a: Vrrpd;
  let b: Vrrpd;

  it('(a) A becomes MASTER, holds the VIP, the client sees A\'s MAC and a ping answers', async () => {
    // A first: started after B, a slow Node start-up (> 195 ms, the two timers' difference) would
    // let B's Master_Down timer fire first and B take the VIP before A preempts it.
    a = unwrap(await startVrrpd(pair.lab, 'a', seedConfig('node-a.conf')));
    b = unwrap(await startVrrpd(pair.lab, 'b', seedConfig('node-b.conf')));
    // Both daemons run on the suite's own Node line (bin/vrrpd execs `node` from PATH, which
    // scripts/with-node sets): the same binary as this test's.
    for (const d of [a, b]) expect(realpathSync(`/proc/${d.pid}/exe`)).toBe(realpathSync(process.execPath));
    unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 6000 }));
    await sleep(300);
    expect(await pair.lab.hasAddress('a', LAB_VIP)).toBe(true);
    expect(await pair.lab.hasAddress('b', LAB_VIP)).toBe(false);
    expect(b.logLines()).toContain('(VI_1) Entering BACKUP STATE (init)');
    expect(b.logLines()).not.toContain('(VI_1) Entering MASTER STATE');
    expect(await vipMac()).toBe(A_MAC);
    const ping = await pair.lab.ping('client', LAB_VIP, { count: 3, intervalMs: 200, timeoutMs: 3000 });
    expect(ping.received).toBe(3);
    // The adverts on the wire are the seed's: VRID 51, priority 150, TTL 255, from A's own address.
    const adverts = advertsFrom(frames(), A_IP);
    expect(adverts.length).toBeGreaterThan(0);
    expect(adverts[0]).toMatchObject({ vrid: 51, priority: 150, ttl: 255, tos: 0xc0, authType: 1, authData: '1111', addresses: [LAB_VIP] });
    expect(advertsFrom(frames(), B_IP)).toHaveLength(0);
  }, 15_000);

  it('(a\') the new master sends 5 gratuitous ARPs at once and 5 more garp_master_delay (5 s) later', async () => {
    const garpsFromA = () => garpsFor(frames(), LAB_VIP, A_MAC);
    const first = garpsFromA()[0];
    expect(first).toBeDefined();
    const firstAdvert = advertsFrom(frames(), A_IP)[0];
    // keepalived's order (docs/reference/keepalived-behaviour.md#becoming-master): the advert
    // first, then the VIP, then the burst.
    expect(firstAdvert && first && firstAdvert.t <= first.t).toBe(true);
    const waitMs = ((first?.t ?? 0) + 5.3) * 1000 - Date.now();
    if (waitMs > 0) await sleep(waitMs);
    const times = garpsFromA().map((f) => f.t - (first?.t ?? 0));
    expect(times.filter((t) => t < 0.1)).toHaveLength(5);
    const second = times.filter((t) => t > 4.9 && t < 5.1);
    expect(second).toHaveLength(5);
    expect(times).toHaveLength(10);
  }, 10_000);

  it('(b) SIGKILL A: B holds the VIP within Master_Down_Interval + 100 ms, the client moves to B', async () => {
    const since = b.logMark();
    await a.crash();
    unwrap(await b.waitForState('VI_1', 'MASTER', { timeoutMs: 6000, since }));
    await sleep(300);
    const all = frames();
    const lastA = advertsFrom(all, A_IP).at(-1);
    expect(lastA).toBeDefined();
    const takeover = takeoverAfter(all, lastA?.t ?? 0, B_MAC);
    console.info(`(b) hard takeover: A's last advert -> B's first GARP ${(takeover * 1000).toFixed(1)} ms (Master_Down_Interval ${MASTER_DOWN_B * 1000} ms)`);
    expect(takeover).toBeGreaterThan(MASTER_DOWN_B - 0.02);
    expect(takeover).toBeLessThan(MASTER_DOWN_B + SLACK);
    expect(await pair.lab.hasAddress('b', LAB_VIP)).toBe(true);
    expect(await vipMac()).toBe(B_MAC);
    expect((await pair.lab.ping('client', LAB_VIP, { count: 2, intervalMs: 200, timeoutMs: 3000 })).received).toBe(2);
  }, 15_000);

  it('(d) A restarted: it clears the VIP the crash left, preempts, and B gives the VIP back', async () => {
    const since = b.logMark();
    a = unwrap(await startVrrpd(pair.lab, 'a', seedConfig('node-a.conf')));
    expect(a.logLines()).toContain('(VI_1) removing VIPs.');
    expect(a.logLines()).toContain('(VI_1) removed leftover VIP 192.0.2.200/32 from eth0');
    expect(await pair.lab.hasAddress('a', LAB_VIP)).toBe(false);
    unwrap(await a.waitForLog(/^\(VI_1\) Entering BACKUP STATE \(init\)$/, { timeoutMs: 2000 }));
    unwrap(await a.waitForLog(/^\(VI_1\) received lower priority \(100\) advert from 192\.0\.2\.12 - discarding$/, { timeoutMs: 3000 }));
    await expectPreemptBack(pair.lab, a, b, since);
    expect(await vipMac()).toBe(A_MAC);
    expect((await pair.lab.ping('client', LAB_VIP, { count: 2, intervalMs: 200, timeoutMs: 3000 })).received).toBe(2);
  }, 15_000);

  it('(c) SIGTERM A: priority 0 on the wire, B takes over within Skew_Time + 100 ms, A exits 0', async () => {
    const since = b.logMark();
    const exit = await a.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await pair.lab.hasAddress('a', LAB_VIP)).toBe(false);
    unwrap(await b.waitForState('VI_1', 'MASTER', { timeoutMs: 3000, since }));
    await sleep(300);
    const all = frames();
    const zero = advertsFrom(all, A_IP).filter((f) => f.priority === 0).at(-1);
    expect(zero).toBeDefined();
    const takeover = takeoverAfter(all, zero?.t ?? 0, B_MAC);
    console.info(`(c) graceful handover: A's priority-0 advert -> B's first GARP ${(takeover * 1000).toFixed(1)} ms (Skew_Time ${SKEW_B * 1000} ms)`);
    expect(takeover).toBeGreaterThan(SKEW_B - 0.02);
    expect(takeover).toBeLessThan(SKEW_B + SLACK);
    expect(await vipMac()).toBe(B_MAC);
    expect(a.logLines()).toContain('(VI_1) sent 0 priority');
    const bExit = await b.stop();
    expect(bExit.code).toBe(0);
    expect(await pair.lab.hasAddress('b', LAB_VIP)).toBe(false);
  }, 15_000);
});
