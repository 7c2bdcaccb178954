// Node's compile cache (V8's code cache of each module, kept on disk) for vrrpd's own command:
// start-up then skips compiling the bundle (docs/performance.md "Start-up"). Where it lives:
//   VRRPD_COMPILE_CACHE   this directory; empty turns the cache off. The unit sets
//                         /var/cache/vrrpd (systemd's CacheDirectory=, owned by the daemon's user)
//   otherwise             $XDG_CACHE_HOME/vrrpd, else $HOME/.cache/vrrpd (`vrrpd -t`, `vrrpd status`)
// A cache is code that runs, so one is used only in a directory this user owns and nobody else can
// write (never a shared /tmp). The directory is made here, one level at a time: Node's own
// recursive mkdir loops forever where mkdir answers ENOENT for an existing parent (/proc, seen on
// Node 24.21), and a start-up must never hang or fail on its cache: anything odd means no cache.
import { lstatSync, mkdirSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';

export type CacheChoice = { readonly dir: string } | { readonly off: string };

/** Which directory, from the environment alone (pure). */
export function compileCacheDir(env: Readonly<Record<string, string | undefined>>): CacheChoice {
  const own = env['VRRPD_COMPILE_CACHE'];
  if (own !== undefined) {
    if (own === '') return { off: 'VRRPD_COMPILE_CACHE is empty' };
    return isAbsolute(own) ? { dir: own } : { off: `VRRPD_COMPILE_CACHE is not an absolute path: ${own}` };
  }
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg !== undefined && isAbsolute(xdg)) return { dir: join(xdg, 'vrrpd') };
  const home = env['HOME'];
  if (home !== undefined && isAbsolute(home) && home !== '/') return { dir: join(home, '.cache', 'vrrpd') };
  return { off: 'no VRRPD_COMPILE_CACHE, XDG_CACHE_HOME or HOME' };
}

/** Why `dir` must not hold code this process runs, or undefined when it may (made if missing). */
export function unsafeCacheDir(dir: string, uid: number): string | undefined {
  for (const d of [dirname(dir), dir]) {
    try {
      mkdirSync(d, { mode: 0o700 });
    } catch {
      // exists already, or cannot be made: the lstat below says which
    }
  }
  let st;
  try {
    st = lstatSync(dir);
  } catch (e) {
    return `${dir}: ${(e as NodeJS.ErrnoException).code ?? 'cannot be read'}`;
  }
  if (!st.isDirectory()) return `${dir} is not a directory`;
  if (st.uid !== uid) return `${dir} belongs to uid ${st.uid}, not ${uid}`;
  if ((st.mode & 0o022) !== 0) return `${dir} is writable by others`;
  return undefined;
}

/** Turns the cache on where it is safe; never throws. Undefined when on, else why not. */
export function startCompileCache(env: NodeJS.ProcessEnv = process.env): string | undefined {
  try {
    const choice = compileCacheDir(env);
    if ('off' in choice) return choice.off;
    const unsafe = unsafeCacheDir(choice.dir, process.getuid?.() ?? -1);
    if (unsafe !== undefined) return unsafe;
    // Node 22.1 and later; on an older node (vrrpd asks for 22.12) there is no cache, and no error.
    if (typeof nodeModule.enableCompileCache !== 'function') return `Node ${process.version} has no compile cache`;
    const r = nodeModule.enableCompileCache(choice.dir);
    return r.message;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Writes what was compiled so far to the cache (Node 22.10 and later; otherwise nothing). */
export function flushCompileCache(): void {
  try {
    if (typeof nodeModule.flushCompileCache === 'function') nodeModule.flushCompileCache();
  } catch {
    // a cache that cannot be written is no cache
  }
}
