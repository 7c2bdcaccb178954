#!/usr/bin/env node
// npm's "install" hook for the native addon. Where the package carries a prebuilt addon for this
// platform and architecture (prebuilds/linux-x64, prebuilds/linux-arm64: one N-API build for every
// Node line) and it loads here, nothing is compiled. Elsewhere (another architecture, musl, a
// prebuild that does not load or has another ABI number than native/abi.h, or a checkout whose
// addon source is newer than its prebuild) the
// addon is built from source: node-gyp, which needs g++, make, python3 and Node's headers.
// src/native/addon.ts makes the same choice at run time.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prebuild = join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'vrrpd_native.node');
const nativeDir = join(root, 'native');
const shown = relative(root, prebuild);

/** The ABI number the addon's source says (native/abi.h), which src/native/addon.ts requires. */
function sourceAbi() {
  try {
    const m = /^#define VRRPD_NATIVE_ABI (\d+)$/m.exec(readFileSync(join(nativeDir, 'abi.h'), 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Why the prebuild cannot be used here, or undefined when it can. */
function unusable() {
  if (!existsSync(prebuild)) return `no ${shown}`;
  const builtAt = statSync(prebuild).mtimeMs;
  const sources = existsSync(nativeDir) ? readdirSync(nativeDir).filter((n) => /\.(cc|h)$/.test(n)) : [];
  const newer = sources.find((n) => statSync(join(nativeDir, n)).mtimeMs > builtAt);
  if (newer !== undefined) return `${shown} is older than native/${newer}`;
  // Loaded in a child: a prebuild this host's libc cannot load fails there, not in npm.
  const probe = `process.stdout.write(String(require(${JSON.stringify(prebuild)}).abi))`;
  const loaded = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  if (loaded.status !== 0) return `${shown} does not load here: ${(loaded.stderr || `exit ${loaded.status}`).trim().split('\n')[0]}`;
  const wanted = sourceAbi();
  if (wanted !== undefined && loaded.stdout !== String(wanted)) return `${shown} has ABI ${loaded.stdout}, native/abi.h says ${wanted}`;
  return undefined;
}

const why = unusable();
if (why === undefined) {
  console.log(`vrrpd: using the prebuilt addon ${shown} (nothing to compile)`);
} else {
  console.log(`vrrpd: building the addon from source (${why}): needs g++, make, python3 and Node's headers`);
  // npm's own node-gyp: npm names it in npm_config_node_gyp and puts it on PATH for install scripts.
  const gyp = process.env.npm_config_node_gyp;
  const [file, args] = gyp ? [process.execPath, [gyp]] : ['node-gyp', []];
  const built = spawnSync(file, [...args, 'rebuild', '--directory=native'], { cwd: root, stdio: 'inherit' });
  if (built.error) {
    console.error(`vrrpd: cannot run node-gyp: ${built.error.message}`);
    process.exit(1);
  }
  process.exit(built.status ?? 1);
}
