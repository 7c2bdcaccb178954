// `vrrpd -D -f FILE` without -n, as the seed's systemd unit (Type=forking) runs it: the command
// returns 0 once the detached daemon is up and its pidfile written; the daemon then does its job
// and a SIGTERM to the PID in the pidfile stops it cleanly.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLab, LAB_VIP, labAvailable, pairLabSpec, type Lab } from '../../lab/netns.js';
import { pidAlive, signalPid, waitUntil } from '../../lab/process.js';
import { repoRoot, vrrpdCli } from '../../lab/vrrpd.js';
import { describeUnless } from '../helpers/unmet.js';

const available = labAvailable();

describeUnless(!available.ok)(`detached daemon${available.ok ? '' : ` (skipped: ${available.reason})`}`, () => {
  let lab: Lab;
  const dir = mkdtempSync(join(tmpdir(), 'vrrpd-detach-test-'));
  const pidFile = join(dir, 'vrrpd.pid');

  beforeAll(async () => {
    lab = await createLab(pairLabSpec());
  }, 20_000);

  afterAll(async () => {
    // The daemon is not our child: destroy() kills what is left in the lab's namespaces.
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  it('returns 0 once the pidfile is written, holds the VIP, and stops on SIGTERM', async () => {
    const started = Date.now();
    const r = await lab.exec('a', [process.execPath, vrrpdCli(), '-D', '-f', join(repoRoot(), 'etc', 'node-a.conf'), '-p', pidFile], {
      timeoutMs: 10_000,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(Date.now() - started).toBeLessThan(3000); // it did not wait for the Master_Down timer
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(pidAlive(pid)).toBe(true);

    await waitUntil(() => lab.hasAddress('a', LAB_VIP), { timeoutMs: 6000, intervalMs: 100 });
    expect(await lab.hasAddress('a', LAB_VIP)).toBe(true);

    expect(signalPid(pid, 'SIGTERM')).toBe(true);
    await waitUntil(() => !pidAlive(pid), { timeoutMs: 3000, intervalMs: 50 });
    expect(pidAlive(pid)).toBe(false);
    expect(await lab.hasAddress('a', LAB_VIP)).toBe(false);
    expect(existsSync(pidFile)).toBe(false);
  }, 20_000);
});
