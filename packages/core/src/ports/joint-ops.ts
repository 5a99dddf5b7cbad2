/**
 * Queue and state writes made in ONE transaction, where one store holds
 * both: the local backend (one SQLite file). A worker's hot path then
 * receives and claims a group of tasks in one write, and ends a group and
 * acknowledges finished messages in one write, where the separate calls
 * cost a transaction each (each starting with a cold page cache after the
 * other workers' commits). Backend.joint is absent on AWS (SQS and
 * DynamoDB cannot share a transaction): the worker then makes the separate
 * calls, with the same guarantees: a claim is the conditional write of
 * StateStore.claimTasks, an end that of completeTasks, a delete that of
 * TaskQueue.deleteBatch, whichever call carries them. On the local
 * backend a plain task message is its task row (task-row-messages.ts), so
 * these transactions write task rows and no queue rows at all for it.
 */
import type { ClaimRequest, ClaimResult, CompleteResult, IoOptions, LeaseWrite } from './state-store.js';
import type { ReceiveOptions, ReceivedMessage } from './task-queue.js';
import type { BatchDescriptor } from '../model/batch.js';

export interface ReceiveClaimRequest extends ReceiveOptions {
  /** The job whose tasks are received and claimed (a worker of one job). */
  jobId: string;
  /** As StateStore.claimTasks: `start` counts positions among the claimed (copies are not claimed). */
  claim: ClaimRequest;
  /** Receipts of finished tasks to delete first, as TaskQueue.deleteBatch (stale ones skipped). */
  acks?: readonly string[];
  /**
   * Lease writes of `jobId` to make first, as completeAndAck(jobId, ends,
   * acks) makes them (a SUCCEEDED end with its receipt acknowledges its
   * message): a group's last ends ride on the next receive instead of a
   * write of their own. With ends the call makes ONE try (no long poll:
   * waitMs is not waited) and writes them even if told to stop (signal).
   */
  ends?: readonly LeaseWrite[];
}

export interface ReceivedClaims {
  messages: ReceivedMessage[];
  /**
   * claims[i] is for messages[i]: the claimed record or the refusal
   * StateStore.claimTasks gives; null for a speculative copy's message
   * (claimed when it starts, StateStore.claimCopy).
   */
  claims: (ClaimResult | null)[];
  /** With `ends`: ended[i] is what completeTasks says of ends[i]. */
  ended?: CompleteResult[];
}

export interface JointOps {
  /**
   * TaskQueue.deleteBatch(acks), then TaskQueue.receive (at most
   * MAX_TASK_BATCH messages, long poll as receive), then claimTasks of
   * the received tasks, all in one transaction: if it fails, no message
   * was received, deleted or claimed. The acks are written even when no
   * message is received.
   */
  receiveAndClaim(req: ReceiveClaimRequest): Promise<ReceivedClaims>;
  /**
   * StateStore.completeTasks(jobId, writes) and TaskQueue.deleteBatch(acks)
   * in one transaction; a write with a `receipt` that ends the task
   * SUCCEEDED also deletes that message (as deleteBatch: a stale receipt,
   * e.g. a reclaimed task's whose retry was sent meanwhile, deletes
   * nothing), so its caller does not acknowledge it. Local: in the end's
   * UPDATE of the task row, where that row is the message.
   */
  completeAndAck(jobId: string, writes: readonly LeaseWrite[], acks: readonly string[], opts?: IoOptions): Promise<CompleteResult[]>;
  /**
   * StateStore.putTasks(jobId, batches) with a plain message
   * ({ v: 1, jobId, taskId }, visible now) for every task it inserted, in
   * one transaction (prepare's chunk of a job not yet prepared); a task
   * that existed gets none (a resumed prepare sends what the queue lacks,
   * coordinator prepare.ts enqueuePending). Local: the message is written by
   * the task row's INSERT itself (task-row-messages.ts).
   */
  putTasksAndSend(jobId: string, batches: readonly BatchDescriptor[]): Promise<number>;
}
