/**
 * AWS errors translated at the edge, so callers see the same DjcErrors as
 * with the local backend: a failed condition is a ConflictError, a missing
 * table/bucket/queue says to run `djc setup aws`, bad credentials and
 * unreachable endpoints are BACKEND_UNAVAILABLE (exit 3) with AWS's code.
 * Throttling and server faults are retried by the SDK (maxAttempts) before
 * they get here; those that outlast the retries are BACKEND_UNAVAILABLE too
 * (the service is overloaded, not djc broken), naming the operation and the
 * fix. Only what nobody expected is INTERNAL.
 */
import { ConflictError, DjcError, isDjcError } from '../../errors.js';
import { operationOf } from './operation-tag.js';

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

const MISSING = new Set([
  'ResourceNotFoundException', // DynamoDB table
  'NoSuchBucket',
  'QueueDoesNotExist',
  'NonExistentQueue', // "AWS.SimpleQueueService.NonExistentQueue", prefix dropped
]);

const INVALID = new Set(['ValidationException', 'InvalidBucketName', 'InvalidParameterValue', 'InvalidAttributeName', 'InvalidAttributeValue']);

const AUTH = new Set([
  'UnrecognizedClientException', 'InvalidSignatureException', 'InvalidClientTokenId', 'SignatureDoesNotMatch',
  'AccessDeniedException', 'AccessDenied', 'ExpiredToken', 'ExpiredTokenException', 'CredentialsProviderError',
  'InvalidAccessKeyId', 'MissingAuthenticationToken',
]);

/**
 * Throttling and request-limit errors: the codes the SDK's own retry
 * strategy classifies as throttling (@smithy/service-error-classification),
 * plus SQS's (RequestThrottled, OverLimit: too many messages in flight,
 * KmsThrottled) and DynamoDB's write conflicts with transactions in flight.
 */
const THROTTLED = new Set([
  'ProvisionedThroughputExceededException', 'ThrottlingException', 'Throttling', 'ThrottledException',
  'RequestLimitExceeded', 'RequestThrottled', 'RequestThrottledException', 'TooManyRequestsException',
  'SlowDown', 'BandwidthLimitExceeded', 'LimitExceededException', 'PriorRequestNotComplete',
  'TransactionInProgressException', 'TransactionConflictException', 'ReplicatedWriteConflictException',
  'OverLimit', 'KmsThrottled', 'EC2ThrottledException',
]);

const LEGACY_SQS = 'AWS.SimpleQueueService.';

const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'TimeoutError']);

/** `what` names the resource, e.g. `DynamoDB table "djc"` or `S3 bucket "djc-data"`. */
export function translateAwsError(e: unknown, what: string): Error {
  if (isDjcError(e)) return e;
  const err = (e ?? {}) as AwsLikeError;
  const name = (err.name ?? err.code ?? 'Error').replace(LEGACY_SQS, '');
  const message = err.message ?? String(e);
  if (name === 'ConditionalCheckFailedException' || name === 'TransactionCanceledException') {
    return new ConflictError(`${what}: a conditional write did not hold (${name})`, { cause: e });
  }
  if (INVALID.has(name)) {
    return new DjcError('USAGE', `${what}: ${message} (${name})`, {
      cause: e, hint: 'check the names in DJC_TABLE, DJC_BUCKET and DJC_QUEUE (or --table, --bucket, --queue)',
    });
  }
  if (MISSING.has(name)) {
    return new DjcError('BACKEND_UNAVAILABLE', `${what} does not exist (${name})`, {
      cause: e, hint: 'create it with `djc setup aws` (same names and region as the job)',
    });
  }
  if (AUTH.has(name) || err.$metadata?.httpStatusCode === 403) {
    return new DjcError('BACKEND_UNAVAILABLE', `${what}: not authorised (${name}): ${message}`, {
      cause: e, hint: 'check AWS_PROFILE / AWS_ACCESS_KEY_ID and the IAM policy in docs/operations.md',
    });
  }
  if (/Region is missing/i.test(message)) {
    return new DjcError('BACKEND_UNAVAILABLE', `${what}: no AWS region is configured`, {
      cause: e, hint: 'set AWS_REGION (or a region in the AWS_PROFILE)',
    });
  }
  const code = (e as NodeJS.ErrnoException)?.code;
  if ((code && NETWORK.has(code)) || NETWORK.has(name)) {
    return new DjcError('BACKEND_UNAVAILABLE', `${what}: cannot reach the endpoint (${code ?? name}): ${message}`, {
      cause: e, hint: 'check AWS_REGION and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_DYNAMODB|S3|SQS',
    });
  }
  if (THROTTLED.has(name) || err.$metadata?.httpStatusCode === 429) return throttled(e, what, name, message);
  if (err.$fault === 'server' || (err.$metadata?.httpStatusCode ?? 0) >= 500) return serverFault(e, what, name, message);
  return new DjcError('INTERNAL', `${what}: ${name}: ${message}`, { cause: e });
}

/** "on Query after 8 attempts", as far as the error tells. */
function where(e: unknown): string {
  const op = operationOf(e);
  const attempts = (e as AwsLikeError | undefined)?.$metadata?.attempts;
  return `${op ? ` on ${op}` : ''}${attempts && attempts > 1 ? ` after ${attempts} attempts` : ''}`;
}

/** What to do about throttling, by service (`what` starts with the service's name). */
export function throttleHint(what: string): string {
  const retries = 'or raise AWS_MAX_ATTEMPTS (SDK retries, default 8)';
  if (what.startsWith('DynamoDB')) {
    return `switch the table to on-demand capacity or raise its provisioned capacity (and the account's limits), run fewer workers, ${retries}`;
  }
  if (what.startsWith('SQS')) {
    return `run fewer workers or a lower compute.concurrency (SQS allows at most 120,000 messages in flight per queue), ${retries}`;
  }
  if (what.startsWith('S3')) return `S3 limits requests per key prefix: run fewer workers or use larger batches, ${retries}`;
  return `run fewer workers, ${retries}`;
}

/** Throttled or over a limit even after the SDK's retries: the service is overloaded, not djc broken. */
function throttled(e: unknown, what: string, name: string, message: string): DjcError {
  return new DjcError('BACKEND_UNAVAILABLE', `${what}: throttled${where(e)} (${name}): ${message}`, { cause: e, hint: throttleHint(what) });
}

function serverFault(e: unknown, what: string, name: string, message: string): DjcError {
  return new DjcError('BACKEND_UNAVAILABLE', `${what}: the service failed${where(e)} (${name}): ${message}`, {
    cause: e, hint: 'retry later; if it persists, check the AWS Health Dashboard (or the S3/DynamoDB/SQS-compatible server)',
  });
}

/** Runs an AWS call and translates what it throws. */
export async function aws<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw translateAwsError(e, what);
  }
}

/**
 * Runs one AWS call through `aws(what, …)`, honouring an AbortSignal: it
 * rejects with `signal.reason` when the signal aborted (before or during the
 * call), not with the SDK's wrapped abort error.
 */
export async function awsCall<T>(what: string, signal: AbortSignal | undefined, call: () => Promise<T>): Promise<T> {
  signal?.throwIfAborted();
  try {
    return await aws(what, call);
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw e;
  }
}
