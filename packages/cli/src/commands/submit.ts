import { DjcError, loadWorkflowFile, type AfterDependency, type Backend, type JobRecord, type LoadedWorkflow } from '@djc/core';
import { assertFits, coordinatorAlive, parsePriority, readQueueDocument, resolveJob, submitJob, submitPipeline, type Priority } from '@djc/coordinator';
import { withBackend, type Cli } from '../context.js';
import { externalWorker, printExternalWorker } from '../dispatch-note.js';
import { printWarnings } from './validate.js';

/** `djc submit`: write the job (or the pipeline and all its stage runs) and return its id at once; the daemon runs it. */
export async function submitCommand(cli: Cli, file: string, o: { set?: string[]; after?: string; afterAny?: boolean; fresh?: boolean; priority?: string }): Promise<number> {
  if (o.afterAny && o.after === undefined) throw new DjcError('USAGE', '--after-any needs --after JOB[,JOB]', { hint: 'e.g. djc submit job.yaml --after clean --after-any' });
  const priority = o.priority === undefined ? undefined : parsePriority(o.priority, '--priority');
  const workflow = await loadWorkflowFile(file, { set: o.set, checkHandlers: true });
  applyPriority(workflow, priority);
  if (o.after !== undefined && workflow.kind === 'pipeline') {
    throw new DjcError('USAGE', '--after applies to a job file; a pipeline orders its own stages with needs:', { hint: 'give the first stage of the pipeline a needs: on nothing, and submit the pipeline after the job ends' });
  }
  printWarnings(cli, workflow.kind === 'pipeline' ? workflow.pipeline.warnings : workflow.job.warnings);
  return withBackend(cli, async (backend) => {
    await refuseNeverFits(backend, workflow);
    const job: JobRecord = workflow.kind === 'pipeline'
      ? await submitPipeline(backend, workflow.pipeline.spec, workflow.pipeline.configPath, 'daemon', { fresh: o.fresh === true })
      : await submitJob(backend, workflow.job, 'daemon', { after: await afterOf(backend, o), log: cli.log });
    const external = workflow.kind === 'job' ? externalWorker(cli, backend, job) : null;
    if (cli.opts.json) cli.json({ jobId: job.jobId, status: job.status, ...(job.reason ? { reason: job.reason } : {}), ...(external ? { worker: external } : {}) });
    else cli.out(job.jobId);
    if (job.status === 'SKIPPED') {
      cli.err(`djc: ${job.jobId} SKIPPED: ${job.reason ?? 'a dependency did not succeed'}`);
      return 0;
    }
    if (job.status === 'WAITING' && !cli.opts.json) cli.err(`djc: ${job.jobId} WAITING: ${job.reason ?? ''}`);
    if (external && !cli.opts.json) printExternalWorker(cli, external);
    if (!(await coordinatorAlive(backend))) {
      cli.err(`djc: warning: no coordinator is running for this backend (${backend.name}, ${cli.home}); the job waits until one starts.`);
      cli.err('  hint: start one with `djc coordinator` (same --backend/--home or DJC_* env), or use `djc run` instead of submit');
    } else if (!cli.opts.json) {
      cli.err(`djc: submitted; follow it with: djc status ${job.jobId}   or wait for it: djc wait ${job.jobId}`);
    }
    return 0;
  }, { create: true });
}

/** The --after refs, each resolved as any JOB argument is (a ref that names no job is exit 4, before anything is written). */
async function afterOf(backend: Backend, o: { after?: string; afterAny?: boolean }): Promise<AfterDependency | undefined> {
  if (o.after === undefined) return undefined;
  const refs = o.after.split(',').map((r) => r.trim()).filter(Boolean);
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
