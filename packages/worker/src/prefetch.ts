/**
 * How far ahead of its free slots a worker takes tasks: the "claiming ahead,
 * done right" policy (after graphile-worker's LocalQueue, which also trades
 * a little latency for throughput and returns what it holds after a TTL).
 *
 * A worker receives as many messages as it has free slots, plus a prefetch
 * that is non-zero only for a job whose tasks this worker has measured to be
 * short: the tasks held ahead are at most HOLD_BUDGET_MS of work at the
 * measured pace, so they start within a quarter of a second and a slow job
 * never waits behind tasks another worker could have run. Never from a
 * guess: before tasks of the job have finished here, and for a worker that
 * serves every job (no --job), it takes no more than it can start. A held
 * task that still waits after HOLD_TTL_MS (its slot is busy with a task
 * that turned out long) is given back once its job has no pending task left
 * (worker.ts), so at the end of a mixed job an idle worker runs it.
 */
import { MAX_TASK_BATCH } from '@djc/core/worker';

/**
 * Work, at the measured pace, that the tasks held ahead of free slots may
 * add up to: a full receive for tasks up to ~28 ms, none for tasks over
 * 250 ms. (50 ms was too tight: on a busy 2-core machine a no-op module
 * task measures 10-60 ms, and prefetch fell to 0-1 exactly when the machine
 * was busy, for about 6 AWS requests per task instead of about 1. What
 * holding may cost a slow job is bounded by the give-back at its end.)
 */
export const HOLD_BUDGET_MS = 250;
/** Most messages received ahead of free slots by default (SQS hands out at most 10 at once). */
export const MAX_PREFETCH = 9;
/** A task held longer than this in a busy worker is given back (refunded) for another worker to run. */
export const HOLD_TTL_MS = 500;
/** Task times a worker keeps per job for its pace (the latest ones). */
const WINDOW = 16;
/** Task times needed before there is a pace: one or two quick tasks of a mixed job prove nothing. */
const MIN_SAMPLES = 4;

/**
 * Messages to take ahead of the free slots, given the job's measured time
 * per task (null: none measured yet) and the worker's slots:
 * ⌊HOLD_BUDGET_MS × concurrency / avgTaskMs⌋, at most `most`.
 */
export function prefetchFor(avgTaskMs: number | null, concurrency: number, most = MAX_PREFETCH): number {
  if (avgTaskMs === null) return 0;
  const fits = Math.floor((HOLD_BUDGET_MS * concurrency) / Math.max(avgTaskMs, 0.1));
  return Math.max(0, Math.min(most, fits));
}

/**
 * How many messages to receive with `free` slots free: the free slots, plus
 * the prefetch, up to what one receive of the queue returns (`queueMax`;
 * none: MAX_TASK_BATCH, one claim write). So on SQS (10) a worker holds up
 * to 9 ahead of a free slot, on the local queue up to 24: a receive, a claim
 * and the ends' writes then serve up to 25 short tasks each, where 10 cost
 * as many transactions. The hold budget is the same (HOLD_BUDGET_MS of
 * measured work): tasks of 10 ms or more are held as before, slow ones not at all.
 */
export function receiveSize(free: number, avgTaskMs: number | null, concurrency: number, queueMax: number | undefined): number {
  const most = Math.min(queueMax ?? MAX_TASK_BATCH, MAX_TASK_BATCH);
  return Math.max(free, Math.min(most, free + prefetchFor(avgTaskMs, concurrency, most - 1)));
}

/**
 * Time an attempt takes, from its start to its commit, by job, as this
 * worker measured it: the upper quartile of its latest WINDOW tasks (none
 * before MIN_SAMPLES of them). Not a
 * mean: a no-op task measures a few ms, and one stall of the machine (a
 * collection, a busy CPU) would hold a mean up for the next ten tasks,
 * turning prefetch down while nothing changed; not a median either: when a
 * quarter of a job's tasks are long, the pace is a long one. The first task
 * of a job on a worker is not counted: it also pays one-time costs (a
 * module handler's thread and import).
 */
export class TaskPace {
  private readonly times = new Map<string, number[]>();
  private readonly seen = new Set<string>();

  record(jobId: string, ms: number): void {
    if (!this.seen.has(jobId)) {
      this.seen.add(jobId);
      return;
    }
    const xs = this.times.get(jobId) ?? [];
    xs.push(ms);
    if (xs.length > WINDOW) xs.shift();
    this.times.set(jobId, xs);
  }

  /** Null until 1 + MIN_SAMPLES tasks of the job have finished on this worker. */
  of(jobId: string | undefined): number | null {
    const xs = jobId === undefined ? undefined : this.times.get(jobId);
    if (!xs || xs.length < MIN_SAMPLES) return null;
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.ceil(0.75 * (sorted.length - 1))] ?? null;
  }
}
