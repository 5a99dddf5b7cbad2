/**
 * The lost-message sweep. A PENDING task, or a RETRY_WAIT one whose backoff
 * is over, runs only when a worker receives its queue message. A message can
 * be lost: SQS redrives it to the dead-letter queue after maxReceiveCount,
 * a process dies between the state write and the send, an operator purges
 * the queue. Without a sweep such a task waits forever (workers stay while
 * the job has pending tasks, so the job never ends).
 *
 * Every sweep (at most every `everyMs`) the coordinator:
 * 1. compares the job's messages (queue depth: visible + delayed + in
 *    flight; per job on SQLite, the whole queue on SQS) with the tasks that
 *    need one (pending + retrying + claimed + running); as many or more:
 *    nothing is lost, the sweep stops there (one cheap read);
 * 2. lists the PENDING and due RETRY_WAIT tasks (at most `maxTasks` of each,
 *    in id order) and keeps those the queue has no live message for
 *    (TaskQueue.withoutMessage; on SQS, which cannot tell, every one of
 *    them, and only while nothing is visible in the queue);
 * 3. re-sends those it found so on sweeps at least `stallMs` apart (the
 *    job's lease, i.e. the queue's visibility timeout: a message received
 *    by a worker that died before claiming is back by then), in the same
 *    status and attempt, at most the missing count on SQS. A re-sent task
 *    waits `stallMs` again before the next re-send.
 *
 * Sweeps are spaced by at least 20 times what the last one took, so a huge
 * queue (a count over its rows on SQLite) costs the coordinator ≤ 5 %.
 *
 * A message sent twice is harmless: the conditional claim lets one delivery
 * win and the other is dropped.
 */
import type { Backend, JobRecord, Logger, TaskRecord } from '@djc/core';

export interface LostMessageSweepOptions {
  /** How long a task must stay without a message before it is re-sent (default: the job's lease). */
  stallMs?: number;
  /** Least time between two sweeps (default: a sixth of stallMs, 1–5 s). */
  everyMs?: number;
  /** Most tasks of each status looked at per sweep (default 1000). */
  maxTasks?: number;
  now?: () => number;
}

/** A sweep waits at least this many times as long as the last one took (a 100k-message SQLite queue: ~0.1 s a depth read). */
const COST_FACTOR = 20;

interface Suspect {
  since: number;
  status: string;
  attempts: number;
}

export interface LostMessageSweeper {
  /**
   * Sweeps if `everyMs` passed since the last sweep (reading the job again
   * then); resolves to the task ids re-sent. Never rejects: a failed sweep
   * is logged and tried again next time.
   */
  maybeSweep(job: JobRecord): Promise<number[]>;
}

/** One sweeper per coordinated job; it remembers suspects between sweeps (a new coordinator starts afresh). */
export function lostMessageSweeper(backend: Backend, log: Logger, opts: LostMessageSweepOptions = {}): LostMessageSweeper {
  const now = opts.now ?? Date.now;
  const suspects = new Map<number, Suspect>();
  let last = 0;
  /** How long the last sweep took (wall time): sweeps are spaced by at least COST_FACTOR times it. */
  let spent = 0;
  return {
    async maybeSweep(job) {
      const stallMs = opts.stallMs ?? job.config.compute.lease;
      const everyMs = opts.everyMs ?? Math.min(5000, Math.max(1000, Math.floor(stallMs / 6)));
      const at = now();
      if (at - last < Math.max(everyMs, COST_FACTOR * spent)) return [];
      last = at;
      try {
        return await sweep(job, at, stallMs);
      } catch (e) {
        // Best effort: a backend hiccup here must not stop coordinating the job; the next sweep tries again.
        log.warn({ err: e, jobId: job.jobId }, 'the lost-message sweep failed');
        return [];
      } finally {
        spent = Math.max(0, now() - at);
      }
    },
  };

  async function sweep(job: JobRecord, at: number, stallMs: number): Promise<number[]> {
    // The counters as they are now (the caller's record may be a tick old).
    const fresh = await backend.state.getJob(job.jobId);
    if (fresh?.status !== 'RUNNING' || fresh.cancelRequested) return [];
    const lost = await findLost(backend, fresh, at, opts.maxTasks ?? 1000);
    if (lost === null) {
      suspects.clear();
      return [];
    }
    const due = dueForResend(suspects, lost.tasks, at, stallMs).slice(0, lost.limit);
    if (due.length === 0) return [];
    await backend.queue.send(due.map((taskId) => ({ v: 1 as const, jobId: job.jobId, taskId })));
    for (const id of due) (suspects.get(id) as Suspect).since = at;
    log.warn({ jobId: job.jobId, tasks: due, stalledMs: stallMs }, 'queue messages lost: tasks re-sent');
    return due;
  }
}

/** Tasks without a message now, and how many may be re-sent; null when nothing is missing. */
async function findLost(backend: Backend, job: JobRecord, at: number, maxTasks: number): Promise<{ tasks: TaskRecord[]; limit: number } | null> {
  const t = job.tasks;
  if (t.pending + t.retrying === 0) return null;
  const depth = await backend.queue.depth(job.jobId);
  const missing = t.pending + t.retrying + t.claimed + t.running - (depth.visible + depth.delayed + depth.inFlight);
  if (missing <= 0) return null;
  const pending = await backend.state.listTasks(job.jobId, { status: 'PENDING', limit: maxTasks });
  const retrying = await backend.state.listTasks(job.jobId, { status: 'RETRY_WAIT', limit: maxTasks });
  const ready = [...pending, ...retrying.filter((r) => (r.notBefore ?? 0) <= at)];
  const without = await backend.queue.withoutMessage(job.jobId, ready.map((r) => r.taskId));
  if (without !== null) {
    const ids = new Set(without);
    return { tasks: ready.filter((r) => ids.has(r.taskId)), limit: Number.POSITIVE_INFINITY };
  }
  // Cannot tell which (SQS): only while no message waits visible, and no more than are missing.
  return depth.visible === 0 ? { tasks: ready, limit: missing } : null;
}

/** Updates the suspects with this sweep's tasks; the ids found so for at least `stallMs`, oldest first. */
function dueForResend(suspects: Map<number, Suspect>, tasks: readonly TaskRecord[], at: number, stallMs: number): number[] {
  const seen = new Set<number>();
  for (const task of tasks) {
    seen.add(task.taskId);
    const s = suspects.get(task.taskId);
    if (!s || s.status !== task.status || s.attempts !== task.attempts) {
      suspects.set(task.taskId, { since: at, status: task.status, attempts: task.attempts });
    }
  }
  for (const id of suspects.keys()) if (!seen.has(id)) suspects.delete(id);
  return [...suspects.entries()]
    .filter(([, s]) => at - s.since >= stallMs)
    .sort((a, b) => a[1].since - b[1].since || a[0] - b[0])
    .map(([id]) => id);
}
