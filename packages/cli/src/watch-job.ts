import { TERMINAL_JOB } from '@djc/core/read';
import type { Backend, JobRecord } from '@djc/core';

/** How watching a job ended: it ended (`job` is final), the time ran out, or the user interrupted (`job` is the last seen). */
export type WatchEnd = { how: 'ended' | 'timed-out' | 'interrupted'; job: JobRecord };

/**
 * Reads the job every `everyMs` until it ends, `timeoutMs` passes (0 or
 * unset: no limit), or `signal` aborts; `onJob` sees every record read.
 */
export async function watchJob(
  backend: Backend, jobId: string, o: { everyMs: number; timeoutMs?: number; signal?: AbortSignal; onJob?: (job: JobRecord) => void },
): Promise<WatchEnd> {
  // Loaded here, not at the top: read.ts and LocalJobService import this file, and the package's index is heavy.
  const { mustGetJob } = await import('@djc/coordinator');
  const deadline = o.timeoutMs ? Date.now() + o.timeoutMs : Infinity;
  for (;;) {
    const job = await mustGetJob(backend, jobId);
    o.onJob?.(job);
    if (TERMINAL_JOB.has(job.status)) return { how: 'ended', job };
    if (o.signal?.aborted) return { how: 'interrupted', job };
    const left = deadline - Date.now();
    if (left <= 0) return { how: 'timed-out', job };
    await pause(Math.min(o.everyMs, left), o.signal);
    if (o.signal?.aborted) return { how: 'interrupted', job };
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (or has). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** An AbortSignal that fires on Ctrl-C (and SIGTERM) while `fn` runs; the signals' default (exit) is off meanwhile. */
export async function interruptible<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
