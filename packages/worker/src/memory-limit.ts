/**
 * A worker's memory limit, and each attempt's share of it.
 *
 * The limit is DJC_WORKER_MEMORY (set by the local dispatcher from the
 * worker's binding, see coordinator dispatch/worker-launch.ts), else, for a
 * job whose dispatcher is local, its compute.resources.memory (so `djc run`
 * applies it too). Slurm enforces --mem itself where its cgroups allow; a
 * Slurm or external worker is limited here only when DJC_WORKER_MEMORY is set.
 *
 * Each of the worker's concurrency slots gets an equal share. A module
 * handler thread gets it as its heap limit (resourceLimits) unless
 * compute.memory says otherwise; a command handler's processes get it as
 * RLIMIT_DATA (`ulimit -d`, see command-runner.ts).
 */
import { DjcError, parseSize, type JobConfig } from '@djc/core/worker';

export const WORKER_MEMORY_ENV = 'DJC_WORKER_MEMORY';

/** DJC_WORKER_MEMORY in bytes ("536870912" or a size such as "512MiB"), or undefined; a malformed value is a usage error. */
export function workerMemoryFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[WORKER_MEMORY_ENV];
  if (raw === undefined || raw === '') return undefined;
  const n = parseSize(raw);
  if (n === null || n <= 0) {
    throw new DjcError('USAGE', `${WORKER_MEMORY_ENV}: expected a size such as "512MiB" or a number of bytes, found ${JSON.stringify(raw)}`);
  }
  return n;
}

export interface AttemptMemory {
  /** Heap limit of a module handler thread, or undefined (the runner's default). */
  heapBytes?: number;
  /** What the heap limit comes from, for the out_of_memory message. */
  heapSource: string;
  /** RLIMIT_DATA of a command handler's processes, or undefined (no limit). */
  command?: { bytes: number; source: string };
}

/** The limits of one attempt of a job with `cfg`, on a worker with `slots` slots and limit `workerBytes` (DJC_WORKER_MEMORY). */
export function attemptMemory(cfg: JobConfig, slots: number, workerBytes: number | undefined): AttemptMemory {
  const declared = cfg.compute.resources.memory;
  const limit = workerBytes ?? (cfg.compute.dispatcher === 'local' ? declared : undefined);
  // The dispatcher carries the job's own compute.resources.memory in the env:
  // name the key the user wrote, and the env only when it says something else.
  const source = workerBytes === undefined || workerBytes === declared ? 'compute.resources.memory' : WORKER_MEMORY_ENV;
  const n = Math.max(1, slots);
  const share = limit === undefined ? undefined : Math.floor(limit / n);
  const perSlot = n > 1 ? `${source} / ${n} slots` : source;
  if (cfg.compute.memory !== undefined) {
    return { heapBytes: cfg.compute.memory, heapSource: 'compute.memory', ...(share === undefined ? {} : { command: { bytes: share, source: perSlot } }) };
  }
  if (share === undefined) return { heapSource: 'compute.memory' };
  return { heapBytes: share, heapSource: perSlot, command: { bytes: share, source: perSlot } };
}
