// node dist/scripts/bundle.js [OUTDIR]: the JavaScript bin/vrrpd runs, bundled by rolldown from
// tsc's dist/src into OUTDIR (default dist/bundle), CommonJS, one file each:
//   vrrpd.js        the program: cli/main.js and everything it imports, dynamic imports included,
//                   wrapped as Node wraps a CommonJS module (only cli.js runs it)
//   cli.js          the entry (src/cli.ts): runs vrrpd.js from V8's code cache of it
//                   (src/host/compile-cache.ts); vrrpd.js's sha256 is written into it here
//   load-worker.js  the config reader's worker thread (config/load-thread.ts)
//   package.json    {"type":"commonjs"} for the three
// Why one CommonJS file: Node compiles, links and evaluates every ES module on its own, and its
// compile cache keeps only what was compiled before a module ran; one script run through
// vm.Script takes a code cache of everything start-up ran (docs/development.md "The bundle and the
// code cache"). Not bundled: Node's own modules (the addon is loaded by path, src/native/path.ts).
// Not minified: stack traces in the daemon's crash log keep vrrpd's function names.
// The output is the same for the same input (release.sh compares it with a fresh build).
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Module } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const PLACEHOLDER = '@@VRRPD_PROGRAM_HASH@@';

/**
 * Every character beyond ASCII as a \\u escape, which means the same in a string, a template, a
 * regular expression, an identifier and a comment: V8 keeps a source with one such character as a
 * two-byte string (the program held twice its size, 1.6 MB, for the process's life).
 */
export function asciiOnly(text: string): string {
  return text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Bundles `input` into OUTDIR/name, ASCII only and then `finish`ed; returns the file's text. */
async function bundleOne(input: string, outDir: string, name: string, finish: (text: string) => string = (t) => t): Promise<string> {
  await build({
    input: join(root, 'dist/src', input),
    platform: 'node',
    external: [/^node:/],
    logLevel: 'warn',
    output: {
      dir: outDir,
      format: 'cjs',
      codeSplitting: false,
      minify: false,
      entryFileNames: name,
      comments: { legal: true, annotation: false, jsdoc: false },
    },
  });
  const file = join(outDir, name);
  const text = finish(asciiOnly(readFileSync(file, 'utf8')));
  writeFileSync(file, text);
  return text;
}

export async function bundle(outDir: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  // Wrapped here as Node wraps a CommonJS module (Module.wrap), so that the entry hands the file's
  // text to V8 as it is: one copy of the program's source in memory, not two.
  const program = await bundleOne('cli/main.js', outDir, 'vrrpd.js', (text) => Module.wrap(text));
  const hash = createHash('sha256').update(program).digest('hex');
  await bundleOne('config/load-worker.js', outDir, 'load-worker.js');
  await bundleOne('cli.js', outDir, 'cli.js', (text) => {
    if (!text.includes(PLACEHOLDER)) throw new Error(`dist/bundle/cli.js has no ${PLACEHOLDER} to write the program's hash into`);
    return text.replace(PLACEHOLDER, hash);
  });
  writeFileSync(join(outDir, 'package.json'), '{ "type": "commonjs" }\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const out = resolve(process.argv[2] ?? join(root, 'dist', 'bundle'));
  bundle(out).then(
    () => undefined,
    (e: unknown) => {
      console.error(`bundle: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
