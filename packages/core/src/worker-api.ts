/**
 * `@djc/core/worker`: the values a worker process uses (its loop, the
 * attempt, the handler runners; the backend comes from `@djc/core/backends`),
 * without the package's index, which also loads the config schema (zod),
 * YAML, the partitioners' planner and the pipeline model: ~290 modules at
 * every worker process's start (issue 14). Types are all re-exported (an
 * `export type` loads nothing at run time).
 */
export type * from './index.js';
export { ConflictError, DjcError, EXIT, exitCodeFor, isDjcError } from './errors.js';
export { MAX_INLINE_OUTPUT_BYTES, MAX_TASK_BATCH } from './ports/state-store.js';
export { TERMINAL_JOB } from './model/status.js';
export { backoffDelay, shouldRetry } from './util/retry-policy.js';
export { batchBytes } from './partition/batch-stream.js';
export { smallBatchBytes } from './partition/read-batch-blocking.js';
export { batchOfCopy } from './partition/materialize.js';
export { blobKeys } from './util/keys.js';
export { capText } from './util/cap-text.js';
export { createLogger } from './logger.js';
export { deadLetterRecords } from './partition/bad-record.js';
export { formatDuration, formatSize, parseDuration, parseSize } from './config/units.js';
export { initTracing, shutdownTracing, tracer } from './tracing/tracing.js';
export { newWorkerId } from './util/ids.js';
export { keepOldGenerationSmall } from './util/old-generation.js';
export { readOptions } from './partition/options.js';
export { withJob } from './util/request-context.js';
