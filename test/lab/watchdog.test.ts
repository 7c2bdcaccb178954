// An event-loop stall (issue "Proof": a synchronous busy loop injected through the daemon's test
// hook VRRPD_TEST_STALL_MS) is what systemd's watchdog is for: the daemon's WATCHDOG=1 pings come
// from the event loop, so they stop for as long as the loop is stuck - and so do its adverts. With
// WatchdogSec=1s systemd would have restarted it. There is no systemd in the lab: a datagram socket
// stands in for NOTIFY_SOCKET and records when each ping arrives.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { advertsFrom, startCapture } from '../../lab/capture.js';
import { createLab, labAvailable, pairLabSpec, type Lab } from '../../lab/netns.js';
import { pairConfig } from '../../lab/pair.js';
import { sleep, spawnTracked, type TrackedProcess } from '../../lab/process.js';
import { startVrrpd } from '../../lab/vrrpd.js';
import { A_IP, unwrap } from '../helpers/lab.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();
const WATCHDOG_USEC = 1_000_000;
const STALL_MS = 3000;

describeUnless(!available.ok)(`an event-loop stall stops the watchdog pings${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  let lab: Lab | undefined;
  let listener: TrackedProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-watchdog-test-'));
  afterAll(async () => {
    await lab?.destroy();
    await listener?.stop(500);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`a ${STALL_MS} ms busy loop: no WATCHDOG=1 and no advert for that long (WatchdogSec=1s would restart it)`, async () => {
    const socketPath = join(dir, 'notify.sock');
    const script = `import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps([0, 'bound']), flush=True)
while True:
    m = s.recv(4096).decode()
    print(json.dumps([time.time(), m]), flush=True)
`;
    listener = unwrap(spawnTracked(['python3', '-c', script, socketPath]));
    unwrap(await listener.waitForLine(/"bound"/, { timeoutMs: 3000 }));
    lab = await createLab(pairLabSpec());
    const capture = unwrap(await startCapture(lab, 'client'));
    const a = unwrap(
      await startVrrpd(lab, 'a', pairConfig('master').replace('priority 150', 'priority 255'), {
        env: { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: String(WATCHDOG_USEC), VRRPD_TEST_STALL_MS: String(STALL_MS), VRRPD_TEST_STALL_AFTER_MS: '2500' },
      }),
    );
    unwrap(await a.waitForState('VI_1', 'MASTER', { timeoutMs: 3000 }));
    unwrap(await a.waitForLog(/^test hook: blocking the event loop/, { timeoutMs: 5000 }));
    await sleep(STALL_MS + 1500);
    const pings = listener.stdoutLines()
      .map((l) => JSON.parse(l) as [number, string])
      .filter(([, m]) => m.split('\n').includes('WATCHDOG=1'))
      .map(([t]) => t);
    const gaps = pings.slice(1).map((t, i) => t - (pings[i] ?? t));
    const adverts = advertsFrom(unwrap(await capture.stop()), A_IP).map((f) => f.t);
    const advertGaps = adverts.slice(1).map((t, i) => t - (adverts[i] ?? t));
    console.info(`watchdog pings ${pings.length}, longest gap ${Math.max(...gaps).toFixed(3)} s; adverts ${adverts.length}, longest gap ${Math.max(...advertGaps).toFixed(3)} s`);
    // Outside the stall a ping every WATCHDOG_USEC/2; inside it none for the whole stall.
    expect(gaps.filter((g) => g < 0.75).length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...gaps)).toBeGreaterThan(STALL_MS / 1000 - 0.1);
    expect(Math.max(...gaps)).toBeGreaterThan(WATCHDOG_USEC / 1e6);
    expect(Math.max(...advertGaps)).toBeGreaterThan(STALL_MS / 1000 - 0.1);
    // And once the loop runs again, so do the pings.
    expect(pings.at(-1) ?? 0).toBeGreaterThan((adverts.at(-1) ?? Infinity) - 1.5);
  }, 30_000);
});
