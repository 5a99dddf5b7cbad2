/**
 * S3 error helpers: which failures mean "no such object" (read as null), and
 * an abort-aware wrapper over `aws()` so a cancelled call rejects with the
 * signal's reason (an AbortError) instead of an INTERNAL DjcError.
 */
import { awsCall } from './errors.js';

interface S3LikeError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The error's name ("NoSuchKey", "NotFound", ...), or "". */
export function s3ErrorName(e: unknown): string {
  return (e as S3LikeError | undefined)?.name ?? '';
}

/**
 * True when S3 says the object (not the bucket) is missing: GetObject's
 * NoSuchKey, or a bodiless 404 from HeadObject. A HeadObject 404 cannot tell
 * a missing bucket from a missing key; NoSuchBucket (which has a body) is
 * never "missing object".
 */
export function isMissingObject(e: unknown): boolean {
  const name = s3ErrorName(e);
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || (e as S3LikeError | undefined)?.$metadata?.httpStatusCode === 404;
}

/** One S3 call, abort-aware: see awsCall. */
export const s3Call = awsCall;
