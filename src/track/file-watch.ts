// track_file: the value in each tracked file, kept current. keepalived watches the file's
// directory with inotify (IN_CLOSE_WRITE | IN_DELETE | IN_MOVE) and re-reads the file when it is
// written or moved in; deleted or moved away, the value is 0 (track_file.c process_inotify).
// Here: fs.watch on the directory (Node's inotify mask has no IN_CLOSE_WRITE, so a read is
// delayed a little after the last event to not see a half-written file), plus a slow poll in case
// the watch cannot be set up or misses something (a symlinked file changed elsewhere). Each read
// is at most 127 bytes, and a file is never read twice at once: costs stay bounded whatever
// happens to the files.
//
// init_file [VALUE] [overwrite] (track_file_end_handler): at start the file is written with VALUE
// (default 0) when it does not exist, or always with `overwrite` (then only if it is a regular
// file). 2.2.8 actually writes it even without overwrite (fixed later upstream); vrrpd follows the
// documented and fixed behaviour. keepalived writes through a temporary file and a rename.
import { constants as fsConstants, watch as fsWatch } from 'node:fs';
import { lstat, open, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { TrackFileConfig } from '../config/config.js';
import type { Clock } from './clock.js';
import { parseTrackFileValue, TRACK_FILE_READ_BYTES } from './file-value.js';
import { guarded } from './log.js';
import type { LineLog } from '../log/lines.js';

export const FILE_POLL_MS = 5000;
export const FILE_SETTLE_MS = 50;

export type HeadRead = { readonly kind: 'ok'; readonly head: string } | { readonly kind: 'missing' } | { readonly kind: 'error'; readonly message: string };

/** The file-system operations track files need (tests pass their own). */
export interface TrackFileIo {
  /** The first `max` bytes (non-blocking open: a FIFO must not hang us). */
  readHead(path: string, max: number): Promise<HeadRead>;
  /** What is at the path: missing, a regular file, or something else. */
  kindOf(path: string): Promise<'missing' | 'file' | 'other'>;
  /** Atomically replace the file's contents (temporary file + rename). */
  writeAtomic(path: string, text: string): Promise<string | undefined>;
  /** Watch a directory; `onEvent(name)` per change (name undefined when unknown). Returns stop, or an error. */
  watchDir(dir: string, onEvent: (name: string | undefined) => void, onError: (message: string) => void): (() => void) | string;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export const nodeTrackFileIo: TrackFileIo = {
  async readHead(path, max) {
    let fh;
    try {
      fh = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ENOENT' ? { kind: 'missing' } : { kind: 'error', message: message(e) };
    }
    try {
      const buf = Buffer.alloc(max);
      const { bytesRead } = await fh.read(buf, 0, max, 0);
      return { kind: 'ok', head: buf.subarray(0, bytesRead).toString('latin1') };
    } catch (e) {
      return { kind: 'error', message: message(e) };
    } finally {
      await fh.close().catch(() => undefined);
    }
  },
  async kindOf(path) {
    try {
      return (await lstat(path)).isFile() ? 'file' : 'other';
    } catch {
      return 'missing';
    }
  },
  async writeAtomic(path, text) {
    const tmp = `${path}.vrrpd-${process.pid}-${Date.now()}`;
    try {
      await writeFile(tmp, text, { mode: 0o644, flag: 'wx' });
      await rename(tmp, path);
      return undefined;
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      return message(e);
    }
  },
  watchDir(dir, onEvent, onError) {
    try {
      const w = fsWatch(dir, { persistent: false }, (_type, name) => onEvent(typeof name === 'string' ? name : undefined));
      w.on('error', (e) => onError(message(e)));
      return () => w.close();
    } catch (e) {
      return message(e);
    }
  },
};

export interface FileStatus {
  readonly name: string;
  readonly path: string;
  /** undefined until the first read. */
  readonly value: number | undefined;
  readonly lastReadAt: number | undefined;
  /** Why the last read gave no number: missing, a read error, an invalid number. */
  readonly note: string | undefined;
}

export interface FileTracker {
  start(): void;
  stop(): void;
  status(): FileStatus[];
}

export interface FileTrackerDeps {
  readonly log: LineLog;
  readonly clock: Clock;
  readonly io: TrackFileIo;
  readonly pollMs?: number;
  readonly settleMs?: number;
}

interface FileSlot {
  readonly cfg: TrackFileConfig;
  value: number | undefined;
  lastReadAt: number | undefined;
  note: string | undefined;
  reading: boolean;
  again: boolean;
  cancelSettle: () => void;
}

export function createFileTracker(files: readonly TrackFileConfig[], deps: FileTrackerDeps, onValue: (name: string, value: number) => void): FileTracker {
  const { log, clock, io } = deps;
  const pollMs = deps.pollMs ?? FILE_POLL_MS;
  const settleMs = deps.settleMs ?? FILE_SETTLE_MS;
  const slots = files.map((cfg): FileSlot => ({ cfg, value: undefined, lastReadAt: undefined, note: undefined, reading: false, again: false, cancelSettle: () => undefined }));
  const watchers = new Map<string, () => void>();
  let stopped = false;
  let cancelPoll = (): void => undefined;

  function setValue(slot: FileSlot, value: number): void {
    const changed = slot.value !== value;
    slot.value = value;
    if (changed && !stopped) guarded(log, `track_file ${slot.cfg.name}`, () => onValue(slot.cfg.name, value));
  }

  function setNote(slot: FileSlot, note: string | undefined, line: string | undefined): void {
    if (note !== slot.note && line !== undefined) log.warn(line);
    slot.note = note;
  }

  async function readOnce(slot: FileSlot): Promise<void> {
    const path = slot.cfg.path;
    const r = await io.readHead(path, TRACK_FILE_READ_BYTES);
    if (stopped) return;
    slot.lastReadAt = clock.now();
    if (r.kind === 'missing') {
      setNote(slot, 'missing', undefined);
      return setValue(slot, 0);
    }
    if (r.kind === 'error') {
      setNote(slot, `error: ${r.message}`, `track_file ${slot.cfg.name}: cannot read ${path}: ${r.message} - using 0`);
      return setValue(slot, 0);
    }
    const v = parseTrackFileValue(r.head);
    if (v.kind === 'invalid') {
      // keepalived keeps the previous value; before any value there is its initial 0.
      setNote(slot, `invalid: ${v.shown}`, `Invalid number ${v.shown} read from ${path} - ignoring`);
      return setValue(slot, slot.value ?? 0);
    }
    setNote(slot, undefined, undefined);
    setValue(slot, v.value);
  }

  /** Read now, or once more right after the read in flight. */
  function read(slot: FileSlot): void {
    if (stopped) return;
    if (slot.reading) {
      slot.again = true;
      return;
    }
    slot.reading = true;
    readOnce(slot)
      .catch((e: unknown) => log.error(`track_file ${slot.cfg.name}: ${message(e)}`))
      .finally(() => {
        slot.reading = false;
        if (slot.again) {
          slot.again = false;
          read(slot);
        }
      });
  }

  function settleThenRead(slot: FileSlot): void {
    slot.cancelSettle();
    slot.cancelSettle = clock.setTimer(settleMs, () => read(slot));
  }

  /** Directories whose watch could not be set up (logged once each; retried at every poll). */
  const unwatched = new Set<string>();

  function watchDirs(): void {
    for (const dir of new Set(slots.map((s) => dirname(s.cfg.path)))) {
      if (watchers.has(dir)) continue;
      const inDir = slots.filter((s) => dirname(s.cfg.path) === dir);
      const stop = io.watchDir(
        dir,
        (name) => {
          for (const s of inDir) if (name === undefined || name === basename(s.cfg.path)) settleThenRead(s);
        },
        (msg) => {
          log.warn(`track_file: watching ${dir} failed (${msg}) - polling every ${pollMs / 1000} s`);
          unwatched.add(dir);
          watchers.get(dir)?.();
          watchers.delete(dir);
        },
      );
      if (typeof stop === 'string') {
        if (!unwatched.has(dir)) log.warn(`track_file: cannot watch ${dir} (${stop}) - polling every ${pollMs / 1000} s`);
        unwatched.add(dir);
      } else {
        if (unwatched.delete(dir)) log.info(`track_file: watching ${dir} again`);
        watchers.set(dir, stop);
      }
    }
  }

  function poll(): void {
    if (stopped) return;
    watchDirs();
    for (const s of slots) read(s);
    cancelPoll = clock.setTimer(pollMs, poll);
  }

  async function initFile(slot: FileSlot): Promise<void> {
    const init = slot.cfg.init;
    if (init === undefined) return;
    const kind = await io.kindOf(slot.cfg.path);
    if (kind !== 'missing' && !init.overwrite) return;
    if (kind === 'other') {
      log.error(`Cannot initialise track file ${slot.cfg.name} - it is not a regular file`);
      return;
    }
    const error = await io.writeAtomic(slot.cfg.path, `${init.value}\n`);
    if (error !== undefined) log.error(`Unable to initialise track file ${slot.cfg.name} (${slot.cfg.path}: ${error})`);
  }

  return {
    start() {
      if (slots.length === 0) return;
      Promise.all(slots.map((s) => initFile(s).catch((e: unknown) => log.error(`track_file ${s.cfg.name}: ${message(e)}`)))).then(() => {
        if (stopped) return;
        watchDirs();
        for (const s of slots) read(s);
        cancelPoll = clock.setTimer(pollMs, poll);
      }, () => undefined);
    },
    stop() {
      stopped = true;
      cancelPoll();
      for (const s of slots) s.cancelSettle();
      for (const stop of watchers.values()) stop();
      watchers.clear();
    },
    status: () => slots.map((s) => ({ name: s.cfg.name, path: s.cfg.path, value: s.value, lastReadAt: s.lastReadAt, note: s.note })),
  };
}
