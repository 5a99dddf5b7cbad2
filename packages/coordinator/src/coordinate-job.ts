import { ConflictError, DjcError, FencedError, isDiskFull, TERMINAL_JOB, withJob, withJobSpan, type Backend, type JobRecord, type Logger, type WorkersRecord } from '@djc/core';
import type { Dispatcher } from './dispatch/dispatcher.js';
import { finalizeJob, withFailedTasks } from './finalize.js';
import { notifyJobEnd } from './notify.js';
import { coordinatorName, keepMarking } from './liveness.js';
import { diskFullHalt, type DiskFullHalt } from './disk-full-halt.js';
import { monitorTick } from './monitor.js';
import { lostMessageSweeper } from './lost-messages.js';
import { prepareJob } from './prepare.js';
import { prepareStreaming } from './pipeline/stream-prepare.js';
import { expireDeadline } from './deadline.js';
import { admitQueued, leftToDaemon, releaseWhilePaused, waitWhilePaused } from './paused.js';
import type { BatchReuse } from './pipeline/batch-reuse.js';
import { claimJob } from './fence/job-claim.js';
import { Speculator } from './speculate/speculator.js';
import { EndPace, inLastStretch } from './end-pace.js';
import { mustGetJob } from './resolve-job.js';

/** In resolve-job.ts (light: `djc submit` and `djc priority` need it without the coordinator loop). */
export { mustGetJob };

export interface CoordinateOptions {
  dispatcher: Dispatcher;
  log: Logger;
  /** Stops coordinating (the job is left as it is, for another coordinator to resume). */
  signal?: AbortSignal;
  /** Default: the backend's monitorIntervalMs. */
  tickMs?: number;
  /** Who coordinates, as shown by `djc status` (default "djc on <host> (pid N)"). */
  owner?: string;
  /**
   * Called with what made prepare fail (the job is FAILED by then): `djc run`
   * reports an invalid input (INPUT_INVALID, CONFIG_INVALID) as the config
   * error it is, exit 2, rather than as a failed job.
   */
  onPrepareError?: (error: unknown) => void;
  /**
   * Called as soon as the job has ended (finalized), before its workers are
   * stopped and waited for: a pipeline starts the next stage then.
   */
  onEnded?: (job: JobRecord) => void;
  /** A pipeline stage run: hash its batches at prepare and re-use earlier task outputs (pipeline/batch-reuse.ts). */
  batchReuse?: BatchReuse;
}

/**
 * Drives one job from wherever it is (SUBMITTED, QUEUED, half-prepared,
 * RUNNING, PAUSED, FINALIZING) to a final status: prepare, dispatch workers,
 * monitor, and finalize. Used in-process by `djc run` and per job by the
 * daemon. A job paused meanwhile has its workers released (paused.ts); a
 * daemon's job is then returned PAUSED (the daemon takes it up again once
 * resumed), any other is waited for and run again once resumed. A job
 * whose deadline passes ends TIMEOUT (deadline.ts). A write that finds the
 * disk full stops coordinating (disk-full-halt.ts): the job's workers are
 * stopped, the job is left as it is to resume, and the DISK_FULL error is
 * thrown.
 */
export async function coordinateJob(backend: Backend, jobId: string, opts: CoordinateOptions): Promise<JobRecord> {
  // Every request made here (and in the timers started here) is this job's.
  return withJob(jobId, async () => {
    const halt = diskFullHalt(opts.signal);
    try {
      const job = await coordinate(backend, jobId, opts, halt);
      if (halt.error !== undefined) throw halt.error;
      // Read again: stopping the workers recorded their final view on it.
      return (await backend.state.getJob(jobId)) ?? job;
    } catch (e) {
      // Another coordinator claimed the job meanwhile (this one was paused, or partitioned): it is theirs now.
      if (!(e instanceof FencedError)) throw e;
      opts.log.warn({ jobId, epoch: e.fence, now: e.epoch }, 'another coordinator claimed the job: stopped coordinating it');
      return mustGetJob(backend, jobId);
    } finally {
      halt.dispose();
      await backend.flushRequestCounts?.().catch(() => undefined);
    }
  });
}

async function coordinate(shared: Backend, jobId: string, outer: CoordinateOptions, halt: DiskFullHalt): Promise<JobRecord> {
  const { dispatcher, log } = outer;
  let job = await mustGetJob(shared, jobId);
  if (TERMINAL_JOB.has(job.status)) return job;
  // Claimed first: from here every coordinator write is fenced with the claim's epoch (fence/job-claim.ts).
  const owner = outer.owner ?? coordinatorName('djc');
  const { claim, job: claimed } = await claimJob(shared, jobId, owner);
  job = claimed;
  log.debug({ jobId, epoch: claim.epoch }, 'claimed the job');
  const backend = claim.backend;
  // A lost claim stops the job's loops as an abort (or a full disk: halt.signal) does.
  const opts: CoordinateOptions = { ...outer, signal: AbortSignal.any([halt.signal, claim.signal]) };
  const stopMarking = keepMarking(backend, jobId, owner, log, (e) => halt.see(e));
  const workers = workersRecorder(backend, jobId, dispatcher, log, halt);
  // Workers granted while the job prepares (no monitor tick yet) are recorded too.
  const recording = setInterval(() => void workers.record(), RECORD_EVERY_MS);
  recording.unref();
  let ended: JobRecord;
  try {
    ended = await rounds(backend, job, opts, workers.record);
  } catch (e) {
    halt.see(e);
    throw e;
  } finally {
    stopMarking();
    clearInterval(recording);
    if (claim.lost()) {
      // Another coordinator runs the job now: leave its workers (and everything else) alone.
      await dispatcher.stop(jobId, { leave: true });
    } else {
      // Interrupted with the job unfinished: workers that outlive us stay for the next coordinator
      // (not on a full disk: they could not record anything either).
      const detach = outer.signal?.aborted === true && halt.error === undefined && !TERMINAL_JOB.has((await backend.state.getJob(jobId).catch(() => null))?.status ?? 'FAILED');
      const final = await dispatcher.stop(jobId, { detach });
      if (!detach) await workers.record(final);
    }
  }
  // Lost while its loops wound down quietly (a lost claim stops them as an abort does): say so to the caller.
  if (claim.lost()) throw claim.signal.reason as FencedError;
  return ended;
}

/** One round per grant of workers: a paused job that is resumed gets another. */
async function rounds(
  backend: Backend, job: JobRecord, opts: CoordinateOptions, record: (view?: WorkersRecord | null) => Promise<void>,
): Promise<JobRecord> {
  const { dispatcher, log } = opts;
  const jobId = job.jobId;
  const watch = { dispatcher, log, tickMs: opts.tickMs ?? backend.monitorIntervalMs, signal: opts.signal };
  for (;;) {
    if (job.status === 'PAUSED') {
      // Its workers finish their running attempts and are released (at once if it has none).
      job = await releaseWhilePaused(backend, jobId, watch, (view) => record(view));
      if (job.status === 'PAUSED' && !leftToDaemon(job)) job = await waitWhilePaused(backend, jobId, watch);
      if (job.status === 'PAUSED' || TERMINAL_JOB.has(job.status)) return job;
    }
    job = await admitQueued(backend, job);
    const ended = await runRound(backend, job, opts, record);
    if (ended.status !== 'PAUSED' && ended.status !== 'QUEUED') return ended;
    if (opts.signal?.aborted) return ended;
    job = ended;
  }
}

/**
 * Starts the job's workers, prepares it if it is not yet, and supervises it
 * until it ends, or is paused and its workers are released.
 */
async function runRound(
  backend: Backend, job: JobRecord, opts: CoordinateOptions, record: (view?: WorkersRecord | null) => Promise<void>,
): Promise<JobRecord> {
  const { dispatcher, log } = opts;
  const jobId = job.jobId;
  try {
    // Workers start while the job prepares: they wait for its first tasks.
    await dispatcher.start(job);
  } catch (e) {
    return await failJob(backend, jobId, `starting the workers failed: ${(e as Error).message}`, e, log);
  } finally {
    await record();
  }
  // QUEUED here: granted before it was ever prepared (the scheduler's grant started it).
  if (job.status === 'SUBMITTED' || job.status === 'QUEUED' || job.status === 'PREPARING') {
    try {
      const from = job;
      job = await withJobSpan(jobId, 'prepare', { 'djc.streaming': Boolean(from.stage?.streamFrom) }, () => (from.stage?.streamFrom
        ? prepareStreaming(backend, from, {
          log, signal: opts.signal, monitorEveryMs: opts.tickMs ?? backend.monitorIntervalMs,
          monitor: () => monitorTick(backend, jobId, dispatcher, log),
        })
        : prepareJob(backend, from, log, opts.signal, opts.batchReuse)), (j) => ({ 'djc.tasks': j.tasks.total }));
    } catch (e) {
      // Stopped on purpose: the job stays as it is, for this or another coordinator to resume (prepare is idempotent).
      if (opts.signal?.aborted) return await mustGetJob(backend, jobId);
      // No space: failing the job would not be recorded either; it stays to resume once space returns.
      if (isDiskFull(e)) throw e;
      // Paused (or ended) while it prepared: that stands; a resume prepares it again (idempotent).
      const now = e instanceof ConflictError ? await mustGetJob(backend, jobId) : null;
      if (now && (now.status === 'PAUSED' || TERMINAL_JOB.has(now.status))) return now;
      const failed = await failJob(backend, jobId, `preparing the job failed: ${(e as Error).message}`, e, log);
      if (failed.status === 'FAILED') opts.onPrepareError?.(e);
      return failed;
    }
  }
  const ended = await superviseUntilEnd(backend, jobId, opts, () => record());
  if (TERMINAL_JOB.has(ended.status)) opts.onEnded?.(ended);
  return ended;
}

/** Between records of the workers outside monitor ticks (a write only when the view changed). */
const RECORD_EVERY_MS = 2000;

/**
 * Writes the dispatcher's view of the job's workers to the job record when it
 * changed (so `djc status` shows it from any process), never failing the job.
 * Writes go one after another, so the final view (after stop) lands last.
 */
function workersRecorder(backend: Backend, jobId: string, dispatcher: Dispatcher, log: Logger, halt: DiskFullHalt) {
  let last = '';
  let queue: Promise<void> = Promise.resolve();
  const write = async (view: WorkersRecord | null | undefined) => {
    const now = view === undefined ? dispatcher.describe(jobId) : view;
    if (!now) return;
    const key = JSON.stringify({ ...now, updatedAt: '' });
    if (key === last) return;
    try {
      await backend.state.updateJob(jobId, { workers: now });
      last = key;
    } catch (e) {
      log.warn({ err: e, jobId }, 'recording the workers failed');
      halt.see(e);
    }
  };
  return {
    /** Records `view`, by default the dispatcher's current one (read when its turn comes). */
    record: (view?: WorkersRecord | null): Promise<void> => {
      queue = queue.then(() => write(view));
      return queue;
    },
  };
}

async function superviseUntilEnd(
  backend: Backend, jobId: string, opts: CoordinateOptions, recordWorkers: () => Promise<void>,
): Promise<JobRecord> {
  const tickMs = opts.tickMs ?? backend.monitorIntervalMs;
  const speculator = Speculator.for(backend, await mustGetJob(backend, jobId), opts.log);
  const sweeper = lostMessageSweeper(backend, opts.log);
  const pace = new EndPace();
  for (;;) {
    if (opts.signal?.aborted) return mustGetJob(backend, jobId);
    const job = await mustGetJob(backend, jobId);
    if (job.status === 'FINALIZING') return finalizeJob(backend, jobId, opts.log);
    if (TERMINAL_JOB.has(job.status)) return job;
    const expired = await expireDeadline(backend, job, opts.log);
    if (expired) return expired;
    // Paused: the caller releases its workers and waits.
    if (job.status === 'PAUSED') return job;
    const tick = await monitorTick(backend, jobId, opts.dispatcher, opts.log);
    await recordWorkers();
    await speculator?.tick().catch((e: unknown) => opts.log.warn({ err: e, jobId }, 'speculative copies: a look failed'));
    if (tick === 'done') return finalizeJob(backend, jobId, opts.log);
    if (tick === 'cancelled') return mustGetJob(backend, jobId);
    if (typeof tick === 'object') return failJob(backend, jobId, tick.fail, undefined, opts.log);
    // PENDING and due RETRY_WAIT tasks whose queue message was lost are sent again (lost-messages.ts).
    if (job.status === 'RUNNING') await sweeper.maybeSweep(job);
    await untilNextTick(backend, jobId, tickMs, pace, opts.signal);
  }
}

/**
 * Waits for the next monitor tick. In a job's last stretch (inLastStretch),
 * on a backend whose reads are free (watchIntervalMs), it looks
 * at the job record more often and returns as soon as the last task has
 * committed (or the job is cancelled), so the job is finalized, and its
 * pipeline's next stage started, at once.
 */
async function untilNextTick(backend: Backend, jobId: string, tickMs: number, pace: EndPace, signal?: AbortSignal): Promise<void> {
  const every = backend.watchIntervalMs;
  const deadline = Date.now() + tickMs;
  if (every === undefined) return sleep(tickMs, signal);
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0 || signal?.aborted) return;
    const job = await backend.state.getJob(jobId);
    // Waiting for workers (preempted, or paused): nothing ends before the tick.
    if (job?.status === 'QUEUED' || job?.status === 'PAUSED') return sleep(left, signal);
    if (!job || job.status !== 'RUNNING' || job.cancelRequested) return;
    const t = job.tasks;
    if (t.pending + t.claimed + t.running + t.retrying === 0) return;
    // Not yet the job's last stretch: the tick comes first.
    if (!inLastStretch(t, pace, left)) return sleep(left, signal);
    await sleep(Math.min(every, left), signal);
  }
}

async function failJob(backend: Backend, jobId: string, error: string, cause: unknown, log: Logger): Promise<JobRecord> {
  const current = await mustGetJob(backend, jobId);
  // Cancelled (or ended) meanwhile: that outcome stands.
  if (TERMINAL_JOB.has(current.status)) return current;
  // An expected end (stuck workers, fail fast) is the outcome the caller prints; an exception is logged.
  if (cause === undefined) log.info({ jobId, error }, 'job failed');
  else log.error({ jobId, err: cause, error }, 'job failed');
  await backend.state.cancelTasks(jobId);
  await backend.queue.purgeJob(jobId);
  const ended = await backend.state.transitionJob(jobId, ['SUBMITTED', 'QUEUED', 'PREPARING', 'RUNNING', 'PAUSED', 'FINALIZING'], 'FAILED', {
    endedAt: new Date().toISOString(),
    error: await withFailedTasks(backend, jobId, error),
  });
  await notifyJobEnd(ended, log);
  return ended;
}

/** Waits `ms`, or until `signal` aborts; the abort listener goes with the wait (one per monitor tick would pile up). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
