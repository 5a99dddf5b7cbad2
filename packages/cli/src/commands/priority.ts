import { parsePriority } from '@djc/coordinator';
import { withJobs, type Cli } from '../context.js';

/** `djc priority JOB P`: change a job's (a pipeline's and its unfinished runs') priority, persisted; prints `<job> <from> -> <to>`. */
export async function priorityCommand(cli: Cli, ref: string, text: string): Promise<number> {
  // Junk is a usage error before the backend opens.
  parsePriority(text);
  return withJobs(cli, async (jobs) => {
    const doc = await jobs.priority(ref, text);
    if (cli.opts.json) cli.json(doc);
    else cli.out(`${doc.jobId} priority ${doc.previous} -> ${doc.priority}`);
    return 0;
  });
}
