import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newWorkerId, TERMINAL_JOB, withJob, type Backend, type JobRecord, type Logger } from '@djc/core/worker';
import { createHandlerRunner, type HandlerRunner } from './handlers/index.js';
import { JobCache } from './job-cache.js';
import { handleMessage, type AttemptDeps, type MessageOutcome } from './run-attempt.js';
import { heldClaim, isHeld, putBack, receiveHeld, type Held } from './claim-ahead.js';
import { Committer } from './committer.js';
import { attemptMemory } from './memory-limit.js';
import { HOLD_TTL_MS, MAX_PREFETCH, receiveSize, TaskPace } from './prefetch.js';
import { OrphanWatch } from './orphan-watch.js';
import { startHeapSamples } from './heap-sample.js';
import { LoopWake } from './loop-wake.js';

export interface WorkerOptions {
  backend: Backend;
  log: Logger;
  /** Serve only this job, and exit when it has no work left. */
  jobId?: string;
  workerId?: string;
  /** Tasks at once (default: the job's compute.concurrency, else 1). */
  concurrency?: number;
  /** On SIGTERM: how long running attempts may take to finish before they are given back. */
  graceMs?: number;
  /** Without a job: exit after this long with nothing to do (default: never). */
  idleExitMs?: number;
  /** Stops the worker (like SIGTERM). */
  signal?: AbortSignal;
  /** The worker's memory limit in bytes (DJC_WORKER_MEMORY), shared by its slots; see memory-limit.ts. */
  memoryBytes?: number;
  /** Called once the loop is set up, before its first receive: the modules its start needed are loaded by then. */
  onStarted?: () => void;
}

export interface WorkerSummary {
  workerId: string;
  counts: Record<MessageOutcome, number>;
}

const RECEIVE_WAIT_MS = 1000;
/** A message of a paused job, put back, is visible again after this long. */
const PAUSED_REDELIVERY_MS = 1000;

/**
 * The polling task runner: receive messages, run each through
 * `handleMessage` on up to `concurrency` slots, and stop when told to or when
 * the job it serves has no work left. It takes messages ahead of its free
 * slots only as prefetch.ts allows (tasks of this job measured short), holds
 * their tasks as CLAIMED, and gives back those that wait too long.
 */
export async function runWorker(opts: WorkerOptions): Promise<WorkerSummary> {
  // The requests of a worker that serves one job (its long polls included)
  // are that job's; a worker for every job attributes each task's requests
  // to the task's job, and its shared polls to none.
  return withJob(opts.jobId, () => workLoop(opts));
}

async function workLoop(opts: WorkerOptions): Promise<WorkerSummary> {
  const workerId = opts.workerId ?? newWorkerId();
  const log = opts.log.child({ workerId });
  const jobs = new JobCache(opts.backend.state);
  const concurrency = opts.concurrency ?? (await jobConcurrency(jobs, opts.jobId));
  const runner = createHandlerRunner({ slots: concurrency });
  // A worker of one job starts its handler threads now: its first attempt then pays no thread start.
  const first = opts.jobId ? await jobs.get(opts.jobId) : null;
  if (first) runner.prewarm(first.config.handler, attemptMemory(first.config, concurrency, opts.memoryBytes).heapBytes);
  const tmpRoot = await mkdtemp(join(tmpdir(), 'djc-worker-'));
  const shutdown = new AbortController();
  const counts: Record<MessageOutcome, number> = { succeeded: 0, retrying: 0, failed: 0, dropped: 0, deferred: 0, lost: 0, released: 0 };
  const acks: string[] = [];
  /** Slots in use: attempts whose handler has not ended (a slot is free again once its attempt commits). */
  let running = 0;
  /** Woken when a slot frees, a message is done, a held task goes stale, or the worker is told to stop. */
  const wake = new LoopWake();
  /** Every message being handled, its commit included. */
  const inFlight = new Set<Promise<void>>();
  const queued: Held[] = [];
  const joint = opts.backend.joint;
  const committer = new Committer(opts.backend.state, () => running > 0 || queued.length > 0, { joint, waiting: acks });
  const deps = {
    backend: opts.backend, runner, jobs, workerId, tmpRoot, log, shutdown: shutdown.signal, ack: (r: string) => void acks.push(r),
    complete: committer.complete.bind(committer), start: committer.start.bind(committer), graceMs: opts.graceMs,
    slots: concurrency, ...(opts.memoryBytes === undefined ? {} : { memoryBytes: opts.memoryBytes }),
  };
  const flushAcks = async () => {
    if (acks.length > 0) await opts.backend.queue.deleteBatch(acks.splice(0));
  };
  /** Time per task of each job, as measured here. */
  const pace = new TaskPace();
  let idleSince = Date.now();
  /** Attempts handed to their thread ahead of their turn (logged at the end). */
  let startedAhead = 0;

  /** The job record the loop read last (its worker's job), for mayQueueAhead. */
  let current: JobRecord | null = null;
  /** An attempt's turn came on its thread: the loop hands the thread the next held attempt if it may (mayQueueAhead). */
  const onTurn = () => {
    const next = queued[0];
    if (next && running >= concurrency && mayQueueAhead(runner, current, next, concurrency, opts.memoryBytes)) wake.wake();
  };
  /** `ahead`: handed to its handler thread ahead of its turn (mayQueueAhead). */
  const start = (held: Held, ahead = false) => {
    const { msg } = held;
    const t0 = Date.now();
    let holds = true;
    const free = () => {
      if (!holds) return;
      holds = false;
      running -= 1;
      wake.wake();
    };
    running += 1;
    // The slot frees when the attempt commits, so the next one runs while the commit waits for company.
    // The pace is the attempt's own time, from its start: not the occasional wait for a job record.
    const complete: AttemptDeps['complete'] = (jobId, taskId, lease, outcome, startedAt, receipt) => {
      pace.record(jobId, Date.now() - (startedAt ?? t0));
      free();
      return committer.complete(jobId, taskId, lease, outcome, startedAt, receipt);
    };
    const p = withJob(msg.message.jobId, () => startUnlessPaused(deps, held, () => handleMessage({ ...deps, complete }, msg, heldClaim(deps, held), { ahead, onTurn, stop: opts.signal })))
      .then((o) => { counts[o] += 1; })
      .catch((e: unknown) => log.error({ err: e, jobId: msg.message.jobId, taskId: msg.message.taskId }, 'task handling failed'))
      .finally(() => {
        free();
        inFlight.delete(p);
        wake.wake();
      });
    inFlight.add(p);
  };

  const staleTimer = new StaleTimer(wake.wake);
  /**
   * Background work the drain waits for (held tasks being given back). Its
   * end does not wake the loop: a give-back that finds nothing to give back
   * ends without I/O, and waking a busy loop would start the next one at
   * once, for ever, without letting a timer or I/O in.
   */
  const track = (p: Promise<void>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  const stopping = () => opts.signal?.aborted === true;
  // Resolves when the worker is told to stop (the grace period of a paused
  // job's drain starts then); a loop that waits is woken, so the drain starts at once.
  const stopped = new Promise<void>((r) => {
    if (stopping()) r();
    else opts.signal?.addEventListener('abort', () => { r(); wake.wake(); }, { once: true });
  });
  log.info({ jobId: opts.jobId, concurrency }, 'worker started');
  opts.onStarted?.();
  const stopSamples = startHeapSamples(log, () => Object.values(counts).reduce((a, b) => a + b, 0));
  /** Its job was paused: no attempt starts, running ones finish (no grace period unless told to stop), then it exits. */
  let paused = false;
  const orphans = new OrphanWatch();
  try {
    while (!stopping()) {
      const job = opts.jobId === undefined ? null : await jobs.get(opts.jobId);
      current = job;
      if (job?.status === 'PAUSED') {
        paused = true;
        log.info({ jobId: opts.jobId, running, held: queued.length }, 'job paused: giving back held tasks, finishing running ones');
        break;
      }
      const orphaned = job ? orphans.check(job) : null;
      if (orphaned) {
        log.warn({ jobId: opts.jobId, running, held: queued.length, why: orphaned }, 'no coordinator: giving back held tasks, finishing running ones, exiting');
        break;
      }
      while (running < concurrency && queued.length > 0) start(queued.shift() as Held);
      // Every slot busy: the next held quick attempt waits in its thread's queue, not here (QUEUE_AHEAD).
      while (queued.length > 0 && running < concurrency + QUEUE_AHEAD && mayQueueAhead(runner, current, queued[0] as Held, concurrency, opts.memoryBytes)) {
        start(queued.shift() as Held, true);
        startedAhead += 1;
      }
      if (running >= concurrency) {
        if (queued.some((h) => h.at <= Date.now() - HOLD_TTL_MS)) track(giveBackStale(deps, queued));
        staleTimer.arm(queued);
        await wake.wait();
        continue;
      }
      const leaseMs = await leaseFor(jobs, opts.jobId);
      const free = concurrency - running;
      const fresh = await receiveHeld(deps, {
        max: receiveSize(free, pace.of(opts.jobId), concurrency, await receiveMax(jobs, opts.jobId, opts.backend)),
        visibilityMs: leaseMs,
        waitMs: inFlight.size > 0 ? 50 : RECEIVE_WAIT_MS,
        jobId: opts.jobId,
        signal: opts.signal,
      }, free, acks, (jobId) => committer.takeEnds(jobId));
      if (fresh.length > 0) {
        dropSuperseded(queued, fresh);
        queued.push(...fresh);
        idleSince = Date.now();
        continue;
      }
      if (inFlight.size > 0) {
        await wake.wait(50);
        // The last attempts just committed (a receive that carried their ends got nothing): see whether the job is
        // done before the next receive polls for a second.
        if (inFlight.size > 0) continue;
      }
      if (await shouldExit(jobs, opts, idleSince)) break;
    }
  } finally {
    await drain(deps, inFlight, queued, shutdown, paused
      ? { graceFrom: stopped, jobId: opts.jobId, why: 'its job was paused' }
      : { graceFrom: Promise.resolve(), jobId: opts.jobId, why: 'its worker stopped' });
    await flushAcks().catch((e: unknown) => log.warn({ err: e }, 'acknowledging finished tasks failed; they will be dropped on redelivery'));
    await runner.close();
    staleTimer.stop();
    stopSamples();
    await rm(tmpRoot, { recursive: true, force: true });
    log.info({ counts, taskMs: pace.of(opts.jobId), startedAhead }, 'worker stopped');
  }
  return { workerId, counts };
}

/**
 * Held attempts a worker at compute.concurrency 1 may hand to its handler
 * thread ahead of their turn, once the thread runs a quick attempt with
 * nothing queued behind it. Without them the thread sleeps between a result
 * and the next run: two thread wake-ups per attempt. With them it goes from
 * one attempt straight to the next, the runs of a batch cross in one
 * message (pooled-thread.ts) and the main thread only collects results. The
 * thread still runs one attempt at a time; a queued attempt's clock
 * (timeout) and start (RUNNING, startedAt) begin with its turn. 16: whole-run
 * CPU per no-op task fell with the depth (1, 4, 8, 16 measured; NOTES.md,
 * issue 14 round 7). DJC_QUEUE_AHEAD overrides it (0: none), for benchmarks.
 */
const QUEUE_AHEAD = queueAhead(process.env.DJC_QUEUE_AHEAD);

function queueAhead(env: string | undefined): number {
  const n = Number(env);
  return env !== undefined && env !== '' && Number.isInteger(n) && n >= 0 ? n : 16;
}

/**
 * May the held message `h` be run ahead of its turn: a worker with one
 * slot, its task claimed ahead (CLAIMED, of the worker's job, neither paused
 * nor ended, no rate limit: its start is written at its turn), and the
 * runner would queue it behind a quick attempt (< 20 ms) with nothing
 * queued behind the one running (HandlerRunner.canQueue: a module
 * handler's busy thread, or a command in the perl spawner; the loop then
 * fills the queue up to QUEUE_AHEAD at once, so the runs cross together).
 * Slow attempts still wait here, where a stale one can be given back.
 */
function mayQueueAhead(runner: HandlerRunner, job: JobRecord | null, h: Held, slots: number, memoryBytes: number | undefined): boolean {
  if (slots !== 1 || job === null || job.status === 'PAUSED' || TERMINAL_JOB.has(job.status) || job.cancelRequested || h.msg.message.jobId !== job.jobId || !isHeld(h)) return false;
  const { handler } = job.config;
  if (handler.rate_limit) return false;
  return runner.canQueue(handler, attemptMemory(job.config, slots, memoryBytes).heapBytes, 0);
}

/**
 * Gives back the held messages that waited HOLD_TTL_MS while every slot was
 * busy (a task that turned out long), once their job has no PENDING task
 * left (the job record as cached, at most a second old): until then the
 * other workers have tasks of their own and the held ones only wait their
 * turn; from then on, an idle worker runs them sooner. Taken off the queue
 * at once; resolves when they are given back (the loop does not wait).
 */
async function giveBackStale(deps: AttemptDeps, queued: Held[]): Promise<void> {
  const cut = Date.now() - HOLD_TTL_MS;
  const jobIds = new Set(queued.filter((h) => h.at <= cut).map((h) => h.msg.message.jobId));
  const idle = new Set<string>();
  for (const jobId of jobIds) {
    const job = await deps.jobs.get(jobId);
    if (job === null || job.tasks.pending === 0) idle.add(jobId);
  }
  // The queue as it is now (the loop may have started some meanwhile), taken in one step.
  const stale = queued.filter((h) => h.at <= cut && idle.has(h.msg.message.jobId));
  if (stale.length === 0) return;
  queued.splice(0, queued.length, ...queued.filter((h) => !stale.includes(h)));
  const why = `it waited ${HOLD_TTL_MS} ms in a worker whose slots were busy`;
  for (const h of stale) await putBack(deps, h, why).catch((e: unknown) => deps.log.warn({ err: e }, 'giving back a held task failed'));
  deps.log.debug({ tasks: stale.map((h) => h.msg.message.taskId), held: stale.filter(isHeld).length }, 'held tasks given back');
}

/**
 * Drops held messages whose task this worker has just claimed again (the
 * old claim ran out and the task came back): a worker never holds two claims
 * of one task, so a given-back attempt number reused by the new claim can
 * only be written by it. The old message comes back and is dropped as a
 * duplicate.
 */
function dropSuperseded(queued: Held[], fresh: readonly Held[]): void {
  const key = (h: Held) => `${h.msg.message.jobId}/${h.msg.message.taskId}`;
  const claimed = new Set(fresh.filter((h) => h.claim !== null && !(h.claim.result instanceof Error)).map(key));
  if (claimed.size === 0) return;
  const keep = queued.filter((h) => !claimed.has(key(h)));
  queued.splice(0, queued.length, ...keep);
}

/**
 * A timer that calls `onDue` (wakes the loop) when the oldest held message
 * goes stale, or a second later if it is stale already (its job still has
 * pending tasks); none when nothing is held. One timer per deadline, shared
 * by the loop's waits (a no-op task waits thousands of times a second).
 */
class StaleTimer {
  private due = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly onDue: () => void) {}

  arm(queued: readonly Held[]): void {
    if (queued.length === 0) return;
    const now = Date.now();
    let oldest = Infinity;
    for (const h of queued) oldest = Math.min(oldest, h.at);
    const stale = oldest + HOLD_TTL_MS;
    const due = stale > now ? stale + 1 : now + 1000;
    if (due !== this.due && (this.due <= now || due < this.due)) {
      this.due = due;
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = setTimeout(this.onDue, due - now);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * Puts the messages taken ahead back (their tasks claimed ahead given back,
 * no attempt counted), lets running attempts finish within the grace period, then
 * aborts them: they are given back (releaseTask), not failed, so the retry
 * budget is untouched (`why`: the reason the held ones are given back). The grace period starts when `graceFrom` resolves
 * (at once, unless the job was paused: then only once the worker is told to
 * stop). Attempts of a job that has ended (`jobId`) are aborted at once.
 */
async function drain(
  deps: AttemptDeps & { graceMs?: number }, active: Set<Promise<void>>, queued: Held[], shutdown: AbortController,
  { graceFrom, jobId, why }: { graceFrom: Promise<void>; jobId: string | undefined; why: string },
): Promise<void> {
  for (const held of queued.splice(0)) await putBack(deps, held, why).catch(() => undefined);
  if (active.size === 0) return;
  // Its job has ended (cancelled, timed out): what its attempts would commit is thrown away, so they stop now.
  const job = jobId === undefined ? undefined : await deps.jobs.get(jobId, true).catch(() => undefined);
  if (job === null || (job && (TERMINAL_JOB.has(job.status) || job.cancelRequested))) shutdown.abort();
  const grace = deps.graceMs ?? 30_000;
  deps.log.info({ running: active.size, graceMs: grace }, 'waiting for running attempts');
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  void graceFrom.then(() => {
    if (!done) timer = setTimeout(() => shutdown.abort(), grace);
  });
  await Promise.allSettled([...active]);
  done = true;
  clearTimeout(timer);
}

/**
 * Runs `handle` for a held message unless its job is paused: then the
 * message is put back (its task, if claimed ahead, given back without an
 * attempt) and visible again after a second, for when the job is resumed.
 */
async function startUnlessPaused(deps: AttemptDeps, held: Held, handle: () => Promise<MessageOutcome>): Promise<MessageOutcome> {
  const job = await deps.jobs.get(held.msg.message.jobId);
  if (job?.status !== 'PAUSED') return handle();
  await putBack(deps, held, 'its job is paused', PAUSED_REDELIVERY_MS);
  return 'released';
}

async function shouldExit(jobs: JobCache, opts: WorkerOptions, idleSince: number): Promise<boolean> {
  if (!opts.jobId) return opts.idleExitMs !== undefined && Date.now() - idleSince > opts.idleExitMs;
  const job = await jobs.get(opts.jobId, true);
  if (!job || TERMINAL_JOB.has(job.status) || job.cancelRequested) return true;
  // Not ready yet (started early, see Dispatcher.warm), or preparing: tasks will come; tasks held by another worker may be given back.
  if (job.status === 'WAITING' || job.status === 'SUBMITTED' || job.status === 'PREPARING') return false;
  // A job that speculates keeps idle workers while tasks run: one of them may be asked to copy a straggler.
  if (job.config.compute.speculate && job.tasks.running > 0) return false;
  return job.tasks.pending + job.tasks.retrying + job.tasks.claimed === 0;
}

async function jobConcurrency(jobs: JobCache, jobId: string | undefined): Promise<number> {
  const job = jobId ? await jobs.get(jobId) : null;
  return job?.config.compute.concurrency ?? 1;
}

/**
 * Most messages one receive takes: the queue's own limit, but at most
 * MAX_PREFETCH + 1 for a rate-limited job (its tasks start at the limit's
 * pace, which the worker's measured pace does not see, so a larger receive
 * would only hoard tasks the other workers could start).
 */
async function receiveMax(jobs: JobCache, jobId: string | undefined, backend: Backend): Promise<number | undefined> {
  const job = jobId ? await jobs.get(jobId) : null;
  if (!job?.config.handler.rate_limit) return backend.queue.maxReceive;
  return Math.min(backend.queue.maxReceive ?? Infinity, MAX_PREFETCH + 1);
}

async function leaseFor(jobs: JobCache, jobId: string | undefined): Promise<number> {
  const job = jobId ? await jobs.get(jobId) : null;
  return job?.config.compute.lease ?? 30_000;
}
