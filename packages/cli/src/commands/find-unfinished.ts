import { graphOf, TERMINAL_JOB, type Backend, type JobRecord, type PipelineSpec } from '@djc/core';
import { coordinatorAlive, isOrphaned } from '@djc/coordinator';

/** Pipelines of the same name looked at for a resume (the newest first). */
const LOOK_AT = 200;

/**
 * `djc run pipeline.yaml` again: the unfinished pipeline of the same file to
 * resume instead of starting anew. The same file is the same name and the
 * same stored graph (its source files' sha256 included, so an edited file
 * or `--set` starts a new pipeline; `--fresh` does not count: it is kept
 * with the pipeline); unfinished is not ended and no longer
 * coordinated (its `djc run` was killed). Not while a daemon runs: it
 * adopts such a pipeline itself.
 */
export async function unfinishedPipeline(backend: Backend, spec: PipelineSpec): Promise<JobRecord | null> {
  if (await coordinatorAlive(backend)) return null;
  const graph = JSON.stringify(graphOf(spec));
  const jobs = await backend.state.listJobs({ limit: LOOK_AT });
  return jobs.find((j) => j.kind === 'pipeline' && j.name === spec.name && !TERMINAL_JOB.has(j.status) && isOrphaned(j)
    && JSON.stringify({ ...j.pipeline, fresh: undefined }) === graph) ?? null;
}
