/**
 * Dropping one job's queued messages from the shared task queue. SQS can
 * delete a message only by a receipt handle, so the sweep receives what is
 * visible, deletes that job's messages and hides the others until the sweep
 * ends, then makes them visible again (ChangeMessageVisibilityBatch 0).
 *
 * Best effort, as TaskQueue.purgeJob allows: messages in flight or delayed
 * are not seen (workers drop them: their tasks are cancelled, so the claim
 * fails), short polls may miss a few on AWS, and at most `limit` messages
 * are looked at. Costs about 3 requests per 10 messages seen; each message
 * seen counts one receive more towards the redrive policy's maxReceiveCount.
 * Hidden messages of other jobs come back after HOLD_SECONDS at the latest,
 * should the sweep die half-way.
 */
import { ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { sqsCall } from './sqs-errors.js';
import { deleteHandles, releaseHandles, type QueueRef } from './sqs-handles.js';
import { decodeTaskMessage } from './sqs-message.js';

const HOLD_SECONDS = 30;

/** Deletes the visible messages of `jobId` among the first `limit` seen; returns how many it deleted. */
export async function sweepJob(q: QueueRef, jobId: string, opts: { limit: number; signal?: AbortSignal }): Promise<number> {
  const held: string[] = [];
  const seen = new Set<string>();
  let dropped = 0;
  try {
    while (seen.size < opts.limit) {
      const batch = await receiveVisible(q, opts.signal);
      const fresh = batch.filter((m) => !seen.has(m.MessageId ?? ''));
      const drop: string[] = [];
      for (const m of batch) {
        seen.add(m.MessageId ?? '');
        const decoded = decodeTaskMessage(m.Body);
        if (decoded.ok && decoded.message.jobId === jobId) drop.push(m.ReceiptHandle ?? '');
        else held.push(m.ReceiptHandle ?? '');
      }
      await deleteHandles(q, drop, opts.signal);
      dropped += drop.length;
      if (fresh.length === 0) break;
    }
  } finally {
    await releaseHandles(q, held, 0).catch(() => undefined);
  }
  return dropped;
}

async function receiveVisible(q: QueueRef, signal?: AbortSignal): Promise<Message[]> {
  const out = await sqsCall(q.what, signal, () =>
    q.client.send(
      new ReceiveMessageCommand({ QueueUrl: q.queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: HOLD_SECONDS, WaitTimeSeconds: 0 }),
      { abortSignal: signal },
    ),
  );
  return out.Messages ?? [];
}
