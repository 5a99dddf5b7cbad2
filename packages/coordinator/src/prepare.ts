import {
  blobKeys,
  ConflictError,
  expandInputFiles,
  partitionInput,
  partitionOptions,
  readOptions,
  type Backend,
  type BatchDescriptor,
  type InputFileInfo,
  type JobRecord,
  type Logger,
  type Manifest,
} from '@djc/core';
import { sumKnown } from './manifest.js';
import { ManifestWriter } from './manifest-stream.js';
import { materializeBatches } from './materialize.js';
import { splitReused, type BatchReuse } from './pipeline/batch-reuse.js';

/** Tasks are written and enqueued in chunks, so workers start while a large input is still being split. */
const CHUNK = 2000;
/** With input.materialize, smaller chunks: each batch is copied first, so workers start after a few copies, not 2,000. */
const MATERIALIZED_CHUNK = 16;

/**
 * Partitions the input, copies the batches into the blob store
 * (input.materialize), writes one PENDING task per batch, enqueues them and
 * writes the manifest, then moves the job to RUNNING. Idempotent: a
 * coordinator that died mid-prepare calls this again; existing tasks are
 * kept, and every PENDING task the queue holds no message for is enqueued
 * (on a queue that cannot tell, SQS, every PENDING task: a duplicate
 * message loses its claim and is dropped). `signal` stops splitting the input (at the
 * next chunk read) when the coordinator stops, e.g. `djc run` after Ctrl-C.
 * With `reuse` (a pipeline stage run, pipeline/batch-reuse.ts), each batch
 * is hashed, and those an earlier run with the same task key computed are
 * created SUCCEEDED with its output instead of PENDING.
 */
export async function prepareJob(backend: Backend, job: JobRecord, log: Logger, signal?: AbortSignal, reuse?: BatchReuse): Promise<JobRecord> {
  running += 1;
  try {
    return await prepare(backend, job, log, signal, reuse);
  } finally {
    running -= 1;
  }
}

let running = 0;

/**
 * prepareJob calls in progress in this process. The daemon's warm pool
 * starts no replacement worker meanwhile (dispatch/warm-pool.ts): a process
 * start (~0.5 s of CPU) would compete with the prepare and the job's
 * workers for the cores.
 */
export function preparesRunning(): number {
  return running;
}

async function prepare(backend: Backend, job: JobRecord, log: Logger, signal?: AbortSignal, reuse?: BatchReuse): Promise<JobRecord> {
  const resuming = job.status === 'PREPARING';
  job = await backend.state.transitionJob(job.jobId, ['SUBMITTED', 'QUEUED', 'PREPARING'], 'PREPARING', {
    startedAt: job.startedAt ?? new Date().toISOString(), ...(job.status === 'QUEUED' ? { reason: null } : {}),
  });
  const input = job.config.input;
  const paths = Array.isArray(input.path) ? input.path : [input.path];
  const files = await expandInputFiles(paths, { directories: input.format === 'files' });
  const infos: InputFileInfo[] = [];
  const head = { v: 1 as const, jobId: job.jobId, createdAt: new Date().toISOString(), format: input.format };
  const manifest = new ManifestWriter(backend, blobKeys.manifest(job.jobId), head, signal);
  let chunk: BatchDescriptor[] = [];
  let reusedCount = 0;
  // A chunk's batches go into the manifest once flushed: re-use and materialize fill in their sha256 and copy.
  const flush = async () => {
    const all = chunk;
    chunk = [];
    if (all.length === 0) return;
    let run = all;
    if (reuse) {
      const split = await splitReused(backend, job.jobId, job.config, all, reuse, signal);
      if (split.error !== undefined) log.warn({ jobId: job.jobId, err: split.error }, 'the task cache could not be read; these batches run');
      if (split.reused.length > 0) reusedCount += await backend.state.putReusedTasks(job.jobId, split.reused);
      run = split.run;
    }
    if (run.length > 0) {
      if (input.materialize) await materializeBatches(backend, job.jobId, run, readOptions(job.config));
      await putAndEnqueue(backend, job.jobId, run, resuming);
    }
    await manifest.add(all);
    // The local backend's writes and a local input's reads are synchronous underneath: without this turn
    // of the event loop a 1,000,000-task prepare held it for tens of seconds, and the daemon lost its lock.
    await new Promise<void>((resolve) => setImmediate(resolve));
  };
  try {
    const size = input.materialize ? MATERIALIZED_CHUNK : CHUNK;
    // A read's batches come as one event where the splitter cuts many (groupBatches): not an await each.
    const events = partitionInput(files, { ...partitionOptions(job.config), signal, groupBatches: true });
    for await (const ev of events) {
      if (ev.type === 'file') {
        infos.push(ev.file);
      } else if (ev.type === 'batch') {
        chunk.push(ev.batch);
        if (chunk.length >= size) await flush();
      } else {
        for (const batch of ev.batches) {
          chunk.push(batch);
          if (chunk.length >= size) await flush();
        }
      }
    }
    await flush();
    // Not every PENDING task: the dead coordinator sent all but its last chunk, and at 1,000,000 tasks
    // a message each again was ~1,000,000 duplicates for the workers to receive and drop.
    if (resuming) await enqueuePending(backend, job.jobId, { unsentOnly: true });
  } catch (e) {
    await manifest.abort(e);
    throw e;
  }
  const totals = manifestTotals(infos, manifest.count);
  await manifest.close({ files: infos, totals });
  log.info({ jobId: job.jobId, batches: totals.batches, reused: reusedCount, records: totals.records }, 'job prepared');
  // Split by bytes, the total is not known yet (0 until finalize; see recordsTotal in core).
  return startRunning(backend, job.jobId, totals.records ?? 0);
}

/**
 * PREPARING → RUNNING. A job paused while it prepared stays PAUSED, with its
 * record total: it is prepared (its manifest is written), so a resume runs it.
 */
async function startRunning(backend: Backend, jobId: string, recordsTotal: number): Promise<JobRecord> {
  try {
    return await backend.state.transitionJob(jobId, ['PREPARING'], 'RUNNING', { recordsTotal });
  } catch (e) {
    if (!(e instanceof ConflictError) || (await backend.state.getJob(jobId))?.status !== 'PAUSED') throw e;
    return backend.state.updateJob(jobId, { recordsTotal });
  }
}

/**
 * Writes a chunk's tasks and (a job not yet prepared) their messages: one
 * transaction where the backend has joint writes (local: at 1,000,000 tasks
 * a transaction each was two write-lock waits per chunk behind the workers'
 * claims), else putTasks then send. A resumed prepare sends at its end
 * (enqueuePending), only what the queue does not hold.
 */
async function putAndEnqueue(backend: Backend, jobId: string, batches: readonly BatchDescriptor[], resuming: boolean): Promise<void> {
  if (!resuming && backend.joint) {
    await backend.joint.putTasksAndSend(jobId, batches);
    return;
  }
  const inserted = await backend.state.putTasks(jobId, batches);
  if (!resuming && inserted > 0) await backend.queue.send(batches.map((b) => ({ v: 1 as const, jobId, taskId: b.index })));
}

/**
 * Sends a message for every PENDING task (resume after a crash, or `djc
 * retry`); with `unsentOnly`, only for those the queue has no live message
 * for, where the queue can tell (TaskQueue.withoutMessage).
 */
export async function enqueuePending(backend: Backend, jobId: string, opts: { unsentOnly?: boolean } = {}): Promise<number> {
  let after = -1;
  let sent = 0;
  for (;;) {
    const page = await backend.state.listTasks(jobId, { status: 'PENDING', after, limit: CHUNK });
    if (page.length === 0) return sent;
    const ids = page.map((t) => t.taskId);
    const missing = opts.unsentOnly ? ((await backend.queue.withoutMessage(jobId, ids)) ?? ids) : ids;
    if (missing.length > 0) await backend.queue.send(missing.map((taskId) => ({ v: 1 as const, jobId, taskId })));
    sent += missing.length;
    after = ids[ids.length - 1] as number;
  }
}

function manifestTotals(files: readonly InputFileInfo[], batches: number): Manifest['totals'] {
  return {
    records: sumKnown(files.map((f) => f.records)),
    bytes: files.reduce((n, f) => n + f.size, 0),
    batches,
  };
}
