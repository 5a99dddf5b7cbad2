import { resolveJob } from '@djc/coordinator';
import { withJobs, type Cli } from '../context.js';
import { LocalJobService } from '../local-job-service.js';
import { adoptHere, orphaned } from './adopt-orphan.js';
import type { PauseView } from '../job-service.js';

/** `djc pause JOB`: no new attempt starts, running ones finish, its workers are released; `djc resume` queues it again. */
export async function pauseCommand(cli: Cli, ref: string): Promise<number> {
  return withJobs(cli, async (jobs) => {
    const view = await jobs.pause(ref, false);
    show(cli, view);
    if (!cli.opts.json) cli.err(`djc: running attempts finish, then its workers stop; \`djc resume ${view.jobId}\` queues it again`);
    return 0;
  });
}

/** `djc resume JOB`: a PAUSED job is QUEUED again, and its coordinator (`djc run` or the daemon) gives it workers. */
export async function resumeCommand(cli: Cli, ref: string): Promise<number> {
  return withJobs(cli, async (jobs) => {
    if (jobs instanceof LocalJobService) {
      // Its `djc run` died: coordinate it here (resumed first if it was paused).
      const backend = await jobs.backend();
      const target = await resolveJob(backend, ref);
      if (await orphaned(backend, target)) return adoptHere(cli, backend, target, 'resume');
    }
    const view = await jobs.pause(ref, true);
    show(cli, view);
    // A resumed daemon job waits for the daemon: say so when none runs.
    if (view.daemonWaits) cli.err('djc: warning: no coordinator is running; start one with `djc coordinator`');
    return 0;
  });
}

function show(cli: Cli, { daemonWaits: _, ...doc }: PauseView): void {
  if (cli.opts.json) {
    cli.json(doc);
    return;
  }
  cli.out(`${doc.jobId} ${doc.status}`);
  for (const r of doc.runs ?? []) cli.out(`  ${r.jobId} ${r.status}`);
}
