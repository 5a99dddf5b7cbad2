/**
 * Names and endpoints of the AWS backend, from flags, else the environment,
 * else defaults. The standard AWS variables are left to the SDK (AWS_REGION,
 * AWS_PROFILE, the credential chain, AWS_ENDPOINT_URL and
 * AWS_ENDPOINT_URL_DYNAMODB|S3|SQS); djc only reads them to pass them on to
 * workers and to switch S3 to path-style addressing for S3-compatible servers.
 */
import { DjcError } from '../../errors.js';

export interface AwsSettings {
  /** DynamoDB table (DJC_TABLE, default "djc"). */
  table: string;
  /** S3 bucket (DJC_BUCKET; required). */
  bucket: string;
  /** Key prefix inside the bucket (DJC_BUCKET_PREFIX, default ""). */
  prefix: string;
  /** SQS queue name (DJC_QUEUE, default "djc-tasks"); the dead-letter queue is "<queue>-dlq". */
  queue: string;
  region: string | undefined;
  /** Path-style S3 URLs: on when an S3 endpoint is set (MinIO, Ceph, …) or DJC_S3_PATH_STYLE=1. */
  forcePathStyle: boolean;
  /**
   * Days a finished job's and task's DynamoDB items are kept before TTL
   * deletes them (DJC_RETENTION_DAYS, default 30; 0 keeps them forever).
   */
  retentionDays: number;
}

export const DEFAULT_RETENTION_DAYS = 30;

export interface AwsFlags {
  table?: string;
  bucket?: string;
  queue?: string;
}

/** Passed on to workers. Never credentials: workers get those from their own environment or profile. */
const AWS_ENV = [
  'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE',
  'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_SQS',
] as const;

export function resolveAwsSettings(flags: AwsFlags = {}, env: NodeJS.ProcessEnv = process.env): AwsSettings {
  const bucket = flags.bucket ?? env.DJC_BUCKET;
  if (!bucket) {
    throw new DjcError('USAGE', 'the aws backend needs a bucket: set DJC_BUCKET (or --bucket)', {
      hint: 'create the table, bucket and queues with `djc setup aws --bucket NAME`',
    });
  }
  return {
    table: flags.table ?? env.DJC_TABLE ?? 'djc',
    bucket,
    prefix: env.DJC_BUCKET_PREFIX ?? '',
    queue: flags.queue ?? env.DJC_QUEUE ?? 'djc-tasks',
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
    forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL) || env.DJC_S3_PATH_STYLE === '1',
    retentionDays: retentionDaysOf(env.DJC_RETENTION_DAYS),
  };
}

/** DJC_RETENTION_DAYS: a number of days ≥ 0 (fractions allowed); unset or empty: the default. */
export function retentionDaysOf(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_RETENTION_DAYS;
  const days = Number(value);
  if (!Number.isFinite(days) || days < 0 || days > 100_000) {
    throw new DjcError('USAGE', `DJC_RETENTION_DAYS must be a number of days (0 keeps finished jobs forever), not "${value}"`, {
      hint: `unset it for the default of ${DEFAULT_RETENTION_DAYS} days`,
    });
  }
  return days;
}

/** What a worker started elsewhere needs to reach the same backend. */
export function awsWorkerEnv(s: AwsSettings, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {
    DJC_BACKEND: 'aws', DJC_TABLE: s.table, DJC_BUCKET: s.bucket, DJC_QUEUE: s.queue,
  };
  if (s.prefix) out.DJC_BUCKET_PREFIX = s.prefix;
  if (env.DJC_S3_PATH_STYLE) out.DJC_S3_PATH_STYLE = env.DJC_S3_PATH_STYLE;
  // Workers stamp the expiry of the tasks they finish: the same retention as the coordinator.
  if (s.retentionDays !== DEFAULT_RETENTION_DAYS) out.DJC_RETENTION_DAYS = String(s.retentionDays);
  for (const k of AWS_ENV) {
    const v = env[k];
    if (v) out[k] = v;
  }
  return out;
}
