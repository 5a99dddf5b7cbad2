import { coordinatorAlive, submitJob } from '@djc/coordinator';
import { withBackend, type Cli } from '../context.js';
import { externalWorker, printExternalWorker } from '../dispatch-note.js';
import { loadJobOnly } from './load-job-only.js';
import { printWarnings } from './validate.js';

/** `djc submit`: write the job and return its id at once; the daemon runs it. */
export async function submitCommand(cli: Cli, file: string, o: { set?: string[] }): Promise<number> {
  const loaded = await loadJobOnly(file, { set: o.set, checkHandlers: true });
  printWarnings(cli, loaded.warnings);
  return withBackend(cli, async (backend) => {
    const job = await submitJob(backend, loaded, 'daemon');
    const external = externalWorker(cli, backend, job);
    if (cli.opts.json) cli.json({ jobId: job.jobId, status: job.status, ...(external ? { worker: external } : {}) });
    else cli.out(job.jobId);
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
