// The short-lived commands' output (`vrrpd status`, `-t --dump`, `-h`, `-v`): Node hands a write
// to a pipe that does not fit in the pipe's buffer (64 KiB) to libuv and finishes it later, so
// process.exit() right after such a write loses the rest. The command line waits for this first.
import type { Writable } from 'node:stream';
import { err, ok, type Result } from '../types.js';

/** One sentence for a failed write to stdout or stderr. */
export function describeWriteError(name: string, e: NodeJS.ErrnoException): string {
  if (e.code === 'EPIPE') return `the reader of ${name} closed it before the output was complete (EPIPE)`;
  return `cannot write to ${name}: ${e.message}`;
}

/**
 * Resolves once everything written to `stream` so far has reached the kernel (writes complete in
 * order, so an empty write completes after them), or with why it cannot.
 */
export function flushed(stream: Writable, name: string): Promise<Result<void, string>> {
  return new Promise((resolve) => {
    const settle = (e?: Error | null): void => {
      // A stream destroyed by an earlier failure answers "write after destroy": report the cause.
      const cause = (stream.errored ?? e) as NodeJS.ErrnoException | null | undefined;
      resolve(cause ? err(describeWriteError(name, cause)) : ok(undefined));
    };
    if (stream.errored || stream.destroyed) return settle();
    stream.write('', settle);
  });
}
