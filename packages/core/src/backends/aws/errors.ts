/**
 * AWS errors translated at the edge, so callers see the same DjcErrors as
 * with the local backend: a failed condition is a ConflictError, a missing
 * table/bucket/queue says to run `djc setup aws`, bad credentials and
 * unreachable endpoints are BACKEND_UNAVAILABLE (exit 3) with AWS's code.
 * Throttling is retried by the SDK (maxAttempts) before it gets here.
 */
import { ConflictError, DjcError, isDjcError } from '../../errors.js';

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const MISSING = new Set([
  'ResourceNotFoundException', // DynamoDB table
  'NoSuchBucket',
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
]);

const INVALID = new Set(['ValidationException', 'InvalidBucketName', 'InvalidParameterValue', 'InvalidAttributeName', 'InvalidAttributeValue']);

const AUTH = new Set([
  'UnrecognizedClientException', 'InvalidSignatureException', 'InvalidClientTokenId', 'SignatureDoesNotMatch',
  'AccessDeniedException', 'AccessDenied', 'ExpiredToken', 'ExpiredTokenException', 'CredentialsProviderError',
  'InvalidAccessKeyId', 'MissingAuthenticationToken',
]);

const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'TimeoutError']);

/** `what` names the resource, e.g. `DynamoDB table "djc"` or `S3 bucket "djc-data"`. */
export function translateAwsError(e: unknown, what: string): Error {
  if (isDjcError(e)) return e;
  const err = (e ?? {}) as AwsLikeError;
  const name = err.name ?? err.code ?? 'Error';
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
  return new DjcError('INTERNAL', `${what}: ${name}: ${message}`, { cause: e });
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
