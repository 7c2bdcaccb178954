// `vrrpd status`'s end of the control socket: one request, one reply, bounded in time. Every
// failure is a sentence for the operator (exit 1), never a stack trace.
import { connect } from 'node:net';
import { err, ok, type Result } from '../types.js';
import { CLIENT_DEFAULT_SOCKETS, type Command } from './protocol.js';

const CLIENT_TIMEOUT_MS = 5000;
/** A reply bigger than this is not a vrrpd's (thousands of instances fit). */
const MAX_REPLY_BYTES = 64 * 1024 * 1024;

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

/** Sends `cmd` and returns the daemon's `status` payload, or why not. */
export function request(path: string, cmd: Command, timeoutMs = CLIENT_TIMEOUT_MS): Promise<Result<unknown, string>> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: Result<unknown, string>): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(r);
    };
    const chunks: Buffer[] = [];
    let size = 0;
    const socket = connect(path);
    socket.setTimeout(timeoutMs, () => done(err(`vrrpd did not answer on ${path} within ${timeoutMs} ms`)));
    socket.on('connect', () => socket.write(`${JSON.stringify({ cmd })}\n`));
    socket.on('error', (e: NodeJS.ErrnoException) => done(err(describeConnectError(path, e))));
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REPLY_BYTES) return done(err(`the reply on ${path} is over ${MAX_REPLY_BYTES} bytes`));
      chunks.push(chunk);
    });
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      let reply: unknown;
      try {
        reply = JSON.parse(text);
      } catch {
        return done(err(text === '' ? `vrrpd closed ${path} without answering` : `vrrpd's reply on ${path} is not JSON`));
      }
      if (typeof reply !== 'object' || reply === null) return done(err(`vrrpd's reply on ${path} is not an object`));
      const r = reply as Record<string, unknown>;
      if (r['ok'] === true) return done(ok(r['status']));
      done(err(`vrrpd: ${typeof r['error'] === 'string' ? r['error'] : 'error without a message'}`));
    });
  });
}

/** The socket to ask: the one given, else the unit's, else the plain default (the first that exists). */
export function socketCandidates(given: string | undefined): readonly string[] {
  return given === undefined ? CLIENT_DEFAULT_SOCKETS : [given];
}
