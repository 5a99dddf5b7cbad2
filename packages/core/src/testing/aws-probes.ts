/**
 * Probes for end-to-end tests: look at a queue, inject raw messages, put an
 * object, read a raw table item — as an operator (or SQS itself) could.
 */
import { GetItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { fromWire } from '../backends/aws/dynamo-request.js';
import { dynamoClient } from './aws-dynamodb-local.js';
import { s3Client, sqsClient } from './aws-fauxqs.js';

/** Puts one object into a bucket of the fauxqs server. */
export async function s3Put(endpoint: string, bucket: string, key: string, body: string | Uint8Array): Promise<void> {
  const s3 = s3Client(endpoint);
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  } finally {
    s3.destroy();
  }
}

/** Visible + in-flight messages of a queue. */
export async function sqsQueueDepth(endpoint: string, name: string): Promise<number> {
  const sqs = sqsClient(endpoint);
  try {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const a = await sqs.send(new GetQueueAttributesCommand({
      QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }));
    return Number(a.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  } finally {
    sqs.destroy();
  }
}

/** Sends raw bodies to a queue, ten at a time. */
export async function sqsSendRaw(endpoint: string, name: string, bodies: readonly string[]): Promise<void> {
  const sqs = sqsClient(endpoint);
  try {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    for (let i = 0; i < bodies.length; i += 10) {
      const Entries = bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: `m${i + j}`, MessageBody }));
      await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries }));
    }
  } finally {
    sqs.destroy();
  }
}

/** One item of a table on DynamoDB Local as stored (consistent read), or null. */
export async function dynamoRawItem(endpoint: string, table: string, key: { pk: string; sk: string }): Promise<Record<string, unknown> | null> {
  const client = dynamoClient(endpoint);
  try {
    const out = await client.send(new GetItemCommand({
      TableName: table, Key: { pk: { S: key.pk }, sk: { S: key.sk } }, ConsistentRead: true,
    }));
    return out.Item ? fromWire(out.Item) : null;
  } finally {
    client.destroy();
  }
}

/** Every item of a (small) table, as an operator with read access would see them: one Scan, followed to the end. */
export async function dynamoScanAll(endpoint: string, table: string): Promise<Record<string, unknown>[]> {
  const client = dynamoClient(endpoint);
  try {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
      items.push(...(out.Items ?? []).map(fromWire));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  } finally {
    client.destroy();
  }
}
