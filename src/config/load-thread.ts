// loadConfig() on a worker thread, for a reload: the daemon's event loop sends the adverts, and a
// config of 150,000 lines takes a second or more to read. The worker has a heap of its own with a
// hard limit (resourceLimits): should a config get past the explicit bounds (limits.ts) and still
// need more memory, the worker dies of it, not the daemon. Its answer, a LoadResult (plain data:
// objects, arrays, strings, numbers; checked to survive the structured clone unchanged), comes
// back in slices the event loop takes one at a time (slices.ts): a 4000-instance Config
// deserialized at once held it 100-160 ms. Never rejects: a worker that fails, dies or takes too
// long is an error diagnostic at line 0 of the main file.
import { Worker } from 'node:worker_threads';
import type { ConfigDiagnostic } from './config.js';
import type { LoadOptions, LoadResult } from './load.js';
import type { LoadRequest } from './load-worker.js';
import { fromSlices, type Slices } from './slices.js';

/** The worker's old-generation heap: what a config at every bound at once needs, and margin. */
export const LOAD_WORKER_HEAP_MB = 256;
/** A read that takes this long is given up (the bounds keep a real one under a few seconds). */
export const LOAD_WORKER_TIMEOUT_MS = 30_000;

export interface LoadThreadOptions {
  readonly heapMb?: number;
  readonly timeoutMs?: number;
  /** The worker module; tests running from TypeScript sources give the compiled one. */
  readonly workerUrl?: URL;
}

const failure = (path: string, message: string): LoadResult => {
  const d: ConfigDiagnostic = { severity: 'error', pos: { file: path, line: 0 }, message };
  return { config: undefined, diagnostics: [d], files: [] };
};

export function loadConfigInWorker(path: string, options: LoadOptions = {}, o: LoadThreadOptions = {}): Promise<LoadResult> {
  const heapMb = o.heapMb ?? LOAD_WORKER_HEAP_MB;
  const timeoutMs = o.timeoutMs ?? LOAD_WORKER_TIMEOUT_MS;
  const request: LoadRequest = { path, options };
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(o.workerUrl ?? new URL('./load-worker.js', import.meta.url), {
        workerData: request,
        resourceLimits: { maxOldGenerationSizeMb: heapMb },
      });
    } catch (e) {
      resolve(failure(path, `cannot start the configuration reader: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    let settled = false;
    const settle = (result: LoadResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
      void worker.terminate();
    };
    const timer = setTimeout(() => settle(failure(path, `reading the configuration took longer than ${timeoutMs / 1000} s; it was not read`)), timeoutMs);
    worker.on('message', (slices: Slices) => {
      // The answer is in: the worker's end (or its timer) no longer counts.
      clearTimeout(timer);
      worker.removeAllListeners('exit');
      worker.removeAllListeners('error');
      worker.on('error', () => undefined);
      void fromSlices(slices).then(
        (result) => settle(result as LoadResult),
        (e: unknown) => settle(failure(path, `internal error while reading the configuration: ${e instanceof Error ? e.message : String(e)}`)),
      );
    });
    worker.on('error', (e: Error & { code?: string }) => {
      const why =
        e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `reading the configuration needed more than ${heapMb} MB of memory; it was not read`
          : e.code === 'ERR_WORKER_INIT_FAILED' || e.code === 'EMFILE' || e.code === 'ENFILE'
            ? `cannot start the configuration reader: ${e.message}`
            : `internal error while reading the configuration: ${e.message}`;
      settle(failure(path, why));
    });
    worker.on('exit', (code) => settle(failure(path, `the configuration reader ended without an answer (exit code ${code})`)));
  });
}
