// The control socket's protocol: one JSON line in, one JSON line out, then the daemon closes.
//   → {"cmd":"status"}
//   ← {"ok":true,"status":{...StatusReport}}   or   {"ok":false,"error":"why"}
// Pure: parsing a request never throws, whatever the bytes.
import { basename, dirname, join } from 'node:path';
import { err, ok, type Result } from '../types.js';

/** A request longer than this (without its newline) is refused: one command needs a few bytes. */
export const MAX_REQUEST_BYTES = 4096;
/** A client that has not sent its line by then is answered with an error and dropped. */
export const REQUEST_TIMEOUT_MS = 2000;
/** Connections served at once; more are closed at accept (a flood must not grow memory). */
export const MAX_CONNECTIONS = 16;

export const COMMANDS = ['status'] as const;
export type Command = (typeof COMMANDS)[number];

export interface Request {
  readonly cmd: Command;
}

export type Reply<T> = { readonly ok: true; readonly status: T } | { readonly ok: false; readonly error: string };

export function parseRequest(line: string): Result<Request, string> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return err('malformed request: not JSON (send {"cmd":"status"})');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return err('malformed request: not a JSON object (send {"cmd":"status"})');
  const cmd = (value as Record<string, unknown>)['cmd'];
  if (typeof cmd !== 'string') return err('malformed request: no "cmd" string (send {"cmd":"status"})');
  const known = COMMANDS.find((c) => c === cmd);
  if (known === undefined) return err(`unknown command ${JSON.stringify(cmd.slice(0, 40))} (known: ${COMMANDS.join(', ')})`);
  return ok({ cmd: known });
}

export const encodeReply = <T>(reply: Reply<T>): string => `${JSON.stringify(reply)}\n`;

/**
 * The socket beside the pidfile, named after it: /run/vrrpd.pid → /run/vrrpd.sock, the unit's
 * /run/vrrpd/vrrpd.pid → /run/vrrpd/vrrpd.sock. The pidfile lock makes the name one daemon's.
 */
export function defaultSocketPath(pidFile: string): string {
  const name = basename(pidFile);
  return join(dirname(pidFile), `${name.endsWith('.pid') ? name.slice(0, -4) : name}.sock`);
}

/** Where `vrrpd status` looks without --control-socket or -p: the systemd unit's, then the plain default's. */
export const CLIENT_DEFAULT_SOCKETS = ['/run/vrrpd/vrrpd.sock', '/run/vrrpd.sock'] as const;
