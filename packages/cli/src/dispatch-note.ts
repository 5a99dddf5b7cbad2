import type { Backend, JobRecord } from '@djc/core';
import { workerInvocation, workerShellLine, type WorkerInvocation } from '@djc/coordinator';
import type { Cli } from './context.js';
import { WORKER_COMMAND, workerEnvOf } from './dispatch-context.js';

/** How a job's workers will start, for the line `djc run`/`djc submit` print. */
export function dispatchNote(job: JobRecord): string {
  const c = job.config.compute;
  switch (c.dispatcher) {
    case 'slurm': return `a Slurm array of ${c.slurm?.workers ?? c.workers} workers`;
    case 'external': return 'dispatcher external: djc starts no workers';
    default: return `${c.workers} local workers`;
  }
}

/** `dispatcher: external`: the worker command to run elsewhere, or null for other dispatchers. */
export function externalWorker(cli: Cli, backend: Backend, job: JobRecord): (WorkerInvocation & { command: string }) | null {
  if (job.config.compute.dispatcher !== 'external') return null;
  const w = workerInvocation(WORKER_COMMAND, job.jobId, workerEnvOf(cli, backend));
  return { ...w, command: workerShellLine(w) };
}

/** Tells the user (stderr) how to start external workers. */
export function printExternalWorker(cli: Cli, w: { command: string }): void {
  cli.err('djc: start workers for this job wherever they should run (same backend; any number, each exits when no work is left):');
  cli.err(`  ${w.command}`);
}
