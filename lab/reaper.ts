// A cleanup that survives its owner being SIGKILLed. On Ctrl+C vitest's main process exits at once
// and its watchdog SIGKILLs the test workers, so neither the lab's async destroy nor its exit hooks
// get to run: booted containers, their overlay mounts and the lab's namespaces would stay. The
// reaper is a small shell process in a session of its own that waits for its owner to die, then
// removes what the owner listed in a state file: SIGKILLs the PIDs (each only if it still runs the
// command it was recorded with, so a recycled PID is left alone), the processes left in the listed
// namespaces, unmounts the mounts, deletes the namespaces and the directory. A normal teardown
// clears the list and stops the reaper.
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';

export interface Reaper {
  /** Record (or, with undefined, forget) one thing to remove: `pid PID COMM`, `mount PATH`, `ns NAME`. */
  set(key: string, entry: string | undefined): void;
  /** Everything was removed the normal way: forget it all and stop the reaper. */
  dismiss(): void;
}

const SCRIPT = `
owner=$1 state=$2 dir=$3
while kill -0 "$owner" 2>/dev/null && [ -f "$state" ]; do sleep 0.5; done
[ -f "$state" ] || exit 0
lines() { grep "^$1 " "$state" | cut -d' ' -f2-; }
lines pid | while read -r pid comm; do
  [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$comm" ] && kill -KILL "$pid"
done
lines ns | while read -r ns; do for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p"; done; done
sleep 1
lines mount | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
lines ns | while read -r ns; do ip netns del "$ns" 2>/dev/null; done
rm -rf "$dir"
`;

/** A reaper for what this process creates under `dir` (removed whole at the end); its state file lives there. */
export function startReaper(dir: string): Reaper {
  const state = `${dir}/.reaper`;
  const entries = new Map<string, string>();
  const save = (): void => writeFileSync(state, [...entries.values()].map((e) => `${e}\n`).join(''));
  save();
  const child = spawn('sh', ['-c', SCRIPT, 'reaper', String(process.pid), state, dir], { detached: true, stdio: 'ignore' });
  child.unref();
  return {
    set(key, entry) {
      if (entry === undefined) entries.delete(key);
      else entries.set(key, entry);
      save();
    },
    dismiss() {
      entries.clear();
      // Without its state file the reaper exits by itself within half a second.
      rmSync(state, { force: true });
    },
  };
}
