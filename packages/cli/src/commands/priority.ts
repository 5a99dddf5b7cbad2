import { parsePriority, resolveJob, setPriority } from '@djc/coordinator';
import { withBackend, type Cli } from '../context.js';

/** `djc priority JOB P`: change a job's (a pipeline's and its unfinished runs') priority, persisted; prints `<job> <from> -> <to>`. */
export async function priorityCommand(cli: Cli, ref: string, text: string): Promise<number> {
  // Junk is a usage error before the backend opens.
  const priority = parsePriority(text);
  return withBackend(cli, async (backend) => {
    const target = await resolveJob(backend, ref);
    const { job, from, changed } = await setPriority(backend, target.jobId, priority);
    if (cli.opts.json) cli.json({ jobId: job.jobId, status: job.status, priority: job.config.priority, previous: from, jobsChanged: changed });
    else cli.out(`${job.jobId} priority ${from} -> ${job.config.priority}`);
    return 0;
  });
}
