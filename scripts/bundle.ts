// node dist/scripts/bundle.js [OUTDIR]: the JavaScript bin/vrrpd runs, bundled by rolldown from
// tsc's dist/src into OUTDIR (default dist/bundle): one file per entry (cli.js, and the config
// loader's worker thread, load-worker.js) plus one chunk per dynamic import(), so what the command
// line loads lazily (the daemon, -t's checks, `vrrpd status`'s client, the metrics exporter) stays
// lazy. Why a bundle: Node resolves, reads and links each ES module on its own; vrrpd's command line
// was ~60 of them, and loading them was most of `vrrpd -t` (docs/development.md "The bundle").
//
// Not bundled: Node's own modules (the addon is loaded by path, src/native/path.ts). Not
// minified: stack traces in the daemon's crash log keep vrrpd's function names.
// The output is the same for the same input (release.sh compares it with a fresh build).
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export async function bundle(outDir: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  await build({
    input: {
      cli: join(root, 'dist/src/cli.js'),
      'load-worker': join(root, 'dist/src/config/load-worker.js'),
    },
    platform: 'node',
    external: [/^node:/],
    logLevel: 'warn',
    output: {
      dir: outDir,
      format: 'esm',
      minify: false,
      // Names without a content hash: the same tree from every build, and readable stack traces.
      chunkFileNames: '[name].js',
      entryFileNames: '[name].js',
      comments: { legal: true, annotation: false, jsdoc: false },
    },
  });
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
