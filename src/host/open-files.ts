// The open-files limit (RLIMIT_NOFILE, `ulimit -n`). Node.js 22 and 24 hold about 21 descriptors
// before vrrpd's first line runs; `vrrpd -t` starts at 23 and the daemon with one interface holds
// about 33 (keepalived runs in 16-20; Node 20 read vrrpd's modules several at once and needed ~40). bin/vrrpd raises the hard limit where it may (root
// with CAP_SYS_RESOURCE) and refuses below MIN_OPEN_FILES before Node starts; this says the same when
// Node ran out anyway (started without the launcher, or descriptors taken by what it inherited).
import { readFileSync } from 'node:fs';

/** Below this the launcher refuses to start (bin/vrrpd `min`, kept equal by test/unit/open-files.test.ts). */
export const MIN_OPEN_FILES = 64;

/** The soft open-files limit from /proc/self/limits; undefined when unreadable or unlimited. */
export function openFilesLimit(limits?: string): number | undefined {
  let text = limits;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const soft = /^Max open files\s+(\d+)\s/m.exec(text)?.[1];
  return soft === undefined ? undefined : Number(soft);
}

/** The one sentence for an EMFILE/ENFILE failure (undefined for any other error). */
export function tooManyOpenFiles(e: unknown, limit: number | undefined): string | undefined {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  if (code === 'ENFILE') return 'vrrpd: the system-wide table of open files is full (ENFILE, fs.file-max) - not started';
  if (code !== 'EMFILE') return undefined;
  const at = limit === undefined ? '' : ` at ${limit}`;
  return `vrrpd: out of file descriptors (EMFILE) with the open-files limit (ulimit -n)${at}; vrrpd needs at least ${MIN_OPEN_FILES} - raise it (systemd: LimitNOFILE=)`;
}
