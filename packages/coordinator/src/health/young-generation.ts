import { setFlagsFromString } from 'node:v8';

/** Node options that size the young generation: when the operator set one, it wins. */
const YOUNG_FLAGS = /--(max|min)[-_]semi[-_]space[-_]size|--semi[-_]space[-_]growth[-_]factor/;

/**
 * Keeps V8's young generation at the size it starts with (1 MiB
 * semi-spaces) in a long-running daemon, unless the node command line or
 * NODE_OPTIONS sizes it. By default V8 grows it to 16 MiB semi-spaces (32
 * MiB of new space) as soon as allocation is busy, and a daemon allocates in
 * bursts (one per job it prepares, schedules and finalizes): over a
 * 1,000-job soak that reserve, and the old space it promoted into, made the
 * RSS climb while the heap in use stayed flat (docs/benchmarks.md §15). Set
 * at run time, before the young generation grows: V8 reads the factor at
 * every scavenge (measured on Node 20, 22 and 24: new space stays 2 MiB,
 * against 32 MiB without it).
 */
export function keepYoungGenerationSmall(): boolean {
  if ([...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => YOUNG_FLAGS.test(a))) return false;
  setFlagsFromString('--semi-space-growth-factor=1');
  return true;
}

/**
 * How far V8 lets the old generation grow past what the last full GC kept
 * before the next one: 25%, where V8's own factor goes up to 300% when
 * its GC looks cheap. With small semi-spaces a burst's short-lived objects
 * are promoted, and the old space then filled with them up to 4x the live
 * heap: the daemon's finalize of 200,000 inline outputs took its heap from
 * 26 to 105 MiB of garbage (RSS 118 -> 225 MiB, and kept), a worker's old
 * space climbed 125 -> 166 MiB over 1,000,000 tasks with a live heap of
 * ~15. A full GC of such a heap costs milliseconds.
 */
export const HEAP_GROWING_PERCENT = 25;
const HEAP_GROWING_FLAG = `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
const OLD_FLAGS = /--heap[-_]growing[-_]percent/;

/**
 * The daemon's heap: keepYoungGenerationSmall, and the old generation kept
 * within HEAP_GROWING_PERCENT of its live size unless node's command line
 * sets that (NODE_OPTIONS cannot). V8 reads it whenever it sets the next
 * full GC's limit, so setting it at run time works (unlike the semi-space
 * size).
 */
export function keepHeapSmall(): void {
  keepYoungGenerationSmall();
  if (!process.execArgv.some((a) => OLD_FLAGS.test(a))) setFlagsFromString(HEAP_GROWING_FLAG);
}

/** A worker's young generation: semi-spaces of at most this many MiB (V8's default on Node 24 grows them to 32). */
export const WORKER_SEMI_SPACE_MB = 4;

/**
 * Node options for a worker process's command line, before its script: a
 * capped young generation, unless NODE_OPTIONS sizes it. A worker allocates
 * at a steady high rate (claims, commits, a thread message per group) with
 * a small live heap (~15 MiB, docs/benchmarks.md §19); V8 grows its new
 * space to 64 MiB per isolate and promotes into an old space it then lets
 * grow: 267-280 MiB RSS at 1,000,000 tasks. Unlike the daemon's growth
 * factor this must be on the command line: V8 sizes the semi-spaces when
 * the isolate starts, and a flag set later is ignored. 4 MiB, not 1: a
 * scavenge per 4 MiB instead of per 1 costs ~5% CPU per task, not 15-25%.
 * And the old generation kept within HEAP_GROWING_PERCENT of its live size
 * (NODE_OPTIONS cannot set that one).
 */
export function workerNodeFlags(nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  return [...(YOUNG_FLAGS.test(nodeOptions) ? [] : [`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`]), HEAP_GROWING_FLAG];
}
