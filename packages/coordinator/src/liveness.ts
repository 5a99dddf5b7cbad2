import { hostname } from 'node:os';
import { FencedError } from '@djc/core/read';
import type { Backend, JobRecord, Logger } from '@djc/core';

/** How often a coordinator marks the jobs it coordinates. */
const MARK_EVERY_MS = 2000;

/**
 * A job is orphaned when no coordinator has marked it for this long
 * (DJC_COORDINATOR_STALE_SECONDS, default 30): its `djc run` was killed, or
 * the daemon is not running. The daemon adopts such jobs.
 */
export function coordinatorStaleMs(env: NodeJS.ProcessEnv = process.env): number {
  const s = Number(env.DJC_COORDINATOR_STALE_SECONDS);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 30_000;
}

/** When the job was last known to have a coordinator (its mark, else its creation). */
export function lastCoordinated(job: JobRecord): number {
  return job.coordinator?.seenAt ?? Date.parse(job.createdAt);
}

export function isOrphaned(job: JobRecord, now = Date.now(), staleMs = coordinatorStaleMs()): boolean {
  return now - lastCoordinated(job) > staleMs;
}

export function coordinatorName(role: string): string {
  return `${role} on ${hostname()} (pid ${process.pid})`;
}

/**
 * Marks the job as coordinated by `owner` now and every few seconds, until
 * stopped. A failed mark is logged, and handed to `onError` (a full disk
 * stops coordinating: disk-full-halt.ts). Through a claim's backend
 * (fence/job-claim.ts) the mark is fenced: once another coordinator claimed
 * the job it fails (FencedError, the claim is lost) and is not tried again.
 */
export function keepMarking(backend: Backend, jobId: string, owner: string, log: Logger, onError?: (e: unknown) => void): () => void {
  const mark = () =>
    backend.state.updateJob(jobId, { coordinator: { owner, seenAt: Date.now() } }).catch((e: unknown) => {
      if (e instanceof FencedError) return clearInterval(timer);
      log.warn({ jobId, err: e }, 'cannot mark the job as coordinated');
      onError?.(e);
    });
  void mark();
  const timer = setInterval(() => void mark(), MARK_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** Whether a coordinator daemon holds a live lock on this backend. */
export async function coordinatorAlive(backend: Backend): Promise<boolean> {
  const lock = await backend.state.getCoordinatorLock();
  return lock !== null && lock.expiresAt > Date.now();
}
