// `vrrpd status`'s end of the control socket: one request, one reply, bounded in time. A daemon
// that is busy (its slots taken, its listen queue full) or closes without answering is asked
// again, with a growing pause, until the time is up. Every failure is a sentence for the
// operator (exit 1), never a stack trace or a bare errno.
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { err, ok, type Result } from '../types.js';
import { CLIENT_DEFAULT_SOCKETS, type Command } from './protocol.js';

const CLIENT_TIMEOUT_MS = 5000;
/** A reply bigger than this is not a vrrpd's (thousands of instances fit). */
const MAX_REPLY_BYTES = 64 * 1024 * 1024;
const RETRY_FIRST_MS = 25;
const RETRY_MAX_MS = 400;

/** One try: an answer, a refusal worth retrying, or a failure that another try would not change. */
export type Attempt =
  | { readonly kind: 'answer'; readonly result: Result<unknown, string> }
  | { readonly kind: 'busy'; readonly why: string }
  | { readonly kind: 'closed' }
  | { readonly kind: 'fail'; readonly error: string };

function describeConnectError(path: string, e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT':
      return `vrrpd is not running (no control socket ${path})`;
    case 'ECONNREFUSED':
      return `vrrpd is not running (nothing listens on ${path})`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied on ${path}: run as root or as the daemon's user`;
    default:
      return `cannot reach vrrpd on ${path}: ${e.message}`;
  }
}

/** What the daemon's reply line says. */
export function readReply(path: string, text: string): Attempt {
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch {
    return { kind: 'fail', error: `vrrpd's reply on ${path} is not JSON` };
  }
  if (typeof reply !== 'object' || reply === null) return { kind: 'fail', error: `vrrpd's reply on ${path} is not an object` };
  const r = reply as Record<string, unknown>;
  if (r['ok'] === true) return { kind: 'answer', result: ok(r['status']) };
  const error = typeof r['error'] === 'string' ? r['error'] : 'error without a message';
  if (r['busy'] === true) return { kind: 'busy', why: error };
  return { kind: 'answer', result: err(`vrrpd: ${error}`) };
}

function attempt(path: string, cmd: Command, timeoutMs: number): Promise<Attempt> {
  return new Promise((resolve) => {
    let settled = false;
    const chunks: Buffer[] = [];
    let size = 0;
    const socket = connect(path);
    const done = (a: Attempt): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(a);
    };
    /** The reply is one line; whatever the connection does after it does not matter, and a line cut short is no reply. */
    const received = (): Attempt | undefined => {
      const text = Buffer.concat(chunks).toString('utf8');
      const newline = text.indexOf('\n');
      return newline >= 0 ? readReply(path, text.slice(0, newline)) : undefined;
    };
    const timer = setTimeout(() => done({ kind: 'fail', error: `vrrpd did not answer on ${path} within ${timeoutMs} ms` }), timeoutMs);
    socket.on('connect', () => socket.write(`${JSON.stringify({ cmd })}\n`));
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REPLY_BYTES) return done({ kind: 'fail', error: `the reply on ${path} is over ${MAX_REPLY_BYTES} bytes` });
      chunks.push(chunk);
      if (chunk.includes(0x0a)) done(received() ?? { kind: 'closed' });
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // A daemon that answers and closes at once may leave our request unread: the kernel then
      // reports a reset after the reply, and EPIPE if it closed before we wrote.
      if (size > 0) return done(received() ?? { kind: 'closed' });
      if (e.code === 'EPIPE' || e.code === 'ECONNRESET') return done({ kind: 'closed' });
      if (e.code === 'EAGAIN') return done({ kind: 'busy', why: 'its listen queue is full' });
      done({ kind: 'fail', error: describeConnectError(path, e) });
    });
    socket.on('close', () => done(received() ?? { kind: 'closed' }));
  });
}

/** Sends `cmd` and returns the daemon's `status` payload, or why not. */
export async function request(path: string, cmd: Command, timeoutMs = CLIENT_TIMEOUT_MS): Promise<Result<unknown, string>> {
  const deadline = Date.now() + timeoutMs;
  let pause = RETRY_FIRST_MS;
  for (let tries = 1; ; tries++) {
    const a = await attempt(path, cmd, Math.max(1, deadline - Date.now()));
    if (a.kind === 'answer') return a.result;
    if (a.kind === 'fail') return err(a.error);
    if (Date.now() + pause >= deadline) {
      return err(
        a.kind === 'busy'
          ? `vrrpd on ${path} was busy for ${timeoutMs} ms (${tries} tries, last: ${a.why}); another local client may be flooding its control socket`
          : `vrrpd on ${path} closed the connection without answering (${tries} tries in ${timeoutMs} ms); it may be stopping, or another local client is flooding its control socket`,
      );
    }
    await sleep(pause);
    pause = Math.min(2 * pause, RETRY_MAX_MS);
  }
}

/** The socket to ask: the one given, else the unit's, else the plain default (the first that exists). */
export function socketCandidates(given: string | undefined): readonly string[] {
  return given === undefined ? CLIENT_DEFAULT_SOCKETS : [given];
}
