// The worker side of load-thread.ts: read and parse one config, post the LoadResult back, end.
import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig, type LoadOptions } from './load.js';

export interface LoadRequest {
  readonly path: string;
  readonly options: LoadOptions;
}

const request = workerData as LoadRequest;
parentPort?.postMessage(loadConfig(request.path, request.options));
