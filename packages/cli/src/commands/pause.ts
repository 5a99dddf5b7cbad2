import { pauseDocument, pauseJob, resolveJob, resumeJob, type PauseOutcome } from '@djc/coordinator';
import type { Backend } from '@djc/core';
import { withBackend, type Cli } from '../context.js';

/** `djc pause JOB`: no new attempt starts, running ones finish, its workers are released; `djc resume` queues it again. */
export async function pauseCommand(cli: Cli, ref: string): Promise<number> {
  return withBackend(cli, async (backend) => {
    const target = await resolveJob(backend, ref);
    const outcome = await pauseJob(backend, target.jobId);
    show(cli, outcome);
    if (!cli.opts.json) cli.err(`djc: running attempts finish, then its workers stop; \`djc resume ${target.jobId}\` queues it again`);
    return 0;
  });
}

/** `djc resume JOB`: a PAUSED job is QUEUED again, and its coordinator (`djc run` or the daemon) gives it workers. */
export async function resumeCommand(cli: Cli, ref: string): Promise<number> {
  return withBackend(cli, async (backend) => {
    const target = await resolveJob(backend, ref);
    const outcome = await resumeJob(backend, target.jobId);
    show(cli, outcome);
    await warnWithoutCoordinator(cli, backend, outcome);
    return 0;
  });
}

function show(cli: Cli, { job, runs }: PauseOutcome): void {
  if (cli.opts.json) {
    cli.json(pauseDocument({ job, runs }));
    return;
  }
  cli.out(`${job.jobId} ${job.status}`);
  for (const r of runs) cli.out(`  ${r.jobId} ${r.status}`);
}

/** A resumed daemon job waits for the daemon: say so when none runs. */
async function warnWithoutCoordinator(cli: Cli, backend: Backend, { job }: PauseOutcome): Promise<void> {
  if (job.mode !== 'daemon' || job.status !== 'QUEUED') return;
  const { coordinatorAlive } = await import('@djc/coordinator');
  if (!(await coordinatorAlive(backend))) cli.err('djc: warning: no coordinator is running; start one with `djc coordinator`');
}
