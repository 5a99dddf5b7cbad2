/**
 * JointOps on the local backend: the queue table and the task rows are in
 * one SQLite file, so a worker's receive and claim of a group of tasks are
 * one transaction, and so are the end of a group and the deletes of
 * finished messages (see ports/joint-ops.ts). Each part is the statement
 * its separate call runs (SqliteTaskQueue's take and removeMany,
 * SqliteLeaseOps' claimMany and completeMany): one BEGIN IMMEDIATE and one
 * COMMIT instead of two, and one cold page cache to warm. Prepare's chunk
 * of new tasks and their messages is one transaction too, and one INSERT
 * per group of rows: a plain task message is its task row's q_at
 * (task-row-messages.ts). A receive and claim of a job's task-row messages
 * writes each row once: the group claim's UPDATE also marks the message
 * received (q_at, q_receipt, q_count: ClaimGroup's writeMarked), and the rows
 * it does not claim (refused, or claimed alone) are marked apart. A
 * SUCCEEDED end that carries its receipt (TaskCompletion.receipt) clears
 * its task-row message in the end's UPDATE (SqliteLeaseOps' ackedEnd) while
 * that delivery is the live one, so a plain task is two UPDATEs of its row
 * (claim+mark, end+ack). A receive may carry the worker's waiting ends
 * (ReceiveClaimRequest.ends): at concurrency 1 a group then costs one
 * transaction, not an end's and a receive's back to back.
 */
import { MAX_TASK_BATCH, type ClaimResult, type CompleteResult, type LeaseWrite } from '../../ports/state-store.js';
import type { JointOps, ReceiveClaimRequest, ReceivedClaims } from '../../ports/joint-ops.js';
import type { ReceivedMessage } from '../../ports/task-queue.js';
import type { Db } from './db.js';
import type { SqliteLeaseOps } from './sqlite-lease-ops.js';
import type { SqliteTaskQueue, TaskMark } from './sqlite-task-queue.js';
import type { SqliteTaskInserts } from './sqlite-task-inserts.js';
import type { BatchDescriptor } from '../../model/batch.js';
import { withLock } from './sqlite-retry.js';

export class SqliteJointOps implements JointOps {
  private readonly endTx;
  private readonly putTx;

  constructor(db: Db, private readonly queue: SqliteTaskQueue, private readonly leases: SqliteLeaseOps, inserts: SqliteTaskInserts) {
    this.endTx = db.transaction((jobId: string, writes: readonly LeaseWrite[], acks: readonly string[]) => this.endIn(jobId, writes, acks));
    this.putTx = db.transaction((jobId: string, batches: readonly BatchDescriptor[]) => {
      // Each inserted row carries its message, visible now (task-row-messages.ts): no second statement.
      return inserts.put(jobId, batches, Date.now());
    });
  }

  async receiveAndClaim(req: ReceiveClaimRequest): Promise<ReceivedClaims> {
    const { acks = [], claim, jobId, ends, ...receive } = req;
    // The ends (and their acks) first, in the receive's transaction: what completeAndAck would write alone.
    let ended: CompleteResult[] | undefined;
    const first = ends === undefined || ends.length === 0 ? null : () => { ended = this.endIn(jobId, ends, []); };
    const r = await this.queue.receiveWith(
      { ...receive, jobId, max: Math.min(receive.max, MAX_TASK_BATCH) }, acks, (got, mark) => this.claimIn(jobId, got, claim, mark), true, first,
    );
    return { messages: r.got, claims: r.also ?? [], ...(ended === undefined ? {} : { ended }) };
  }

  completeAndAck(jobId: string, writes: readonly LeaseWrite[], acks: readonly string[]): Promise<CompleteResult[]> {
    return withLock(() => this.endTx.immediate(jobId, writes, acks));
  }

  putTasksAndSend(jobId: string, batches: readonly BatchDescriptor[]): Promise<number> {
    return withLock(() => this.putTx.immediate(jobId, batches));
  }

  /** completeTasks' writes, each SUCCEEDED end acknowledging its receipt (in its UPDATE where it can), and the acks, inside a transaction. */
  private endIn(jobId: string, writes: readonly LeaseWrite[], acks: readonly string[]): CompleteResult[] {
    const unacked: string[] = [];
    const results = this.leases.completeMany(jobId, writes, unacked);
    this.queue.deleteIn(unacked.length === 0 ? acks : [...acks, ...unacked]);
    return results;
  }

  /** Claims the received tasks of `jobId` (not copies, not another job's) inside the receive's transaction. */
  private claimIn(jobId: string, got: readonly ReceivedMessage[], claim: ReceiveClaimRequest['claim'], mark: TaskMark | null): (ClaimResult | null)[] {
    const mine = (m: ReceivedMessage) => m.message.jobId === jobId && m.message.copyOf === undefined;
    const ids = got.filter(mine).map((m) => m.message.taskId);
    // `mark`: every message got is a task row's of this job, not marked received yet: the group claim's UPDATE
    // marks the rows it claims, markTasksIn the others (refused, or claimed alone), so each row is written once.
    const fold = mark === null ? undefined : { ...mark, others: (rest: number[]) => this.queue.markTasksIn(jobId, rest, mark) };
    if (mark !== null && ids.length !== got.length) throw new Error('internal: a folded receive got a message that is not a task row of its job');
    // One claim time for the group, taken inside the transaction (a long poll may have waited before it).
    const results = ids.length > 0 ? this.leases.claimMany(jobId, ids, { ...claim, now: claim.now ?? Date.now() }, fold) : [];
    let k = 0;
    return got.map((m) => (mine(m) ? (results[k++] as ClaimResult) : null));
  }
}
