import type { JobRecord } from '@djc/core';
import type { WorkerBinding } from './dispatcher.js';

/** What one worker of the job holds: its compute.resources, not pinned to CPU or GPU ids. */
export function workerShare(job: JobRecord): WorkerBinding {
  const r = job.config.compute.resources;
  return { cpus: r.cpus, memoryBytes: r.memory ?? 0, gpus: r.gpus, cpuIds: [], gpuIds: [] };
}

/** compute.workers unpinned bindings: a dispatcher started without a scheduler in front. */
export function defaultBindings(job: JobRecord): WorkerBinding[] {
  return Array.from({ length: job.config.compute.workers }, () => workerShare(job));
}
