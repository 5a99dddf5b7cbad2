/**
 * Prepare of an N-to-N stage run (`input: { from: X, each: batch }`): the
 * run stays PREPARING while X runs, and adds its task i (batch = X's task
 * i output) as soon as X's task i SUCCEEDS, so the first downstream
 * attempts start while X still runs; a failed upstream task makes no
 * downstream task. Meanwhile `monitor` reclaims lost tasks (a worker that
 * died must not wait for the end of X). When X has ended it moves to
 * RUNNING (X SUCCEEDED); if X did not succeed, it follows the stage's
 * `on_upstream_failure`: skip → SKIPPED with the reason (its tasks not run
 * yet are cancelled), run → RUNNING on the tasks X's successes gave (SKIPPED
 * if none), fail → FAILED (the pipeline stops). Idempotent like prepareJob:
 * a resumed prepare keeps the tasks it finds.
 */
import { blobKeys, DjcError, TERMINAL_JOB, type Backend, type BatchDescriptor, type JobRecord, type Logger, type Manifest, type UpstreamPolicy } from '@djc/core';
import { enqueuePending } from '../prepare.js';

/** What the monitor says while the run prepares: go on, or stop with this reason. */
export type StreamMonitor = () => Promise<{ fail: string } | 'cancelled' | 'running' | 'done'>;

const POLL_MS = 50;

export async function prepareStreaming(
  backend: Backend, job: JobRecord, o: { log: Logger; signal?: AbortSignal; monitor: StreamMonitor; monitorEveryMs: number },
): Promise<JobRecord> {
  const upstreamId = job.stage?.streamFrom;
  if (!upstreamId) throw new Error(`job ${job.jobId} does not stream from an upstream run`);
  const resuming = job.status === 'PREPARING';
  job = await backend.state.transitionJob(job.jobId, ['SUBMITTED', 'QUEUED', 'PREPARING'], 'PREPARING', { startedAt: job.startedAt ?? new Date().toISOString(), ...(job.status === 'QUEUED' ? { reason: null } : {}) });
  const added = new Set<number>();
  for (let after = -1; ;) {
    const page = await backend.state.listTasks(job.jobId, { after, limit: 1000 });
    if (page.length === 0) break;
    for (const t of page) added.add(t.taskId);
    after = page[page.length - 1]!.taskId;
  }
  // Tasks it already has (a resumed prepare, or a retry that reset its cancelled ones) go back to the queue.
  if (resuming || added.size > 0) await enqueuePending(backend, job.jobId);
  let lastMonitor = Date.now();
  for (;;) {
    if (o.signal?.aborted) throw o.signal.reason ?? new Error('stopped');
    // Status first: once it is final, the listing after it holds every task that succeeded.
    const upstream = await backend.state.getJob(upstreamId);
    if (!upstream) throw new DjcError('INTERNAL', `upstream run ${upstreamId} is gone`, { jobId: job.jobId });
    await addSucceeded(backend, job.jobId, upstreamId, added);
    if (TERMINAL_JOB.has(upstream.status)) {
      if (upstream.status === 'SUCCEEDED') break;
      const policy = await upstreamPolicy(backend, job);
      const reason = `upstream ${upstream.stage?.name ?? upstream.name} ${upstream.status}`;
      if (policy === 'fail') throw new DjcError('HANDLER_FAILED', reason, { jobId: job.jobId });
      if (policy === 'skip' || added.size === 0) return skip(backend, job.jobId, reason, o.log);
      break;
    }
    if (Date.now() - lastMonitor >= o.monitorEveryMs) {
      lastMonitor = Date.now();
      const tick = await o.monitor();
      if (tick === 'cancelled') return (await backend.state.getJob(job.jobId)) ?? job;
      if (typeof tick === 'object') throw new DjcError('HANDLER_FAILED', tick.fail, { jobId: job.jobId });
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const batches = [...added].sort((a, b) => a - b);
  const manifest: Manifest = {
    v: 1, jobId: job.jobId, createdAt: new Date().toISOString(), format: job.config.input.format, files: [],
    batches: [], totals: { records: null, bytes: 0, batches: batches.length },
  };
  await backend.blobs.put(blobKeys.manifest(job.jobId), JSON.stringify(manifest));
  o.log.info({ jobId: job.jobId, batches: batches.length, upstream: upstreamId }, 'job prepared from its upstream');
  return backend.state.transitionJob(job.jobId, ['PREPARING'], 'RUNNING', { recordsTotal: 0 });
}

/** Adds (and enqueues) a task for every upstream task that succeeded and has none yet. */
async function addSucceeded(backend: Backend, jobId: string, upstreamId: string, added: Set<number>): Promise<void> {
  for (let after = -1; ;) {
    const page = await backend.state.listTasks(upstreamId, { status: 'SUCCEEDED', after, limit: 1000 });
    if (page.length === 0) return;
    after = page[page.length - 1]!.taskId;
    const fresh: BatchDescriptor[] = page.filter((t) => !added.has(t.taskId)).map((t) => ({
      index: t.taskId, file: `${upstreamId}/task ${t.taskId}`, start: 0, end: 0, firstRecord: null, records: null,
      upstream: { jobId: upstreamId, taskId: t.taskId },
    }));
    if (fresh.length === 0) continue;
    const inserted = await backend.state.putTasks(jobId, fresh);
    if (inserted > 0) await backend.queue.send(fresh.map((b) => ({ v: 1 as const, jobId, taskId: b.index })));
    for (const b of fresh) added.add(b.index);
  }
}

/** The stage's `on_upstream_failure`, from its pipeline's graph. */
async function upstreamPolicy(backend: Backend, job: JobRecord): Promise<UpstreamPolicy> {
  const pipeline = job.parentId ? await backend.state.getJob(job.parentId) : null;
  return pipeline?.pipeline?.runs.find((r) => r.stage === job.stage?.name)?.onUpstreamFailure ?? 'skip';
}

/** Ends the run SKIPPED with the reason; the tasks its upstream's successes gave and that have not run are cancelled. */
async function skip(backend: Backend, jobId: string, reason: string, log: Logger): Promise<JobRecord> {
  await backend.state.cancelTasks(jobId);
  await backend.queue.purgeJob(jobId);
  log.info({ jobId, reason }, 'stage run skipped: its upstream did not succeed');
  return backend.state.transitionJob(jobId, ['PREPARING'], 'SKIPPED', { reason, endedAt: new Date().toISOString() });
}
