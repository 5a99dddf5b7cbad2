import { withJobs, type Cli } from '../context.js';
// The light entry: the coordinator's index (daemon, dispatchers, execa) is not a submit's to load.
export { applyPriority } from '@djc/coordinator/submit';
import type { SubmitRequest } from '../job-service.js';
import { printWarnings } from './validate.js';

/**
 * `djc submit`: write the job (or the pipeline and all its stage runs) and
 * return its id at once; the daemon runs it. With DJC_URL, the file is sent
 * to that coordinator, which resolves its relative paths against this
 * file's directory on ITS host.
 */
export async function submitCommand(cli: Cli, file: string, o: SubmitRequest): Promise<number> {
  return withJobs(cli, async (jobs) => {
    const { answer: job, warnings, worker, coordinatorAlive, backendName } = await jobs.submit(file, o);
    printWarnings(cli, warnings);
    if (cli.opts.json) cli.json({ ...job, ...(worker ? { worker } : {}) });
    else cli.out(job.jobId);
    if (job.status === 'SKIPPED') {
      cli.err(`djc: ${job.jobId} SKIPPED: ${job.reason ?? 'a dependency did not succeed'}`);
      return 0;
    }
    if (job.status === 'WAITING' && !cli.opts.json) cli.err(`djc: ${job.jobId} WAITING: ${job.reason ?? ''}`);
    if (worker && !cli.opts.json) (await import('../dispatch-note.js')).printExternalWorker(cli, worker);
    if (!coordinatorAlive) {
      cli.err(`djc: warning: no coordinator is running for this backend (${backendName}, ${jobs.where}); the job waits until one starts.`);
      cli.err('  hint: start one with `djc coordinator` (same --backend/--home or DJC_* env), or use `djc run` instead of submit');
    } else if (!cli.opts.json) {
      cli.err(`djc: submitted${jobs.remote ? ` to ${jobs.where}` : ''}; follow it with: djc status ${job.jobId}   or wait for it: djc wait ${job.jobId}`);
    }
    return 0;
  }, { create: true });
}
