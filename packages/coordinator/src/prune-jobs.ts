/**
 * `djc prune`: removes jobs that ended long ago from a backend that keeps
 * everything (local), through Backend.pruner. One function, for the CLI
 * (and any later route). Jobs that have not ended are never pruned.
 */
import { DjcError, TERMINAL_JOB, type Backend, type JobStatus, type PruneCandidate } from '@djc/core';

export interface PruneOptions {
  /** Jobs that ended more than this many milliseconds ago. */
  olderThanMs: number;
  /** Only jobs with these ended statuses (all ended statuses when absent). */
  statuses?: readonly JobStatus[];
  /** List what would go; remove nothing. */
  dryRun?: boolean;
  now?: Date;
}

export interface PruneOutcome {
  /** Jobs that ended before this time were considered (ISO 8601). */
  endedBefore: string;
  dryRun: boolean;
  /** Pruned (or, in a dry run, would be). */
  jobs: PruneCandidate[];
  /** Bytes of blobs and worker logs freed (or that would be). */
  bytes: number;
}

/** `--status` values (case-insensitive): ended statuses only; a status that has not ended is a usage error naming the fix. */
export function parsePruneStatuses(values: readonly string[]): JobStatus[] {
  const ended = [...TERMINAL_JOB];
  return values.flatMap((v) => v.split(',')).map((raw) => {
    const s = raw.trim().toUpperCase() as JobStatus;
    if (TERMINAL_JOB.has(s)) return s;
    throw new DjcError('USAGE', `--status ${raw}: djc prune removes only jobs that have ended`, {
      hint: `use one or more of ${ended.map((e) => e.toLowerCase()).join(', ')}`,
    });
  });
}

export async function pruneJobs(backend: Backend, o: PruneOptions): Promise<PruneOutcome> {
  const pruner = backend.pruner;
  if (!pruner) {
    throw new DjcError('USAGE', `nothing to prune on the ${backend.name} backend: it expires ended jobs itself (prune is for the local backend)`, {
      hint: 'on AWS, ended jobs expire after DJC_RETENTION_DAYS (DynamoDB TTL, and the S3 lifecycle rule djc setup aws adds on jobs/)',
    });
  }
  const endedBefore = new Date((o.now ?? new Date()).getTime() - o.olderThanMs).toISOString();
  const found = await pruner.candidates({ endedBefore, statuses: o.statuses });
  const jobs: PruneCandidate[] = [];
  for (const c of found) {
    if (o.dryRun || (await pruner.prune(c.jobId))) jobs.push(c);
  }
  return { endedBefore, dryRun: o.dryRun === true, jobs, bytes: jobs.reduce((n, j) => n + j.bytes, 0) };
}
