import { createReadStream, lstatSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  backoffDelay,
  blobKeys,
  ConflictError,
  isDjcError,
  readOptions,
  shouldRetry,
  TERMINAL_JOB,
  type AttemptUsage,
  type Backend,
  type JobRecord,
  type LeaseRef,
  type Logger,
  type ReceivedMessage,
  type TaskOutcome,
  type TaskRecord,
  tracer,
} from '@djc/core/worker';
import type { AttemptOutput, AttemptResult, AttemptSpec, HandlerRunner } from './handlers/index.js';
import { LogBuffer } from './handlers/log-buffer.js';
import { errorText, failed } from './handlers/results.js';
import { startHeartbeat } from './heartbeat.js';
import { isMaterialized, localizeBatch } from './localize-batch.js';
import { localizeUpstream } from './localize-upstream.js';
import type { JobCache } from './job-cache.js';
import { startLogStream } from './log-stream.js';
import { attemptMemory, type AttemptMemory } from './memory-limit.js';
import { storeOutput } from './store-output.js';
import { waitForStartSlot } from './rate-limit.js';

export interface AttemptDeps {
  backend: Backend;
  runner: HandlerRunner;
  jobs: JobCache;
  workerId: string;
  tmpRoot: string;
  log: Logger;
  /** Aborted when the worker gives up running tasks (shutdown grace over). */
  shutdown: AbortSignal;
  /** Acknowledges a delivery: the loop deletes acknowledged messages in batches. */
  ack(receipt: string): void;
  /**
   * Ends an attempt as StateStore.completeTasks does, `startedAt` being when
   * it started (the loop writes several together, see committer.ts); a
   * SUCCEEDED end given its message's `receipt` acknowledges it too (with
   * the end where the backend can).
   */
  complete(jobId: string, taskId: number, lease: LeaseRef, outcome: TaskOutcome, startedAt?: number, receipt?: string): Promise<TaskRecord>;
  /** Writes a held (CLAIMED) task's start, CLAIMED → RUNNING (batched like completions); LEASE_LOST if the lease went. */
  start(jobId: string, taskId: number, lease: LeaseRef, startedAt: number): Promise<TaskRecord>;
  /** Attempts at once on this worker: each gets an equal share of the memory limit. */
  slots: number;
  /** The worker's memory limit (DJC_WORKER_MEMORY), if set; see memory-limit.ts. */
  memoryBytes?: number;
}

/**
 * The read options of a job's config, one object per config object (the
 * job cache's record): a handler thread is sent them again only when they
 * are not the object it was last sent (pooled-thread.ts), so every attempt
 * of a job must see the same one. Never mutated.
 */
const inputs = new WeakMap<JobRecord['config'], ReturnType<typeof readOptions>>();

function inputOf(cfg: JobRecord['config']): ReturnType<typeof readOptions> {
  let input = inputs.get(cfg);
  if (input === undefined) inputs.set(cfg, (input = readOptions(cfg)));
  return input;
}

/** Scratch directories named so far by this process (each attempt's is unique under the worker's tmpRoot). */
let scratchDirs = 0;

/**
 * What happened to one delivered message; the loop keeps counts.
 * `released`: the worker stopped before the attempt ended and gave the task
 * back (refunded, visible again at once).
 */
export type MessageOutcome = 'succeeded' | 'retrying' | 'failed' | 'dropped' | 'deferred' | 'lost' | 'released';

/**
 * Handles one delivered message: claim the task (a duplicate delivery loses
 * the conditional claim and is dropped), run the handler under a heartbeat,
 * store output and log under keys that name the attempt, then commit while
 * the lease still holds. An attempt cut short by the worker's shutdown is
 * given back instead of failed: it does not use up the retry budget.
 * `claim`: the task claimed ahead (claim-ahead.ts), instead of claimTask;
 * it throws the ConflictError of a refused claim. A task claimed ahead as
 * CLAIMED has its start written when the attempt starts (batched, see
 * `deps.start`); the attempt is abandoned if that finds the lease gone.
 * `turn`: whether it is handed to its handler thread ahead of its turn,
 * and what to call when its turn comes (AttemptTurn).
 */
export async function handleMessage(
  deps: AttemptDeps, msg: ReceivedMessage, claim?: () => Promise<TaskRecord>, turn: AttemptTurn = {},
): Promise<MessageOutcome> {
  const { backend, jobs } = deps;
  const { jobId, taskId } = msg.message;
  const job = await jobs.get(jobId);
  if (!job || TERMINAL_JOB.has(job.status) || job.cancelRequested) {
    deps.ack(msg.receipt);
    return 'dropped';
  }
  const cfg = job.config;
  let task: TaskRecord;
  try {
    // A rate-limited job's task claimed here waits for its start slot first (a held one waits CLAIMED, in runHandler).
    if (!claim) await waitForStartSlot(backend.state, jobId, cfg);
    const req = { owner: deps.workerId, leaseMs: cfg.compute.lease, maxAttempts: cfg.retry.max_attempts };
    const { copyOf } = msg.message;
    // A speculative copy runs beside the attempt it copies (compute.speculate).
    task = claim ? await claim() : copyOf === undefined
      ? await backend.state.claimTask(jobId, taskId, req)
      : await backend.state.claimCopy(jobId, taskId, copyOf, req);
  } catch (e) {
    if (e instanceof ConflictError) return onClaimConflict(deps, msg);
    throw e;
  }
  const lease: LeaseRef = { owner: deps.workerId, attempt: task.attempts };
  // A scratch directory for command handlers (batch and output files) and for downloaded batch copies: named
  // here, created by whoever first writes into it (a short command with a small output never does), removed below.
  const tmpDir = cfg.handler.command || isMaterialized(task.batch) || task.batch.upstream ? join(deps.tmpRoot, `t${taskId}-${++scratchDirs}`) : null;
  // The attempt's span (tracing on): from the claim to the commit, in the job's trace (tracing.ts).
  const span = tracer().startSpan(jobId, 'attempt', { 'djc.task_id': taskId, 'djc.attempt': lease.attempt, 'djc.worker': deps.workerId });
  /** The runner says it made nothing in tmpDir, and no batch copy went there. */
  let scratchUnused = false;
  try {
    const run = await runHandler(deps, job, task, msg, lease, tmpDir ?? deps.tmpRoot, span.traceparent, turn);
    scratchUnused = run.result.ok && run.result.scratchUnused === true && !isMaterialized(task.batch) && !task.batch.upstream;
    const outcome = await commit(deps, job, task, msg, lease, run);
    span.setAttributes({ 'djc.outcome': outcome, ...(run.result.ok ? { 'djc.records': run.result.records } : { 'djc.failure': run.result.failure }) });
    span.end(run.result.ok ? {} : { error: run.result.error });
    return outcome;
  } catch (e) {
    span.setAttributes({ 'djc.outcome': 'error' });
    span.end({ error: (e as Error).message });
    throw e;
  } finally {
    // Most attempts never create it (a short command's output stays in memory): one lstat, not an rm -r through the thread pool (0.19 ms).
    if (tmpDir && !scratchUnused && mayExist(tmpDir)) await rm(tmpDir, { recursive: true, force: true });
  }
}

/**
 * `ahead`: the attempt is handed to its handler thread ahead of its turn
 * (worker.ts): it starts, and its start is written, when its turn comes.
 * `onTurn`: called when its handler starts, for runners that say it
 * (module handlers: its turn on its thread).
 */
export interface AttemptTurn {
  ahead?: boolean;
  onTurn?: () => void;
  /**
   * The worker was told to stop: a command attempt handed over ahead whose
   * turn has not come is dropped (its command never starts) and given back.
   */
  stop?: AbortSignal | undefined;
}

/** False only when `path` is certainly not there. */
function mayExist(path: string): boolean {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return true;
  }
}

/** The claim lost: a duplicate, a task not due yet, or one that is finished. */
async function onClaimConflict(deps: AttemptDeps, msg: ReceivedMessage): Promise<MessageOutcome> {
  const { jobId, taskId } = msg.message;
  const task = await deps.backend.state.getTask(jobId, taskId);
  const now = Date.now();
  if (task && (task.status === 'RETRY_WAIT' || task.status === 'PENDING') && task.notBefore !== null && task.notBefore > now) {
    await deps.backend.queue.release(msg.receipt, task.notBefore - now);
    return 'deferred';
  }
  deps.log.debug({ jobId, taskId, status: task?.status }, 'duplicate or stale delivery dropped');
  deps.ack(msg.receipt);
  return 'dropped';
}

/**
 * How an attempt ran. `stopped`: the worker's shutdown aborted it (and
 * nothing else had aborted it first, such as a lost lease). `streamed`: the
 * log text last written while it ran (log-stream.ts). `startedAt`: when the
 * attempt started (epoch ms), the task's startedAt.
 */
interface HandlerRun {
  result: AttemptResult;
  stopped: boolean;
  streamed: string;
  startedAt: number;
}

/**
 * Runs the attempt, its log written to the blob store while it grows. One
 * run ahead of its turn (a held task: CLAIMED) is heartbeated from now;
 * its start is its turn on the thread, written then, and its startedAt the
 * one the thread reports.
 */
async function runHandler(
  deps: AttemptDeps, job: JobRecord, task: TaskRecord, msg: ReceivedMessage, lease: LeaseRef, tmpDir: string, traceparent: string, turn: AttemptTurn,
): Promise<HandlerRun> {
  const cfg = job.config;
  const controller = new AbortController();
  // A held task of a rate-limited job starts when its slot comes: waited for here, so nothing slow comes between the two.
  if (task.status === 'CLAIMED') await waitForStartSlot(deps.backend.state, job.jobId, cfg);
  let startedAt = Date.now();
  const held = task.status === 'CLAIMED';
  const ahead = held && turn.ahead === true;
  if (held && !ahead) writeStart(deps, msg, lease, startedAt, controller);
  let written = false;
  const onTurn = (at: number) => {
    if (ahead) {
      startedAt = at;
      if (!written) writeStart(deps, msg, lease, at, controller);
      written = true;
    }
    turn.onTurn?.();
  };
  let stopped = false;
  const onShutdown = () => {
    if (controller.signal.aborted) return;
    stopped = true;
    controller.abort(new Error('worker shutting down'));
  };
  deps.shutdown.addEventListener('abort', onShutdown);
  // A command queued ahead is not started once the worker is to stop (module attempts queued on a thread run within the grace).
  const dropAhead = ahead && cfg.handler.command !== undefined && turn.stop ? () => written || onShutdown() : undefined;
  if (dropAhead) {
    if (turn.stop?.aborted) dropAhead();
    else turn.stop?.addEventListener('abort', dropAhead, { once: true });
  }
  const stopHeartbeat = startHeartbeat({ backend: deps.backend, msg, lease, leaseMs: cfg.compute.lease, controller, log: deps.log });
  const log = new LogBuffer();
  const stream = startLogStream({ blobs: deps.backend.blobs, key: blobKeys.log(job.jobId, task.taskId, lease.attempt), log, logger: deps.log });
  try {
    const input = inputOf(cfg);
    let batch = task.batch;
    if (isMaterialized(batch) || batch.upstream) {
      try {
        batch = batch.upstream
          ? await localizeUpstream(deps.backend, batch, join(tmpDir, 'upstream'))
          : await localizeBatch(deps.backend.blobs, batch, input, join(tmpDir, 'copy'));
      } catch (e) {
        if (!isDjcError(e, 'INPUT_INVALID')) throw e;
        return { result: failed('error', errorText(e), '', { retryable: false }), stopped, streamed: await stream.stop(), startedAt };
      }
    }
    const result = await deps.runner.run({
      jobId: job.jobId,
      taskId: task.taskId,
      attempt: task.attempts,
      batch,
      input,
      handler: cfg.handler,
      baseDir: baseDirOf(job),
      timeoutMs: cfg.compute.timeout,
      ...attemptLimits(attemptMemory(cfg, deps.slots, deps.memoryBytes)),
      tmpDir,
      signal: controller.signal,
      log,
      ...(traceparent ? { traceparent } : {}),
      onTurn,
      ...(ahead ? { queued: true } : {}),
    });
    if (ahead && result.startedAt !== undefined) startedAt = result.startedAt;
    return { result, stopped, streamed: await stream.stop(), startedAt };
  } finally {
    await stream.stop(); // idempotent; here for a throw
    stopHeartbeat();
    deps.shutdown.removeEventListener('abort', onShutdown);
    if (dropAhead) turn.stop?.removeEventListener('abort', dropAhead);
  }
}

/**
 * Writes a held task's start; if its lease is gone (reclaimed or cancelled
 * while it waited), the attempt is aborted as a lost heartbeat would abort
 * it. Any other failure leaves the task CLAIMED while it runs: its end is
 * written with its start.
 */
function writeStart(deps: AttemptDeps, msg: ReceivedMessage, lease: LeaseRef, startedAt: number, controller: AbortController): void {
  const { jobId, taskId } = msg.message;
  deps.start(jobId, taskId, lease, startedAt).catch((e: unknown) => {
    if (isDjcError(e, 'LEASE_LOST')) controller.abort(new Error('lease lost: the task was reclaimed or the job was cancelled'));
    else deps.log.warn({ err: e, jobId, taskId }, 'writing the start of a task claimed ahead failed; its end will say it');
  });
}

function body(out: AttemptOutput): Buffer | Readable {
  return out.type === 'buffer' ? out.data : createReadStream(out.path);
}

function baseDirOf(job: JobRecord): string {
  return dirname(job.configPath);
}

async function commit(
  deps: AttemptDeps, job: JobRecord, task: TaskRecord, msg: ReceivedMessage, lease: LeaseRef, run: HandlerRun,
): Promise<MessageOutcome> {
  const { backend } = deps;
  const { result, stopped } = run;
  const { jobId, taskId } = msg.message;
  const attempt = lease.attempt;
  try {
    // The final text, unless the stream wrote exactly it already.
    if (result.log && result.log !== run.streamed) await backend.blobs.put(blobKeys.log(jobId, taskId, attempt), result.log);
    if (result.ok) {
      const output = await storeOutput(backend, result.output, jobId, taskId, attempt);
      if (result.deadLetters) await backend.blobs.put(blobKeys.deadLetters(jobId, taskId, attempt), body(result.deadLetters));
      await deps.complete(jobId, taskId, lease, {
        status: 'SUCCEEDED', ...output, outputKind: result.kind, records: result.records, bad: result.bad, ...usageOf(result),
      }, run.startedAt, msg.receipt);
      return 'succeeded';
    }
    if (stopped) return await giveBack(deps, msg, lease);
    if (result.notStarted) return await giveBack(deps, msg, lease, `attempt ${attempt} given back: it was dropped before it started (${result.error}; not counted against retry.max_attempts)`);
    return await commitFailure(deps, { job, task, msg, lease, startedAt: run.startedAt }, result);
  } catch (e) {
    if (isDjcError(e, 'LEASE_LOST')) {
      deps.log.warn({ jobId, taskId, attempt }, 'lease lost before commit; the attempt is discarded');
      deps.ack(msg.receipt);
      return 'lost';
    }
    throw e;
  }
}

/**
 * The worker stopped before the attempt ended: the task goes back to PENDING
 * with the attempt refunded, and its message is visible again at once, so
 * another worker takes it without waiting for the visibility timeout.
 */
async function giveBack(
  deps: AttemptDeps, msg: ReceivedMessage, lease: LeaseRef,
  reason = `attempt ${lease.attempt} given back: its worker stopped before it finished (not counted against retry.max_attempts)`,
): Promise<MessageOutcome> {
  const { jobId, taskId } = msg.message;
  await deps.backend.state.releaseTask(jobId, taskId, lease, reason);
  await deps.backend.queue.release(msg.receipt, 0);
  deps.log.info({ jobId, taskId, attempt: lease.attempt }, 'attempt given back');
  return 'released';
}

/** The attempt that failed: its job, task, message, lease, and when it started (epoch ms). */
interface Attempt {
  job: JobRecord;
  task: TaskRecord;
  msg: ReceivedMessage;
  lease: LeaseRef;
  startedAt: number;
}

async function commitFailure(deps: AttemptDeps, a: Attempt, result: Extract<AttemptResult, { ok: false }>): Promise<MessageOutcome> {
  const { backend } = deps;
  const { job, task, msg, lease } = a;
  const { jobId, taskId } = msg.message;
  const retry = job.config.retry;
  const again = shouldRetry(retry, {
    kind: result.failure,
    exitCode: result.exitCode,
    retryable: result.retryable,
    attemptsUsed: task.attempts - task.attemptFloor,
  });
  const error = `attempt ${lease.attempt}: ${result.error}`;
  if (again) {
    const delay = backoffDelay(task.attempts - task.attemptFloor, retry.backoff);
    const left = await deps.complete(jobId, taskId, lease, {
      status: 'RETRY_WAIT', error, kind: result.failure, exitCode: result.exitCode, notBefore: Date.now() + delay, ...usageOf(result),
    }, a.startedAt);
    if (left.status === 'RUNNING') return carriesOn(deps, msg, lease);
    await backend.queue.release(msg.receipt, delay);
    return 'retrying';
  }
  const left = await deps.complete(jobId, taskId, lease, { status: 'FAILED', error, kind: result.failure, exitCode: result.exitCode, ...usageOf(result) }, a.startedAt);
  if (left.status === 'RUNNING') return carriesOn(deps, msg, lease);
  await backend.queue.deadLetter(msg.receipt, error);
  return 'failed';
}

/**
 * The attempt failed while a speculative copy of it (or the attempt it
 * copied) still runs: the store dropped only this lease and the task carries
 * on under the other, whose message stands for it; this one is done.
 */
function carriesOn(deps: AttemptDeps, msg: ReceivedMessage, lease: LeaseRef): MessageOutcome {
  deps.log.info({ jobId: msg.message.jobId, taskId: msg.message.taskId, attempt: lease.attempt }, 'attempt failed; the task carries on under its other attempt');
  deps.ack(msg.receipt);
  return 'dropped';
}

/** The outcome's `usage` field: what the runner measured of the attempt, if anything. */
function usageOf(result: AttemptResult): { usage?: AttemptUsage } {
  return result.usage ? { usage: result.usage } : {};
}

/** The AttemptSpec fields of an attempt's memory limits. */
function attemptLimits(m: AttemptMemory): Pick<AttemptSpec, 'memoryBytes' | 'memorySource' | 'commandMemory'> {
  return {
    ...(m.heapBytes === undefined ? {} : { memoryBytes: m.heapBytes }),
    memorySource: m.heapSource,
    ...(m.command === undefined ? {} : { commandMemory: m.command }),
  };
}
