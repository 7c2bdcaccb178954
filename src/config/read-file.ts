// Reading one config file without ever hanging or swallowing the machine's memory.
//
// A path handed to us (the main config, or a glob match of an `include`) may name anything: a
// directory, a FIFO nobody writes to (a plain open() would block forever), /dev/zero (read() never
// ends), a socket, a file that grows while we read it. So the file is opened with O_NONBLOCK (an
// open of a FIFO returns at once), fstat()ed on the open descriptor (no race with a rename), refused
// unless it is a regular file, and read only up to a byte budget. keepalived's check_glob_file()
// also refuses executable files ("not a regular non-executable file"); we follow it.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { Stats } from 'node:fs';

export type ReadFileResult =
  | { readonly ok: true; readonly text: string; readonly bytes: number }
  | {
      readonly ok: false;
      /** Why, phrased to follow "cannot read config file: " or "cannot include 'x': ". */
      readonly reason: string;
      /** 'missing': not there or not readable; 'refused': there, but not something we read. */
      readonly kind: 'missing' | 'refused';
    };

const MIB = 1024 * 1024;

/** How a non-regular file is named in the refusal. */
function describeNonRegular(st: Stats): string {
  if (st.isDirectory()) return 'EISDIR: it is a directory, not a file';
  if (st.isFIFO()) return 'it is a FIFO, not a regular file';
  if (st.isCharacterDevice()) return 'it is a character device, not a regular file';
  if (st.isBlockDevice()) return 'it is a block device, not a regular file';
  if (st.isSocket()) return 'it is a socket, not a regular file';
  return 'it is not a regular file';
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Read `path` as UTF-8 if it is a regular, non-executable file of at most `maxBytes` bytes.
 * Never throws, never blocks on a FIFO or a device.
 */
export function readConfigFile(path: string, maxBytes: number): ReadFileResult {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    return { ok: false, reason: errorText(e), kind: 'missing' };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, reason: describeNonRegular(st), kind: 'refused' };
    if ((st.mode & 0o111) !== 0) {
      // keepalived check_glob_file(): "is not a regular non-executable file - skipping".
      return { ok: false, reason: 'it is executable (keepalived reads only non-executable config files)', kind: 'refused' };
    }
    if (st.size > maxBytes) {
      return { ok: false, reason: `it is larger than ${formatBytes(maxBytes)} (${st.size} bytes)`, kind: 'refused' };
    }
    // Read at most maxBytes + 1: a file that grows past the limit while we read is refused too.
    const buffer = Buffer.alloc(Math.min(maxBytes + 1, Math.max(st.size + 1, 4096)));
    let length = 0;
    let chunk = buffer;
    for (;;) {
      if (length === chunk.length) {
        if (chunk.length > maxBytes) break;
        const bigger = Buffer.alloc(Math.min(maxBytes + 1, chunk.length * 2));
        chunk.copy(bigger, 0, 0, length);
        chunk = bigger;
      }
      const n = readSync(fd, chunk, length, chunk.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes) {
      return { ok: false, reason: `it is larger than ${formatBytes(maxBytes)} (it grew while being read)`, kind: 'refused' };
    }
    return { ok: true, text: chunk.toString('utf8', 0, length), bytes: length };
  } catch (e) {
    return { ok: false, reason: errorText(e), kind: 'missing' };
  } finally {
    try {
      closeSync(fd);
    } catch {
      // Nothing useful to do: the descriptor is gone either way.
    }
  }
}

export function formatBytes(bytes: number): string {
  return bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${bytes} bytes`;
}
