/**
 * The scheduler's inputs of `djc run`: this machine's capacity, how many
 * of a job's workers fit, and the note printed when a job gets fewer
 * workers than it asks. (The daemon's, from its flags and settings file:
 * daemon-settings-flags.ts.)
 */
import { defaultDaemonSettings, type DaemonSettings, type JobConfig } from '@djc/core';
import { describeCapacity, localCapacity, poolsOf, type LocalCapacity } from '@djc/coordinator';

let detected: LocalCapacity | undefined;

/**
 * The capacity `djc run` schedules against: this machine, detected once per
 * process (detection runs `nvidia-smi`; `djc run` asks twice: its fit check
 * and its dispatcher). Each caller gets its own copy.
 */
export function runCapacity(): { capacity: LocalCapacity; settings: DaemonSettings } {
  const settings = defaultDaemonSettings();
  detected ??= localCapacity(settings);
  return { capacity: structuredClone(detected), settings };
}

/**
 * How many of a local job's workers this machine runs at once:
 * compute.workers, or fewer when their resources do not fit; null when it
 * has no pool to run them in.
 */
export function workersThatFit(config: JobConfig, capacity: LocalCapacity): number | null {
  const c = config.compute;
  const pool = poolsOf(capacity, defaultDaemonSettings())[0];
  if (!pool) return null;
  const r = c.resources;
  return Math.min(
    c.workers,
    r.cpus > 0 ? Math.floor(pool.cpus / r.cpus + 1e-9) : Infinity,
    (r.memory ?? 0) > 0 ? Math.floor(pool.memoryBytes / (r.memory ?? 1)) : Infinity,
    r.gpus > 0 ? Math.floor(pool.gpus / r.gpus) : Infinity,
  );
}

/**
 * Why `djc run` starts fewer workers than compute.workers, and how to change
 * it, or null when they all fit.
 */
export function fewerWorkersNote(config: JobConfig, capacity: LocalCapacity): string | null {
  const c = config.compute;
  if (c.dispatcher !== 'local') return null;
  const fit = workersThatFit(config, capacity);
  if (fit === null || fit >= c.workers) return null;
  const r = c.resources;
  return `djc: starting ${fit} of ${c.workers} workers: each asks ${r.cpus} cpus (compute.resources) and there are ${describeCapacity(capacity)}; `
    + 'for handlers that mostly wait (I/O, sleeps), ask less, e.g. --set compute.resources.cpus=0.5';
}
