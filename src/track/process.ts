// Running one script process: the only place that touches child_process. argv exec (no shell),
// in a new session and so its own process group (detached: setsid), cwd /, stdin /dev/null,
// stdout and stderr read and capped: the first OUTPUT_CAP bytes of each are kept for the log,
// the rest is read and dropped so a chatty script never blocks on a full pipe nor costs memory.
import { constants } from 'node:os';
import { guardedSpawn } from '../host/exec-guard.js';

export const OUTPUT_CAP = 4096;
/** After the process exits, how long to wait for its pipes to drain before closing them. */
const DRAIN_MS = 200;

export interface SpawnRequest {
  readonly file: string;
  /** The command line as configured; argv[0] is replaced by `file` (keepalived execs the resolved path). */
  readonly argv: readonly string[];
  /** Only set when it differs from the daemon's own ids. */
  readonly uid: number | undefined;
  readonly gid: number | undefined;
}

export type ChildEnd =
  | { readonly kind: 'exited'; readonly status: number }
  | { readonly kind: 'signaled'; readonly signal: number }
  | { readonly kind: 'spawnError'; readonly message: string };

export interface CapturedOutput {
  readonly stdout: string;
  readonly stderr: string;
  /** Bytes read beyond the cap and dropped. */
  readonly dropped: number;
}

export interface SpawnCallbacks {
  /** Exactly once. */
  onEnd(end: ChildEnd): void;
  /** At most once, after onEnd, when the pipes are drained (or given up on). */
  onOutput(out: CapturedOutput): void;
}

export interface ChildHandle {
  /** The process (and process group) id; undefined when spawning failed. */
  readonly pid: number | undefined;
}

export type Spawner = (req: SpawnRequest, cb: SpawnCallbacks) => ChildHandle;

/** Signal a whole process group; false when it is gone (ESRCH) or cannot be signalled. */
export type GroupKiller = (pgid: number, signal: 'SIGTERM' | 'SIGKILL') => boolean;

export function signalNumber(name: string): number {
  const n = (constants.signals as Record<string, number | undefined>)[name];
  return n ?? 0;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

class Capture {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  dropped = 0;

  add(chunk: Buffer): void {
    const room = OUTPUT_CAP - this.kept;
    if (room > 0) {
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      // Copy the kept part: a subarray would pin the whole 64 KiB read buffer.
      this.chunks.push(Buffer.from(part));
      this.kept += part.length;
    }
    this.dropped += Math.max(0, chunk.length - Math.max(0, room));
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export const spawnScript: Spawner = (req, cb) => {
  let ended = false;
  const end = (e: ChildEnd): void => {
    if (ended) return;
    ended = true;
    cb.onEnd(e);
  };
  let child;
  try {
    // guardedSpawn: no descriptor of the daemon's reaches the script (exec-guard.ts).
    child = guardedSpawn(req.file, req.argv.slice(1), {
      cwd: '/',
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      uid: req.uid,
      gid: req.gid,
      windowsHide: true,
    });
  } catch (e) {
    // spawn() throws synchronously for some argument errors (EPERM on uid, bad options), the guard
    // when it cannot mark the descriptors.
    const reason = message(e);
    queueMicrotask(() => end({ kind: 'spawnError', message: reason }));
    return { pid: undefined };
  }
  const out = new Capture();
  const err = new Capture();
  child.stdout?.on('data', (c: Buffer) => out.add(c));
  child.stderr?.on('data', (c: Buffer) => err.add(c));
  // Pipe errors (EPIPE, EBADF after destroy) must not become uncaught exceptions.
  child.stdout?.on('error', () => undefined);
  child.stderr?.on('error', () => undefined);
  let reported = false;
  const report = (): void => {
    if (reported) return;
    reported = true;
    child.stdout?.destroy();
    child.stderr?.destroy();
    cb.onOutput({ stdout: out.text(), stderr: err.text(), dropped: out.dropped + err.dropped });
  };
  child.on('error', (e) => {
    // ENOENT / EACCES / EPERM from exec: the process never ran. Other errors (a failed kill)
    // arrive with a pid and are not an end.
    if (child.pid === undefined) {
      end({ kind: 'spawnError', message: message(e) });
      report();
    }
  });
  child.on('exit', (code, signal) => {
    end(signal !== null ? { kind: 'signaled', signal: signalNumber(signal) } : { kind: 'exited', status: code ?? 0 });
    // 'close' waits until every holder of the pipes is gone, which a leftover grandchild can
    // delay for ever: wait a little for the last bytes, then close our ends.
    const t = setTimeout(report, DRAIN_MS);
    child.once('close', () => {
      clearTimeout(t);
      report();
    });
  });
  return { pid: child.pid };
};

export const killGroup: GroupKiller = (pgid, signal) => {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
};
