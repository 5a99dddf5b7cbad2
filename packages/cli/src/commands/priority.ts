import { parsePriority, priorityDocument, resolveJob, setPriority } from '@djc/coordinator';
import { withBackend, type Cli } from '../context.js';

/** `djc priority JOB P`: change a job's (a pipeline's and its unfinished runs') priority, persisted; prints `<job> <from> -> <to>`. */
export async function priorityCommand(cli: Cli, ref: string, text: string): Promise<number> {
  // Junk is a usage error before the backend opens.
  const priority = parsePriority(text);
  return withBackend(cli, async (backend) => {
    const target = await resolveJob(backend, ref);
    const outcome = await setPriority(backend, target.jobId, priority);
    if (cli.opts.json) cli.json(priorityDocument(outcome));
    else cli.out(`${outcome.job.jobId} priority ${outcome.from} -> ${outcome.job.config.priority}`);
    return 0;
  });
}
