import {
  ConflictError, MAX_TASK_BATCH, TERMINAL_JOB, type ClaimResult, type CompleteResult, type LeaseWrite, type ReceiveOptions, type ReceivedMessage,
  type TaskRecord,
} from '@djc/core/worker';
import type { AttemptDeps } from './run-attempt.js';

/** Takes the lease writes of a job waiting to be written, for a receive to write first (Committer.takeEnds). */
export type TakeEnds = (jobId: string) => { writes: LeaseWrite[]; settle(results: readonly CompleteResult[] | undefined): void; fail(e: unknown): void } | null;

/**
 * A received message waiting for a free slot, with its task claimed ahead
 * (or null: handleMessage claims it). `at`: when it was queued (its claim
 * written).
 */
export interface Held {
  msg: ReceivedMessage;
  at: number;
  claim: { result: ClaimResult; at: number; leaseMs: number } | null;
}

/**
 * Claims the tasks of one receive together: one claimTasks per job (one
 * write for up to MAX_TASK_BATCH tasks, where claiming each as it starts
 * costs one write per task). The first `free` tasks (as many as there are
 * free slots) are claimed RUNNING, the others CLAIMED: they wait in the
 * worker and are not running (all of them CLAIMED for a job with
 * handler.rate_limit: they start when their slot comes). If a batch claim fails, nothing was claimed
 * and each message is claimed on its own when it starts. Returns the held
 * messages with those claimed RUNNING first.
 */
export async function claimAhead(deps: AttemptDeps, msgs: readonly ReceivedMessage[], free: number): Promise<Held[]> {
  const held: Held[] = msgs.map((msg) => ({ msg, at: 0, claim: null }));
  const byJob = new Map<string, Held[]>();
  for (const h of held) byJob.set(h.msg.message.jobId, [...(byJob.get(h.msg.message.jobId) ?? []), h]);
  let startNow = free;
  for (const [jobId, all] of byJob) {
    // A speculative copy is claimed when it starts (claimCopy), never ahead.
    const group = all.filter((h) => h.msg.message.copyOf === undefined);
    const job = await deps.jobs.get(jobId);
    if (!job || TERMINAL_JOB.has(job.status) || job.cancelRequested) continue; // handleMessage drops them
    const leaseMs = job.config.compute.lease;
    const req = { owner: deps.workerId, leaseMs, maxAttempts: job.config.retry.max_attempts };
    for (let i = 0; i < group.length; i += MAX_TASK_BATCH) {
      const chunk = group.slice(i, i + MAX_TASK_BATCH);
      // A rate-limited job's tasks all wait CLAIMED: each starts when its slot comes (rate-limit.ts).
      const start = job.config.handler.rate_limit ? 0 : Math.min(startNow, chunk.length);
      try {
        const at = Date.now();
        const results = await deps.backend.state.claimTasks(jobId, chunk.map((h) => h.msg.message.taskId), { ...req, now: at, start });
        chunk.forEach((h, k) => { h.claim = { result: results[k] as ClaimResult, at, leaseMs }; });
        startNow -= start;
      } catch (e) {
        deps.log.warn({ err: e, jobId }, 'claiming received tasks together failed; claiming each as it starts');
      }
    }
  }
  return inStartOrder(held);
}

/**
 * Received messages, their tasks claimed ahead (claim-ahead.ts), and the
 * acknowledgements waiting in `acks` written: in one transaction where the
 * backend can (receiveClaimed), else a deleteBatch, a receive and a claim.
 */
export async function receiveHeld(deps: AttemptDeps, receive: ReceiveOptions, free: number, acks: string[], ends?: TakeEnds): Promise<Held[]> {
  const joint = await receiveClaimed(deps, receive, free, acks, ends);
  if (joint !== null) return joint;
  if (acks.length > 0) await deps.backend.queue.deleteBatch(acks.splice(0));
  const got = await deps.backend.queue.receive(receive);
  return got.length > 0 ? claimAhead(deps, got, free) : [];
}

/**
 * receive + claimAhead in ONE write where the backend can (Backend.joint,
 * the local SQLite file) for a worker of one live job, with the
 * acknowledgements waiting in `acks` deleted in the same transaction (taken
 * out of `acks`; put back if the write fails). Null where it cannot (AWS, a
 * worker of every job, an ended job): the caller makes the separate calls.
 * The first `free` tasks are claimed RUNNING, the rest CLAIMED (all CLAIMED
 * for a rate-limited job), as claimAhead does; a copy's message is claimed
 * when it starts. `at` of each claim is taken before the write (its lease is
 * thought to have started no later than it did: heldClaim heartbeats early,
 * never late). `ends`: the lease writes of the job waiting to be written
 * (Committer.takeEnds), taken just before the write and written first in it.
 */
export async function receiveClaimed(deps: AttemptDeps, receive: ReceiveOptions, free: number, acks: string[], ends?: TakeEnds): Promise<Held[] | null> {
  const { joint } = deps.backend;
  const jobId = receive.jobId;
  if (joint === undefined || jobId === undefined) return null;
  const job = await deps.jobs.get(jobId);
  if (!job || TERMINAL_JOB.has(job.status) || job.cancelRequested) return null;
  const leaseMs = job.config.compute.lease;
  const claim = { owner: deps.workerId, leaseMs, maxAttempts: job.config.retry.max_attempts, start: job.config.handler.rate_limit ? 0 : free };
  const taken = acks.splice(0);
  const carried = ends?.(jobId) ?? null;
  const at = Date.now();
  try {
    const got = await joint.receiveAndClaim({ ...receive, jobId, acks: taken, claim, ...(carried === null ? {} : { ends: carried.writes }) });
    carried?.settle(got.ended);
    return inStartOrder(got.messages.map((msg, i) => {
      const result = got.claims[i];
      return { msg, at: 0, claim: result === null || result === undefined ? null : { result, at, leaseMs } };
    }));
  } catch (e) {
    acks.unshift(...taken);
    carried?.fail(e);
    throw e;
  }
}

/** The held messages, queued now, those claimed RUNNING first. */
function inStartOrder(held: Held[]): Held[] {
  const queuedAt = Date.now();
  for (const h of held) h.at = queuedAt;
  const rank = (h: Held) => (isHeld(h) ? 1 : 0);
  return held.sort((a, b) => rank(a) - rank(b));
}

/** True when the message's task was claimed ahead as CLAIMED (held, not started). */
export function isHeld(h: Held): boolean {
  const r = h.claim?.result;
  return r !== undefined && !(r instanceof ConflictError) && r.status === 'CLAIMED';
}

/**
 * The claim handleMessage uses for a held message: its task as claimed
 * ahead (RUNNING, or CLAIMED: handleMessage then writes its start), or the
 * ConflictError it got. The lease ran from the claim, so a task that waited
 * past a third of its lease is heartbeated (lease and message visibility)
 * before it starts; one whose lease was lost meanwhile (reclaimed, or the
 * job was cancelled) is refused like a stale delivery.
 */
export function heldClaim(deps: AttemptDeps, h: Held): (() => Promise<TaskRecord>) | undefined {
  const claim = h.claim;
  if (claim === null) return undefined;
  return async () => {
    const { result, at, leaseMs } = claim;
    if (result instanceof ConflictError) throw result;
    if (Date.now() - at <= leaseMs / 3) return result;
    const { jobId, taskId } = h.msg.message;
    if (!(await deps.backend.state.heartbeat(jobId, taskId, { owner: result.leaseOwner ?? '', attempt: result.attempts }, leaseMs))) {
      throw new ConflictError(`task ${taskId} of job ${jobId}: its lease ran out before it started`, { jobId, taskId });
    }
    await deps.backend.queue.extend(h.msg.receipt, leaseMs);
    return result;
  };
}

/**
 * A held message the worker will not start (`why`: it is stopping, or the
 * task waited too long): its message is visible again at once and a task
 * claimed ahead is given back (releaseTask: a CLAIMED task's attempt number
 * is handed back, it never ran), visible again after `delayMs`.
 */
export async function putBack(deps: AttemptDeps, h: Held, why: string, delayMs = 0): Promise<void> {
  const result = h.claim?.result;
  if (result && !(result instanceof ConflictError)) {
    const { jobId, taskId } = h.msg.message;
    const lease = { owner: result.leaseOwner ?? '', attempt: result.attempts };
    const reason = `given back before it started: ${why}; no attempt is counted`;
    await deps.backend.state.releaseTask(jobId, taskId, lease, reason).catch(() => undefined);
  }
  await deps.backend.queue.release(h.msg.receipt, delayMs);
}
