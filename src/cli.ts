// vrrpd's entry, bundled to dist/bundle/cli.js (scripts/bundle.ts): runs the program,
// dist/bundle/vrrpd.js (cli/main.ts and all it imports, one CommonJS file), from V8's code cache of
// it (host/compile-cache.ts), and writes that cache when there was none or V8 refused it. Running
// out of descriptors while reading the program (EMFILE under a low `ulimit -n`) is one sentence and
// exit 1 instead of a stack trace. Unbundled (dist/src/cli.js) it loads cli/main.js as a module.
import { readFileSync } from 'node:fs';
import { Module, createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script, constants } from 'node:vm';
import { commandKind, offerCodeCacheSave, openCodeCache, programFacts, type CodeCache } from './host/compile-cache.js';
import { openFilesLimit, tooManyOpenFiles } from './host/open-files.js';

/** The program's sha256, written here by scripts/bundle.ts; the placeholder means unbundled. */
const PROGRAM_HASH = '@@VRRPD_PROGRAM_HASH@@';

// Read now: once descriptors have run out, opening /proc/self/limits fails too.
const limit = openFilesLimit();

function refuse(e: unknown): void {
  const sentence = tooManyOpenFiles(e, limit);
  if (sentence === undefined) throw e;
  process.stderr.write(`${sentence}\n`);
  process.exitCode = 1;
}

/** Compiles the program (with the cache's code when there is one) and runs it as a CommonJS module. */
function runProgram(path: string): void {
  // The program first: out of descriptors, this is the read that fails (the cache's only goes without).
  const source = readFileSync(path, 'utf8');
  const facts = programFacts(path);
  const kind = commandKind(process.argv.slice(2));
  const cache: CodeCache | undefined =
    facts === undefined ? undefined : openCodeCache(kind, { hash: PROGRAM_HASH, ...facts, nodeVersion: process.version, arch: process.arch });
  const cachedData = cache?.take();
  // The file is wrapped already (scripts/bundle.ts), as Module.wrap would: one copy of it in memory.
  const script = new Script(source, {
    filename: path,
    ...(cachedData === undefined ? {} : { cachedData }),
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const rejected = script.cachedDataRejected === true;
  // Only a missing or refused cache is written: otherwise nothing keeps `script` reachable.
  if (cache?.wanted(rejected) === true) {
    const save = (): void => cache.save(() => script.createCachedData(), rejected);
    // The daemon writes it once it is ready (cli/main.ts), with what start-up compiled; a
    // short-lived command at its exit.
    if (kind === 'daemon') offerCodeCacheSave(save);
    else process.once('exit', save);
  }
  const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  const module = new Module(path);
  module.filename = path;
  run.call(module.exports, module.exports, createRequire(path), module, path, dirname(path));
}

if (PROGRAM_HASH.startsWith('@@')) {
  // A URL made at run time, so that no bundler follows it.
  import(new URL(['cli', 'main.js'].join('/'), import.meta.url).href).catch(refuse);
} else {
  try {
    runProgram(join(dirname(fileURLToPath(import.meta.url)), 'vrrpd.js'));
  } catch (e) {
    refuse(e);
  }
}
