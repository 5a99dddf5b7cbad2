/**
 * The `--json` documents of `djc status`, `djc list` and `djc tasks`, built
 * once here for the CLI and the HTTP API (docs/cli.md, docs/api.md).
 */
import { taskDocument } from '@djc/core/read';
import type { Backend, JobRecord, JobStatusDocument, TaskRecord } from '@djc/core';
import { readQueueDocument } from '../scheduler/queue-store.js';
import type { WaitReason } from '../scheduler/types.js';
import { pipelineDocument, type PipelineStatusDocument } from './pipeline-document.js';
import { statusDocument } from './status-document.js';
import { observedWorkers } from './observed-workers.js';

/**
 * Why a QUEUED job waits, in words and numbers, from the coordinator's queue
 * document; null for a job in another status, or when the document is
 * missing, unreadable or does not list it (then job.reason is all there is).
 */
export async function queuedReason(backend: Backend, job: JobRecord): Promise<WaitReason | null> {
  if (job.status !== 'QUEUED') return null;
  const doc = await readQueueDocument(backend).catch(() => null);
  return doc?.jobs.find((e) => e.jobId === job.jobId)?.reason ?? null;
}

export type JobDocument = PipelineStatusDocument | (JobStatusDocument & { queueReason?: WaitReason });

/** `djc status JOB --json`: a pipeline with its stages, or a job with why it waits when QUEUED. */
export async function jobDocument(backend: Backend, job: JobRecord): Promise<JobDocument> {
  if (job.kind === 'pipeline') return pipelineDocument(job, await backend.state.listJobs({ parentId: job.jobId }));
  const queued = await queuedReason(backend, job);
  return { ...statusDocument(observedWorkers(job)), ...(queued ? { queueReason: queued } : {}) };
}

/** One job of `djc list --json`. */
export function jobListEntry(j: JobRecord) {
  return { jobId: j.jobId, name: j.name, status: j.status, createdAt: j.createdAt, tasks: j.tasks, kind: j.kind };
}

/** `djc list --json`: jobs newest first, a pipeline with its stage runs (read by parent: no scan). */
export async function jobListDocument(backend: Backend, jobs: readonly JobRecord[]) {
  const out = [];
  for (const j of jobs) {
    const stages = j.kind === 'pipeline' ? await backend.state.listJobs({ parentId: j.jobId }) : null;
    out.push({ ...jobListEntry(j), ...(stages ? { stages: stages.map(jobListEntry) } : {}) });
  }
  return { jobs: out };
}

/** `djc tasks --json`. */
export function taskListDocument(tasks: readonly TaskRecord[]) {
  return { tasks: tasks.map(taskDocument) };
}
