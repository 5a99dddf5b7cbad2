import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DjcError, type Backend, type JobStatus, type Logger } from '@djc/core';
import { coordinateJob } from './coordinate-job.js';
import { coordinatePipeline } from './pipeline/coordinate-pipeline.js';
import { settleAfter } from './after/settle-after.js';
import { expireDeadline } from './deadline.js';
import { coordinatorName, isOrphaned } from './liveness.js';
import type { Dispatcher } from './dispatch/dispatcher.js';

export interface DaemonOptions {
  dispatcher: Dispatcher;
  log: Logger;
  signal: AbortSignal;
  pollMs?: number;
  /** The lock expires this long after the last renewal; another daemon may then take over. */
  lockTtlMs?: number;
}

// QUEUED: resumed after `djc pause` (coordinateJob gives it workers again).
const ACTIVE: readonly JobStatus[] = ['SUBMITTED', 'QUEUED', 'PREPARING', 'RUNNING', 'FINALIZING'];
// WAITING top-level jobs (`djc submit --after`) are not coordinated until ready.

/**
 * The `djc coordinator` loop: holds the backend's coordinator lock (one
 * daemon per backend), picks up submitted jobs and resumes unfinished ones
 * (after a crash), and coordinates each until it ends.
 */
export async function runDaemon(backend: Backend, opts: DaemonOptions): Promise<void> {
  const owner = `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
  const ttl = opts.lockTtlMs ?? 15_000;
  const active = new Map<string, Promise<unknown>>();
  await takeLock(backend, owner, ttl);
  opts.log.info({ owner }, 'coordinator started');
  try {
    while (!opts.signal.aborted) {
      await takeLock(backend, owner, ttl);
      // `djc submit --after` jobs: ready (→ SUBMITTED, picked up below) or SKIPPED once their dependencies end.
      for (const job of await backend.state.listJobs({ status: 'WAITING', limit: 1000 })) {
        await settleAfter(backend, job, opts.log).catch((e: unknown) => opts.log.warn({ jobId: job.jobId, err: e }, 'checking the dependencies of a waiting job failed'));
      }
      // Jobs no one coordinates (PAUSED) still time out when their deadline passes.
      for (const job of await backend.state.listJobs({ status: 'PAUSED', limit: 1000 })) {
        if (active.has(job.jobId)) continue;
        await expireDeadline(backend, job, opts.log).catch((e: unknown) => opts.log.warn({ jobId: job.jobId, err: e }, 'timing out a paused job failed'));
      }
      for (const status of ACTIVE) {
        for (const job of await backend.state.listJobs({ status, limit: 1000 })) {
          if (active.has(job.jobId)) continue;
          if (job.mode !== 'daemon') {
            // A `djc run` job whose process went away: adopt it.
            if (!isOrphaned(job)) continue;
            opts.log.warn({ jobId: job.jobId, last: job.coordinator?.owner }, 'adopting a job whose coordinator stopped');
            await backend.state.updateJob(job.jobId, { mode: 'daemon' });
          }
          opts.log.info({ jobId: job.jobId, status: job.status, kind: job.kind }, 'coordinating job');
          // A pipeline's stage runs are not listed here (listJobs lists top-level jobs): its coordinatePipeline runs them.
          const how = { dispatcher: opts.dispatcher, log: opts.log, signal: opts.signal, owner: coordinatorName('djc coordinator') };
          const p = (job.kind === 'pipeline' ? coordinatePipeline(backend, job.jobId, how) : coordinateJob(backend, job.jobId, how))
            .catch((e: unknown) => opts.log.error({ jobId: job.jobId, err: e }, 'coordinating the job failed'))
            .finally(() => active.delete(job.jobId));
          active.set(job.jobId, p);
        }
      }
      await sleep(opts.pollMs ?? 500, opts.signal);
    }
  } finally {
    await Promise.allSettled([...active.values()]);
    await backend.state.releaseCoordinatorLock(owner);
    opts.log.info({ owner }, 'coordinator stopped');
  }
}

async function takeLock(backend: Backend, owner: string, ttl: number): Promise<void> {
  const now = Date.now();
  const ok = await backend.state.acquireCoordinatorLock({ owner, pid: process.pid, host: hostname(), heartbeatAt: now, expiresAt: now + ttl });
  if (ok) return;
  const holder = await backend.state.getCoordinatorLock();
  throw new DjcError('USAGE', `another coordinator is running for this backend (pid ${holder?.pid} on ${holder?.host})`, {
    hint: 'one coordinator per backend: stop the other one first, or use it',
  });
}

/** Whether a coordinator daemon holds a live lock on this backend. */
export async function coordinatorAlive(backend: Backend): Promise<boolean> {
  const lock = await backend.state.getCoordinatorLock();
  return lock !== null && lock.expiresAt > Date.now();
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}
