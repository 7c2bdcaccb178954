// No descriptor of the daemon's reaches a program it starts (check and notify scripts, nft and
// iptables). Every descriptor vrrpd opens is close-on-exec where it is opened (Node and libuv open
// everything O_CLOEXEC, the addon SOCK_CLOEXEC/TFD_CLOEXEC); this is the guard behind that, for
// what a library may open without it tomorrow and what was inherited from whoever started vrrpd:
// right before each spawn, every descriptor >= 3 gets FD_CLOEXEC. libuv forks and execs inside the
// spawn call, on the one JS thread, so nothing of ours runs in between.
//
// Cost per spawn (test/unit/exec-guard.test.ts, 221 descriptors open): one close_range() call on
// Linux 5.11+, about 1 us with the addon call; before that a /proc/self/fd scan, ~1.5 us per open
// descriptor on the test VM (280-350 us), next to 1.5-5.7 ms for the spawn itself.
//
// keepalived closes nothing: its scripts get whatever it inherited (in the lab, a pipe of the test
// runner's), but its own sockets are all close-on-exec.
import type { LineLog } from '../log/lines.js';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { markAllCloexec, markCloexec } from '../native/addon.js';
import { ok, type Result } from '../types.js';

/** How the daemon starts every child program. */
export type SpawnFn = (file: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

/** 0, 1 and 2 are the child's stdio, set up by libuv in the child itself. */
const FIRST_GUARDED_FD = 3;

function describeFd(fd: number): string {
  try {
    return `${fd} (${readlinkSync(`/proc/self/fd/${fd}`)})`;
  } catch {
    return String(fd);
  }
}

/**
 * At start-up, before anything is spawned: what vrrpd inherited (the detach channel to its parent,
 * whatever the starting shell or supervisor left open) is closed to its children, and named at debug.
 */
export function guardDescriptors(log: Pick<LineLog, 'debug'>): Result<void, string> {
  const inherited = markCloexec(FIRST_GUARDED_FD);
  if (!inherited.ok) return inherited;
  if (inherited.value.length > 0) log.debug(`descriptors inherited at start, closed to scripts: ${inherited.value.map(describeFd).join(', ')}`);
  return ok(undefined);
}

/**
 * spawn() after the guard. Throws (as spawn itself does for bad arguments) when the guard cannot
 * run: a script is then not started rather than started holding the daemon's sockets.
 */
export const guardedSpawn: SpawnFn = (file, args, options) => {
  const marked = markAllCloexec(FIRST_GUARDED_FD);
  if (!marked.ok) throw new Error(`cannot close the daemon's descriptors to it: ${marked.error}`);
  return spawn(file, args, options);
};
