/**
 * TaskQueue says which task to run next. It is a hint, not the truth: the
 * StateStore's conditional claim decides. Delivery is at least once; a
 * message may arrive twice, and the losing claim drops it.
 *
 * A received message stays invisible to other receivers for the visibility
 * timeout; `extend` keeps it hidden (heartbeat), `release` makes it visible
 * again after a delay (backoff), `delete` removes it for good.
 */
import type { IoOptions } from './state-store.js';

export interface TaskMessage {
  v: 1;
  jobId: string;
  taskId: number;
  /** A speculative copy of this attempt of the task (StateStore.claimCopy), not a claim of a PENDING task. */
  copyOf?: number;
}

export interface ReceivedMessage {
  /** Opaque handle for extend/release/delete of this delivery. */
  receipt: string;
  message: TaskMessage;
  /** How many times this message has been delivered, this one included. */
  receiveCount: number;
}

export interface ReceiveOptions extends IoOptions {
  /** At most this many messages. */
  max: number;
  visibilityMs: number;
  /** Long poll: wait up to this long for a first message. */
  waitMs?: number;
  /** Only messages of this job (a backend that cannot filter returns any). */
  jobId?: string;
}

export interface QueueDepth {
  /** Ready to be received now. */
  visible: number;
  /** Received and not yet deleted or released. */
  inFlight: number;
  /** Waiting out a delay (backoff). */
  delayed: number;
  /** In the dead-letter queue. */
  dead: number;
}

export interface TaskQueue {
  /**
   * Most messages one receive can return (SQS: 10). Absent: no limit of the
   * queue's own (a worker then takes at most MAX_TASK_BATCH at once, one
   * claim write's worth).
   */
  readonly maxReceive?: number;
  /**
   * Enqueues messages, visible after `delayMs` (default 0). A backend may
   * keep one plain message per task (local: in the task row,
   * backends/local/task-row-messages.ts): a send for a task with a live
   * message then makes it one new delivery, visible at the earlier of the
   * two times, and the older delivery's receipt stale (its extend, release,
   * delete and deadLetter change nothing). No message is lost so: the
   * claim would have dropped the second anyway.
   */
  send(messages: readonly TaskMessage[], opts?: IoOptions & { delayMs?: number }): Promise<void>;
  receive(opts: ReceiveOptions): Promise<ReceivedMessage[]>;
  /** Keeps a delivery invisible for another `visibilityMs` from now. */
  extend(receipt: string, visibilityMs: number, opts?: IoOptions): Promise<void>;
  /** Makes a delivery visible again after `delayMs`. */
  release(receipt: string, delayMs: number, opts?: IoOptions): Promise<void>;
  delete(receipt: string, opts?: IoOptions): Promise<void>;
  /**
   * Deletes several deliveries at once (one round trip / transaction), as
   * `delete` does each: a stale receipt is skipped. Workers acknowledge
   * finished tasks this way; a message whose delete is lost is delivered
   * again and dropped by the conditional claim.
   */
  deleteBatch(receipts: readonly string[], opts?: IoOptions): Promise<void>;
  /** Moves a delivery to the dead-letter queue with a reason. */
  deadLetter(receipt: string, reason: string, opts?: IoOptions): Promise<void>;
  /** Drops every queued message of a job (cancel). Best effort. */
  purgeJob(jobId: string, opts?: IoOptions): Promise<void>;
  /**
   * Which of `taskIds` (tasks of `jobId`) have no live message: none visible,
   * delayed or in flight (a dead-lettered one does not count). Read only,
   * exact at the moment of the read. `null` when the backend cannot look
   * messages up by task (SQS): the caller then judges from `depth`. The
   * coordinator's lost-message sweep (coordinator/src/lost-messages.ts)
   * re-sends the tasks named here.
   */
  withoutMessage(jobId: string, taskIds: readonly number[], opts?: IoOptions): Promise<number[] | null>;
  /** Message counts, for one job where the backend can tell. */
  depth(jobId?: string, opts?: IoOptions): Promise<QueueDepth>;
  close(): Promise<void>;
}
