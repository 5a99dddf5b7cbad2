import type { Logger } from '@djc/core';
import type { Dispatcher } from './dispatcher.js';
import { workerInvocation, workerShellLine } from './worker-command.js';

export interface ExternalDispatcherOptions {
  workerCommand: readonly string[];
  env: Record<string, string>;
  log: Logger;
}

/**
 * `dispatcher: external`: djc starts no workers. The user runs the worker
 * command (printed by `djc submit`/`djc run` and shown by `djc status`) by
 * hand, in Kubernetes, AWS Batch, … Tasks of workers that vanish come back
 * when their lease expires.
 */
export function createExternalDispatcher(opts: ExternalDispatcherOptions): Dispatcher {
  const followed = new Set<string>();
  return {
    async start(job) {
      followed.add(job.jobId);
      opts.log.info({ jobId: job.jobId }, 'dispatcher external: waiting for workers started elsewhere');
    },
    async poll() {
      return [];
    },
    stuckReason() {
      return null;
    },
    describe(jobId) {
      if (!followed.has(jobId)) return null;
      return {
        dispatcher: 'external', slurmJobIds: [], groups: [], failures: [],
        summary: `external: start workers with: ${workerShellLine(workerInvocation(opts.workerCommand, jobId, opts.env))}`,
        updatedAt: new Date().toISOString(),
      };
    },
    async stop(jobId) {
      const final = this.describe(jobId);
      followed.delete(jobId);
      return final;
    },
  };
}
