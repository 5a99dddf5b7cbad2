/**
 * The daemon's own health, in its log: one line per job state change
 * (`job state`, from → to, as seen by a census of the jobs each
 * `stateEveryMs`; changes faster than that show as one line) and a periodic
 * summary (`coordinator health`: live jobs by status, jobs ended since
 * start, workers by state, RSS, heap, event-loop lag). Reads only; never
 * fails the daemon (a failed look is a warning).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { TERMINAL_JOB, type Backend, type JobStatus, type Logger } from '@djc/core';
import { createJobCensus } from '../observe/job-census.js';
import { countLive, type HealthSummary } from './health-summary.js';

export interface DaemonHealthOptions {
  log: Logger;
  /** Summary line period (ms); 0: no summary. */
  summaryEveryMs: number;
  /** How often job states are looked at (ms). Default 1000. */
  stateEveryMs?: number;
}

/** Starts the watch; the returned function stops it (and writes a last summary if summaries are on). */
export function startDaemonHealth(backend: Backend, opts: DaemonHealthOptions): () => Promise<void> {
  const { log } = opts;
  const census = createJobCensus(backend, Date.now());
  const known = new Map<string, JobStatus>();
  const ended: Record<string, number> = {};
  let live: Parameters<typeof countLive>[0] = [];
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  let busy: Promise<void> = Promise.resolve();

  const look = async () => {
    const seen = await census.take();
    live = seen.live;
    for (const job of [...seen.live, ...seen.ended]) {
      const before = known.get(job.jobId);
      if (before === job.status) continue;
      log.info({ jobId: job.jobId, name: job.name, from: before ?? null, to: job.status, ...(job.error ? { error: job.error } : {}) }, 'job state');
      if (TERMINAL_JOB.has(job.status)) {
        known.delete(job.jobId);
        ended[job.status] = (ended[job.status] ?? 0) + 1;
      } else known.set(job.jobId, job.status);
    }
  };
  const summary = () => {
    const mem = process.memoryUsage();
    const s: HealthSummary = {
      ...countLive(live),
      ended: { ...ended },
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      heapTotalBytes: mem.heapTotal,
      externalBytes: mem.external,
      eventLoopLagMs: { p99: round(lag.percentile(99) / 1e6), max: round(lag.max / 1e6) },
    };
    lag.reset();
    log.info(s, 'coordinator health');
  };
  const serially = (fn: () => Promise<void> | void) => () => {
    busy = busy.then(fn).catch((e: unknown) => log.warn({ err: e }, 'coordinator health: a look at the jobs failed'));
  };
  const states = setInterval(serially(look), opts.stateEveryMs ?? 1000);
  const summaries = opts.summaryEveryMs > 0 ? setInterval(serially(summary), opts.summaryEveryMs) : null;
  states.unref();
  summaries?.unref();
  serially(look)();
  return async () => {
    clearInterval(states);
    if (summaries) clearInterval(summaries);
    await busy;
    await look().catch(() => undefined);
    if (summaries) summary();
    lag.disable();
  };
}

function round(ms: number): number {
  return Number.isFinite(ms) ? Math.round(ms * 10) / 10 : 0;
}
