import type { Backend, JobRecord } from '@djc/core';
import { coordinatorAlive, retryPipeline } from '@djc/coordinator';
import type { Cli } from '../context.js';

/** `djc retry PIPELINE`: says what runs again, then coordinates the pipeline here (a `djc run` one) or leaves it to the daemon. */
export async function retryPipelineHere(cli: Cli, backend: Backend, pipeline: JobRecord, o: { set: string[]; detach?: boolean }): Promise<number> {
  const r = await retryPipeline(backend, pipeline.jobId, { set: o.set });
  for (const { run, tasks } of r.retried) cli.err(`djc: re-running ${tasks} failed task${tasks === 1 ? '' : 's'} of ${run.name} (${run.jobId})`);
  for (const run of r.reopened) cli.err(`djc: ${run.name} runs again after its upstreams (was SKIPPED)`);
  for (const run of r.notRetried) cli.err(`djc: note: ${run.name} failed before running any task; it is not re-run`);
  if (o.detach || pipeline.mode === 'daemon') {
    if (pipeline.mode !== 'daemon') await backend.state.updateJob(pipeline.jobId, { mode: 'daemon' });
    if (!(await coordinatorAlive(backend))) cli.err('djc: warning: no coordinator is running; start one with `djc coordinator`');
    if (cli.opts.json) cli.json({ jobId: pipeline.jobId, status: r.pipeline.status });
    else cli.out(pipeline.jobId);
    return 0;
  }
  const { coordinatePipelineHere } = await import('./run-pipeline.js');
  return coordinatePipelineHere(cli, backend, pipeline.jobId);
}
