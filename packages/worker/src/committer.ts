import {
  MAX_TASK_BATCH, type CompleteResult, type JointOps, type LeaseRef, type LeaseWrite, type StateStore, type TaskOutcome, type TaskRecord,
} from '@djc/core/worker';

/** Longest a completion (or a held task's start) waits for others to share its write. */
export const COMMIT_WAIT_MS = 20;

interface Waiting {
  write: LeaseWrite;
  /** When it was added (epoch ms). */
  at: number;
  resolve(task: TaskRecord): void;
  reject(e: unknown): void;
}

/**
 * Groups the lease writes of a worker's attempts: completions that end
 * while the worker has more to run, and the starts of held (CLAIMED) tasks,
 * are written together, one completeTasks per job (one write for up to
 * MAX_TASK_BATCH tasks instead of one each). A completion is written at once
 * when the worker has nothing else to run (`busy()` false), else when
 * MAX_TASK_BATCH are waiting or after COMMIT_WAIT_MS. A start is written
 * with the first group after it has waited half of COMMIT_WAIT_MS (its own
 * attempt keeps the worker busy), so a short task's start does not go
 * alone: its completion replaces
 * it, start and end go as one write (startedAt kept), and the start's
 * promise settles with it. A completion whose start is being written waits
 * for that write, so one task's writes never race. `complete` and `start`
 * resolve or reject as completeTasks says of them (LEASE_LOST for that
 * attempt alone); the lease holds meanwhile (a lease is far longer than
 * the wait). A SUCCEEDED completion given its message's receipt
 * acknowledges it: where the backend writes queue and state in one
 * transaction (`acks.joint`, the local SQLite file) in the completion's own
 * write (completeAndAck; the end's UPDATE of the task row), else by adding
 * it to `acks.waiting` once written (the loop deletes those in batches).
 * With `acks.joint` each group also deletes the messages of finished tasks
 * waiting in `acks.waiting`: one transaction for what was two; and a
 * completion that finds the worker idle is left for the loop's next
 * receive to write (takeEnds: the end of a group and the receive of the
 * next in one transaction), or written alone on the next turn of the event
 * loop if no receive took it.
 */
export class Committer {
  private readonly waiting = new Map<string, Waiting[]>();
  /** Starts being written, by "jobId/taskId", settled when written. */
  private readonly writing = new Map<string, Promise<unknown>>();
  private timer: NodeJS.Timeout | null = null;
  /** The idle flush, on the next turn of the event loop (joint: a receive may take the ends first). */
  private soon: NodeJS.Immediate | null = null;

  constructor(
    private readonly state: StateStore,
    private readonly busy: () => boolean,
    private readonly acks: { joint?: JointOps | undefined; waiting: string[] } = { waiting: [] },
  ) {}

  /**
   * Ends an attempt; `startedAt`: when its handler started (epoch ms);
   * `receipt`: its message's, acknowledged if the end is written SUCCEEDED.
   */
  complete(jobId: string, taskId: number, lease: LeaseRef, outcome: TaskOutcome, startedAt?: number, receipt?: string): Promise<TaskRecord> {
    const starting = this.writing.get(`${jobId}/${taskId}`);
    if (starting) return starting.then(() => this.complete(jobId, taskId, lease, outcome, startedAt, receipt));
    const list = this.waiting.get(jobId) ?? [];
    const i = list.findIndex((w) => w.write.taskId === taskId && w.write.outcome === undefined && w.write.lease.attempt === lease.attempt);
    const start = i >= 0 ? list.splice(i, 1)[0] : undefined;
    const acked = outcome.status === 'SUCCEEDED' && receipt !== undefined ? { receipt } : {};
    const done = this.add(jobId, { taskId, lease, outcome, startedAt: startedAt ?? start?.write.startedAt, ...acked }, true);
    if (start) done.then(start.resolve, start.reject);
    return done;
  }

  /** A held task's handler started at `startedAt` (epoch ms): CLAIMED → RUNNING, written with a later group. */
  start(jobId: string, taskId: number, lease: LeaseRef, startedAt: number): Promise<TaskRecord> {
    return this.add(jobId, { taskId, lease, startedAt }, false);
  }

  /** Writes the waiting completions, and the starts that waited half of COMMIT_WAIT_MS, now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.soon) clearImmediate(this.soon);
    this.timer = null;
    this.soon = null;
    const young = Date.now() - COMMIT_WAIT_MS / 2;
    for (const [jobId, list] of this.waiting) {
      const now = list.filter((w) => w.write.outcome !== undefined || w.at <= young);
      const later = list.filter((w) => !now.includes(w));
      if (later.length > 0) this.waiting.set(jobId, later);
      else this.waiting.delete(jobId);
      if (now.length > 0) void this.write(jobId, now);
    }
    if (this.waiting.size > 0) this.timer = setTimeout(() => this.flush(), COMMIT_WAIT_MS);
  }

  private add(jobId: string, write: LeaseWrite, mayFlush: boolean): Promise<TaskRecord> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(jobId) ?? [];
      this.waiting.set(jobId, list);
      list.push({ write, at: Date.now(), resolve, reject });
      if (mayFlush && !this.busy()) this.idle();
      else if (list.length >= MAX_TASK_BATCH) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), COMMIT_WAIT_MS);
    });
  }

  /** Nothing else to run: write now, or where a receive can carry the ends, let the loop's next receive (takeEnds). */
  private idle(): void {
    if (this.acks.joint === undefined) this.flush();
    else this.soon ??= setImmediate(() => this.flush());
  }

  /**
   * The completions of `jobId` waiting, taken out for a receive that writes
   * them in its transaction (JointOps receiveAndClaim's `ends`); the caller
   * settles them with what the write says of them (`ended`), or fails them
   * if it failed (nothing written). Null when none wait, or the backend
   * cannot.
   */
  takeEnds(jobId: string): { writes: LeaseWrite[]; settle(results: readonly CompleteResult[] | undefined): void; fail(e: unknown): void } | null {
    const list = this.waiting.get(jobId);
    if (this.acks.joint === undefined || list === undefined) return null;
    const ends = list.filter((w) => w.write.outcome !== undefined).slice(0, MAX_TASK_BATCH);
    if (ends.length === 0) return null;
    const rest = list.filter((w) => !ends.includes(w));
    if (rest.length > 0) this.waiting.set(jobId, rest);
    else this.waiting.delete(jobId);
    return {
      writes: ends.map((w) => w.write),
      settle: (results) => settle(ends, results ?? []),
      fail: (e) => { for (const w of ends) w.reject(e); },
    };
  }

  private async write(jobId: string, list: Waiting[]): Promise<void> {
    const starts = list.filter((w) => w.write.outcome === undefined).map((w) => `${jobId}/${w.write.taskId}`);
    const done = this.send(jobId, list);
    for (const key of starts) this.writing.set(key, done);
    await done;
    for (const key of starts) if (this.writing.get(key) === done) this.writing.delete(key);
  }

  /**
   * completeTasks, with the waiting acknowledgements and the SUCCEEDED ends'
   * receipts where the backend can (completeAndAck; the acks are put back if
   * the write fails); else the receipts of the ends written SUCCEEDED wait
   * in `acks.waiting` for the loop.
   */
  private async writeGroup(jobId: string, writes: LeaseWrite[]) {
    const { joint, waiting } = this.acks;
    if (joint === undefined) {
      const results = await this.state.completeTasks(jobId, writes);
      writes.forEach((w, i) => {
        const r = results[i];
        if (w.outcome !== undefined && w.receipt !== undefined && r !== undefined && !(r instanceof Error)) waiting.push(w.receipt);
      });
      return results;
    }
    const taken = waiting.splice(0);
    try {
      return await joint.completeAndAck(jobId, writes, taken);
    } catch (e) {
      waiting.push(...taken);
      throw e;
    }
  }

  private async send(jobId: string, list: Waiting[]): Promise<void> {
    try {
      settle(list, await this.writeGroup(jobId, list.map((w) => w.write)));
    } catch (e) {
      for (const w of list) w.reject(e);
    }
  }
}

/** Each waiting write resolves or rejects as its result says. */
function settle(list: readonly Waiting[], results: readonly CompleteResult[]): void {
  list.forEach((w, i) => {
    const r = results[i];
    if (r === undefined || r instanceof Error) w.reject(r ?? new Error('completeTasks returned too few results'));
    else w.resolve(r);
  });
}
