/**
 * Which status an end tries first (SqliteLeaseOps.complete): its plain end
 * is one UPDATE per status a task may hold under its lease, CLAIMED (claimed
 * ahead, its start folded into its end) or RUNNING. Trying CLAIMED first
 * missed once for every RUNNING task (an UPDATE that finds no row: 0.03-0.04
 * per task at concurrency 1, ~0.1 at 10; ~40 us each in a worker, where every
 * transaction starts with a cold page cache). This remembers the tasks this
 * connection claimed RUNNING or started, so their end tries RUNNING first.
 * Only an order: both are still tried, so a wrong or forgotten entry (another
 * process started the task, the set was cleared) costs one missed UPDATE, as
 * before.
 */
export type Endable = 'CLAIMED' | 'RUNNING';

const CLAIMED_FIRST: readonly Endable[] = ['CLAIMED', 'RUNNING'];
const RUNNING_FIRST: readonly Endable[] = ['RUNNING', 'CLAIMED'];

/** Entries kept at most: a task that never ends here (its lease lost, the worker stopping) is not kept for ever. */
const MAX_ENTRIES = 4096;

export class EndOrder {
  private readonly running = new Set<string>();

  /** The task is RUNNING under this connection's claim or start. */
  started(jobId: string, taskId: number): void {
    if (this.running.size >= MAX_ENTRIES) this.running.clear();
    this.running.add(`${taskId} ${jobId}`);
  }

  /** The statuses to try for the task's end, most likely first; forgets the task. */
  take(jobId: string, taskId: number): readonly Endable[] {
    return this.running.delete(`${taskId} ${jobId}`) ? RUNNING_FIRST : CLAIMED_FIRST;
  }
}
