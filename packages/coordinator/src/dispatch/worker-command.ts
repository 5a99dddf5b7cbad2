/**
 * The command line that starts one worker of a job, for the dispatchers that
 * start workers somewhere else (a Slurm batch script, or a user who runs it
 * by hand, in Kubernetes or AWS Batch for `dispatcher: external`).
 */

import { shellQuote } from '@djc/core';

export { shellQuote };

export interface WorkerInvocation {
  /** argv of the worker, e.g. [node, /…/djc-worker/dist/bin.js, --job, ID]. */
  argv: string[];
  /** Environment the worker needs to reach the job's backend (DJC_BACKEND, DJC_HOME, DJC_TABLE, …). */
  env: Record<string, string>;
}

export function workerInvocation(workerCommand: readonly string[], jobId: string, env: Record<string, string>): WorkerInvocation {
  return { argv: [...workerCommand, '--job', jobId], env: { ...env } };
}

/** One line to paste into a shell: `env K=V … node …/bin.js --job ID`. */
export function workerShellLine(w: WorkerInvocation): string {
  const env = Object.entries(w.env).map(([k, v]) => `${k}=${shellQuote(v)}`);
  return [...(env.length > 0 ? ['env', ...env] : []), ...w.argv.map(shellQuote)].join(' ');
}
