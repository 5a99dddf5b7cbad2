/**
 * The S3 lifecycle rule `djc setup aws` keeps on the bucket: objects under
 * `jobs/` expire after DJC_RETENTION_DAYS (rounded up to whole days, as S3
 * counts them), in step with the DynamoDB TTL of the job records. S3 counts
 * from each object's creation, the TTL from the job's end: a job that runs
 * longer than the retention loses its first blobs before its records.
 *
 * One rule, ID `djc-retention`; other rules on the bucket are kept as they
 * are. Retention 0 (keep forever) removes the rule.
 */
import {
  DeleteBucketLifecycleCommand,
  GetBucketLifecycleConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  type LifecycleRule,
  type S3Client,
} from '@aws-sdk/client-s3';
import { s3Call, s3ErrorName } from './s3-errors.js';

export const RETENTION_RULE_ID = 'djc-retention';
/** The jobs' objects, after DJC_BUCKET_PREFIX. */
export const RETENTION_PREFIX = 'jobs/';

export type LifecycleResult = 'created' | 'updated' | 'exists' | 'removed';

/** The bucket's lifecycle rules ([] when it has none). */
async function rulesOf(client: S3Client, bucket: string, signal?: AbortSignal): Promise<LifecycleRule[]> {
  return s3Call(`S3 bucket "${bucket}" lifecycle`, signal, () =>
    client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }), { abortSignal: signal }).then(
      (r) => r.Rules ?? [],
      (e: unknown) => (s3ErrorName(e) === 'NoSuchLifecycleConfiguration' ? [] : Promise.reject(e)),
    ));
}

function ourRule(prefix: string, days: number): LifecycleRule {
  return { ID: RETENTION_RULE_ID, Status: 'Enabled', Filter: { Prefix: prefix }, Expiration: { Days: days } };
}

const isOurs = (r: LifecycleRule) => r.ID === RETENTION_RULE_ID;

function sameRule(r: LifecycleRule, prefix: string, days: number): boolean {
  return r.Status === 'Enabled' && r.Filter?.Prefix === prefix && r.Expiration?.Days === days;
}

/** Whole days of expiry for a retention in days (0: none). */
export function lifecycleDays(retentionDays: number): number {
  return retentionDays <= 0 ? 0 : Math.ceil(retentionDays);
}

/**
 * Makes the bucket's `djc-retention` rule (on `keyPrefix` + `jobs/`) match
 * `retentionDays` (see the header). Idempotent.
 */
export async function ensureRetentionRule(
  client: S3Client, bucket: string, keyPrefix: string, retentionDays: number, opts: { signal?: AbortSignal } = {},
): Promise<LifecycleResult> {
  const days = lifecycleDays(retentionDays);
  const prefix = keyPrefix + RETENTION_PREFIX;
  const rules = await rulesOf(client, bucket, opts.signal);
  const mine = rules.find(isOurs);
  const others = rules.filter((r) => !isOurs(r));
  if (days === 0 && !mine) return 'exists';
  if (mine && days > 0 && sameRule(mine, prefix, days)) return 'exists';
  const next = days === 0 ? others : [...others, ourRule(prefix, days)];
  await s3Call(`S3 bucket "${bucket}" lifecycle`, opts.signal, () => (next.length === 0
    ? client.send(new DeleteBucketLifecycleCommand({ Bucket: bucket }), { abortSignal: opts.signal })
    : client.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: next } }), { abortSignal: opts.signal })));
  return days === 0 ? 'removed' : mine ? 'updated' : 'created';
}
