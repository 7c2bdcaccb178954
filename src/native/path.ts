// Which file of the native addon src/native/addon.ts loads. A package carries prebuilt addons, one per
// architecture (`prebuilds/linux-x64/vrrpd_native.node`, `prebuilds/linux-arm64/...`, made by
// `npm run prebuild`; N-API, so one build serves every Node line); a host with none for its
// architecture builds one from source at install time (`native/build/Release/vrrpd_native.node`,
// scripts/install-native.js). The prebuild wins, unless this is a checkout whose addon source is
// newer than it: then it is stale, and the fresh build from source is what is being worked on.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { err, ok, type Result } from '../types.js';

/** Modification times (ms) of the files that decide; undefined where absent. */
export interface AddonFiles {
  readonly prebuild?: number;
  readonly fromSource?: number;
  /** The newest of the addon's sources (native/*.cc, *.h), and its name. */
  readonly source?: number;
  readonly sourceName?: string;
}

export type AddonPick = { readonly pick: 'prebuild' | 'fromSource'; readonly why: string } | { readonly pick: undefined; readonly why: string };

/** The choice, and why, for a host whose prebuild directory is `platformArch` (e.g. linux-x64). */
export function chooseAddon(files: AddonFiles, platformArch: string): AddonPick {
  const stale = files.prebuild !== undefined && files.source !== undefined && files.source > files.prebuild;
  if (files.prebuild !== undefined && !stale) return { pick: 'prebuild', why: `prebuilt for ${platformArch}` };
  const noPrebuild = stale ? `the ${platformArch} prebuild is older than native/${files.sourceName ?? 'addon.cc'}` : `no prebuild for ${platformArch}`;
  if (files.fromSource !== undefined) return { pick: 'fromSource', why: `built from source (${noPrebuild})` };
  return { pick: undefined, why: `${noPrebuild} and no build from source (run npm install)` };
}

export interface AddonLocation {
  /** Absolute path of the file to load. */
  readonly path: string;
  /** For the debug line: the file relative to the package and why it was chosen. */
  readonly note: string;
}

const ADDON = 'vrrpd_native.node';

function mtime(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The most recently modified of the addon's sources in `dir`, if any. */
function newestSource(dir: string): { readonly source?: number; readonly sourceName?: string } {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.(cc|h)$/.test(n));
  } catch {
    return {};
  }
  let newest: { source?: number; sourceName?: string } = {};
  for (const name of names) {
    const t = mtime(join(dir, name));
    if (t !== undefined && (newest.source === undefined || t > newest.source)) newest = { source: t, sourceName: name };
  }
  return newest;
}

/**
 * This file runs as src/native/path.ts (vitest) and as dist/src/native/path.js (compiled), so the
 * package root is two or three directories up: the first that has native/ or prebuilds/.
 */
export function locateAddon(platformArch = `${process.platform}-${process.arch}`): Result<AddonLocation, string> {
  const roots = ['../..', '../../..'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const root = roots.find((r) => existsSync(join(r, 'native')) || existsSync(join(r, 'prebuilds'))) ?? roots[0] ?? '.';
  const paths = {
    prebuild: join(root, 'prebuilds', platformArch, ADDON),
    fromSource: join(root, 'native', 'build', 'Release', ADDON),
  };
  const chosen = chooseAddon(
    { prebuild: mtime(paths.prebuild), fromSource: mtime(paths.fromSource), ...newestSource(join(root, 'native')) },
    platformArch,
  );
  if (chosen.pick === undefined) return err(`native addon not found in ${root}: ${chosen.why}`);
  const path = paths[chosen.pick];
  return ok({ path, note: `${relative(root, path)}, ${chosen.why}` });
}
