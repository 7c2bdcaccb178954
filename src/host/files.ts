// The host's files and users, as config-env's pure rules want them (FsProbe, UserDb): read by
// `vrrpd -t` and start-up checks (environment.ts), the script runner (track/) and the notifier,
// so all three decide with the same facts. No rtnetlink here, so the notifier stays light.
import { lstatSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { parseUserDb, type FileFacts, type FsProbe, type UserDb } from './rules.js';

function facts(s: Stats): FileFacts {
  return { isFile: s.isFile(), isDirectory: s.isDirectory(), isSymbolicLink: s.isSymbolicLink(), mode: s.mode, uid: s.uid, gid: s.gid };
}

function attempt<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** The real file system; any error (ENOENT, EACCES, ELOOP, ...) is "cannot be reached". */
export const hostFs: FsProbe = {
  stat: (p) => attempt(() => facts(statSync(p))),
  lstat: (p) => attempt(() => facts(lstatSync(p))),
  realpath: (p) => attempt(() => realpathSync.native(p)),
};

/** /etc/passwd and /etc/group as getpwnam()/getgrnam() read them with NSS "files". */
export function readHostUserDb(): UserDb {
  const read = (path: string): string => attempt(() => readFileSync(path, 'utf8')) ?? '';
  return parseUserDb(read('/etc/passwd'), read('/etc/group'));
}

/** The daemon's own ids: the "root" keepalived falls back to when keepalived_script is missing. */
export function ownIds(): { uid: number; gid: number } {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}
