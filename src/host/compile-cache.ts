// V8's code cache of vrrpd's program (dist/bundle/vrrpd.js), kept on disk: a start-up then
// deserializes the functions it runs instead of compiling each one as it is first called
// (docs/development.md "The bundle and the code cache"). Node's own compile cache
// (module.enableCompileCache) writes a module's cache as soon as it is compiled, before it runs,
// so it holds little more than the top level; this one is taken once the command has done its
// work (the daemon: at "ready"; -t and status: at exit), so it holds everything start-up ran.
// One file per kind of command, so that a `vrrpd -t` run first does not leave the daemon a cache
// without the daemon's functions. Where it lives:
//   VRRPD_COMPILE_CACHE   this directory; empty turns the cache off. The unit sets
//                         /var/cache/vrrpd (systemd's CacheDirectory=, owned by the daemon's user)
//   otherwise             $XDG_CACHE_HOME/vrrpd, else $HOME/.cache/vrrpd (`vrrpd -t`, `vrrpd status`)
// A cache is code that runs, so one is used only in a directory this user owns and nobody else can
// write (never a shared /tmp), and only for the program it was made from: its name holds the
// program's hash, size and mtime and the Node version (V8 itself checks only the length of the
// source, its own version and flags). The directory is made here, one level at a time: Node's own
// recursive mkdir loops forever where mkdir answers ENOENT for an existing parent (/proc, seen on
// Node 24.21), and a start-up must never hang or fail on its cache: anything odd means no cache.
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
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

/** The kinds of command with a cache of their own; --version and --help keep none. */
export type CommandKind = 'daemon' | 'test' | 'status';

/** Which kind `argv` (the command's arguments) runs (pure; a wrong guess only costs speed). */
export function commandKind(argv: readonly string[]): CommandKind | undefined {
  if (argv[0] === 'status') return 'status';
  const flags = argv.filter((a) => a.startsWith('-'));
  if (flags.some((a) => a === '-v' || a === '--version' || a === '-h' || a === '--help')) return undefined;
  if (flags.some((a) => a === '--config-test' || a.startsWith('--config-test=') || (/^-[^-]/.test(a) && a.slice(1).includes('t')))) return 'test';
  return 'daemon';
}

/** What a cache is made from: the program and the node running it. */
export interface CacheSource {
  /** The program's content hash (scripts/bundle.ts writes it into the launcher). */
  readonly hash: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly nodeVersion: string;
  readonly arch: string;
}

/** The cache file's name for one kind of command (pure). */
export function codeCacheName(kind: CommandKind, s: CacheSource): string {
  return `${kind}-${s.nodeVersion}-${s.arch}-${s.hash.slice(0, 16)}-${s.size}-${Math.trunc(s.mtimeMs)}.v8`;
}

/** The launcher's handle on one cache file. */
export interface CodeCache {
  /** The cached data when there is some, once: V8 copies what it uses, the buffer need not stay. */
  take(): Buffer | undefined;
  /** Whether a cache is to be written: there was none, or V8 rejected it. */
  wanted(rejected: boolean): boolean;
  /** Writes `make()` when wanted; once; never throws. */
  save(make: () => Buffer, rejected: boolean): void;
}

/**
 * The cache for `kind` of the program `source` describes, under the directory the environment
 * names; undefined when there is none to use (off, unsafe, another kind of command).
 */
export function openCodeCache(kind: CommandKind | undefined, source: CacheSource, env: NodeJS.ProcessEnv = process.env): CodeCache | undefined {
  if (kind === undefined) return undefined;
  const choice = compileCacheDir(env);
  if ('off' in choice) return undefined;
  if (unsafeCacheDir(choice.dir, process.getuid?.() ?? -1) !== undefined) return undefined;
  const name = codeCacheName(kind, source);
  const file = join(choice.dir, name);
  let data: Buffer | undefined;
  try {
    data = readFileSync(file);
  } catch {
    data = undefined;
  }
  const found = data !== undefined;
  const wanted = (rejected: boolean): boolean => !found || rejected;
  let saved = false;
  return {
    take() {
      const taken = data;
      data = undefined;
      return taken;
    },
    wanted,
    save(make, rejected) {
      if (saved || !wanted(rejected)) return;
      saved = true;
      try {
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, make(), { mode: 0o600 });
        renameSync(tmp, file);
        // The same kind's caches of other builds or Node versions are of no more use.
        for (const other of readdirSync(choice.dir)) {
          if (other !== name && other.startsWith(`${kind}-`) && other.endsWith('.v8')) unlinkSync(join(choice.dir, other));
        }
      } catch {
        // a cache that cannot be written is no cache
      }
    },
  };
}

/** The program's size and mtime, for the cache's name; undefined when it cannot be read. */
export function programFacts(path: string): { size: number; mtimeMs: number } | undefined {
  try {
    const st = statSync(path);
    return { size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

const SAVE_HOOK = Symbol.for('vrrpd.saveCodeCache');

/** The launcher: how the program asks for its cache to be written (at the daemon's "ready"). */
export function offerCodeCacheSave(save: () => void): void {
  (globalThis as Record<symbol, unknown>)[SAVE_HOOK] = save;
}

/** The program: writes the code cache now, if the launcher keeps one (none when run unbundled). */
export function saveCodeCache(): void {
  const hooks = globalThis as Record<symbol, unknown>;
  const save = hooks[SAVE_HOOK];
  // Once: the hook holds the compiled script, which need not outlive its cache.
  delete hooks[SAVE_HOOK];
  if (typeof save === 'function') (save as () => void)();
}
