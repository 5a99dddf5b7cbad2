/**
 * The queue document of the `djc queue` tests (local and AWS): a real
 * schedule() decision over a 4-cpu machine where a high job holds 3 cpus for
 * ~3 more minutes, `big` (4 cpus) heads the queue and a low job waits behind
 * its reservation; Slurm unlimited.
 */
import { buildQueueDocument, schedule, type JobDemand, type QueueDocument, type SchedulerSnapshot } from '@djc/coordinator';

export const MINUTE = 60_000;

function demand(jobId: string, fields: Partial<JobDemand>): JobDemand {
  return {
    jobId, name: jobId, pool: 'local', status: 'QUEUED', owner: 'alice', priority: 20, submittedAt: 0, queuedAt: 0,
    perWorker: { cpus: 1, memoryBytes: 0, gpus: 0 }, maxWorkers: 1, wantWorkers: 1, heldWorkers: 0,
    remainingMs: null, runMs: null, preemptible: true, ...fields,
  };
}

export function sampleQueue(bigId: string, now: number): QueueDocument {
  const snapshot: SchedulerSnapshot = {
    now,
    pools: [
      { pool: 'local', cpus: 4, memoryBytes: 16 * 1024 ** 3, gpus: 0, maxWorkers: Infinity },
      { pool: 'slurm', cpus: Infinity, memoryBytes: Infinity, gpus: Infinity, maxWorkers: Infinity },
    ],
    jobs: [
      demand('job-run', { name: 'render', status: 'RUNNING', priority: 30, owner: 'bob', perWorker: { cpus: 3, memoryBytes: 2 * 1024 ** 3, gpus: 0 }, heldWorkers: 1, remainingMs: 3 * MINUTE, submittedAt: now - 10 * MINUTE }),
      demand(bigId, { name: 'big', perWorker: { cpus: 4, memoryBytes: 0, gpus: 0 }, submittedAt: now - 2 * MINUTE, queuedAt: now - 2 * MINUTE, runMs: 5 * MINUTE }),
      demand('job-low', { name: 'sweep', priority: 10, owner: 'carol', wantWorkers: 2, maxWorkers: 2, submittedAt: now - MINUTE, queuedAt: now - MINUTE }),
    ],
    usage: {},
    settings: { agingIntervalMs: 30 * MINUTE, fairShareHalfLifeMs: 60 * MINUTE, maxJobs: null, quotas: {}, preemptAtOrAbove: null },
  };
  return buildQueueDocument({
    snapshot, decision: schedule(snapshot), coordinator: 'djc coordinator on testhost (pid 1)',
    recentStarts: [
      { priority: 30, queuedAt: now - 20 * MINUTE, startedAt: now - 19 * MINUTE },
      { priority: 20, queuedAt: now - 40 * MINUTE, startedAt: now - 30 * MINUTE },
      { priority: 20, queuedAt: now - 25 * MINUTE, startedAt: now - 23 * MINUTE },
      { priority: 20, queuedAt: now - 3 * 60 * MINUTE, startedAt: now - 2 * 60 * MINUTE },
    ],
  });
}

/** The files of a job `big` over one record. */
export function jobFiles(): Record<string, string> {
  return {
    'in.jsonl': '{"a":1}\n',
    'count.mjs': 'export const count = (records) => records.length;\n',
    'job.yaml': 'name: big\ninput: { path: in.jsonl }\nhandler: { module: ./count.mjs#count }\n',
  };
}
