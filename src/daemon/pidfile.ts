// The pidfile, held under an flock(2) for as long as the daemon runs. keepalived decides "already
// running" by kill(pid, 0) on the pid it reads, which a recycled pid fools both ways (a stranger
// with that pid blocks the start; two daemons racing both start). A lock cannot be fooled: it is
// held exactly while the holder lives, however it dies (SIGKILL included), so a second daemon is
// refused and a stale file from a dead one is simply taken over.
import { closeSync, constants, fchmodSync, fstatSync, ftruncateSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { flockExclusive } from '../native/addon.js';
import { err, ok, type Result } from '../types.js';

export interface PidFileLock {
  readonly path: string;
  /** The pid a dead daemon left in the file we took over, if any. */
  readonly stalePid: number | undefined;
  /** Removes the file (only if it is still ours) and drops the lock. Idempotent. */
  release(): void;
}

export type PidFileError =
  /** Another live process holds the lock: keepalived's "daemon is already running". */
  | { readonly kind: 'running'; readonly path: string; readonly pid: number | undefined }
  | { readonly kind: 'io'; readonly path: string; readonly message: string };

/** One line, no stack, saying what to do about it. */
export function describePidFileError(e: PidFileError): string {
  if (e.kind === 'io') return `cannot use pidfile ${e.path}: ${e.message}`;
  const holder = e.pid === undefined ? 'another process' : `pid ${e.pid}`;
  return `${holder} holds the lock on pidfile ${e.path} - stop it first, or give this daemon another -p/-r file`;
}

function code(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : '';
}

function ioError(path: string, e: unknown): PidFileError {
  const c = code(e);
  const message =
    c === 'EACCES' || c === 'EPERM' || c === 'EROFS'
      ? `permission denied (${c}) - as a non-root user, point -p (and -r) at a directory it can write, e.g. the unit's RuntimeDirectory /run/vrrpd`
      : c === 'ENOENT'
        ? 'its directory does not exist'
        : c === 'ELOOP'
          ? 'it is a symbolic link, which is refused (as keepalived refuses it)'
          : e instanceof Error
            ? e.message
            : String(e);
  return { kind: 'io', path, message };
}

function readPid(text: string): number | undefined {
  const m = /^\s*(\d+)\s*$/.exec(text);
  return m ? Number(m[1]) : undefined;
}

function sameFile(fd: number, path: string): boolean {
  try {
    const held = fstatSync(fd);
    const named = statSync(path);
    return held.ino === named.ino && held.dev === named.dev;
  } catch {
    return false;
  }
}

/**
 * Opens (creating it 0644) and locks `path`, then writes `pid`. A daemon that is stopping unlinks
 * the file and then closes it; one that opened it just before may get the lock on the unlinked
 * inode, so the lock only counts once the name still leads to the inode we hold.
 */
export function lockPidFile(path: string, pid: number = process.pid): Result<PidFileLock, PidFileError> {
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      // O_NOFOLLOW: a symlink planted at the pidfile's name must not make us truncate its target.
      fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
    } catch (e) {
      return err(ioError(path, e));
    }
    const fail = (e: PidFileError): Result<PidFileLock, PidFileError> => {
      closeSync(fd);
      return err(e);
    };
    const locked = flockExclusive(fd);
    if (!locked.ok) return fail({ kind: 'io', path, message: locked.error });
    let previous: number | undefined;
    try {
      previous = readPid(readFileSync(fd, 'utf8'));
    } catch (e) {
      return fail(ioError(path, e));
    }
    if (!locked.value) return fail({ kind: 'running', path, pid: previous });
    if (!sameFile(fd, path)) {
      closeSync(fd);
      continue;
    }
    try {
      ftruncateSync(fd, 0);
      writeSync(fd, `${pid}\n`, 0);
      // keepalived's pidfile_write(): rw-r--r-- whatever the umask (0177 by default).
      fchmodSync(fd, 0o644);
    } catch (e) {
      return fail(ioError(path, e));
    }
    let held = true;
    return ok({
      path,
      stalePid: previous !== undefined && previous !== pid ? previous : undefined,
      release: () => {
        if (!held) return;
        held = false;
        // Unlink first, close after: whoever opens the name in between finds it locked or gone.
        if (sameFile(fd, path)) {
          try {
            unlinkSync(path);
          } catch {
            // already gone: nothing to do
          }
        }
        closeSync(fd);
      },
    });
  }
  return err({ kind: 'io', path, message: 'it keeps being replaced while we lock it' });
}

/** Locks each distinct path in order; on a failure the ones already locked are released. */
export function lockPidFiles(paths: readonly string[], pid: number = process.pid): Result<PidFileLock[], PidFileError> {
  const locks: PidFileLock[] = [];
  for (const path of new Set(paths)) {
    const lock = lockPidFile(path, pid);
    if (!lock.ok) {
      locks.forEach((l) => l.release());
      return lock;
    }
    locks.push(lock.value);
  }
  return ok(locks);
}
