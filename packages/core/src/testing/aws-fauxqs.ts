/**
 * An S3 + SQS protocol server for tests: fauxqs (in-process, memory only)
 * on 127.0.0.1 and a free port, and real AWS SDK v3 clients for it.
 *
 * fauxqs's `startFauxqs` always listens on 0.0.0.0 (its `host` option only
 * names the host in queue URLs), so this builds the same app with its
 * exported `buildApp` and listens on 127.0.0.1 itself.
 *
 * Give every test its own bucket / queue names (`uniqueName`). Destroy the
 * clients you built, then `stop()` the server (in afterAll).
 */
import { randomBytes } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';

export interface FauxqsServer {
  /** e.g. "http://127.0.0.1:41234" */
  endpoint: string;
  /** Closes the server; fauxqs ends pending long polls on close, so nothing keeps the process alive. */
  stop(): Promise<void>;
}

const CREDENTIALS = { accessKeyId: 'djc-test', secretAccessKey: 'djc-test-secret' };
const REGION = 'us-east-1';

/** Starts fauxqs on 127.0.0.1 with a free port. */
export async function startFauxqsServer(): Promise<FauxqsServer> {
  const app = buildApp({ logger: false });
  const endpoint = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    endpoint,
    stop: async () => {
      await app.close();
    },
  };
}

/** An S3 client for the server: static fake credentials, us-east-1, path-style, 2 attempts. */
export function s3Client(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: REGION, credentials: CREDENTIALS, forcePathStyle: true, maxAttempts: 2 });
}

/** An SQS client for the server: static fake credentials, us-east-1, 2 attempts. */
export function sqsClient(endpoint: string): SQSClient {
  return new SQSClient({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 2 });
}

/** `<prefix>-<8 hex>`: a bucket or queue name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
