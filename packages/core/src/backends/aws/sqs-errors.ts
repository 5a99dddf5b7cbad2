/**
 * SQS error helpers. The JSON protocol reports some errors by their short
 * name ("MessageNotInflight") and some by the legacy query code
 * ("AWS.SimpleQueueService.NonExistentQueue"); both are normalised to the
 * short form here.
 */
import { awsCall } from './errors.js';

interface SqsLikeError {
  name?: string;
  Code?: string;
  message?: string;
}

const LEGACY = 'AWS.SimpleQueueService.';

const STALE = new Set(['ReceiptHandleIsInvalid', 'MessageNotInflight', 'InvalidReceiptHandle']);

/** The short error name ("MessageNotInflight", "NonExistentQueue", ...), or "". */
export function sqsErrorName(e: unknown): string {
  const err = (e ?? {}) as SqsLikeError;
  const name = err.name && err.name !== 'Error' ? err.name : (err.Code ?? '');
  return name.startsWith(LEGACY) ? name.slice(LEGACY.length) : name;
}

/**
 * True for the answers SQS gives to a receipt handle that no longer names a
 * delivery in flight: invalid or expired handle, message not in flight
 * (deleted, or its visibility timeout ran out and it may have been received
 * again). Also accepts a batch result's `Code` and `Message`.
 */
export function isStaleReceipt(e: unknown): boolean {
  const name = sqsErrorName(e);
  if (STALE.has(name)) return true;
  return name === 'InvalidParameterValue' && /receipt ?handle/i.test((e as SqsLikeError).message ?? '');
}

/** A batch entry's failure as an error-like value for `isStaleReceipt`. */
export function batchFailure(f: { Code?: string; Message?: string }): SqsLikeError {
  return { name: f.Code, message: f.Message };
}

/** True when the queue does not exist. */
export function isMissingQueue(e: unknown): boolean {
  const name = sqsErrorName(e);
  return name === 'QueueDoesNotExist' || name === 'NonExistentQueue';
}

/** One SQS call, abort-aware: see awsCall. */
export const sqsCall = awsCall;
