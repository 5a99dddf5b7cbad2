import type { Logger } from '@djc/core';
import type { Dispatcher, WorkerBinding } from './dispatcher.js';
import { defaultBindings } from './bindings.js';
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
  // The grants of each job: djc starts nothing, but the pool's max_workers counts them.
  const followed = new Map<string, WorkerBinding[]>();
  return {
    async start(job, { workers = defaultBindings(job) } = {}) {
      followed.set(job.jobId, [...workers]);
      opts.log.info({ jobId: job.jobId }, 'dispatcher external: waiting for workers started elsewhere');
    },
    async grow(jobId, workers) {
      followed.get(jobId)?.push(...workers);
    },
    async shrink(jobId, count) {
      const granted = followed.get(jobId);
      return granted ? granted.splice(0, count).length : 0;
    },
    held(jobId) {
      return (followed.get(jobId) ?? []).map((binding) => ({ workerId: null, binding, stopping: false }));
    },
    onRelease() {
      // Nothing djc started exits.
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
