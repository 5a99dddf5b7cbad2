import { MAX_TASK_BATCH, type LeaseRef, type LeaseWrite, type StateStore, type TaskOutcome, type TaskRecord } from '@djc/core';

/** Longest a completion (or a held task's start) waits for others to share its write. */
export const COMMIT_WAIT_MS = 20;

interface Waiting {
  write: LeaseWrite;
  resolve(task: TaskRecord): void;
  reject(e: unknown): void;
}

/**
 * Groups the lease writes of a worker's attempts: completions that end
 * while the worker has more to run, and the starts of held (CLAIMED) tasks,
 * are written together, one completeTasks per job (one write for up to
 * MAX_TASK_BATCH tasks instead of one each). A completion is written at once
 * when the worker has nothing else to run (`busy()` false), else when
 * MAX_TASK_BATCH are waiting or after COMMIT_WAIT_MS; a start always waits
 * for company (its own attempt keeps the worker busy). A completion whose
 * start still waits replaces it: start and end go as one write (startedAt
 * kept), and the start's promise settles with it. `complete` and `start`
 * resolve or reject as completeTasks says of them (LEASE_LOST for that
 * attempt alone); the lease holds meanwhile (a lease is far longer than
 * the wait).
 */
export class Committer {
  private readonly waiting = new Map<string, Waiting[]>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly state: StateStore, private readonly busy: () => boolean) {}

  /** Ends an attempt; `startedAt`: when its handler started (epoch ms). */
  complete(jobId: string, taskId: number, lease: LeaseRef, outcome: TaskOutcome, startedAt?: number): Promise<TaskRecord> {
    const list = this.waiting.get(jobId) ?? [];
    const i = list.findIndex((w) => w.write.taskId === taskId && w.write.outcome === undefined && w.write.lease.attempt === lease.attempt);
    const start = i >= 0 ? list.splice(i, 1)[0] : undefined;
    const done = this.add(jobId, { taskId, lease, outcome, startedAt: startedAt ?? start?.write.startedAt }, true);
    if (start) done.then(start.resolve, start.reject);
    return done;
  }

  /** A held task's handler started at `startedAt` (epoch ms): CLAIMED → RUNNING, written with the next group. */
  start(jobId: string, taskId: number, lease: LeaseRef, startedAt: number): Promise<TaskRecord> {
    return this.add(jobId, { taskId, lease, startedAt }, false);
  }

  /** Writes every waiting completion and start now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const [jobId, list] of this.waiting) {
      this.waiting.delete(jobId);
      if (list.length > 0) void this.write(jobId, list);
    }
  }

  private add(jobId: string, write: LeaseWrite, mayFlush: boolean): Promise<TaskRecord> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(jobId) ?? [];
      this.waiting.set(jobId, list);
      list.push({ write, resolve, reject });
      if (list.length >= MAX_TASK_BATCH || (mayFlush && !this.busy())) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), COMMIT_WAIT_MS);
    });
  }

  private async write(jobId: string, list: Waiting[]): Promise<void> {
    try {
      const results = await this.state.completeTasks(jobId, list.map((w) => w.write));
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
