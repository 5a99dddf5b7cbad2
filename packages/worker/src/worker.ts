import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newWorkerId, TERMINAL_JOB, withJob, type Backend, type Logger } from '@djc/core';
import { createHandlerRunner } from './handlers/index.js';
import { JobCache } from './job-cache.js';
import { handleMessage, type AttemptDeps, type MessageOutcome } from './run-attempt.js';
import { claimAhead, heldClaim, putBack, type Held } from './claim-ahead.js';
import { Committer } from './committer.js';

export interface WorkerOptions {
  backend: Backend;
  log: Logger;
  /** Serve only this job, and exit when it has no work left. */
  jobId?: string;
  workerId?: string;
  /** Tasks at once (default: the job's compute.concurrency, else 1). */
  concurrency?: number;
  /** On SIGTERM: how long running attempts may take to finish before they are given back. */
  graceMs?: number;
  /** Without a job: exit after this long with nothing to do (default: never). */
  idleExitMs?: number;
  /** Stops the worker (like SIGTERM). */
  signal?: AbortSignal;
}

export interface WorkerSummary {
  workerId: string;
  counts: Record<MessageOutcome, number>;
}

const RECEIVE_WAIT_MS = 1000;
/** Most messages received ahead of free slots (SQS hands out at most 10 at once). */
const MAX_PREFETCH = 9;

/**
 * How many messages to take ahead of the free slots: as many as the slots
 * can finish within half a lease at the recent pace, so a held message is
 * started long before its visibility runs out. Short tasks get a full
 * receive (fewer receive and delete requests per task); long ones none.
 */
export function prefetchFor(avgTaskMs: number, leaseMs: number, concurrency: number): number {
  const fits = Math.floor((leaseMs / 2 / Math.max(avgTaskMs, 1)) * concurrency) - concurrency;
  return Math.max(0, Math.min(MAX_PREFETCH, fits));
}

/**
 * The polling task runner: receive messages, run each through
 * `handleMessage` on up to `concurrency` slots, and stop when told to or when
 * the job it serves has no work left.
 */
export async function runWorker(opts: WorkerOptions): Promise<WorkerSummary> {
  // The requests of a worker that serves one job (its long polls included)
  // are that job's; a worker for every job attributes each task's requests
  // to the task's job, and its shared polls to none.
  return withJob(opts.jobId, () => workLoop(opts));
}

async function workLoop(opts: WorkerOptions): Promise<WorkerSummary> {
  const workerId = opts.workerId ?? newWorkerId();
  const log = opts.log.child({ workerId });
  const jobs = new JobCache(opts.backend.state);
  const concurrency = opts.concurrency ?? (await jobConcurrency(jobs, opts.jobId));
  const runner = createHandlerRunner({ slots: concurrency });
  const tmpRoot = await mkdtemp(join(tmpdir(), 'djc-worker-'));
  const shutdown = new AbortController();
  const counts: Record<MessageOutcome, number> = { succeeded: 0, retrying: 0, failed: 0, dropped: 0, deferred: 0, lost: 0, released: 0 };
  const acks: string[] = [];
  /** Slots in use: attempts whose handler has not ended (a slot is free again once its attempt commits). */
  const active = new Set<Promise<void>>();
  /** Every message being handled, its commit included. */
  const inFlight = new Set<Promise<void>>();
  const queued: Held[] = [];
  const committer = new Committer(opts.backend.state, () => active.size > 0 || queued.length > 0);
  const deps = {
    backend: opts.backend, runner, jobs, workerId, tmpRoot, log, shutdown: shutdown.signal, ack: (r: string) => void acks.push(r),
    complete: committer.complete.bind(committer), graceMs: opts.graceMs,
  };
  const flushAcks = async () => {
    if (acks.length > 0) await opts.backend.queue.deleteBatch(acks.splice(0));
  };
  /** Recent time per task (moving average); null until a task has finished. */
  let avgMs: number | null = null;
  let idleSince = Date.now();

  const start = (held: Held) => {
    const { msg } = held;
    const t0 = Date.now();
    let freed: () => void = () => undefined;
    const slot = new Promise<void>((r) => { freed = r; });
    const free = () => {
      if (!active.delete(slot)) return;
      const took = Date.now() - t0;
      avgMs = avgMs === null ? took : avgMs * 0.8 + took * 0.2;
      freed();
    };
    active.add(slot);
    // The slot frees when the attempt commits, so the next one runs while the commit waits for company.
    const complete: AttemptDeps['complete'] = (...args) => {
      free();
      return committer.complete(...args);
    };
    const p = withJob(msg.message.jobId, () => handleMessage({ ...deps, complete }, msg, heldClaim(deps, held)))
      .then((o) => { counts[o] += 1; })
      .catch((e: unknown) => log.error({ err: e, jobId: msg.message.jobId, taskId: msg.message.taskId }, 'task handling failed'))
      .finally(() => {
        free();
        inFlight.delete(p);
      });
    inFlight.add(p);
  };

  const stopping = () => opts.signal?.aborted === true;
  // Resolves when the worker is told to stop, so a loop that waits for a free
  // slot starts the drain (and its grace period) at once.
  const stopped = new Promise<void>((r) => {
    if (stopping()) r();
    else opts.signal?.addEventListener('abort', () => r(), { once: true });
  });
  log.info({ jobId: opts.jobId, concurrency }, 'worker started');
  try {
    while (!stopping()) {
      while (active.size < concurrency && queued.length > 0) start(queued.shift() as Held);
      if (active.size >= concurrency) {
        await Promise.race([...active, stopped]);
        continue;
      }
      await flushAcks();
      const leaseMs = await leaseFor(jobs, opts.jobId);
      const got = await opts.backend.queue.receive({
        max: concurrency - active.size + prefetchFor(avgMs ?? leaseMs, leaseMs, concurrency),
        visibilityMs: leaseMs,
        waitMs: inFlight.size > 0 ? 50 : RECEIVE_WAIT_MS,
        jobId: opts.jobId,
        signal: opts.signal,
      });
      if (got.length > 0) {
        queued.push(...(await claimAhead(deps, got)));
        idleSince = Date.now();
        continue;
      }
      if (inFlight.size > 0) {
        await Promise.race([...inFlight, stopped, sleep(50)]);
        continue;
      }
      if (await shouldExit(jobs, opts, idleSince)) break;
    }
  } finally {
    await drain(deps, inFlight, queued, shutdown);
    await flushAcks().catch((e: unknown) => log.warn({ err: e }, 'acknowledging finished tasks failed; they will be dropped on redelivery'));
    await runner.close();
    await rm(tmpRoot, { recursive: true, force: true });
    log.info({ counts }, 'worker stopped');
  }
  return { workerId, counts };
}

/**
 * Puts the messages taken ahead back (their tasks claimed ahead given back,
 * refunded), lets running attempts finish within the grace period, then
 * aborts them: they are given back (releaseTask), not failed, so the retry
 * budget is untouched.
 */
async function drain(deps: AttemptDeps & { graceMs?: number }, active: Set<Promise<void>>, queued: Held[], shutdown: AbortController): Promise<void> {
  for (const held of queued.splice(0)) await putBack(deps, held).catch(() => undefined);
  if (active.size === 0) return;
  const grace = deps.graceMs ?? 30_000;
  deps.log.info({ running: active.size, graceMs: grace }, 'waiting for running attempts');
  const timer = setTimeout(() => shutdown.abort(), grace);
  await Promise.allSettled([...active]);
  clearTimeout(timer);
}

async function shouldExit(jobs: JobCache, opts: WorkerOptions, idleSince: number): Promise<boolean> {
  if (!opts.jobId) return opts.idleExitMs !== undefined && Date.now() - idleSince > opts.idleExitMs;
  const job = await jobs.get(opts.jobId, true);
  if (!job || TERMINAL_JOB.has(job.status) || job.cancelRequested) return true;
  // While preparing, more tasks may still come.
  if (job.status === 'SUBMITTED' || job.status === 'PREPARING') return false;
  return job.tasks.pending + job.tasks.retrying === 0;
}

async function jobConcurrency(jobs: JobCache, jobId: string | undefined): Promise<number> {
  const job = jobId ? await jobs.get(jobId) : null;
  return job?.config.compute.concurrency ?? 1;
}

async function leaseFor(jobs: JobCache, jobId: string | undefined): Promise<number> {
  const job = jobId ? await jobs.get(jobId) : null;
  return job?.config.compute.lease ?? 30_000;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
