import type { JobRecord, StateStore } from '@djc/core';

/**
 * Job records a worker needs (config, cancel flag). The config never changes
 * once the job is ready; status is re-read at most every `ttlMs`. A WAITING
 * record (a stage run whose workers started early) is never served from
 * the cache: its config gets its input when it becomes ready.
 */
export class JobCache {
  private readonly jobs = new Map<string, { job: JobRecord; at: number }>();

  constructor(
    private readonly state: StateStore,
    private readonly ttlMs = 1000,
  ) {}

  async get(jobId: string, fresh = false): Promise<JobRecord | null> {
    const hit = this.jobs.get(jobId);
    if (hit && !fresh && hit.job.status !== 'WAITING' && Date.now() - hit.at < this.ttlMs) return hit.job;
    const job = await this.state.getJob(jobId);
    if (job) this.jobs.set(jobId, { job, at: Date.now() });
    else this.jobs.delete(jobId);
    return job;
  }
}
