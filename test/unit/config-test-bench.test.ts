// The benchmark's generated config (bench/config-gen.ts) must be what the bench says it is — 1000
// clean instances — or `npm run bench:config` would time an error path. No timing here: timing
// targets live in bench/, never in tests.
import { describe, expect, it } from 'vitest';
import { BENCH_CONFIG, benchAddress, benchConfig } from '../../bench/config-gen.js';
import { parseConfigText } from '../../src/config/load.js';
import { checkLabAddress } from '../../lab/netns.js';

describe('bench config', () => {
  const r = parseConfigText(benchConfig(), 'bench.conf');

  it('parses without errors into 4 x 250 instances with 2 VIPs each', () => {
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const instances = r.config?.instances ?? [];
    expect(instances).toHaveLength(1000);
    expect(new Set(instances.map((i) => `${i.interface}/${i.vrid}`)).size).toBe(1000);
    expect(new Set(instances.map((i) => i.interface))).toEqual(new Set(BENCH_CONFIG.interfaces));
    expect(instances.every((i) => i.vips.length === 2)).toBe(true);
  });

  it("an interface's VIPs are distinct, and all in the documentation ranges", () => {
    for (const ifname of BENCH_CONFIG.interfaces) {
      const vips = (r.config?.instances ?? []).filter((i) => i.interface === ifname).flatMap((i) => i.vips.map((v) => v.address));
      expect(vips).toHaveLength(500);
      expect(new Set(vips).size).toBe(500);
      for (const v of vips) expect(checkLabAddress(`${v}/32`)).toBeUndefined();
    }
  });

  it('benchAddress refuses to leave the documentation ranges', () => {
    expect(benchAddress(0)).toBe('192.0.2.1');
    expect(benchAddress(254)).toBe('198.51.100.1');
    expect(benchAddress(3 * 254 - 1)).toBe('203.0.113.254');
    expect(() => benchAddress(3 * 254)).toThrow(/out of range/);
  });
});
