import { newJobId, type Backend, type CoordinationMode, type JobRecord, type LoadedJob } from '@djc/core';

/** Writes a SUBMITTED job with its resolved config. Returns at once. */
export async function submitJob(backend: Backend, loaded: LoadedJob, mode: CoordinationMode): Promise<JobRecord> {
  return backend.state.createJob({
    jobId: newJobId(loaded.config.name),
    name: loaded.config.name,
    backend: backend.name,
    config: loaded.config,
    configPath: loaded.configPath,
    mode,
  });
}
