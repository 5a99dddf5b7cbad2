/**
 * Applies the scheduler's decisions: the one path by which the daemon and
 * `djc run` give workers to jobs. `tick(candidates)` builds a snapshot (the
 * pools, the jobs it follows with the workers they hold, the candidates:
 * jobs not coordinated yet), calls `schedule()`, and applies it: grows
 * followed jobs, hands back the candidates granted workers (the caller
 * starts coordinating them; the wrapped dispatcher's start() gives them
 * their grant), asks preempted workers to stop, and marks candidates that
 * wait QUEUED with their reason. `dispatcher` is what coordinateJob must be
 * given: it follows every job it starts, so their workers only ever come
 * from a grant.
 */
import { TERMINAL_JOB, type Backend, type JobRecord, type Logger } from '@djc/core';
import type { Dispatcher, WorkerBinding } from '../dispatch/dispatcher.js';
import { workerShare } from '../dispatch/bindings.js';
import { schedule } from '../scheduler/schedule.js';
import type { Decision, PoolCapacity, SchedulerSettings, SchedulerSnapshot } from '../scheduler/types.js';
import type { JobStart } from '../scheduler/queue-document.js';
import { jobDemand } from './job-demand.js';
import { markWaiting, requeuePreempted } from './queue-marks.js';
import { admitQueued } from '../paused.js';
import { createUsage } from './usage.js';
import { schedulingOwner } from './owner.js';

export interface GrantLoopOptions {
  backend: Backend;
  /** The dispatcher that starts workers (routing: local, Slurm, external). */
  dispatcher: Dispatcher;
  pools: PoolCapacity[];
  settings: SchedulerSettings;
  /** fair_share.owner_label: count a job under this label's value instead of its submitter. */
  ownerLabel: string | null;
  log: Logger;
}

export interface TickOutcome {
  decision: Decision;
  snapshot: SchedulerSnapshot;
  /** Candidates granted workers: start coordinating them now (dispatcher.start() gives them the grant). */
  granted: JobRecord[];
  /** Jobs that got their first workers in the last hour (the queue document's waits per class). */
  recentStarts: readonly JobStart[];
}

export interface GrantLoop {
  /** Give this to coordinateJob / coordinatePipeline: workers come only from grants. */
  dispatcher: Dispatcher;
  tick(candidates: readonly JobRecord[]): Promise<TickOutcome>;
  /** Called when capacity may have freed or demand changed (a worker exited, a job started or stopped): tick again now. */
  onWake(listener: () => void): void;
  /** Jobs coordinated through `dispatcher` now. */
  followed(): ReadonlySet<string>;
  /** Its coordinator is done with the job: a grant it never took (the job ended first) is given back. */
  forget(jobId: string): void;
}

export function createGrantLoop(o: GrantLoopOptions): GrantLoop {
  const inner = o.dispatcher;
  const followed = new Map<string, JobRecord>();
  /** Granted, not started yet (the caller is about to coordinate them). */
  const pending = new Map<string, { job: JobRecord; workers: WorkerBinding[] }>();
  /** Jobs whose workers were asked to stop, and for which job. */
  const preempted = new Map<string, string>();
  const listeners: (() => void)[] = [];
  const wake = () => {
    for (const l of listeners) l();
  };
  const usage = createUsage(o.settings.fairShareHalfLifeMs);
  let recentStarts: JobStart[] = [];
  /** The reason code last written on each queued job's record. */
  const reasonCodes = new Map<string, string>();
  const ownerOf = (job: JobRecord) => schedulingOwner(job, o.ownerLabel);
  inner.onRelease(wake);

  const held = (jobId: string) => inner.held(jobId).length + (pending.get(jobId)?.workers.length ?? 0);
  /**
   * A job whose workers are being taken back does not get new ones while the
   * job they are taken for has none yet (the capacity that frees is its).
   */
  const takenFor = (jobId: string): boolean => {
    const forJobId = preempted.get(jobId);
    return forJobId !== undefined && followed.has(jobId) && held(forJobId) === 0;
  };
  const stopping = (jobId: string) => inner.held(jobId).filter((w) => w.stopping).length;

  const dispatcher: Dispatcher = {
    async start(job) {
      followed.set(job.jobId, job);
      const workers = pending.get(job.jobId)?.workers ?? [];
      pending.delete(job.jobId);
      await inner.start(job, { workers });
      wake();
    },
    // A WAITING run whose upstream is in its last round: followed now, it wants workers (granted when capacity frees).
    async warm(job) {
      if (followed.has(job.jobId) || !inner.warm) return false;
      followed.set(job.jobId, job);
      const warmed = await inner.warm(job, { workers: [] });
      if (warmed) wake();
      else followed.delete(job.jobId);
      return warmed;
    },
    async poll(job) {
      followed.set(job.jobId, job);
      return inner.poll(job);
    },
    stuckReason: (jobId) => inner.stuckReason(jobId),
    coordination: (jobId) => inner.coordination?.(jobId) ?? null,
    describe: (jobId) => inner.describe(jobId),
    async stop(jobId, opts) {
      const job = followed.get(jobId);
      pending.delete(jobId);
      preempted.delete(jobId);
      try {
        const final = await inner.stop(jobId, opts);
        if (job && final?.allocations) usage.ended(ownerOf(job), final.allocations);
        return final;
      } finally {
        // Followed until its workers have exited: the capacity they hold is not granted before.
        followed.delete(jobId);
        wake();
      }
    },
    grow: (jobId, workers) => inner.grow(jobId, workers),
    shrink: (jobId, count) => inner.shrink(jobId, count),
    held: (jobId) => inner.held(jobId),
    onRelease: (listener) => inner.onRelease(listener),
  };

  /** The jobs of this tick (followed ones with fresh counts, then the candidates) and the scheduler's snapshot of them. */
  async function snapshotOf(candidates: readonly JobRecord[], now: number) {
    const jobs = new Map<string, JobRecord>();
    // Fresh counts of the followed jobs: a worker that just exited leaves a job that wants fewer.
    for (const [jobId, last] of followed) jobs.set(jobId, (await o.backend.state.getJob(jobId).catch(() => null)) ?? last);
    // Granted and not started yet: they hold their grant.
    for (const [jobId, p] of pending) if (!jobs.has(jobId)) jobs.set(jobId, p.job);
    for (const c of candidates) if (!jobs.has(c.jobId)) jobs.set(c.jobId, c);
    await requeuePreempted(o.backend, preempted, jobs, held, o.log);
    // A job that ended still holds the workers it is stopping: they count until they exit.
    const demands = [...jobs.values()]
      .filter((j) => !TERMINAL_JOB.has(j.status) || held(j.jobId) > 0)
      .map((j) => jobDemand(j, { workers: held(j.jobId), stopping: stopping(j.jobId) }, o.ownerLabel, now));
    const live = [...followed.keys()].map((id) => {
      const job = jobs.get(id) as JobRecord;
      return { owner: ownerOf(job), allocations: inner.describe(id)?.allocations ?? job.workers?.allocations ?? [] };
    });
    const snapshot: SchedulerSnapshot = { now, pools: o.pools, jobs: demands, usage: usage.at(live, now), settings: o.settings };
    return { jobs, snapshot };
  }

  /** Grows followed jobs; returns the candidates granted workers (their start() takes the grant). */
  async function applyGrants(decision: Decision, jobs: ReadonlyMap<string, JobRecord>, snapshot: SchedulerSnapshot): Promise<JobRecord[]> {
    const granted: JobRecord[] = [];
    for (const g of decision.grants) {
      const job = jobs.get(g.jobId);
      if (!job || takenFor(g.jobId)) continue;
      const ready = await resumePrepared(o.backend, job, o.log);
      if (!ready) continue;
      const demand = snapshot.jobs.find((d) => d.jobId === g.jobId);
      if (demand && demand.heldWorkers === 0) recentStarts.push({ priority: demand.priority, queuedAt: demand.queuedAt, startedAt: snapshot.now });
      const bindings = Array.from({ length: g.workers }, () => workerShare(job));
      const waiting = pending.get(g.jobId);
      if (followed.has(g.jobId)) {
        await inner.grow(g.jobId, bindings);
      } else if (waiting) {
        // Granted again before its coordinator took the first grant: one grant, one coordinator.
        waiting.workers.push(...bindings);
      } else {
        pending.set(g.jobId, { job: ready, workers: bindings });
        granted.push(ready);
      }
      o.log.debug({ jobId: g.jobId, workers: g.workers }, 'workers granted');
    }
    return granted;
  }

  /** Candidates that wait: QUEUED with their reason (written when its kind changes), or FAILED when they never fit. */
  async function markAllWaiting(decision: Decision, jobs: ReadonlyMap<string, JobRecord>): Promise<void> {
    for (const [jobId, reason] of decision.waiting) {
      const job = jobs.get(jobId);
      if (!job || followed.has(jobId)) continue;
      const code = await markWaiting(o.backend, job, reason, o.log, reasonCodes.get(jobId));
      if (code === undefined) reasonCodes.delete(jobId);
      else reasonCodes.set(jobId, code);
    }
    for (const jobId of reasonCodes.keys()) if (!decision.waiting.has(jobId)) reasonCodes.delete(jobId);
  }

  async function tick(candidates: readonly JobRecord[]): Promise<TickOutcome> {
    const now = Date.now();
    const { jobs, snapshot } = await snapshotOf(candidates, now);
    const decision = schedule(snapshot);
    const granted = await applyGrants(decision, jobs, snapshot);
    for (const p of decision.preemptions) {
      const asked = await inner.shrink(p.jobId, p.workers);
      if (asked > 0) preempted.set(p.jobId, p.forJobId);
      o.log.info({ jobId: p.jobId, workers: asked, for: p.forJobId }, 'workers preempted');
    }
    await markAllWaiting(decision, jobs);
    recentStarts = recentStarts.filter((r) => r.startedAt > now - 3_600_000);
    return { decision, snapshot, granted, recentStarts };
  }

  return {
    dispatcher,
    tick,
    onWake: (l) => listeners.push(l),
    followed: () => new Set(followed.keys()),
    forget(jobId) {
      if (pending.delete(jobId)) wake();
    },
  };
}

/**
 * A QUEUED job granted workers again after it ran (preempted, or resumed):
 * back to RUNNING, its tasks are there. One not prepared yet stays QUEUED
 * (prepare takes it to PREPARING). null: it ended meanwhile.
 */
async function resumePrepared(backend: Backend, job: JobRecord, log: Logger): Promise<JobRecord | null> {
  if (job.status !== 'QUEUED' || job.startedAt === null) return job;
  try {
    // Prepared = its manifest was written (a job paused while it prepared has startedAt but no manifest: → PREPARING).
    const now = await admitQueued(backend, job);
    return TERMINAL_JOB.has(now.status) ? null : now;
  } catch (e) {
    log.info({ jobId: job.jobId, err: e }, 'a granted job changed meanwhile');
    return null;
  }
}
