import { MAX_TASK_BATCH, type LeaseRef, type StateStore, type TaskOutcome, type TaskRecord } from '@djc/core';

/** Longest a completion waits for others to share its write. */
export const COMMIT_WAIT_MS = 20;

interface Waiting {
  taskId: number;
  lease: LeaseRef;
  outcome: TaskOutcome;
  resolve(task: TaskRecord): void;
  reject(e: unknown): void;
}

/**
 * Groups the completions of a worker's attempts: those that end while the
 * worker has more to run are written together, one completeTasks per job
 * (one write for up to MAX_TASK_BATCH tasks instead of one each). A
 * completion is written at once when the worker has nothing else to run
 * (`busy()` false), else when MAX_TASK_BATCH are waiting or after
 * COMMIT_WAIT_MS. `complete` resolves or rejects as completeTask would
 * (LEASE_LOST for that attempt alone); the lease holds meanwhile (a lease
 * is far longer than the wait).
 */
export class Committer {
  private readonly waiting = new Map<string, Waiting[]>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly state: StateStore, private readonly busy: () => boolean) {}

  complete(jobId: string, taskId: number, lease: LeaseRef, outcome: TaskOutcome): Promise<TaskRecord> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(jobId) ?? [];
      this.waiting.set(jobId, list);
      list.push({ taskId, lease, outcome, resolve, reject });
      if (list.length >= MAX_TASK_BATCH || !this.busy()) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), COMMIT_WAIT_MS);
    });
  }

  /** Writes every waiting completion now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const [jobId, list] of this.waiting) {
      this.waiting.delete(jobId);
      void this.write(jobId, list);
    }
  }

  private async write(jobId: string, list: Waiting[]): Promise<void> {
    try {
      const results = await this.state.completeTasks(jobId, list.map(({ taskId, lease, outcome }) => ({ taskId, lease, outcome })));
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
