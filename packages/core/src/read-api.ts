/**
 * `@djc/core/read`: the values that reading and printing jobs needs (errors
 * and exit codes, statuses, documents, units, ids and keys, the logger, the
 * home's modes), without the job-file loader, the config schema, the
 * partitioners or the pipeline planner that the package's index also loads
 * (~150 ms of CPU, measured, issue 14). `@djc/coordinator/read` and the
 * CLI's read commands import this; types can still come from the index.
 */
export * from './errors.js';
export * from './logger.js';
export * from './model/status.js';
export * from './model/job-document.js';
export * from './config/units.js';
export * from './config/priority-classes.js';
export * from './util/ids.js';
export * from './util/keys.js';
export * from './util/task-ranges.js';
export * from './util/home-modes.js';
