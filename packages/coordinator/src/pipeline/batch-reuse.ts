/**
 * Per-batch re-use (issue 10, "Beyond the peers"): a stage run whose whole
 * cache key missed, but whose task key (handler, settings, params, point;
 * core pipeline/cache-key.ts) matches an earlier run, takes the committed
 * output of every batch whose CONTENT (sha256) an earlier task with that
 * task key had, and runs only the others. An input grown by appending keeps
 * its leading batches, so only the new ones run.
 *
 * - At prepare (prepare.ts), `splitReused` hashes each batch (one more read
 *   of the stage's input: the cost of the feature), records the hash in the
 *   batch, and looks the hashes up; a found output whose blob still exists
 *   is copied into this job and becomes a SUCCEEDED task
 *   (StateStore.putReusedTasks, `reusedFrom`).
 * - When the run SUCCEEDED, `indexTaskOutputs` writes one task cache entry
 *   per task with a hash (re-used tasks included, pointing at the output
 *   they took), so the next run finds them.
 *
 * It assumes a task's output depends on its records only, not on
 * ctx.batch.index, firstRecord or the job id.
 */
import {
  blobKeys, readOptions, copyBytes, type Backend, type BatchDescriptor, type JobConfig, type ReusedTask, type TaskCacheEntry,
} from '@djc/core';
import { createHash } from 'node:crypto';

/** What prepare needs to re-use batches: the run's task key; `fresh`: hash and index, but never re-use. */
export interface BatchReuse {
  taskKey: string;
  fresh: boolean;
}

/**
 * Whether a run with this config can re-use batches: inputs whose batches
 * are byte ranges of a file (not format: files, not parquet row groups).
 * `each: batch` runs (upstream outputs as batches, prepared as they come)
 * never reach prepare.ts.
 */
export function batchReusable(config: JobConfig): boolean {
  return config.input.format !== 'files' && config.input.format !== 'parquet';
}

export interface ReuseSplit {
  reused: ReusedTask[];
  run: BatchDescriptor[];
  /** The cache could not be read (every batch then runs): for the log; a cache failure never fails a run. */
  error?: unknown;
}

/**
 * Hashes the batches (sets batch.sha256; an unreadable input fails, as
 * prepare would) and splits them into those whose output an earlier task
 * with the same task key committed (its output blob still there) and
 * those to run.
 */
export async function splitReused(
  backend: Backend, jobId: string, config: JobConfig, batches: readonly BatchDescriptor[], reuse: BatchReuse, signal?: AbortSignal,
): Promise<ReuseSplit> {
  const opts = readOptions(config);
  for (const b of batches) {
    if (b.upstream !== undefined) return { reused: [], run: [...batches] };
    b.sha256 ??= await sha256Of(copyBytes(b, opts), signal);
  }
  if (reuse.fresh) return { reused: [], run: [...batches] };
  try {
    return await lookUp(backend, jobId, config, batches, reuse.taskKey, signal);
  } catch (error) {
    if (signal?.aborted) throw error;
    return { reused: [], run: [...batches], error };
  }
}

async function lookUp(
  backend: Backend, jobId: string, config: JobConfig, batches: readonly BatchDescriptor[], taskKey: string, signal?: AbortSignal,
): Promise<ReuseSplit> {
  const refs = batches.map((b) => ({ taskKey, batchSha256: b.sha256 as string }));
  const found = new Map((await backend.state.getTaskCacheEntries(refs, { signal })).map((e) => [e.batchSha256, e]));
  const reused: ReusedTask[] = [];
  const run: BatchDescriptor[] = [];
  for (const b of batches) {
    const entry = found.get(b.sha256 as string);
    // Its bad records were kept by the earlier attempt, under that job: run it again so this job has them (finalize gathers them).
    const keepsBad = config.input.on_bad_record === 'dead_letter' && (entry?.bad ?? 0) > 0;
    const from = entry === undefined || keepsBad ? null : await adoptOutput(backend, jobId, b.index, entry, signal);
    if (from !== null) reused.push({ batch: b, from });
    else run.push(b);
  }
  return { reused, run };
}

/** Writes a task cache entry for every SUCCEEDED task of `jobId` whose batch has a sha256. Returns how many. */
export async function indexTaskOutputs(backend: Backend, jobId: string, taskKey: string, signal?: AbortSignal): Promise<number> {
  let after = -1;
  let written = 0;
  const createdAt = new Date().toISOString();
  for (;;) {
    const page = await backend.state.listTasks(jobId, { status: 'SUCCEEDED', after, limit: 1000, signal });
    if (page.length === 0) return written;
    const entries: TaskCacheEntry[] = page.filter((t) => t.batch.sha256 !== undefined).map((t) => ({
      taskKey, batchSha256: t.batch.sha256 as string,
      // A re-used task's entry names the task that computed the output (its blob: this job's copy).
      jobId: t.reusedFrom?.jobId ?? jobId, taskId: t.reusedFrom?.taskId ?? t.taskId,
      outputKey: t.outputKey, inlineOutput: t.inlineOutput, outputKind: t.outputKind, records: t.records, bad: t.bad, createdAt,
    }));
    if (entries.length > 0) await backend.state.putTaskCacheEntries(entries, { signal });
    written += entries.length;
    after = page[page.length - 1]!.taskId;
  }
}

/**
 * The entry with its output blob copied into this job (as attempt 0 of
 * task `taskId`), so the job stays whole when the earlier one is deleted or
 * expires; null when the earlier output is gone. Inline outputs are in the
 * entry itself.
 */
export async function adoptOutput(backend: Backend, jobId: string, taskId: number, e: TaskCacheEntry, signal?: AbortSignal): Promise<TaskCacheEntry | null> {
  if (e.outputKey === null) return e;
  const body = await backend.blobs.getStream(e.outputKey, { signal });
  if (body === null) return null;
  const outputKey = blobKeys.output(jobId, taskId, 0);
  await backend.blobs.put(outputKey, body, { signal });
  return { ...e, outputKey };
}

async function sha256Of(chunks: AsyncIterable<Buffer>, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const c of chunks) {
    signal?.throwIfAborted();
    hash.update(c);
  }
  return hash.digest('hex');
}
