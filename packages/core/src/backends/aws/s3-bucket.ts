/** Creating the bucket the AWS backend keeps its blobs in (`djc setup aws`). */
import {
  CreateBucketCommand,
  HeadBucketCommand,
  type BucketLocationConstraint,
  type S3Client,
} from '@aws-sdk/client-s3';
import { DjcError } from '../../errors.js';
import { translateAwsError } from './errors.js';
import { isMissingObject, s3Call, s3ErrorName } from './s3-errors.js';

/**
 * Makes sure `bucket` exists: HeadBucket, then CreateBucket (in the client's
 * region) only if it is missing. Idempotent and safe to race: returns
 * 'created' when this call created it, 'exists' otherwise. A name taken by
 * another account is BACKEND_UNAVAILABLE saying so; no permission is the
 * usual "not authorised" error.
 */
export async function ensureBucket(client: S3Client, bucket: string, opts: { signal?: AbortSignal } = {}): Promise<'created' | 'exists'> {
  const what = `S3 bucket "${bucket}"`;
  const exists = await s3Call(what, opts.signal, () =>
    client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: opts.signal }).then(
      () => true,
      // HeadBucket has no error body: a 404 is "no such bucket".
      (e: unknown) => (isMissingObject(e) ? false : Promise.reject(e)),
    ),
  );
  if (exists) return 'exists';
  const region = await client.config.region();
  // us-east-1 is the default location and refuses an explicit constraint.
  const location = region === 'us-east-1' ? undefined : { LocationConstraint: region as BucketLocationConstraint };
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: location }), { abortSignal: opts.signal });
    return 'created';
  } catch (e) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    const name = s3ErrorName(e);
    if (name === 'BucketAlreadyOwnedByYou') return 'exists';
    if (name === 'BucketAlreadyExists') {
      throw new DjcError('BACKEND_UNAVAILABLE', `${what} belongs to another AWS account`, {
        cause: e, hint: 'bucket names are global: choose another name (DJC_BUCKET)',
      });
    }
    throw translateAwsError(e, what);
  }
}
