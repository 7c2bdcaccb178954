// The worker side of load-thread.ts: read and parse one config, post the LoadResult back in slices
// (slices.ts), end.
import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig, type LoadOptions } from './load.js';
import { toSlices } from './slices.js';

export interface LoadRequest {
  readonly path: string;
  readonly options: LoadOptions;
}

const request = workerData as LoadRequest;
const slices = toSlices(loadConfig(request.path, request.options));
// Moved, not copied: a copy of 20 MB of parts is 40 ms of the receiving loop. v8.serialize gives
// each part a buffer of its own; one that shares its buffer would be copied.
const owned = slices.parts.filter((p) => p.byteOffset === 0 && p.byteLength === p.buffer.byteLength).map((p) => p.buffer as ArrayBuffer);
parentPort?.postMessage(slices, owned);
