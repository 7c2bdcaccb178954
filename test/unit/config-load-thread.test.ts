// loadConfigInWorker (src/config/load-thread.ts), the reload's reader: what comes back from the
// worker thread is exactly what loadConfig gives in-process (the Config survives the structured
// clone); the event loop goes on while a big config is read; a worker out of memory or out of time
// is an error diagnostic, and the process lives. It runs the compiled worker (dist/): a worker
// thread cannot load TypeScript, so run `npm run build` first.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchConfig } from '../../bench/config-gen.js';
import { loadConfig } from '../../src/config/load.js';
import { loadConfigInWorker, type LoadThreadOptions } from '../../src/config/load-thread.js';
import { repoRoot } from '../../lab/vrrpd.js';
import { KEEPALIVED_SAMPLES_DIR } from '../helpers/captures.js';

const workerPath = join(repoRoot(), 'dist', 'src', 'config', 'load-worker.js');
const compiled: LoadThreadOptions = { workerUrl: pathToFileURL(workerPath) };

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vrrpd-load-thread-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Longest the event loop went without running a 5 ms timer, while `work` ran. */
async function loopHeldMs(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let held = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    held = Math.max(held, now - last);
    last = now;
  }, 5);
  await work();
  await new Promise((r) => setTimeout(r, 20));
  clearInterval(timer);
  return held;
}

describe('loadConfigInWorker', () => {
  it('the compiled worker is there (npm run build)', () => {
    expect(existsSync(workerPath), `${workerPath} is missing: run npm run build`).toBe(true);
  });

  it('gives back exactly what loadConfig gives: the bench config, our samples, keepalived\'s, a missing file', async () => {
    const bench = join(dir, 'bench.conf');
    writeFileSync(bench, benchConfig());
    const samples = readdirSync(KEEPALIVED_SAMPLES_DIR).filter((f) => f.startsWith('keepalived.conf')).map((f) => join(KEEPALIVED_SAMPLES_DIR, f));
    const ours = ['node-a.conf', 'node-b.conf', 'vrrpd.conf'].map((f) => join(repoRoot(), 'etc', f));
    for (const path of [bench, ...ours, ...samples, join(dir, 'absent.conf')]) {
      const here = loadConfig(path, { configId: 'lb1' });
      const there = await loadConfigInWorker(path, { configId: 'lb1' }, compiled);
      expect(isDeepStrictEqual(there, here), path).toBe(true);
    }
    expect((await loadConfigInWorker(bench, {}, compiled)).config?.instances).toHaveLength(1000);
  }, 60_000);

  // 90,000 lines of unknown keywords (read whole, 101 diagnostics back); 4000 instances with 2
  // VIPs and a unicast peer each (a 6.6 MB Config back: 100-160 ms of the loop if taken at once).
  const big: Record<string, () => string> = {
    '90,000 lines': () => `${Array.from({ length: 90_000 }, (_, i) => `unknown_${i} 1`).join('\n')}\n`,
    '4000 instances': () =>
      Array.from(
        { length: 4000 },
        (_, i) =>
          `vrrp_instance I${i} {\n interface eth${i % 16}\n virtual_router_id ${(i % 255) + 1}\n unicast_peer {\n  10.1.${i >> 8}.${i & 255}\n }\n` +
          ` priority 100\n authentication {\n  auth_type PASS\n  auth_pass x${i}\n }\n virtual_ipaddress {\n  10.2.${i >> 8}.${i & 255}/24\n  10.3.${i >> 8}.${i & 255}/24\n }\n}\n`,
      ).join(''),
  };
  for (const [name, text] of Object.entries(big)) {
    it(`the event loop goes on while ${name} are read and handed back (in-process, the same read holds it)`, async () => {
      const path = join(dir, 'big.conf');
      writeFileSync(path, text());
      // The best of two: a busy machine's scheduler only ever adds to a gap, never hides one.
      const inWorker = Math.min(
        await loopHeldMs(() => loadConfigInWorker(path, {}, compiled)),
        await loopHeldMs(() => loadConfigInWorker(path, {}, compiled)),
      );
      const inProcess = await loopHeldMs(async () => loadConfig(path));
      console.info(`${name}: event loop held ${inWorker.toFixed(1)} ms with the worker, ${inProcess.toFixed(1)} ms in-process`);
      // The control: read on the event loop, the same config holds it past the bound.
      expect(inProcess).toBeGreaterThan(100);
      expect(inWorker).toBeLessThan(100);
    }, 60_000);
  }

  it('a worker out of memory is an error at line 0, and this process goes on', async () => {
    const path = join(dir, 'bench.conf');
    const r = await loadConfigInWorker(path, {}, { ...compiled, heapMb: 4 });
    expect(r.config).toBeUndefined();
    expect(r.diagnostics).toEqual([{ severity: 'error', pos: { file: path, line: 0 }, message: 'reading the configuration needed more than 4 MB of memory; it was not read' }]);
    expect((await loadConfigInWorker(path, {}, compiled)).config?.instances).toHaveLength(1000);
  }, 60_000);

  it('a worker out of time is stopped: an error at line 0', async () => {
    const path = join(dir, 'bench.conf');
    const t0 = performance.now();
    const r = await loadConfigInWorker(path, {}, { ...compiled, timeoutMs: 1 });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(r.diagnostics).toEqual([{ severity: 'error', pos: { file: path, line: 0 }, message: 'reading the configuration took longer than 0.001 s; it was not read' }]);
  });
});
