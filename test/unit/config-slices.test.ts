// slices.ts: a tree handed from the config reader's worker to the event loop a part at a time comes
// back equal to what was sent, whatever its shape, and no part is much larger than SLICE_NODES.
import { isDeepStrictEqual } from 'node:util';
import { deserialize } from 'node:v8';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { benchConfig } from '../../bench/config-gen.js';
import { parseConfigText } from '../../src/config/load.js';
import { fromSlices, SLICE_NODES, toSlices } from '../../src/config/slices.js';

/** Values in a tree as one part holds it (what deserializing it allocates). */
function values(v: unknown): number {
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v) || v instanceof Map) return 1;
  return 1 + (Array.isArray(v) ? v : Object.values(v)).reduce((n: number, x) => n + values(x), 0);
}

async function roundTrip(value: unknown, nodes?: number): Promise<{ back: unknown; parts: number; largest: number }> {
  const slices = toSlices(value, nodes);
  const largest = Math.max(...slices.parts.map((p) => values(deserialize(p))));
  return { back: await fromSlices(slices), parts: slices.parts.length, largest };
}

describe('slices', () => {
  it('the 1000-instance config comes back equal, in parts of about SLICE_NODES values', async () => {
    const loaded = parseConfigText(benchConfig(), 'bench.conf');
    const { back, parts, largest } = await roundTrip(loaded);
    expect(isDeepStrictEqual(back, loaded)).toBe(true);
    expect(parts).toBeGreaterThan(50);
    expect(largest).toBeLessThan(SLICE_NODES + 100);
  });

  it('a list of 99,000 objects, arrays of arrays, empty ones, leaves that are not plain (Buffer, Map), undefined fields', async () => {
    const tree = {
      long: Array.from({ length: 99_000 }, (_, i) => ({ address: `10.0.${i >> 8}.${i & 255}`, pos: { file: 'f', line: i }, noDad: i % 2 === 0, dev: undefined })),
      nested: [[1, [2, [3, []]]], [], {}],
      leaves: { buffer: Buffer.from('abc'), map: new Map([['a', 1]]), nothing: null },
      strings: Array.from({ length: 5000 }, (_, i) => `s${i}`),
    };
    const { back, largest } = await roundTrip(tree);
    expect(isDeepStrictEqual(back, tree)).toBe(true);
    expect(largest).toBeLessThan(SLICE_NODES + 100);
  });

  it('random trees of plain objects and arrays, with tiny parts: always equal', async () => {
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, tie('leaf'), tie('array'), tie('object')),
      leaf: fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined)),
      array: fc.array(tie('node'), { maxLength: 12 }),
      // Prototype-less objects become plain ones in any structured clone: not a config's case.
      object: fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), tie('node'), { maxKeys: 6, noNullPrototype: true }),
    })).node;
    await fc.assert(
      fc.asyncProperty(tree, fc.integer({ min: 1, max: 8 }), async (value, nodes) => {
        expect(isDeepStrictEqual((await roundTrip(value, nodes)).back, value)).toBe(true);
      }),
      { numRuns: 300, seed: 46 },
    );
  });
});
