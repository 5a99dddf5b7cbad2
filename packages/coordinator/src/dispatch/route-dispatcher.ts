import { DjcError, type DispatcherName } from '@djc/core';
import type { Dispatcher } from './dispatcher.js';

/**
 * One dispatcher for a coordinator that runs many jobs: each job goes to the
 * dispatcher its config names (compute.dispatcher).
 */
export function createRoutingDispatcher(byName: Partial<Record<DispatcherName, Dispatcher>>): Dispatcher {
  const of = new Map<string, Dispatcher>();
  const get = (jobId: string) => of.get(jobId);
  return {
    async start(job, opts) {
      const name = job.config.compute.dispatcher;
      const d = byName[name];
      if (!d) throw new DjcError('USAGE', `this coordinator cannot dispatch "${name}" workers`, { jobId: job.jobId });
      of.set(job.jobId, d);
      await d.start(job, opts);
    },
    async grow(jobId, workers) {
      await get(jobId)?.grow(jobId, workers);
    },
    async shrink(jobId, count) {
      return (await get(jobId)?.shrink(jobId, count)) ?? 0;
    },
    held(jobId) {
      return get(jobId)?.held(jobId) ?? [];
    },
    onRelease(listener) {
      for (const d of new Set(Object.values(byName))) d.onRelease(listener);
    },
    async warm(job, opts) {
      const d = byName[job.config.compute.dispatcher];
      if (!d?.warm) return false;
      of.set(job.jobId, d);
      return d.warm(job, opts);
    },
    async poll(job) {
      return (await get(job.jobId)?.poll(job)) ?? [];
    },
    stuckReason(jobId) {
      return get(jobId)?.stuckReason(jobId) ?? null;
    },
    coordination(jobId) {
      return get(jobId)?.coordination?.(jobId) ?? null;
    },
    describe(jobId) {
      return get(jobId)?.describe(jobId) ?? null;
    },
    async stop(jobId, opts) {
      const d = get(jobId);
      try {
        return (await d?.stop(jobId, opts)) ?? null;
      } finally {
        // Routed until its workers have exited: held() counts them meanwhile.
        if (get(jobId) === d) of.delete(jobId);
      }
    },
  };
}
