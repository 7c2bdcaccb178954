// The control socket's protocol: one JSON line in, one JSON line out, then the daemon closes.
//   → {"cmd":"status"}
//   ← {"ok":true,"status":{...StatusReport}}   or   {"ok":false,"error":"why"}
// Pure: parsing a request never throws, whatever the bytes.
import { basename, dirname, join } from 'node:path';
import { err, ok, type Result } from '../types.js';

/** A request longer than this (without its newline) is refused: one command needs a few bytes. */
export const MAX_REQUEST_BYTES = 4096;
/**
 * From accept to a complete request, whatever the client sends meanwhile (a deadline, not an idle
 * timeout): `vrrpd status` sends its line at connect; a client that trickles is answered with an
 * error and dropped.
 */
export const REQUEST_DEADLINE_MS = 1000;
/** After the reply: the client has this long to read it and close before the connection is destroyed. */
export const REPLY_GRACE_MS = 1000;
/** Connections open at once, whatever they do; a flood must not grow memory or descriptors. */
export const MAX_OPEN_CONNECTIONS = 64;
/** Of those, connections that had their first read without a complete request (clients that trickle or stay silent). */
export const MAX_WAITING_CONNECTIONS = 16;
/**
 * A connection's first read: this long after accept plus one turn of the event loop. A client
 * whose request is not complete by then is one that trickles or stays silent.
 */
export const FIRST_READ_MS = 5;
/** With all places taken, an answered connection still open after this long (not reading) makes way for a newcomer. */
export const ANSWERED_MIN_AGE_MS = 100;

export const COMMANDS = ['status'] as const;
export type Command = (typeof COMMANDS)[number];

export interface Request {
  readonly cmd: Command;
}

/** `busy`: turned away for capacity, not for what was asked; the client may try again. */
export type Reply<T> = { readonly ok: true; readonly status: T } | { readonly ok: false; readonly error: string; readonly busy?: true };

/** Why a request line is refused; the kind is what the daemon's log rate-limits by. */
export interface RequestError {
  readonly kind: 'malformed' | 'unknownCommand';
  readonly message: string;
}

const malformed = (why: string): Result<Request, RequestError> => err({ kind: 'malformed', message: `malformed request: ${why} (send {"cmd":"status"})` });

export function parseRequest(line: string): Result<Request, RequestError> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return malformed('not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return malformed('not a JSON object');
  const cmd = (value as Record<string, unknown>)['cmd'];
  if (typeof cmd !== 'string') return malformed('no "cmd" string');
  const known = COMMANDS.find((c) => c === cmd);
  if (known === undefined) return err({ kind: 'unknownCommand', message: `unknown command ${JSON.stringify(cmd.slice(0, 40))} (known: ${COMMANDS.join(', ')})` });
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
