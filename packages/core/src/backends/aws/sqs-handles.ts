/** Batch operations on receipt handles: delete, change visibility. Ten per request, eight requests in flight. */
import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { BATCHES_IN_FLIGHT, chunk, forEachLimit, sendWithRetry, type BatchEntryFailure } from './sqs-batch.js';
import { batchFailure, isStaleReceipt, sqsCall } from './sqs-errors.js';

/** The queue an operation addresses. */
export interface QueueRef {
  client: SQSClient;
  queueUrl: string;
  /** e.g. `SQS queue "djc"`, for errors. */
  what: string;
}

/** DeleteMessageBatch in tens; stale handles are skipped. */
export async function deleteHandles(q: QueueRef, handles: readonly string[], signal?: AbortSignal): Promise<void> {
  await onHandles(q, handles, signal, (ReceiptHandle, Id) => ({ Id, ReceiptHandle }), (Entries) =>
    q.client.send(new DeleteMessageBatchCommand({ QueueUrl: q.queueUrl, Entries }), { abortSignal: signal }),
  );
}

/** ChangeMessageVisibilityBatch in tens (0: visible now); stale handles are skipped. */
export async function releaseHandles(q: QueueRef, handles: readonly string[], seconds: number, signal?: AbortSignal): Promise<void> {
  await onHandles(q, handles, signal, (ReceiptHandle, Id) => ({ Id, ReceiptHandle, VisibilityTimeout: seconds }), (Entries) =>
    q.client.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: q.queueUrl, Entries }), { abortSignal: signal }),
  );
}

async function onHandles<E extends { Id: string }>(
  q: QueueRef,
  handles: readonly string[],
  signal: AbortSignal | undefined,
  entry: (handle: string, id: string) => E,
  send: (entries: E[]) => Promise<{ Failed?: BatchEntryFailure[] }>,
): Promise<void> {
  await forEachLimit(chunk(handles), BATCHES_IN_FLIGHT, async (group) => {
    const entries = group.map((h, i) => entry(h, String(i)));
    await sendWithRetry(entries, async (pending) => (await sqsCall(q.what, signal, () => send(pending))).Failed, {
      what: q.what,
      ignore: (f) => isStaleReceipt(batchFailure(f)),
      signal,
    });
  });
}
