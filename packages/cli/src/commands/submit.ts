import { DjcError, loadWorkflowFile } from '@djc/core';
import { coordinatorAlive, parsePriority, submitWorkflow } from '@djc/coordinator';
export { applyPriority } from '@djc/coordinator';
import { withBackend, type Cli } from '../context.js';
import { externalWorker, printExternalWorker } from '../dispatch-note.js';
import { printWarnings } from './validate.js';

/** `djc submit`: write the job (or the pipeline and all its stage runs) and return its id at once; the daemon runs it. */
export async function submitCommand(cli: Cli, file: string, o: { set?: string[]; after?: string; afterAny?: boolean; fresh?: boolean; priority?: string }): Promise<number> {
  if (o.afterAny && o.after === undefined) throw new DjcError('USAGE', '--after-any needs --after JOB[,JOB]', { hint: 'e.g. djc submit job.yaml --after clean --after-any' });
  const priority = o.priority === undefined ? undefined : parsePriority(o.priority, '--priority');
  const workflow = await loadWorkflowFile(file, { set: o.set, checkHandlers: true });
  printWarnings(cli, workflow.kind === 'pipeline' ? workflow.pipeline.warnings : workflow.job.warnings);
  return withBackend(cli, async (backend) => {
    const job = await submitWorkflow(backend, workflow, { after: o.after?.split(','), afterAny: o.afterAny, fresh: o.fresh, priority, log: cli.log });
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
