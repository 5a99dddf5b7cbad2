import { cancelJob, coordinatorAlive, reopenFailedTasks, resolveJob } from '@djc/coordinator';
import { statusDocument } from '../status-document.js';
import { withBackend, type Cli } from '../context.js';
import { coordinateHere } from './run.js';

export async function cancelCommand(cli: Cli, ref: string): Promise<number> {
  return withBackend(cli, async (backend) => {
    const job = await cancelJob(backend, (await resolveJob(backend, ref)).jobId, cli.log);
    if (cli.opts.json) cli.json(statusDocument(job));
    else cli.out(`${job.jobId} ${job.status}`);
    return 0;
  });
}

/**
 * `djc retry`: re-run only the failed (and cancelled) tasks of a finished
 * job, then aggregate again. A job started by `djc run` is coordinated here,
 * like run; a submitted one is handed back to the daemon (--detach always).
 */
export async function retryCommand(cli: Cli, ref: string, o: { detach?: boolean }): Promise<number> {
  return withBackend(cli, async (backend) => {
    const { jobId } = await resolveJob(backend, ref);
    const { job, tasks } = await reopenFailedTasks(backend, jobId);
    cli.err(`djc: re-running ${tasks.length} task${tasks.length === 1 ? '' : 's'} of ${jobId}: ${tasks.slice(0, 20).map((t) => t.taskId).join(', ')}${tasks.length > 20 ? ', …' : ''}`);
    if (o.detach || job.mode === 'daemon') {
      if (job.mode !== 'daemon') await backend.state.updateJob(jobId, { mode: 'daemon' });
      if (!(await coordinatorAlive(backend))) cli.err('djc: warning: no coordinator is running; start one with `djc coordinator`');
      if (cli.opts.json) cli.json({ jobId, status: job.status });
      else cli.out(jobId);
      return 0;
    }
    return coordinateHere(cli, backend, jobId);
  });
}
