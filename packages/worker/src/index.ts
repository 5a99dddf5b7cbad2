export { runWorker, type WorkerOptions, type WorkerSummary } from './worker.js';
export { workerProcessMain, type WorkerProcessOptions } from './main.js';
export { createHandlerRunner, type HandlerRunner, type AttemptSpec, type AttemptResult } from './handlers/index.js';

/** Path of the djc-worker entry script, for dispatchers that spawn workers. */
export const WORKER_BIN = new URL('./bin.js', import.meta.url).pathname;
export { logDelta } from './handlers/log-delta.js';
