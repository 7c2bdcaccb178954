// vrrpd's entry: the command line is cli-main.ts, loaded here so that running out of descriptors
// while Node loads it (EMFILE under a low `ulimit -n`: the modules are read concurrently) is one
// sentence and exit 1 instead of a stack trace from Node's module loader. The compile cache goes on
// first, so that every module after this one is read from it (host/compile-cache.ts).
import { startCompileCache } from './host/compile-cache.js';
import { openFilesLimit, tooManyOpenFiles } from './host/open-files.js';

startCompileCache();

// Read now: once the loader has run out, opening /proc/self/limits fails too.
const limit = openFilesLimit();
try {
  await import('./cli/main.js');
} catch (e) {
  const sentence = tooManyOpenFiles(e, limit);
  if (sentence === undefined) throw e;
  process.stderr.write(`${sentence}\n`);
  process.exitCode = 1;
}
