import { keepOldGenerationSmall } from '@djc/core';
import { setFlagsFromString } from 'node:v8';

export { HEAP_GROWING_PERCENT } from '@djc/core';

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
 * The daemon's heap: keepYoungGenerationSmall, and the old generation kept
 * within HEAP_GROWING_PERCENT of its live size (keepOldGenerationSmall:
 * unless node's command line sets that).
 */
export function keepHeapSmall(): void {
  keepYoungGenerationSmall();
  keepOldGenerationSmall();
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
 * Not the old generation's growth (HEAP_GROWING_PERCENT): that flag is part
 * of V8's flag hash, and on the command line it made every one of Node's own
 * modules compile from source instead of its code cache (~15 ms of CPU per
 * worker start). The worker sets it itself once started
 * (keepOldGenerationSmall); the semi-space size is not in the hash.
 */
export function workerNodeFlags(nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  return YOUNG_FLAGS.test(nodeOptions) ? [] : [`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`];
}
