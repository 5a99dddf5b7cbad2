/**
 * Removing ended jobs for good: `djc prune`. A capability of the local
 * backend only (Backend.pruner): the AWS backend expires ended jobs itself
 * (DynamoDB TTL after DJC_RETENTION_DAYS, and the S3 lifecycle rule that
 * `djc setup aws` adds on `jobs/`).
 *
 * A job that has not ended is never pruned, whatever the caller asks: the
 * check is made again in the same transaction as the delete.
 */
import type { JobKind } from '../model/job.js';
import type { JobStatus } from '../model/status.js';

/** A job that prune would remove. */
export interface PruneCandidate {
  jobId: string;
  name: string;
  kind: JobKind;
  status: JobStatus;
  /** When it ended (its creation time if no end was recorded). */
  endedAt: string;
  /** Stage runs removed with it (a pipeline), 0 otherwise. */
  stageRuns: number;
  /** Bytes of its blobs and worker logs on disk (a pipeline's stage runs included). */
  bytes: number;
}

export interface PruneQuery {
  /** Jobs that ended strictly before this time (ISO 8601). */
  endedBefore: string;
  /** Only these ended statuses (every ended status when absent). */
  statuses?: readonly JobStatus[];
}

export interface JobPruner {
  /**
   * Top-level jobs and pipelines (stage runs go with their pipeline) that
   * ended before `q.endedBefore` with a status of `q.statuses`, oldest first;
   * a pipeline only when every one of its stage runs has ended too.
   */
  candidates(q: PruneQuery): Promise<PruneCandidate[]>;
  /**
   * Deletes the job (a pipeline: with its stage runs) and everything kept for
   * it: rows (tasks and attempts, queue messages, request counts, rate slots,
   * cache entries naming it) in one transaction, then its blobs and worker
   * logs. False (nothing deleted) when it is gone or has not ended.
   */
  prune(jobId: string): Promise<boolean>;
}
