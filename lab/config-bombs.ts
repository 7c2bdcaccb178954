// The configs of issue 22 item 2 that exhausted vrrpd's heap or stalled its event loop, each built
// on a seed config (e.g. etc/node-a.conf): the bench (bench/config-limits.ts) and the tests
// (test/lab/reload.test.ts, test/unit/config-test-bad-input.test.ts) use the same ones.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ConfigBomb {
  readonly name: string;
  /** The main file, given the seed config's text. */
  readonly main: (seed: string) => string;
  /** Files beside it (name -> content). */
  readonly extra?: Readonly<Record<string, string>>;
}

const words = (n: number): string => Array<string>(n).fill('y').join(' ');

export const HEAP_KILLER: ConfigBomb = { name: 'heap killer: ~SEQ(i,1,10000) + 60,000 y', main: (s) => `${s}~SEQ(i,1,10000) ${'y'.repeat(60_000)}\n` };

/** 130 lines of 30,000 words: 7.8 MB, inside the 8 MiB a file and the 64 KiB a line. */
export const BIG_INCLUDE: ConfigBomb = {
  name: '7.8 MB include: 130 lines x 30,000 words',
  main: (s) => `${s}include big.inc\n`,
  extra: { 'big.inc': `${Array.from({ length: 130 }, () => words(30_000)).join('\n')}\n` },
};

const unknownKeywords = (n: number): ConfigBomb => ({
  name: `${n.toLocaleString('en')} unknown keywords`,
  main: (s) => `${s}${Array.from({ length: n }, (_, i) => `unknown_${i}`).join('\n')}\n`,
});

/** Under every bound: read whole, then refused for its unknown keywords (listed 100, then one line). */
export const UNKNOWN_90K = unknownKeywords(90_000);

/** Those whose verdict does not depend on this host's files. */
export const CONFIG_BOMBS: readonly ConfigBomb[] = [
  HEAP_KILLER,
  BIG_INCLUDE,
  { name: '~SEQ(i,1,6000) + 60,000 y', main: (s) => `${s}~SEQ(i,1,6000) ${'y'.repeat(60_000)}\n` },
  unknownKeywords(150_000),
  UNKNOWN_90K,
];

/** What it reads depends on the host (here: 404 files, 200,000 lines before the bounds). */
export const USR_SHARE_GLOB: ConfigBomb = { name: 'include /usr/share/*/*/*/*', main: (s) => `${s}include /usr/share/*/*/*/*\n` };

/** Write the bomb's files into `dir` on `seed`; returns the main file's path (DIR/case.conf). */
export function writeBomb(dir: string, bomb: ConfigBomb, seed: string): string {
  for (const [name, text] of Object.entries(bomb.extra ?? {})) writeFileSync(join(dir, name), text);
  const path = join(dir, 'case.conf');
  writeFileSync(path, bomb.main(seed));
  return path;
}
