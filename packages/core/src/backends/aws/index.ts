/**
 * The AWS backend: DynamoDB (StateStore), S3 (BlobStore), SQS (TaskQueue).
 * Entry points build it with `openBackend({ backend: 'aws' })`; tests and
 * `djc setup aws` use the pieces below.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Backend } from '../../ports/backend.js';
import { createDynamoStateStore } from './dynamo-state-store.js';
import { countJobRequests, type JobRequestCounter } from './job-request-counter.js';
import { startRequestFlusher } from './request-flusher.js';
import { ensureTable } from './dynamo-table.js';
import { aws } from './errors.js';
import { tagOperations } from './operation-tag.js';
import { createS3BlobStore } from './s3-blob-store.js';
import { ensureBucket } from './s3-bucket.js';
import { ensureRetentionRule, lifecycleDays, RETENTION_PREFIX, RETENTION_RULE_ID } from './s3-lifecycle.js';
import { awsWorkerEnv, resolveAwsSettings, type AwsFlags, type AwsSettings } from './settings.js';
import { dlqName, ensureQueues } from './sqs-setup.js';
import { createSqsTaskQueue } from './sqs-task-queue.js';

export { resolveAwsSettings, awsWorkerEnv, type AwsSettings, type AwsFlags };
export { countRequests, type RequestCounts } from './request-counter.js';
export { countJobRequests, type JobRequestCounter, type AwsService } from './job-request-counter.js';
export { estimateRequestCostUsd, requestPriceUsd, REQUEST_PRICES_USD } from './request-prices.js';

export interface AwsClients {
  dynamo: DynamoDBClient;
  s3: S3Client;
  sqs: SQSClient;
  /** Requests of the three clients per job (see job-request-counter.ts). */
  requests: JobRequestCounter;
  destroy(): void;
}

/** SDK clients configured from the environment (region, credentials, endpoints) and the settings. */
export function createAwsClients(s: AwsSettings): AwsClients {
  // The SDK warns on every run under Node 20 about its future releases; that
  // concerns djc's pinned SDK versions, not the user (see NOTES.md).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // AWS_MAX_ATTEMPTS (the SDK's own variable) overrides the default of 8 tries with backoff.
  const common = { region: s.region, maxAttempts: Number(process.env.AWS_MAX_ATTEMPTS) || 8 };
  const dynamo = new DynamoDBClient(common);
  const s3 = new S3Client({ ...common, forcePathStyle: s.forcePathStyle });
  // With a custom endpoint (an SQS-compatible server), send to it, not to the
  // host named in the queue URLs such a server hands out.
  const customSqs = Boolean(process.env.AWS_ENDPOINT_URL_SQS ?? process.env.AWS_ENDPOINT_URL);
  const sqs = new SQSClient({ ...common, useQueueUrlAsEndpoint: !customSqs });
  for (const c of [dynamo, s3, sqs]) tagOperations(c);
  const requests = countJobRequests({ DynamoDB: dynamo, S3: s3, SQS: sqs });
  return { dynamo, s3, sqs, requests, destroy: () => { dynamo.destroy(); s3.destroy(); sqs.destroy(); } };
}

/** Opens the backend; fails with a clear error when a resource is missing (→ `djc setup aws`). */
export async function createAwsBackend(s: AwsSettings, clients: AwsClients = createAwsClients(s)): Promise<Backend> {
  try {
    // The main queue first, so a wrong DJC_QUEUE is reported under its own name.
    const queueUrl = await queueUrlOf(clients.sqs, s.queue);
    const dlqUrl = await queueUrlOf(clients.sqs, dlqName(s.queue));
    const state = createDynamoStateStore({ client: clients.dynamo, table: s.table, retentionDays: s.retentionDays });
    // Per-job request counts go to the state store every 5 s and on close.
    const flusher = startRequestFlusher(clients.requests, state);
    return {
      name: 'aws',
      location: `DynamoDB table ${s.table}`,
      monitorIntervalMs: 1000,
      state,
      blobs: createS3BlobStore({ client: clients.s3, bucket: s.bucket, prefix: s.prefix }),
      queue: createSqsTaskQueue({ client: clients.sqs, queueUrl, dlqUrl }),
      workerEnv: () => awsWorkerEnv(s),
      flushRequestCounts: () => flusher.flush(),
      requestTotals: () => clients.requests.totals,
      close: async () => {
        try {
          await flusher.stop();
        } finally {
          clients.destroy();
        }
      },
    };
  } catch (e) {
    clients.destroy();
    throw e;
  }
}

async function queueUrlOf(sqs: SQSClient, name: string): Promise<string> {
  const out = await aws(`SQS queue "${name}"`, () => sqs.send(new GetQueueUrlCommand({ QueueName: name })));
  return out.QueueUrl as string;
}

export interface SetupStep {
  resource: string;
  /** `removed`: the S3 lifecycle rule, when DJC_RETENTION_DAYS is 0. */
  result: 'created' | 'exists' | 'updated' | 'removed';
}

/** Creates the table (with its indexes and TTL), the bucket (with its retention rule: s3-lifecycle.ts) and the queues if missing. Idempotent. */
export async function setupAws(s: AwsSettings, clients: AwsClients = createAwsClients(s)): Promise<SetupStep[]> {
  try {
    const steps: SetupStep[] = [];
    steps.push({ resource: `DynamoDB table ${s.table}`, result: await ensureTable(clients.dynamo, s.table) });
    steps.push({ resource: `S3 bucket ${s.bucket}`, result: await ensureBucket(clients.s3, s.bucket) });
    const days = lifecycleDays(s.retentionDays);
    const expiry = days === 0 ? 'none: DJC_RETENTION_DAYS=0 keeps them' : `expire after ${days} day${days === 1 ? '' : 's'}`;
    steps.push({
      resource: `S3 lifecycle rule ${RETENTION_RULE_ID} on ${s.bucket}/${s.prefix}${RETENTION_PREFIX} (${expiry})`,
      result: await ensureRetentionRule(clients.s3, s.bucket, s.prefix, s.retentionDays),
    });
    const q = await ensureQueues(clients.sqs, s.queue);
    for (const name of [dlqName(s.queue), s.queue]) {
      const result = q.created.includes(name) ? 'created' : q.updated.includes(name) ? 'updated' : 'exists';
      steps.push({ resource: `SQS queue ${name}`, result });
    }
    return steps;
  } finally {
    clients.destroy();
  }
}
