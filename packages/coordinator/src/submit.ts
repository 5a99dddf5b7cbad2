import type { AfterDependency, Backend, CoordinationMode, JobRecord, LoadedJob, Logger } from '@djc/core';
import { newJobId } from '@djc/core/read';
import { settleAfter } from './after/settle-after.js';
import { submitterName } from './scheduling/owner.js';

export interface SubmitOptions {
  /** `djc submit --after`: WAITING until these jobs end (resolved ids), then ready or SKIPPED. */
  after?: AfterDependency;
  /** For the notification of a job skipped at once. */
  log?: Logger;
  /** Who submits it (default: the OS user); the HTTP API passes the token's name. */
  owner?: string;
}

/**
 * Writes a SUBMITTED job with its resolved config (or, with `after`, a
 * WAITING one, settled at once: dependencies that already ended make it
 * ready or SKIPPED right here). Returns at once.
 */
export async function submitJob(backend: Backend, loaded: LoadedJob, mode: CoordinationMode, o: SubmitOptions = {}): Promise<JobRecord> {
  const job = await backend.state.createJob({
    jobId: newJobId(loaded.config.name),
    name: loaded.config.name,
    backend: backend.name,
    config: loaded.config,
    configPath: loaded.configPath,
    mode,
    owner: o.owner ?? submitterName(),
    ...(o.after ? { status: 'WAITING' as const, after: o.after, reason: `waiting for ${o.after.jobIds.join(', ')}` } : {}),
  });
  return o.log && o.after ? settleAfter(backend, job, o.log) : job;
}
