// The daemon's end of the control socket (src/control/protocol.ts). Who may ask: root and the
// daemon's own uid. Two locks on that door: the socket file is mode 0600 (connect() fails with
// EACCES for anyone else; the unit's RuntimeDirectory is 0750 on top), and each connection's
// SO_PEERCRED is checked (native addon), so a socket left more open by mistake still answers no
// one else. Whatever arrives is bounded and never reaches the protocol (a request only reads
// state): connections.ts bounds what each connection may read, how long it may take and how many
// may be open; each kind of complaint is logged under its own rate limit.
import { chmodSync, lstatSync, statSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log/logger.js';
import { createLogLimiter } from '../log/limit.js';
import { peerCredentials, type PeerCredentials } from '../native/addon.js';
import { err, ok, type Result } from '../types.js';
import type { AdmissionLimits } from './admission.js';
import { createConnections, type Complaint } from './connections.js';
import type { Reply, Request } from './protocol.js';

export interface ControlServerOptions {
  readonly path: string;
  readonly log: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Answers a well-formed request; runs on the main thread between protocol events. */
  readonly handle: (request: Request) => Reply<unknown>;
  /** From accept to a complete request. */
  readonly deadlineMs?: number;
  /** From the answer to the connection's end. */
  readonly graceMs?: number;
  readonly maxBytes?: number;
  readonly limits?: Partial<AdmissionLimits>;
  /** Who may ask besides root; the daemon's effective uid by default. */
  readonly ownUid?: number;
  /** Reads a connection's peer; SO_PEERCRED by default (tests inject others). */
  readonly peerOf?: (socket: Socket) => Result<PeerCredentials, string>;
}

export interface ControlServer {
  readonly path: string;
  /** Connections open now: holding a place, or turned away and closing. */
  connections(): number;
  /** Stops listening, drops open connections and removes the socket file (if it is still ours). */
  close(): Promise<void>;
}

/** Each kind of complaint is logged at most this often (a flood must not flood the log). */
const COMPLAINT_INTERVAL_MS = 10_000;

/** Node keeps a connection's fd on its internal handle; not public API, so read it defensively. */
function socketFd(socket: Socket): number | undefined {
  const handle: unknown = (socket as unknown as { _handle?: unknown })._handle;
  const fd: unknown = typeof handle === 'object' && handle !== null ? (handle as { fd?: unknown }).fd : undefined;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

export function soPeerCred(socket: Socket): Result<PeerCredentials, string> {
  const fd = socketFd(socket);
  return fd === undefined ? err('no file descriptor for the connection') : peerCredentials(fd);
}

/** A stale socket from a crashed run is replaced; anything else at the path is left alone. */
function clearStale(path: string): Result<void, string> {
  try {
    const st = lstatSync(path);
    if (!st.isSocket()) return err(`${path} exists and is not a socket - not replacing it`);
    unlinkSync(path);
    return ok(undefined);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? ok(undefined) : err(`cannot replace ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export async function startControlServer(opts: ControlServerOptions): Promise<Result<ControlServer, string>> {
  const ownUid = opts.ownUid ?? process.geteuid?.() ?? 0;
  const peerOf = opts.peerOf ?? soPeerCred;
  const cleared = clearStale(opts.path);
  if (!cleared.ok) return cleared;

  const limit = createLogLimiter<Complaint>(COMPLAINT_INTERVAL_MS, () => performance.now());
  const complain = (kind: Complaint, line: string): void => {
    const text = limit(kind, line);
    if (text !== undefined) opts.log.warn(`control socket: ${text}`);
  };

  const connections = createConnections({ handle: opts.handle, complain, deadlineMs: opts.deadlineMs, graceMs: opts.graceMs, maxBytes: opts.maxBytes, limits: opts.limits });
  const serve = (socket: Socket): void => {
    // Checked before a place is given: whoever else reaches the socket cannot take one.
    const peer = peerOf(socket);
    if (!peer.ok || (peer.value.uid !== 0 && peer.value.uid !== ownUid)) {
      const who = peer.ok ? `uid ${peer.value.uid} (pid ${peer.value.pid})` : `a peer whose credentials cannot be read (${peer.error})`;
      complain('peer', `refused ${who}: only root and uid ${ownUid} may ask`);
      return connections.turnAway(socket, { ok: false, error: `permission denied: only root and uid ${ownUid} may use this socket` });
    }
    connections.serve(socket);
  };

  const server: Server = createServer({ allowHalfOpen: true }, serve);
  // Created 0600 (not chmod'ed after bind, which leaves a moment open); umask is per process and
  // bind happens inside listen(), on this thread, so nothing else creates a file meanwhile.
  const listened = await new Promise<Result<void, string>>((resolve) => {
    const onError = (e: Error): void => resolve(err(`cannot listen on ${opts.path}: ${e.message}`));
    server.once('error', onError);
    const before = process.umask(0o177);
    try {
      server.listen(opts.path, () => {
        server.off('error', onError);
        resolve(ok(undefined));
      });
    } finally {
      process.umask(before);
    }
  });
  if (!listened.ok) return listened;
  // accept() failing (EMFILE under a flood) is a kind of its own, rate-limited like the others.
  server.on('error', (e) => complain('accept', e.message));
  let ino: number | undefined;
  try {
    chmodSync(opts.path, 0o600);
    ino = statSync(opts.path).ino;
  } catch (e) {
    server.close();
    return err(`cannot set the mode of ${opts.path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const unlinkOurs = (): void => {
    try {
      if (statSync(opts.path).ino === ino) unlinkSync(opts.path);
    } catch {
      // already gone
    }
  };
  // Node unlinks a listening unix socket on close() too; this covers exits that skip close().
  process.once('exit', unlinkOurs);
  return ok({
    path: opts.path,
    connections: () => connections.count(),
    close: () =>
      new Promise<void>((resolve) => {
        connections.destroyAll();
        server.close(() => {
          unlinkOurs();
          process.off('exit', unlinkOurs);
          resolve();
        });
      }),
  });
}
