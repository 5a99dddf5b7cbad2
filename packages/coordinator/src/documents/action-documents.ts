/** The `--json` answers of `djc pause/resume`, `djc priority` and `djc retry --detach`, shared with the HTTP API. */
import type { JobRecord } from '@djc/core';
import type { PauseOutcome } from '../pause-job.js';
import type { Priority } from '../scheduling/set-priority.js';
import { statusDocument } from './status-document.js';

export function pauseDocument({ job, runs }: PauseOutcome) {
  return { ...statusDocument(job), ...(job.kind === 'pipeline' ? { runs: runs.map((r) => ({ jobId: r.jobId, status: r.status })) } : {}) };
}

export function priorityDocument({ job, from, changed }: { job: JobRecord; from: Priority; changed: number }) {
  return { jobId: job.jobId, status: job.status, priority: job.config.priority, previous: from, jobsChanged: changed };
}

export function retryDocument(job: JobRecord) {
  return { jobId: job.jobId, status: job.status };
}
