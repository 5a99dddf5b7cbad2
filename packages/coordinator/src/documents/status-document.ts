/** The `--json` job document of status/run/wait/cancel (and of the HTTP API), with the request summary priced for AWS. */
import { jobStatusDocument, TERMINAL_JOB } from '@djc/core/read';
import type { CoordinatorDocument, JobRecord, JobStatusDocument } from '@djc/core';
// The price table only: importing the aws backend would load the AWS SDK (~1 s) for every status call.
import { estimateRequestCostUsd } from '@djc/core/backends/aws/prices';
import { isOrphaned } from '../liveness.js';

export function statusDocument(job: JobRecord): JobStatusDocument {
  return { ...jobStatusDocument(job, estimateRequestCostUsd), coordinator: coordinatorDocument(job) };
}

/**
 * The job's coordinator mark, and whether the job is orphaned (not over, and
 * nobody marked it lately: liveness.ts). A pipeline's WAITING stage run is
 * its pipeline's to start: never orphaned itself.
 */
export function coordinatorDocument(job: JobRecord, now = Date.now()): CoordinatorDocument {
  const mark = job.coordinator;
  const waitsForPipeline = job.status === 'WAITING' && job.parentId !== null;
  return {
    owner: mark?.owner ?? null,
    seenAt: mark ? new Date(mark.seenAt).toISOString() : null,
    orphaned: !TERMINAL_JOB.has(job.status) && !waitsForPipeline && isOrphaned(job, now),
  };
}
