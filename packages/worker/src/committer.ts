import { MAX_TASK_BATCH, type JointOps, type LeaseRef, type LeaseWrite, type StateStore, type TaskOutcome, type TaskRecord } from '@djc/core/worker';

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
 * the wait). Where the backend writes queue and state in one transaction
 * (`acks.joint`, the local SQLite file), each group also deletes the
 * messages of finished tasks waiting in `acks.waiting` (completeAndAck):
 * one transaction for what was two.
 */
export class Committer {
  private readonly waiting = new Map<string, Waiting[]>();
  /** Starts being written, by "jobId/taskId", settled when written. */
  private readonly writing = new Map<string, Promise<unknown>>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly state: StateStore,
    private readonly busy: () => boolean,
    private readonly acks?: { joint: JointOps; waiting: string[] },
  ) {}

  /** Ends an attempt; `startedAt`: when its handler started (epoch ms). */
  complete(jobId: string, taskId: number, lease: LeaseRef, outcome: TaskOutcome, startedAt?: number): Promise<TaskRecord> {
    const starting = this.writing.get(`${jobId}/${taskId}`);
    if (starting) return starting.then(() => this.complete(jobId, taskId, lease, outcome, startedAt));
    const list = this.waiting.get(jobId) ?? [];
    const i = list.findIndex((w) => w.write.taskId === taskId && w.write.outcome === undefined && w.write.lease.attempt === lease.attempt);
    const start = i >= 0 ? list.splice(i, 1)[0] : undefined;
    const done = this.add(jobId, { taskId, lease, outcome, startedAt: startedAt ?? start?.write.startedAt }, true);
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
    this.timer = null;
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
      if (list.length >= MAX_TASK_BATCH || (mayFlush && !this.busy())) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), COMMIT_WAIT_MS);
    });
  }

  private async write(jobId: string, list: Waiting[]): Promise<void> {
    const starts = list.filter((w) => w.write.outcome === undefined).map((w) => `${jobId}/${w.write.taskId}`);
    const done = this.send(jobId, list);
    for (const key of starts) this.writing.set(key, done);
    await done;
    for (const key of starts) if (this.writing.get(key) === done) this.writing.delete(key);
  }

  /** completeTasks, with the waiting acknowledgements where the backend can (put back if the write fails). */
  private async writeGroup(jobId: string, writes: LeaseWrite[]) {
    const taken = this.acks?.waiting.splice(0) ?? [];
    if (this.acks === undefined || taken.length === 0) return this.state.completeTasks(jobId, writes);
    try {
      return await this.acks.joint.completeAndAck(jobId, writes, taken);
    } catch (e) {
      this.acks.waiting.push(...taken);
      throw e;
    }
  }

  private async send(jobId: string, list: Waiting[]): Promise<void> {
    try {
      const results = await this.writeGroup(jobId, list.map((w) => w.write));
      list.forEach((w, i) => {
        const r = results[i];
        if (r === undefined || r instanceof Error) w.reject(r ?? new Error('completeTasks returned too few results'));
        else w.resolve(r);
      });
    } catch (e) {
      for (const w of list) w.reject(e);
    }
  }
}
