/**
 * `@djc/core/thread`: what a module handler thread (the worker's
 * handlers/module-thread.ts) needs: import the user's function, read its
 * batch, cap error text. Not the package's index, which also loads the
 * config schema (zod), YAML, the logger, the backends and the planner: a
 * fixed cost every handler thread paid at its start (issue 14). Types can
 * still come from the index (`import type` loads nothing).
 */
export { DjcError, isDjcError } from './errors.js';
export { capError, capText, MAX_ERROR_CHARS } from './util/cap-text.js';
export { importUserFunction, parseModuleRef } from './util/import-module.js';
export { deadLetterRecords } from './partition/bad-record.js';
export { readBatchRecords } from './partition/read-batch.js';
export { readSmallBatchBlocking } from './partition/read-batch-blocking.js';
export { useBlockingLocalReads } from './partition/blocking-local-source.js';
