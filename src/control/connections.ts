// The control socket's connections, each from accept to close: at most MAX_REQUEST_BYTES read (as
// bytes; the rest unread), a deadline from accept for the whole request however the client
// trickles, the answer at the next turn of the event loop (batch.ts), then a grace to read it
// and close; places handed out by admission.ts (MAX_OPEN_CONNECTIONS, of which
// MAX_WAITING_CONNECTIONS for clients whose request was not complete at their first read).
// Connections turned away get a one-line reply and a short grace, a bounded number at once.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { admit, mayWait, type AdmissionLimits, type SlotPhase } from './admission.js';
import { createBatcher } from './batch.js';
import {
  ANSWERED_MIN_AGE_MS,
  encodeReply,
  FIRST_READ_MS,
  MAX_OPEN_CONNECTIONS,
  MAX_REQUEST_BYTES,
  MAX_WAITING_CONNECTIONS,
  parseRequest,
  REPLY_GRACE_MS,
  REQUEST_DEADLINE_MS,
  type Reply,
  type Request,
} from './protocol.js';
import { createRequestReader } from './request-reader.js';

export type Complaint = 'peer' | 'malformed' | 'unknownCommand' | 'oversized' | 'deadline' | 'busy' | 'accept';

export interface ConnectionOptions {
  readonly handle: (request: Request) => Reply<unknown>;
  /** Logs a line of a kind (rate-limited per kind by the caller). */
  readonly complain: (kind: Complaint, line: string) => void;
  readonly deadlineMs?: number | undefined;
  readonly graceMs?: number | undefined;
  readonly maxBytes?: number | undefined;
  readonly limits?: Partial<AdmissionLimits> | undefined;
}

export interface Connections {
  serve(socket: Socket): void;
  /** A one-line reply, then the connection is gone (after DISMISS_GRACE_MS at most). */
  turnAway(socket: Socket, reply: Reply<unknown>): void;
  count(): number;
  destroyAll(): void;
}

/** Turned-away connections get their one-line reply and this long to read it. */
const DISMISS_GRACE_MS = 100;
/** Turned-away connections still closing, at most (past it, the oldest is cut at once). */
const MAX_DISMISSED = 16;

/** A connection holding a place. */
interface Slot {
  readonly socket: Socket;
  phase: SlotPhase;
  since: number;
  timer: NodeJS.Timeout | undefined;
}

export function createConnections(opts: ConnectionOptions): Connections {
  const { complain } = opts;
  const deadlineMs = opts.deadlineMs ?? REQUEST_DEADLINE_MS;
  const graceMs = opts.graceMs ?? REPLY_GRACE_MS;
  const maxBytes = opts.maxBytes ?? MAX_REQUEST_BYTES;
  const limits: AdmissionLimits = {
    maxOpen: MAX_OPEN_CONNECTIONS,
    maxWaiting: MAX_WAITING_CONNECTIONS,
    answeredMinAgeMs: ANSWERED_MIN_AGE_MS,
    ...opts.limits,
  };
  const slots = new Set<Slot>();
  const release = (slot: Slot): void => {
    clearTimeout(slot.timer);
    slots.delete(slot);
  };
  /**
   * Answers and half-closes, reading on (a bounded amount, looked at by no one) so that the client's
   * request write and its close go through; destroyed when the client closes or `withinMs` passes.
   */
  const finish = (socket: Socket, reply: Reply<unknown> | Buffer, withinMs: number): NodeJS.Timeout => {
    let discarded = 0;
    socket.removeAllListeners('data');
    socket.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > maxBytes) socket.destroy();
    });
    socket.end(Buffer.isBuffer(reply) ? reply : encodeReply(reply));
    return setTimeout(() => socket.destroy(), withinMs);
  };
  /** Connections turned away without a place, each for DISMISS_GRACE_MS at most, MAX_DISMISSED at once. */
  const dismissed = new Set<Socket>();
  const turnAway = (socket: Socket, reply: Reply<unknown>): void => {
    socket.on('error', () => socket.destroy());
    const oldest = dismissed.values().next();
    if (dismissed.size >= MAX_DISMISSED && !oldest.done) {
      dismissed.delete(oldest.value);
      oldest.value.destroy();
    }
    dismissed.add(socket);
    const timer = finish(socket, reply, DISMISS_GRACE_MS);
    socket.on('close', () => {
      clearTimeout(timer);
      dismissed.delete(socket);
    });
  };
  const busy = (why: string): Reply<unknown> => ({ ok: false, busy: true, error: `busy: ${why}` });
  const batch = createBatcher(opts.handle);

  const serve = (socket: Socket): void => {
    socket.on('error', () => socket.destroy());
    const now = performance.now();
    const admission = admit(slots, now, limits);
    if (admission.kind === 'refuse') {
      complain('busy', `turned a connection away: all ${limits.maxOpen} connections in use, none idle`);
      return turnAway(socket, busy(`all ${limits.maxOpen} connections in use`));
    }
    if (admission.kind === 'evict') {
      const victim = admission.victim;
      const waited = Math.round(now - victim.since);
      release(victim);
      if (victim.phase === 'waiting') {
        complain('busy', `all ${limits.maxOpen} connections in use: dropped one still without a complete request for a new one`);
        turnAway(victim.socket, busy('dropped for a new connection while still without a complete request'));
      } else {
        complain('busy', `all ${limits.maxOpen} connections in use: dropped one answered ${waited} ms ago and still open for a new one`);
        victim.socket.destroy();
      }
    }
    const slot: Slot = { socket, phase: 'new', since: now, timer: undefined };
    slots.add(slot);
    socket.on('close', () => release(slot));
    // After its first read a connection without a complete request needs one of the few waiting places.
    setTimeout(() => {
      setImmediate(() => {
        if (slot.phase !== 'new' || !slots.has(slot)) return;
        if (mayWait(slots, limits)) {
          slot.phase = 'waiting';
          slot.since = performance.now();
          return;
        }
        complain('busy', `turned a connection away: its request was not complete at its first read, and all ${limits.maxWaiting} waiting places are taken`);
        release(slot);
        turnAway(socket, busy(`request not complete at once, and all ${limits.maxWaiting} waiting places are taken`));
      });
    }, FIRST_READ_MS);

    const answer = (reply: Reply<unknown> | Buffer): void => {
      if (slot.phase === 'answered' || !slots.has(slot)) return;
      slot.phase = 'answered';
      slot.since = performance.now();
      clearTimeout(slot.timer);
      slot.timer = finish(socket, reply, graceMs);
    };
    const request = (line: string): void => {
      if (line.trim() === '') return answer({ ok: false, error: 'empty request (send {"cmd":"status"})' });
      const parsed = parseRequest(line);
      if (!parsed.ok) {
        complain(parsed.error.kind, parsed.error.message);
        return answer({ ok: false, error: parsed.error.message });
      }
      // Complete: no deadline any more, and not to be replaced while it waits for its turn.
      slot.phase = 'queued';
      clearTimeout(slot.timer);
      batch.submit(parsed.value, answer);
    };
    const reader = createRequestReader(maxBytes);
    socket.on('data', (chunk: Buffer) => {
      // Complete: what follows the request is not looked at (it waits one turn for its answer).
      if (slot.phase === 'queued') return;
      const step = reader.push(chunk);
      if (step.kind === 'line') return request(step.line);
      if (step.kind === 'oversized') {
        complain('oversized', `request longer than ${maxBytes} bytes`);
        // Out of its place at once; a client still streaming is cut off at the next chunk.
        release(slot);
        turnAway(socket, { ok: false, error: `request longer than ${maxBytes} bytes` });
      }
    });
    // A client may half-close instead of sending a newline.
    socket.on('end', () => {
      if (slot.phase === 'answered' || slot.phase === 'queued' || !slots.has(slot)) return;
      const step = reader.end();
      if (step.kind === 'line') request(step.line);
    });
    slot.timer = setTimeout(() => {
      complain('deadline', `a client sent no complete request within ${deadlineMs} ms`);
      answer({ ok: false, error: `no complete request within ${deadlineMs} ms` });
    }, deadlineMs);
  };

  return {
    serve,
    turnAway,
    count: () => slots.size + dismissed.size,
    destroyAll: () => {
      for (const s of slots) s.socket.destroy();
      for (const s of dismissed) s.destroy();
    },
  };
}
