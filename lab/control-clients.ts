// Hostile and careless clients of the control socket, as a local process of the daemon's own uid
// could run them: `node dist/lab/control-clients.js SOCKET KIND COUNT MS` keeps COUNT clients of
// KIND connected for MS (each reconnects as soon as the daemon drops it), then prints one JSON
// line of counts. The lab tests run it beside `vrrpd status` to count how often status gets through.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export const CLIENT_KINDS = ['drip', 'bad-line-open', 'silent', 'no-read', 'random-10mb', 'status', 'mixed'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

export interface ClientCounts {
  readonly connections: number;
  /** Connections on which the daemon wrote something (a reply, an error, "busy"). */
  readonly answered: number;
  readonly errors: number;
  /** The longest a connection stayed open, in ms. */
  readonly longestMs: number;
}

const DRIP_EVERY_MS = 1500;
const RANDOM_BYTES = 10 * 1024 * 1024;
const MIXED = ['{"cmd":"status"}\n', 'garbage\n', 'x'.repeat(8000), '', '{"cmd":"nope"}\n'] as const;

/** What one client of `kind` does once connected; returns a stopper for its timers. */
function behave(kind: ClientKind, socket: Socket, n: number, random: () => Buffer): () => void {
  switch (kind) {
    case 'drip': {
      // One byte of a plausible request at a time, under any idle timeout.
      const text = '{"cmd":"status"}\n';
      let i = 0;
      const timer = setInterval(() => socket.write(text[i++ % text.length] ?? ' '), DRIP_EVERY_MS);
      socket.write(text[i++] ?? ' ');
      return () => clearInterval(timer);
    }
    case 'bad-line-open':
      socket.write('garbage\n');
      return () => undefined;
    case 'silent':
      return () => undefined;
    case 'no-read': {
      // Never reads; pokes a byte now and then, which fails (and so reconnects) once the daemon has closed.
      socket.pause();
      socket.write('{"cmd":"status"}\n');
      const timer = setInterval(() => socket.write(' '), 250);
      return () => clearInterval(timer);
    }
    case 'status':
      // Well-formed and read to the end: as many status requests as the daemon will answer.
      socket.end('{"cmd":"status"}\n');
      return () => undefined;
    case 'random-10mb':
      socket.write(random());
      return () => undefined;
    case 'mixed': {
      const text = MIXED[n % MIXED.length] ?? '';
      if (text !== '') socket.write(text);
      if (text !== '' || n % 10 === 0) socket.end();
      else setTimeout(() => socket.destroy(), 50);
      return () => undefined;
    }
  }
}

/**
 * One connection: sends `bytes` (half-closing after them unless `halfClose` is false) and resolves
 * with everything the daemon wrote until it closed, or `timeoutMs` passed.
 */
export function exchange(path: string, bytes: string | Buffer, opts: { halfClose?: boolean; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(path);
    const chunks: Buffer[] = [];
    const finish = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(finish, opts.timeoutMs ?? 5000);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('close', finish);
    // A reset after the reply (the daemon closed with our bytes unread) still leaves the reply.
    s.on('error', () => undefined);
    s.on('connect', () => {
      if (bytes.length > 0) s.write(bytes);
      if (opts.halfClose ?? true) s.end();
    });
  });
}

export function runClients(path: string, kind: ClientKind, count: number, durationMs: number): Promise<ClientCounts> {
  const until = Date.now() + durationMs;
  const counts = { connections: 0, answered: 0, errors: 0, longestMs: 0 };
  const live = new Set<Socket>();
  let cached: Buffer | undefined;
  const random = (): Buffer => (cached ??= randomBytes(RANDOM_BYTES));
  const one = (): void => {
    if (Date.now() >= until) return;
    const n = counts.connections++;
    // Hostile clients do not close when the daemon does (allowHalfOpen); the flood's mix does.
    const socket = connect({ path, allowHalfOpen: kind !== 'mixed' });
    live.add(socket);
    const opened = Date.now();
    let stop = (): void => undefined;
    let got = false;
    socket.on('connect', () => (stop = behave(kind, socket, n, random)));
    socket.on('data', () => {
      if (!got) counts.answered++;
      got = true;
    });
    socket.on('error', () => counts.errors++);
    // The daemon closed: connect again at once, to keep the pressure on.
    socket.on('end', () => socket.destroy());
    socket.on('close', () => {
      stop();
      live.delete(socket);
      counts.longestMs = Math.max(counts.longestMs, Date.now() - opened);
      // A refused connect (backlog full) comes back at once: do not spin on it.
      setTimeout(one, Date.now() - opened < 5 ? 5 : 0);
    });
  };
  for (let i = 0; i < count; i++) one();
  return new Promise((resolve) => {
    setTimeout(() => {
      for (const s of live) s.destroy();
      resolve(counts);
    }, durationMs);
  });
}

function isKind(s: string | undefined): s is ClientKind {
  return CLIENT_KINDS.some((k) => k === s);
}

async function main(args: readonly string[]): Promise<number> {
  const [path, kind, count, ms] = args;
  if (path === undefined || !isKind(kind) || !(Number(count) > 0) || !(Number(ms) > 0)) {
    process.stderr.write(`usage: control-clients SOCKET ${CLIENT_KINDS.join('|')} COUNT MS\n`);
    return 2;
  }
  const counts = await runClients(path, kind, Number(count), Number(ms));
  await new Promise((resolve) => process.stdout.write(`${JSON.stringify(counts)}\n`, resolve));
  return 0;
}

if (process.argv[1]?.endsWith('control-clients.js')) {
  // Exit at once: the timers of clients still closing would keep the process alive.
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
