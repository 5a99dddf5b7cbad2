import type { JobRecord, TaskRecord } from './job.js';

/**
 * The documented JSON shapes (`--json` of status/run/wait, list, tasks, and
 * the webhook payload). Scripts depend on these keys: add, never rename.
 */
export interface JobStatusDocument {
  jobId: string;
  name: string;
  status: string;
  backend: string;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  tasks: JobRecord['tasks'];
  records: JobRecord['records'];
  output: { path: string | null };
  error: string | null;
}

export function jobStatusDocument(job: JobRecord): JobStatusDocument {
  return {
    jobId: job.jobId,
    name: job.name,
    status: job.status,
    backend: job.backend,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    endedAt: job.endedAt,
    tasks: { ...job.tasks },
    records: { ...job.records },
    output: { path: job.outputPath },
    error: job.error,
  };
}

export interface TaskDocument {
  taskId: number;
  status: string;
  attempts: number;
  records: number;
  error: string | null;
  exitCode: number | null;
  worker: string | null;
  startedAt: string | null;
  endedAt: string | null;
}

export function taskDocument(t: TaskRecord): TaskDocument {
  return {
    taskId: t.taskId,
    status: t.status,
    attempts: t.attempts,
    records: t.batch.records,
    error: t.error,
    exitCode: t.exitCode,
    worker: t.worker,
    startedAt: t.startedAt,
    endedAt: t.endedAt,
  };
}
