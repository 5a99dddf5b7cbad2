import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what the last full GC kept
 * before the next one: 25%, where V8's own factor goes up to 300% when its
 * GC looks cheap. With small semi-spaces a burst's short-lived objects are
 * promoted, and the old space then filled with them up to 4x the live heap:
 * the daemon's finalize of 200,000 inline outputs took its heap from 26 to
 * 105 MiB of garbage (RSS 118 -> 225 MiB, and kept), a worker's old space
 * climbed 125 -> 166 MiB over 1,000,000 tasks with a live heap of ~15. A
 * full GC of such a heap costs milliseconds.
 */
export const HEAP_GROWING_PERCENT = 25;
const OLD_FLAGS = /--heap[-_]growing[-_]percent/;

/**
 * Keeps the old generation within HEAP_GROWING_PERCENT of its live size,
 * unless node's command line sets that (NODE_OPTIONS cannot). V8 reads it
 * whenever it sets the next full GC's limit, so it is set at run time, and
 * late: it is part of V8's flag hash, and a code cache made under another
 * hash is thrown away. Node's own modules load from a code cache made with
 * the default flags; with this flag set, every one loaded afterwards is
 * compiled from source (a worker's start: ~15 ms more CPU, measured). So a
 * process calls it once the modules it runs with are loaded (a worker: when
 * its loop starts). Returns whether it set it.
 */
export function keepOldGenerationSmall(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((a) => OLD_FLAGS.test(a))) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
