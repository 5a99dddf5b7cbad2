import type { Backend, CoordinationMode, JobRecord, PipelineSpec } from '@djc/core';
import { newJobId, pipelineJobs } from '@djc/core/submit';
import { mustGetJob } from '../resolve-job.js';
import { submitterName } from '../scheduling/owner.js';

/**
 * Writes a pipeline and all its stage runs (runs first, the pipeline last:
 * see pipelineJobs and StateStore.createJobs), so `djc status` shows the
 * whole graph at once and a coordinator resumes it from the records alone.
 * Returns the pipeline's record. `fresh`: re-use nothing from the cache
 * (stored with the pipeline, for whichever coordinator runs it).
 */
export async function submitPipeline(
  backend: Backend, spec: PipelineSpec, configPath: string, mode: CoordinationMode, o: { fresh?: boolean; owner?: string } = {},
): Promise<JobRecord> {
  const pipelineId = newJobId(spec.name);
  await backend.state.createJobs(pipelineJobs(spec, { pipelineId, backend: backend.name, configPath, mode, fresh: o.fresh, owner: o.owner ?? submitterName() }));
  return mustGetJob(backend, pipelineId);
}
