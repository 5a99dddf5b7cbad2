import type { Backend, CoordinatorInfo, JobRecord, JobStatus, Logger } from '@djc/core';
import { coordinateJob } from './coordinate-job.js';
import { coordinatePipeline } from './pipeline/coordinate-pipeline.js';
import { settleAfter } from './after/settle-after.js';
import { expireDeadline } from './deadline.js';
import { coordinatorName, isOrphaned } from './liveness.js';
import type { Dispatcher } from './dispatch/dispatcher.js';
import type { PoolCapacity, SchedulerSettings } from './scheduler/types.js';
import { createGrantLoop, type TickOutcome } from './scheduling/grant-loop.js';
import { createQueueWriter } from './scheduling/queue-writer.js';
import { createWake } from './scheduling/wake.js';
import { wantWorkersOf } from './scheduling/job-demand.js';
import { waitToLead, type Term } from './leadership.js';

export interface DaemonOptions {
  dispatcher: Dispatcher;
  log: Logger;
  signal: AbortSignal;
  pollMs?: number;
  /** The lock expires this long after the last renewal; a standby then takes over (default 15 s). */
  lockTtlMs?: number;
  /** How often the leader renews the lock (default 3 s). */
  lockRenewMs?: number;
  /** Called once each time this daemon starts standing by behind another holder of the lock. */
  onStandby?: (holder: CoordinatorInfo) => void;
  /** Called when this daemon takes the lock, before it coordinates anything (the CLI serves the API socket then). */
  onLead?: (term: Term) => Promise<void> | void;
  /** Called when a term ends (stopped, or the lock lost: `term.lostReason()`), after its job loops stopped. */
  onStepDown?: (term: Term) => Promise<void> | void;
  /** What the scheduler fills: the local pool (the machine or the declared capacity), Slurm, external. */
  pools: PoolCapacity[];
  settings: SchedulerSettings;
  /** fair_share.owner_label of the daemon's settings, or null. */
  ownerLabel?: string | null;
  /** Subscribes the loop to wake-ups from outside (a submit: scheduling/submit-signal.ts); returns the unsubscribe. */
  wakeups?: (wake: () => void) => () => void;
  /** Called with each tick's outcome (its snapshot gives the metrics their capacity figures: observe/metrics.ts). */
  onTick?: (outcome: TickOutcome) => void;
}

/** Jobs that may want workers, listed each tick (top-level: a pipeline's runs are followed through its coordinator). */
const SCHEDULED: readonly JobStatus[] = ['SUBMITTED', 'QUEUED', 'PREPARING', 'RUNNING', 'FINALIZING'];
// WAITING top-level jobs (`djc submit --after`) are not coordinated until ready.
/** Queued jobs read per tick, per status (the scheduler orders them all). */
const LIST_LIMIT = 20_000;

/**
 * The `djc coordinator` daemon: stands by until it holds the backend's
 * coordinator lock (leadership.ts), coordinates while it leads, and stands
 * by again if it loses the lock. Stops when `signal` aborts, releasing the
 * lock at once so a standby takes over without waiting for it to expire.
 */
export async function runDaemon(backend: Backend, opts: DaemonOptions): Promise<void> {
  const ttlMs = opts.lockTtlMs ?? 15_000;
  const renewMs = opts.lockRenewMs ?? 3_000;
  while (!opts.signal.aborted) {
    const term = await waitToLead(backend, { ttlMs, renewMs, log: opts.log, signal: opts.signal, onStandby: opts.onStandby });
    if (!term) return;
    opts.log.info({ owner: term.owner, epoch: term.epoch, how: term.how, previous: term.previous?.owner }, 'coordinator started');
    // While it leads, the backend's file upkeep (local: WAL checkpoints off the busy connections) runs in this process.
    const stopUpkeep = backend.startUpkeep?.();
    try {
      await opts.onLead?.(term);
      await lead(backend, opts, term);
    } finally {
      await stopUpkeep?.();
      await term.end().catch((e: unknown) => opts.log.warn({ err: e }, 'releasing the coordinator lock failed'));
      await opts.onStepDown?.(term);
      opts.log.info({ owner: term.owner, epoch: term.epoch }, 'coordinator stopped');
    }
  }
}

/**
 * One term: each tick, asks the scheduler which jobs get workers. Only a job
 * granted workers (or one finalizing, or a pipeline, whose runs ask for
 * their own) gets a coordinating loop; the others are QUEUED with their
 * reason, so thousands of queued jobs cost one list per tick. A worker that
 * exits wakes the loop at once, so the capacity it frees goes to the next job
 * without waiting for the poll. Ends when the term does (stopped, or the lock
 * lost): job loops stop and leave their workers running for the next leader.
 */
async function lead(backend: Backend, opts: DaemonOptions, term: Term): Promise<void> {
  const signal = term.signal;
  const active = new Map<string, Promise<unknown>>();
  const loop = createGrantLoop({
    backend, dispatcher: opts.dispatcher, pools: opts.pools, settings: opts.settings, ownerLabel: opts.ownerLabel ?? null, log: opts.log,
  });
  const wake = createWake();
  loop.onWake(wake.now);
  const unwatch = opts.wakeups?.(wake.now);
  const writeQueue = createQueueWriter(backend, `${coordinatorName('djc coordinator')}`, opts.log);
  const coordinate = (job: JobRecord) => {
    if (active.has(job.jobId) || signal.aborted) return;
    opts.log.info({ jobId: job.jobId, status: job.status, kind: job.kind }, 'coordinating job');
    const how = { dispatcher: loop.dispatcher, log: opts.log, signal, owner: coordinatorName('djc coordinator') };
    const p = (job.kind === 'pipeline' ? coordinatePipeline(backend, job.jobId, how) : coordinateJob(backend, job.jobId, how))
      .catch((e: unknown) => opts.log.error({ jobId: job.jobId, err: e }, 'coordinating the job failed'))
      .finally(() => {
        active.delete(job.jobId);
        loop.forget(job.jobId);
        wake.now();
      });
    active.set(job.jobId, p);
  };
  try {
    while (!signal.aborted) {
      await tick(backend, opts, { active, loop, coordinate, writeQueue });
      await wake.sleep(opts.pollMs ?? 500, signal);
    }
  } finally {
    unwatch?.();
    // Stopped job loops detach from their workers at once; a stuck one does not hold the lock up for long.
    const settled = Promise.allSettled([...active.values()]);
    await Promise.race([settled, new Promise((r) => setTimeout(r, RELEASE_WAIT_MS).unref())]);
    await term.end().catch((e: unknown) => opts.log.warn({ err: e }, 'releasing the coordinator lock failed'));
    await settled;
  }
}

/** How long a stopping leader waits for its job loops to stop before releasing the lock anyway. */
const RELEASE_WAIT_MS = 2_000;

interface TickContext {
  active: ReadonlyMap<string, unknown>;
  loop: ReturnType<typeof createGrantLoop>;
  coordinate: (job: JobRecord) => void;
  writeQueue: ReturnType<typeof createQueueWriter>;
}

async function tick(backend: Backend, opts: DaemonOptions, { active, loop, coordinate, writeQueue }: TickContext): Promise<void> {
  // `djc submit --after` jobs: ready (→ SUBMITTED, picked up below) or SKIPPED once their dependencies end.
  for (const job of await backend.state.listJobs({ status: 'WAITING', limit: 1000 })) {
    await settleAfter(backend, job, opts.log).catch((e: unknown) => opts.log.warn({ jobId: job.jobId, err: e }, 'checking the dependencies of a waiting job failed'));
  }
  // Jobs no one coordinates (PAUSED) still time out when their deadline passes.
  for (const job of await backend.state.listJobs({ status: 'PAUSED', limit: 1000 })) {
    if (active.has(job.jobId)) continue;
    await expireDeadline(backend, job, opts.log).catch((e: unknown) => opts.log.warn({ jobId: job.jobId, err: e }, 'timing out a paused job failed'));
  }
  const candidates: JobRecord[] = [];
  for (const job of await uncoordinated(backend, active, opts.log)) {
    // A pipeline holds no workers (its runs ask for theirs); a finalizing job, or an adopted one with no task left, needs none.
    if (job.kind === 'pipeline' || job.status === 'FINALIZING' || (job.status === 'RUNNING' && wantWorkersOf(job) === 0)) coordinate(job);
    else candidates.push(job);
  }
  const outcome = await loop.tick(candidates);
  opts.onTick?.(outcome);
  for (const job of outcome.granted) coordinate(job);
  // Jobs left waiting (QUEUED, not coordinated) still time out when their deadline passes.
  const granted = new Set(outcome.granted.map((j) => j.jobId));
  for (const job of candidates) {
    if (granted.has(job.jobId) || job.config.deadline === undefined || active.has(job.jobId)) continue;
    await expireDeadline(backend, job, opts.log).catch((e: unknown) => opts.log.warn({ jobId: job.jobId, err: e }, 'timing out a queued job failed'));
  }
  await writeQueue(outcome);
}

/** Top-level jobs that may need coordinating and nothing here coordinates; `djc run` jobs only once their process went away. */
async function uncoordinated(backend: Backend, active: ReadonlyMap<string, unknown>, log: Logger): Promise<JobRecord[]> {
  const found: JobRecord[] = [];
  for (const status of SCHEDULED) {
    for (const job of await backend.state.listJobs({ status, limit: LIST_LIMIT })) {
      if (active.has(job.jobId)) continue;
      if (job.mode !== 'daemon') {
        // A `djc run` job whose process went away: adopt it.
        if (!isOrphaned(job)) continue;
        log.warn({ jobId: job.jobId, last: job.coordinator?.owner }, 'adopting a job whose coordinator stopped');
        found.push(await backend.state.updateJob(job.jobId, { mode: 'daemon' }));
        continue;
      }
      found.push(job);
    }
  }
  // Oldest first: the scheduler orders them anyway; this keeps logs and ties readable.
  return found.reverse();
}

/** Whether a coordinator daemon holds a live lock on this backend (in liveness.ts: `djc submit` asks it without loading the daemon). */
export { coordinatorAlive } from './liveness.js';
