// The daemon's end of the control socket (src/control/protocol.ts). Who may ask: root and the
// daemon's own uid. Two locks on that door: the socket file is mode 0600 (connect() fails with
// EACCES for anyone else; the unit's RuntimeDirectory is 0750 on top), and each connection's
// SO_PEERCRED is checked (native addon), so a socket left more open by mistake still answers no
// one else. Whatever arrives is bounded (size, time, connections) and never reaches the protocol:
// a request only reads state.
import { chmodSync, lstatSync, statSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../log.js';
import { peerCredentials, type PeerCredentials } from '../native.js';
import { err, ok, type Result } from '../types.js';
import { encodeReply, MAX_CONNECTIONS, MAX_REQUEST_BYTES, parseRequest, REQUEST_TIMEOUT_MS, type Reply, type Request } from './protocol.js';

export interface ControlServerOptions {
  readonly path: string;
  readonly log: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Answers a well-formed request; runs on the main thread between protocol events. */
  readonly handle: (request: Request) => Reply<unknown>;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  /** Who may ask besides root; the daemon's effective uid by default. */
  readonly ownUid?: number;
  /** Reads a connection's peer; SO_PEERCRED by default (tests inject others). */
  readonly peerOf?: (socket: Socket) => Result<PeerCredentials, string>;
}

export interface ControlServer {
  readonly path: string;
  /** Stops listening, drops open connections and removes the socket file (if it is still ours). */
  close(): Promise<void>;
}

/** A rejected or malformed request is logged at most this often (a flood must not flood the log). */
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
  const timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const maxBytes = opts.maxBytes ?? MAX_REQUEST_BYTES;
  const ownUid = opts.ownUid ?? process.geteuid?.() ?? 0;
  const peerOf = opts.peerOf ?? soPeerCred;
  const cleared = clearStale(opts.path);
  if (!cleared.ok) return cleared;

  const complaints = { last: -Infinity, suppressed: 0 };
  const complain = (line: string): void => {
    const now = Date.now();
    if (now - complaints.last < COMPLAINT_INTERVAL_MS) {
      complaints.suppressed++;
      return;
    }
    const more = complaints.suppressed > 0 ? ` (${complaints.suppressed} more since last report)` : '';
    complaints.last = now;
    complaints.suppressed = 0;
    opts.log.warn(`control socket: ${line}${more}`);
  };

  const open = new Set<Socket>();
  const serve = (socket: Socket): void => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
    let answered = false;
    const answer = (reply: Reply<unknown>): void => {
      if (answered) return;
      answered = true;
      socket.setTimeout(0);
      socket.end(encodeReply(reply));
    };
    const peer = peerOf(socket);
    if (!peer.ok || (peer.value.uid !== 0 && peer.value.uid !== ownUid)) {
      const who = peer.ok ? `uid ${peer.value.uid} (pid ${peer.value.pid})` : `a peer whose credentials cannot be read (${peer.error})`;
      complain(`refused ${who}: only root and uid ${ownUid} may ask`);
      answer({ ok: false, error: `permission denied: only root and uid ${ownUid} may use this socket` });
      return;
    }
    let buffered = '';
    const request = (line: string): void => {
      const parsed = parseRequest(line);
      if (!parsed.ok) {
        complain(parsed.error);
        return answer({ ok: false, error: parsed.error });
      }
      let reply: Reply<unknown>;
      try {
        reply = opts.handle(parsed.value);
      } catch (e) {
        reply = { ok: false, error: `internal error: ${e instanceof Error ? e.message : String(e)}` };
      }
      answer(reply);
    };
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => {
      complain(`a client sent no complete request within ${timeoutMs} ms`);
      answer({ ok: false, error: `no request within ${timeoutMs} ms` });
      socket.destroySoon();
    });
    socket.on('data', (chunk: string) => {
      if (answered) return;
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline >= 0 && newline <= maxBytes) return request(buffered.slice(0, newline));
      if (Buffer.byteLength(buffered) > maxBytes) {
        complain(`request longer than ${maxBytes} bytes`);
        answer({ ok: false, error: `request longer than ${maxBytes} bytes` });
      }
    });
    // A client may half-close instead of sending a newline.
    socket.on('end', () => {
      if (!answered) {
        if (buffered.trim() === '') answer({ ok: false, error: 'empty request (send {"cmd":"status"})' });
        else request(buffered);
      }
    });
  };

  const server: Server = createServer({ allowHalfOpen: true }, serve);
  server.maxConnections = MAX_CONNECTIONS;
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
  server.on('error', (e) => opts.log.warn(`control socket: ${e.message}`));
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
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => {
          unlinkOurs();
          process.off('exit', unlinkOurs);
          resolve();
        });
      }),
  });
}
