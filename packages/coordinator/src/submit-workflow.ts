/**
 * `djc submit` and `POST /v1/jobs`: one function writes a loaded job or
 * pipeline for the daemon, after the checks both make.
 */
import type { AfterDependency, Backend, JobRecord, LoadedWorkflow, Logger } from '@djc/core';
import { DjcError } from '@djc/core/read';
import { coordinatorAlive } from './liveness.js';
import { submitPipeline } from './pipeline/submit-pipeline.js';
import { resolveJob } from './resolve-job.js';
import { readQueueDocument } from './scheduler/queue-store.js';
import { assertFits } from './scheduling/fit-check.js';
import type { Priority } from './scheduling/set-priority.js';
import { submitJob } from './submit.js';

export interface SubmitWorkflowOptions {
  /** JOB refs (ids, prefixes, names) this job waits for. */
  after?: readonly string[];
  afterAny?: boolean;
  fresh?: boolean;
  priority?: Priority;
  owner?: string;
  log?: Logger;
}

export async function submitWorkflow(backend: Backend, workflow: LoadedWorkflow, o: SubmitWorkflowOptions = {}): Promise<JobRecord> {
  if (o.afterAny && o.after === undefined) throw new DjcError('USAGE', '--after-any needs --after JOB[,JOB]', { hint: 'e.g. djc submit job.yaml --after clean --after-any' });
  if (o.after !== undefined && workflow.kind === 'pipeline') {
    throw new DjcError('USAGE', '--after applies to a job file; a pipeline orders its own stages with needs:', { hint: 'give the first stage of the pipeline a needs: on nothing, and submit the pipeline after the job ends' });
  }
  applyPriority(workflow, o.priority);
  await refuseNeverFits(backend, workflow);
  if (workflow.kind === 'pipeline') {
    return submitPipeline(backend, workflow.pipeline.spec, workflow.pipeline.configPath, 'daemon', { fresh: o.fresh === true, owner: o.owner });
  }
  return submitJob(backend, workflow.job, 'daemon', { after: await afterOf(backend, o), log: o.log, owner: o.owner });
}

/** The --after refs, each resolved as any JOB argument is (a ref that names no job is exit 4, before anything is written). */
async function afterOf(backend: Backend, o: SubmitWorkflowOptions): Promise<AfterDependency | undefined> {
  if (o.after === undefined) return undefined;
  const refs = o.after.map((r) => r.trim()).filter(Boolean);
  if (refs.length === 0) throw new DjcError('USAGE', '--after needs at least one job', { hint: 'e.g. --after clean,stats (ids, prefixes or names)' });
  const jobIds = [];
  for (const ref of refs) jobIds.push((await resolveJob(backend, ref)).jobId);
  return { jobIds: [...new Set(jobIds)], mode: o.afterAny ? 'any' : 'ok' };
}

/** `--priority`: the job's, or every stage run's of a pipeline (the file's own values are replaced). */
export function applyPriority(workflow: LoadedWorkflow, priority: Priority | undefined): void {
  if (priority === undefined) return;
  if (workflow.kind === 'job') workflow.job.config.priority = priority;
  else for (const run of workflow.pipeline.spec.runs) run.config.priority = priority;
}

/**
 * A job one of whose workers asks more than the running coordinator's pool
 * holds (its queue document says) would never start: refused, exit 2, with
 * the numbers. Without a running coordinator there is nothing to check against.
 */
async function refuseNeverFits(backend: Backend, workflow: LoadedWorkflow): Promise<void> {
  if (!(await coordinatorAlive(backend))) return;
  const pools = (await readQueueDocument(backend).catch(() => null))?.pools;
  if (!pools) return;
  const configs = workflow.kind === 'pipeline'
    ? workflow.pipeline.spec.runs.map((r) => ({ name: r.displayName, config: r.config }))
    : [{ name: workflow.job.config.name, config: workflow.job.config }];
  assertFits(configs, pools, 'of the running coordinator');
}
