// Property tests (fast-check) of the config front end: token soups and mutated real configs (our
// etc/ and keepalived's shipped samples). parseConfigText never throws and never falls into its
// internal-error safety net; every diagnostic names a file and a line inside that file (0 = the
// file as a whole); a Config comes back exactly when nothing is an error. VRRPD_LONG=1: 20x runs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { parseConfigText, type LoadResult } from '../../src/config/load.js';
import { applyEdits, edit, samples, soup } from '../helpers/config-corpus.js';

const LONG = process.env['VRRPD_LONG'] === '1';
const SCALE = LONG ? 20 : 1;
const TIMEOUT_MS = LONG ? 1_800_000 : 60_000;

const FILE = 'fuzz.conf';

function checkResult(result: LoadResult, text: string): void {
  const lineCount = text.split('\n').length;
  const hasError = result.diagnostics.some((d) => d.severity === 'error');
  expect(result.config === undefined, 'config iff no error').toBe(hasError);
  for (const d of result.diagnostics) {
    expect(d.message, 'internal error reached').not.toMatch(/^internal error while parsing/);
    expect(d.message.length).toBeGreaterThan(0);
    // file:line — parseConfigText labels everything with the name it was given.
    expect(d.pos.file).toBe(FILE);
    expect(Number.isInteger(d.pos.line) && d.pos.line >= 0 && d.pos.line <= lineCount, `${d.pos.file}:${d.pos.line} of ${lineCount}: ${d.message}`).toBe(
      true,
    );
  }
}

function parse(text: string): LoadResult {
  try {
    return parseConfigText(text, FILE);
  } catch (e) {
    throw new Error(`parseConfigText threw on ${JSON.stringify(text)}: ${String(e)}`);
  }
}

describe('config front end properties', () => {
  it(`has sample configs to mutate (${samples.length})`, () => {
    expect(samples.length).toBeGreaterThanOrEqual(10);
    // The baseline: our own sample configs are clean.
    for (const text of samples.slice(0, 3)) expect(parse(text).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it(
    `token soups: never throws, every diagnostic has file:line (${10_000 * SCALE} runs)`,
    () => {
      fc.assert(
        fc.property(soup, (text) => checkResult(parse(text), text)),
        { numRuns: 10_000 * SCALE, seed: LONG ? undefined : 42 },
      );
    },
    TIMEOUT_MS,
  );

  it(
    `mutated real configs: never throws, every diagnostic has file:line (${8000 * SCALE} runs)`,
    () => {
      let withErrors = 0;
      fc.assert(
        fc.property(fc.nat(samples.length - 1), fc.array(edit, { minLength: 1, maxLength: 5 }), (index, edits) => {
          const text = applyEdits(samples[index] ?? '', edits);
          const result = parse(text);
          checkResult(result, text);
          if (result.config === undefined) withErrors++;
        }),
        { numRuns: 8000 * SCALE, seed: LONG ? undefined : 43 },
      );
      // The edits do break configs (the property is not vacuous over only-valid input).
      expect(withErrors).toBeGreaterThan(400 * SCALE);
    },
    TIMEOUT_MS,
  );
});
