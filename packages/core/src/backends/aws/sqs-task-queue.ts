/**
 * TaskQueue on SQS: one standard queue for every job, plus its dead-letter
 * queue `<name>-dlq` (see `ensureQueues`). Bodies are `{"v":1,"jobId","taskId"}`
 * (sqs-message.ts).
 *
 * What SQS decides, and how it shows through the port:
 * - Times are whole seconds: visibility and release delays are rounded up
 *   (`ceil(ms / 1000)`, at most 12 h, counted by SQS from the receive), a
 *   send delay too and capped at 15 min (SQS's `DelaySeconds` limit: a longer
 *   backoff is the StateStore's `notBefore`, which a claim respects), and a
 *   long poll waits at most 20 s (then returns []; callers poll again).
 * - No filtering by job: `receive` returns any job's messages and `depth`
 *   counts the whole queue (`jobId` is ignored).
 * - `purgeJob` sweeps the visible messages (sqs-purge.ts): best effort.
 * - `withoutMessage` cannot tell (null): no lookup of a message by task.
 * - A message waiting out a `release` delay is in flight for SQS, so `depth`
 *   counts it as `inFlight`, not `delayed`.
 * - Receipts are keys into this instance's map of deliveries
 *   (sqs-deliveries.ts); an unknown or stale receipt is a no-op, and so is
 *   one that SQS reports stale (ReceiptHandleIsInvalid, MessageNotInflight).
 *
 * Requests: send costs one SendMessageBatch per 10 messages (8 in flight),
 * receive one ReceiveMessage per up to 10, deleteBatch one DeleteMessageBatch
 * per 10; extend/release/delete one each; deadLetter three (hide, copy to the
 * DLQ, delete); depth two. The client belongs to the caller.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type Message,
  type QueueAttributeName,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { IoOptions } from '../../ports/state-store.js';
import { capText } from '../../util/cap-text.js';
import type { QueueDepth, ReceiveOptions, ReceivedMessage, TaskMessage, TaskQueue } from '../../ports/task-queue.js';
import { BATCHES_IN_FLIGHT, chunk, forEachLimit, sendWithRetry } from './sqs-batch.js';
import { Deliveries, type Delivery } from './sqs-deliveries.js';
import { isStaleReceipt, sqsCall } from './sqs-errors.js';
import { deleteHandles, type QueueRef } from './sqs-handles.js';
import { decodeTaskMessage, encodeTaskMessage } from './sqs-message.js';
import { sweepJob } from './sqs-purge.js';

/** SQS's longest DelaySeconds (15 min). */
const MAX_DELAY_SECONDS = 900;
/** SQS's longest visibility timeout (12 h). */
const MAX_VISIBILITY_SECONDS = 43_200;
/** SQS's longest long poll. */
const MAX_WAIT_SECONDS = 20;
/** How long deadLetter hides a delivery while it copies it to the DLQ. */
const MOVE_SECONDS = 60;
/** Longest `reason` attribute kept on a dead letter. */
const MAX_REASON = 4096;

const COUNTS: QueueAttributeName[] = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
];

export interface SqsTaskQueueOptions {
  client: SQSClient;
  queueUrl: string;
  dlqUrl: string;
  /** Most messages one purgeJob looks at (default 1,000; 0: purgeJob does nothing). */
  purgeScanLimit?: number;
  /** Live receipts kept in memory (default 10,000; see sqs-deliveries.ts). */
  maxDeliveries?: number;
}

export class SqsTaskQueue implements TaskQueue {
  private readonly main: QueueRef;
  private readonly dlq: QueueRef;
  private readonly deliveries: Deliveries;
  private readonly purgeScanLimit: number;

  constructor(opts: SqsTaskQueueOptions) {
    this.main = { client: opts.client, queueUrl: opts.queueUrl, what: describeQueue(opts.queueUrl) };
    this.dlq = { client: opts.client, queueUrl: opts.dlqUrl, what: describeQueue(opts.dlqUrl) };
    this.deliveries = new Deliveries(opts.maxDeliveries);
    this.purgeScanLimit = opts.purgeScanLimit ?? 1000;
  }

  /** SendMessageBatch in tens, 8 in flight; entries SQS reports as failed are re-sent. Not atomic across batches. */
  async send(messages: readonly TaskMessage[], opts: IoOptions & { delayMs?: number } = {}): Promise<void> {
    const DelaySeconds = Math.min(MAX_DELAY_SECONDS, toSeconds(opts.delayMs ?? 0));
    const { client, queueUrl, what } = this.main;
    await forEachLimit(chunk(messages.map(encodeTaskMessage)), BATCHES_IN_FLIGHT, async (bodies) => {
      const entries = bodies.map((MessageBody, i) => ({ Id: String(i), MessageBody, DelaySeconds }));
      await sendWithRetry(
        entries,
        async (pending) => {
          const out = await sqsCall(what, opts.signal, () =>
            client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }), { abortSignal: opts.signal }),
          );
          return out.Failed;
        },
        { what, signal: opts.signal },
      );
    });
  }

  /** SQS hands out at most 10 messages per ReceiveMessage. */
  readonly maxReceive = 10;

  /**
   * One ReceiveMessage: up to min(max, 10) messages of any job, hidden for
   * ceil(visibilityMs / 1000) s, waiting up to min(20, ceil(waitMs / 1000)) s
   * for a first one. A body that does not parse goes to the DLQ with its
   * reason and is skipped. An abort returns [].
   */
  async receive(opts: ReceiveOptions): Promise<ReceivedMessage[]> {
    if (opts.signal?.aborted) return [];
    const input = {
      QueueUrl: this.main.queueUrl,
      MaxNumberOfMessages: Math.min(10, Math.max(1, Math.floor(opts.max))),
      VisibilityTimeout: Math.min(MAX_VISIBILITY_SECONDS, toSeconds(opts.visibilityMs)),
      WaitTimeSeconds: Math.min(MAX_WAIT_SECONDS, toSeconds(opts.waitMs ?? 0)),
      MessageSystemAttributeNames: ['ApproximateReceiveCount' as const],
    };
    let messages: Message[];
    try {
      const out = await sqsCall(this.main.what, opts.signal, () =>
        this.main.client.send(new ReceiveMessageCommand(input), { abortSignal: opts.signal }),
      );
      messages = out.Messages ?? [];
    } catch (e) {
      if (opts.signal?.aborted) return [];
      throw e;
    }
    const got: ReceivedMessage[] = [];
    for (const m of messages) {
      const decoded = decodeTaskMessage(m.Body);
      if (!decoded.ok) {
        await this.quarantine(m, decoded.reason);
        continue;
      }
      const receipt = this.deliveries.add({ handle: m.ReceiptHandle ?? '', body: m.Body ?? '', messageId: m.MessageId ?? '' });
      got.push({ receipt, message: decoded.message, receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1) });
    }
    return got;
  }

  /** ChangeMessageVisibility(ceil(ms / 1000)). Stale receipt: no-op. */
  async extend(receipt: string, visibilityMs: number, opts: IoOptions = {}): Promise<void> {
    const d = this.deliveries.get(receipt);
    if (d) await this.changeVisibility(receipt, d, toSeconds(visibilityMs), opts.signal);
  }

  /** ChangeMessageVisibility(ceil(delayMs / 1000)); 0 = visible now. Stale receipt: no-op. The receipt is stale afterwards. */
  async release(receipt: string, delayMs: number, opts: IoOptions = {}): Promise<void> {
    const d = this.deliveries.get(receipt);
    if (!d) return;
    await this.changeVisibility(receipt, d, toSeconds(delayMs), opts.signal);
    this.deliveries.forget(receipt);
  }

  /** DeleteMessage. Stale receipt: no-op. */
  async delete(receipt: string, opts: IoOptions = {}): Promise<void> {
    const d = this.deliveries.get(receipt);
    if (!d) return;
    await this.deleteHandle(d.handle, opts.signal);
    this.deliveries.forget(receipt);
  }

  /** DeleteMessageBatch in tens (8 in flight); unknown and stale receipts are skipped. */
  async deleteBatch(receipts: readonly string[], opts: IoOptions = {}): Promise<void> {
    const live = [...new Set(receipts)].filter((r) => this.deliveries.get(r) !== undefined);
    if (live.length === 0) return;
    await deleteHandles(this.main, live.map((r) => (this.deliveries.get(r) as Delivery).handle), opts.signal);
    for (const r of live) this.deliveries.forget(r);
  }

  /**
   * Hides the delivery for a minute (which also proves it is still live),
   * sends its body to the DLQ with a `reason` message attribute, then deletes
   * it from the task queue. Stale receipt: no-op.
   */
  async deadLetter(receipt: string, reason: string, opts: IoOptions = {}): Promise<void> {
    const d = this.deliveries.get(receipt);
    if (!d) return;
    if (!(await this.changeVisibility(receipt, d, MOVE_SECONDS, opts.signal))) return;
    await this.toDlq(d.body, reason, opts.signal);
    await this.deleteHandle(d.handle, opts.signal);
    this.deliveries.forget(receipt);
  }

  /** Best effort: deletes the job's visible messages among the first `purgeScanLimit` (sqs-purge.ts). */
  async purgeJob(jobId: string, opts: IoOptions = {}): Promise<void> {
    if (this.purgeScanLimit <= 0) return;
    await sweepJob(this.main, jobId, { limit: this.purgeScanLimit, signal: opts.signal });
  }

  /** SQS cannot look a message up without receiving it: always null (callers judge from `depth`). */
  async withoutMessage(): Promise<null> {
    return null;
  }

  /**
   * Approximate counts of the whole queue (SQS cannot count per job; `jobId`
   * is ignored): ApproximateNumberOfMessages → visible, …NotVisible →
   * inFlight (released-with-delay messages included), …Delayed → delayed,
   * and every message in the DLQ → dead. Two GetQueueAttributes.
   */
  async depth(_jobId?: string, opts: IoOptions = {}): Promise<QueueDepth> {
    const [main, dead] = await Promise.all([this.counts(this.main, opts.signal), this.counts(this.dlq, opts.signal)]);
    return { visible: main[0], inFlight: main[1], delayed: main[2], dead: dead[0] + dead[1] + dead[2] };
  }

  /** Forgets the receipts; the client belongs to the caller and stays open. */
  async close(): Promise<void> {
    this.deliveries.clear();
  }

  /** True if SQS took the change; false (receipt forgotten) if the delivery is over. */
  private async changeVisibility(receipt: string, d: Delivery, seconds: number, signal?: AbortSignal): Promise<boolean> {
    const input = { QueueUrl: this.main.queueUrl, ReceiptHandle: d.handle, VisibilityTimeout: Math.min(MAX_VISIBILITY_SECONDS, seconds) };
    const live = await sqsCall(this.main.what, signal, () =>
      this.main.client.send(new ChangeMessageVisibilityCommand(input), { abortSignal: signal }).then(
        () => true,
        (e: unknown) => (isStaleReceipt(e) ? false : Promise.reject(e)),
      ),
    );
    if (!live) this.deliveries.forget(receipt);
    return live;
  }

  private async deleteHandle(handle: string, signal?: AbortSignal): Promise<void> {
    await sqsCall(this.main.what, signal, () =>
      this.main.client.send(new DeleteMessageCommand({ QueueUrl: this.main.queueUrl, ReceiptHandle: handle }), { abortSignal: signal }).then(
        () => undefined,
        (e: unknown) => (isStaleReceipt(e) ? undefined : Promise.reject(e)),
      ),
    );
  }

  private async toDlq(body: string, reason: string, signal?: AbortSignal): Promise<void> {
    const StringValue = sqsText(capText(reason, MAX_REASON)) || 'unspecified';
    await sqsCall(this.dlq.what, signal, () =>
      this.dlq.client.send(
        new SendMessageCommand({ QueueUrl: this.dlq.queueUrl, MessageBody: body, MessageAttributes: { reason: { DataType: 'String', StringValue } } }),
        { abortSignal: signal },
      ),
    );
  }

  /** An unreadable body goes to the DLQ. If that fails, SQS's redrive policy moves it there in the end. */
  private async quarantine(m: Message, reason: string): Promise<void> {
    try {
      await this.toDlq(sqsText(m.Body ?? '') || '(empty)', `unreadable task message: ${reason}`);
      await this.deleteHandle(m.ReceiptHandle ?? '');
    } catch {
      // Left to its visibility timeout, then to the redrive policy.
    }
  }

  private async counts(q: QueueRef, signal?: AbortSignal): Promise<[number, number, number]> {
    const out = await sqsCall(q.what, signal, () =>
      q.client.send(new GetQueueAttributesCommand({ QueueUrl: q.queueUrl, AttributeNames: COUNTS }), { abortSignal: signal }),
    );
    const a = out.Attributes ?? {};
    return [Number(a.ApproximateNumberOfMessages ?? 0), Number(a.ApproximateNumberOfMessagesNotVisible ?? 0), Number(a.ApproximateNumberOfMessagesDelayed ?? 0)];
  }
}

/** Whole seconds, rounded up; negative is 0. */
function toSeconds(ms: number): number {
  return Math.ceil(Math.max(0, ms) / 1000);
}

/** `SQS queue "<name>"` from a queue URL. */
function describeQueue(url: string): string {
  return `SQS queue "${url.slice(url.lastIndexOf('/') + 1)}"`;
}

/** SQS accepts only XML characters in bodies and attributes: others become U+FFFD. */
function sqsText(s: string): string {
  return s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD');
}

/**
 * A TaskQueue on an existing SQS queue and its DLQ (see `ensureQueues`).
 * Uses `client` as given and never destroys it.
 */
export function createSqsTaskQueue(opts: SqsTaskQueueOptions): SqsTaskQueue {
  return new SqsTaskQueue(opts);
}
