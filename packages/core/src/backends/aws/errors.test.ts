/**
 * How AWS errors reach the user. Throttling that outlasts the SDK's retries
 * means the service is overloaded, not that djc is broken: exit 3 with the
 * operation and the fix, never 70. The errors are the SDK's own exception
 * classes; the end-to-end case runs the real client against a server that
 * answers every request as a throttled table does.
 */
import {
  DynamoDBClient, GetItemCommand, InternalServerError, LimitExceededException, ProvisionedThroughputExceededException,
  RequestLimitExceeded, ThrottlingException, TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { KmsThrottled, OverLimit, RequestThrottled, SQSServiceException } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DjcError, exitCodeFor } from '../../errors.js';
import { startThrottlingServer, type ThrottlingServer } from '../../testing/aws-throttling-server.js';
import { translateAwsError } from './errors.js';
import { operationOf, tagOperations } from './operation-tag.js';

const meta = (httpStatusCode: number, attempts = 8) => ({ httpStatusCode, attempts, totalRetryDelay: 1234 });
const TABLE = 'DynamoDB table "djc"';
const QUEUE = 'SQS queue "djc-tasks"';
const BUCKET = 'S3 bucket "data"';

function translated(e: unknown, what: string): DjcError {
  const out = translateAwsError(e, what);
  expect(out).toBeInstanceOf(DjcError);
  return out as DjcError;
}

describe('throttling after the retries', () => {
  const dynamo = [
    new ProvisionedThroughputExceededException({ message: 'The level of configured provisioned throughput for the table was exceeded.', $metadata: meta(400) }),
    new ThrottlingException({ message: 'Rate of requests exceeds the allowed throughput.', $metadata: meta(400) }),
    new RequestLimitExceeded({ message: 'Throughput exceeds the current throughput limit for your account.', $metadata: meta(400) }),
    new LimitExceededException({ message: 'Too many tables are being created.', $metadata: meta(400) }),
    new TransactionConflictException({ message: 'Transaction is ongoing for the item', $metadata: meta(400) }),
  ];
  for (const e of dynamo) {
    it(`DynamoDB ${e.name} is BACKEND_UNAVAILABLE (exit 3) with the fix`, () => {
      const out = translated(e, TABLE);
      expect(out.code).toBe('BACKEND_UNAVAILABLE');
      expect(exitCodeFor(out)).toBe(3);
      expect(out.message).toBe(`${TABLE}: throttled after 8 attempts (${e.name}): ${e.message}`);
      expect(out.hint).toContain('on-demand');
      expect(out.hint).toContain('fewer workers');
      expect(out.cause).toBe(e);
    });
  }

  const sqs = [
    new RequestThrottled({ message: 'Request is throttled.', $metadata: meta(400) }),
    new OverLimit({ message: 'Too many messages in flight.', $metadata: meta(400) }),
    new KmsThrottled({ message: 'KMS throttled the request.', $metadata: meta(400) }),
    // The JSON protocol may still name errors by their legacy query code.
    new SQSServiceException({ name: 'AWS.SimpleQueueService.RequestThrottled', $fault: 'client', message: 'Request is throttled.', $metadata: meta(400) }),
  ];
  for (const e of sqs) {
    it(`SQS ${e.name} is BACKEND_UNAVAILABLE with the fix`, () => {
      const out = translated(e, QUEUE);
      expect(out.code).toBe('BACKEND_UNAVAILABLE');
      expect(out.message).toMatch(new RegExp(`^SQS queue "djc-tasks": throttled after 8 attempts \\((RequestThrottled|OverLimit|KmsThrottled)\\)`));
      expect(out.hint).toContain('fewer workers');
      expect(out.hint).toContain('in flight');
    });
  }

  it('S3 SlowDown (a 503) is BACKEND_UNAVAILABLE with the fix', () => {
    const e = new S3ServiceException({ name: 'SlowDown', $fault: 'server', message: 'Please reduce your request rate.', $metadata: meta(503, 5) });
    const out = translated(e, BUCKET);
    expect(out.code).toBe('BACKEND_UNAVAILABLE');
    expect(out.message).toBe(`${BUCKET}: throttled after 5 attempts (SlowDown): Please reduce your request rate.`);
    expect(out.hint).toContain('prefix');
  });

  it('any HTTP 429 is throttling, whatever its name', () => {
    const e = new S3ServiceException({ name: 'TooManyRequests', $fault: 'client', message: 'slow down', $metadata: meta(429) });
    expect(translated(e, BUCKET).message).toContain('throttled');
  });

  it('a server fault that outlasts the retries is BACKEND_UNAVAILABLE, not a bug', () => {
    const e = new InternalServerError({ message: 'Internal server error', $metadata: meta(500, 3) });
    const out = translated(e, TABLE);
    expect(out.code).toBe('BACKEND_UNAVAILABLE');
    expect(out.message).toBe(`${TABLE}: the service failed after 3 attempts (InternalServerError): Internal server error`);
  });

  it('an error nobody expected is still INTERNAL (a bug to report)', () => {
    const e = new SQSServiceException({ name: 'UnsupportedOperation', $fault: 'client', message: 'no', $metadata: meta(400, 1) });
    const out = translated(e, QUEUE);
    expect(out.code).toBe('INTERNAL');
    expect(exitCodeFor(out)).toBe(70);
  });
});

describe('the operation in the message', () => {
  let server: ThrottlingServer;
  let client: DynamoDBClient;

  beforeAll(async () => {
    server = await startThrottlingServer();
    client = new DynamoDBClient({
      endpoint: server.endpoint, region: 'us-east-1', maxAttempts: 2,
      credentials: { accessKeyId: 'djctest', secretAccessKey: 'djctest' },
    });
    tagOperations(client);
    tagOperations(client); // idempotent: a second tag would be a duplicate middleware name
  });

  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  it('a real client retries a throttled table, then djc names the operation and exits 3', async () => {
    const raw = await client.send(new GetItemCommand({ TableName: 'djc', Key: { pk: { S: 'a' }, sk: { S: 'b' } } })).then(
      () => { throw new Error('the throttling server answered with success'); },
      (e: unknown) => e,
    );
    expect((raw as Error).name).toBe('ProvisionedThroughputExceededException');
    expect(operationOf(raw)).toBe('GetItem');
    expect(server.requests()).toBe(2); // the SDK retried once (maxAttempts 2)
    const out = translated(raw, TABLE);
    expect(out.code).toBe('BACKEND_UNAVAILABLE');
    expect(out.message).toMatch(/^DynamoDB table "djc": throttled on GetItem after 2 attempts \(ProvisionedThroughputExceededException\): The level of configured/);
    expect(out.hint).toContain('on-demand');
  });

  it('an error from an untagged client has no operation (and the message still reads)', () => {
    const e = new ProvisionedThroughputExceededException({ message: 'exceeded', $metadata: meta(400, 1) });
    expect(operationOf(e)).toBeUndefined();
    expect(translated(e, TABLE).message).toBe(`${TABLE}: throttled (ProvisionedThroughputExceededException): exceeded`);
  });
});
