// `script "</dev/tcp/127.0.0.1/80"`: keepalived recognises a command that starts with `<` and a
// path (notify.c check_script_secure: SC_SYSTEM) and hands it to system(), so the shell's input
// redirection is the check: it succeeds when the file can be opened, and bash's /dev/tcp/HOST/PORT
// succeeds when a TCP connection can be made. That only works where /bin/sh is bash (CentOS, not
// Debian's dash). vrrpd does the same check itself, without a shell, so it works everywhere.
import { open } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { createConnection } from 'node:net';
import type { Clock } from './clock.js';
import type { ScriptRunResult } from './script-state.js';

/** The path of an open test (`<` then optional blanks then an absolute path), else undefined. */
export function openTestPath(command: string): string | undefined {
  const m = /^<[ \t]*(\/.*)$/.exec(command);
  return m?.[1];
}

export type OpenTarget =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'file'; readonly path: string };

/** bash's special /dev/tcp/HOST/PORT; anything else is a file to open. */
export function openTarget(path: string): OpenTarget {
  const m = /^\/dev\/tcp\/([^/]+)\/(\d{1,5})$/.exec(path);
  const port = m === null ? NaN : Number(m[2]);
  if (m !== null && m[1] !== undefined && port >= 1 && port <= 65535) return { kind: 'tcp', host: m[1], port };
  return { kind: 'file', path };
}

function connectTest(host: string, port: number, clock: Clock, timeoutMs: number): Promise<ScriptRunResult> {
  return new Promise((resolve) => {
    let done = false;
    const socket = createConnection({ host, port });
    const finish = (r: ScriptRunResult): void => {
      if (done) return;
      done = true;
      cancel();
      socket.destroy();
      resolve(r);
    };
    const cancel = clock.setTimer(timeoutMs, () => finish({ kind: 'timedOut' }));
    socket.once('connect', () => finish({ kind: 'exited', status: 0 }));
    // bash: "connect: Connection refused", redirection failure, exit status 1.
    socket.once('error', () => finish({ kind: 'exited', status: 1 }));
  });
}

async function fileTest(path: string): Promise<ScriptRunResult> {
  try {
    // O_NONBLOCK: a FIFO without a writer must not hang the check.
    const fh = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    await fh.close();
    return { kind: 'exited', status: 0 };
  } catch {
    return { kind: 'exited', status: 1 };
  }
}

/** Never rejects. */
export async function runOpenTest(path: string, clock: Clock, timeoutMs: number): Promise<ScriptRunResult> {
  const target = openTarget(path);
  try {
    return target.kind === 'tcp' ? await connectTest(target.host, target.port, clock, timeoutMs) : await fileTest(target.path);
  } catch (e) {
    return { kind: 'cannotRun', reason: e instanceof Error ? e.message : String(e) };
  }
}
