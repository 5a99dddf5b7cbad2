/**
 * Retention on DynamoDB Local: `expires_at` (the table's TTL attribute) on
 * the items of finished jobs and tasks. DynamoDB Local never deletes expired
 * items, so these tests read the raw items with the SDK, as an operator
 * would, and check the attribute's value.
 */
import { randomBytes } from 'node:crypto';
import { DeleteTableCommand, GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StateStore } from '../../ports/state-store.js';
import { dynamoClient, type DynamoDbLocal } from '../../testing/aws-dynamodb-local.js';
import { sharedDynamoDbLocal } from '../../testing/aws-dynamodb-shared.js';
import { testBatches, testJob } from '../../testing/fixtures.js';
import { createDynamoStateStore } from './dynamo-state-store.js';
import { ensureTable } from './dynamo-table.js';
import { configKey, jobKey, requestsKey, taskKey, type ItemKey } from './dynamo-schema.js';
import { awsWorkerEnv, resolveAwsSettings, retentionDaysOf } from './settings.js';

const DAY = 86_400;
let server: DynamoDbLocal | undefined;
let client: DynamoDBClient;
const tables: string[] = [];

beforeAll(async () => {
  server = await sharedDynamoDbLocal();
  client = dynamoClient(server.endpoint);
}, 60_000);

afterEach(async () => {
  for (const t of tables.splice(0)) await client.send(new DeleteTableCommand({ TableName: t })).catch(() => undefined);
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

async function freshStore(retentionDays?: number): Promise<{ store: StateStore; table: string }> {
  const table = `djc-ttl-${randomBytes(6).toString('hex')}`;
  tables.push(table);
  await ensureTable(client, table);
  return { store: createDynamoStateStore({ client, table, ...(retentionDays === undefined ? {} : { retentionDays }) }), table };
}

/** The raw item's `expires_at` (epoch seconds), or null when it has none. */
async function expiresAt(table: string, key: ItemKey): Promise<number | null> {
  const Key = Object.fromEntries(Object.entries(key).map(([k, v]) => [k, { S: v }]));
  const out = await client.send(new GetItemCommand({ TableName: table, Key, ConsistentRead: true }));
  expect(out.Item, `item ${key.pk} / ${key.sk}`).toBeDefined();
  const n = out.Item?.expires_at?.N;
  return n === undefined ? null : Number(n);
}

/** What `expires_at` must be for an item that ended at `endedAt`. */
const expected = (endedAt: string | null | undefined, days: number) => Math.floor(Date.parse(endedAt ?? '') / 1000) + days * DAY;

const nowSec = () => Math.floor(Date.now() / 1000);

describe('retention: expires_at on finished tasks', () => {
  it('is set to end + retention by the write that finishes a task, and removed by any other move', async () => {
    const { store, table } = await freshStore(2);
    const job = testJob();
    await store.createJob(job);
    await store.putTasks(job.jobId, testBatches(4));
    const claim = (taskId: number) => store.claimTask(job.jobId, taskId, { owner: 'w', leaseMs: 60_000, maxAttempts: 2 });
    const lease = (attempt: number) => ({ owner: 'w', attempt });
    const task = (taskId: number) => expiresAt(table, taskKey(job.jobId, taskId));

    expect(await task(0)).toBeNull();
    await claim(0);
    const ok = await store.completeTask(job.jobId, 0, lease(1), { status: 'SUCCEEDED', outputKey: 'k', outputKind: 'raw', records: 1 });
    expect(await task(0)).toBe(expected(ok.endedAt, 2));

    await claim(1);
    await store.completeTask(job.jobId, 1, lease(1), { status: 'RETRY_WAIT', error: 'e', kind: 'error', notBefore: 0 });
    expect(await task(1)).toBeNull();
    await claim(1);
    const failed = await store.completeTask(job.jobId, 1, lease(2), { status: 'FAILED', error: 'e', kind: 'error' });
    expect(await task(1)).toBe(expected(failed.endedAt, 2));

    await claim(2);
    const [lost] = await store.reclaimTasks(job.jobId, { owner: 'w', reason: 'gone', maxAttempts: 1, notBefore: 0 });
    expect(lost?.status).toBe('FAILED');
    expect(await task(2)).toBe(expected(lost?.endedAt, 2));

    expect(await store.cancelTasks(job.jobId)).toBe(1);
    expect(await task(3)).toBe(expected((await store.getTask(job.jobId, 3))?.endedAt, 2));
  });

  it('is never set with retention 0 (keep forever)', async () => {
    const { store, table } = await freshStore(0);
    const job = testJob();
    await store.createJob(job);
    await store.putTasks(job.jobId, testBatches(1));
    await store.claimTask(job.jobId, 0, { owner: 'w', leaseMs: 60_000, maxAttempts: 1 });
    await store.completeTask(job.jobId, 0, { owner: 'w', attempt: 1 }, { status: 'FAILED', error: 'e', kind: 'error' });
    await store.transitionJob(job.jobId, ['SUBMITTED'], 'FAILED', { endedAt: new Date().toISOString() });
    expect(await expiresAt(table, taskKey(job.jobId, 0))).toBeNull();
    for (const key of [jobKey(job.jobId), configKey(job.jobId), requestsKey(job.jobId)]) expect(await expiresAt(table, key)).toBeNull();
  });
});

describe('retention: the job, and djc retry', () => {
  it('a finished job\'s items expire from its end; re-opening removes it; ending again renews it', async () => {
    const { store, table } = await freshStore(); // the default: 30 days
    const job = testJob();
    await store.createJob(job);
    await store.putTasks(job.jobId, testBatches(1));
    const items = [jobKey(job.jobId), configKey(job.jobId), requestsKey(job.jobId)];
    await store.transitionJob(job.jobId, ['SUBMITTED'], 'PREPARING');
    await store.transitionJob(job.jobId, ['PREPARING'], 'RUNNING', { startedAt: new Date().toISOString() });
    await store.addRequestCounts(job.jobId, { 'DynamoDB.GetItem': 3 });
    expect(await expiresAt(table, jobKey(job.jobId))).toBeNull();

    const ended = await store.transitionJob(job.jobId, ['RUNNING'], 'FAILED', { endedAt: '2026-01-02T03:04:05.678Z', error: 'x' });
    expect(ended.status).toBe('FAILED');
    for (const key of items) expect(await expiresAt(table, key)).toBe(expected('2026-01-02T03:04:05.678Z', 30));
    expect((await store.getJob(job.jobId))?.requests).toEqual({ 'DynamoDB.GetItem': 3 });

    const reopened = await store.transitionJob(job.jobId, ['FAILED'], 'RUNNING', { endedAt: null, error: null });
    expect(reopened).toMatchObject({ status: 'RUNNING', endedAt: null, error: null });
    for (const key of items) expect(await expiresAt(table, key)).toBeNull();

    await store.transitionJob(job.jobId, ['RUNNING'], 'FINALIZING');
    await store.transitionJob(job.jobId, ['FINALIZING'], 'SUCCEEDED', { endedAt: '2026-02-03T04:05:06.000Z' });
    for (const key of items) expect(await expiresAt(table, key)).toBe(expected('2026-02-03T04:05:06.000Z', 30));
  });

  it('a job that ends before any request counts were flushed still gets an expiring REQUESTS item for later flushes', async () => {
    const { store, table } = await freshStore(1);
    const job = testJob();
    await store.createJob(job);
    await store.transitionJob(job.jobId, ['SUBMITTED'], 'CANCELLED', { endedAt: '2026-03-01T00:00:00.000Z' });
    await store.addRequestCounts(job.jobId, { 'SQS.DeleteMessage': 1 });
    expect(await expiresAt(table, requestsKey(job.jobId))).toBe(expected('2026-03-01T00:00:00.000Z', 1));
    expect((await store.getJob(job.jobId))?.requests).toEqual({ 'SQS.DeleteMessage': 1 });
  });

  it('resetTasks removes it from the tasks it re-opens and renews finished tasks about to expire', async () => {
    const days = 10;
    const { store, table } = await freshStore(days);
    const job = testJob();
    await store.createJob(job);
    await store.putTasks(job.jobId, testBatches(3));
    for (const taskId of [0, 1, 2]) {
      await store.claimTask(job.jobId, taskId, { owner: 'w', leaseMs: 60_000, maxAttempts: 1 });
      const outcome = taskId === 2
        ? { status: 'FAILED' as const, error: 'e', kind: 'error' as const }
        : { status: 'SUCCEEDED' as const, outputKey: 'k', outputKind: 'raw' as const, records: 1 };
      await store.completeTask(job.jobId, taskId, { owner: 'w', attempt: 1 }, outcome);
    }
    // Task 0 finished long ago (as an operator could see it): it expires in a minute.
    const soon = nowSec() + 60;
    await client.send(new UpdateItemCommand({
      TableName: table, Key: { pk: { S: taskKey(job.jobId, 0).pk }, sk: { S: taskKey(job.jobId, 0).sk } },
      UpdateExpression: 'SET expires_at = :t', ExpressionAttributeValues: { ':t': { N: String(soon) } },
    }));
    const recent = await expiresAt(table, taskKey(job.jobId, 1));

    const before = nowSec();
    const reset = await store.resetTasks(job.jobId, ['FAILED', 'CANCELLED']);
    const after = nowSec();
    expect(reset.map((t) => [t.taskId, t.status])).toEqual([[2, 'PENDING']]);
    expect(await expiresAt(table, taskKey(job.jobId, 2))).toBeNull();
    const renewed = await expiresAt(table, taskKey(job.jobId, 0));
    expect(renewed).toBeGreaterThanOrEqual(before + days * DAY);
    expect(renewed).toBeLessThanOrEqual(after + days * DAY);
    // Far from expiry: left alone (no write for it).
    expect(await expiresAt(table, taskKey(job.jobId, 1))).toBe(recent);
    expect((await store.getJob(job.jobId))?.tasks).toMatchObject({ total: 3, pending: 1, succeeded: 2, failed: 0 });
  });
});

describe('DJC_RETENTION_DAYS', () => {
  it('defaults to 30, takes a number of days ≥ 0, and refuses anything else', () => {
    expect(retentionDaysOf(undefined)).toBe(30);
    expect(retentionDaysOf('')).toBe(30);
    expect(retentionDaysOf('0')).toBe(0);
    expect(retentionDaysOf('7.5')).toBe(7.5);
    for (const bad of ['-1', 'abc', '30d', 'Infinity']) {
      expect(() => retentionDaysOf(bad)).toThrow(/DJC_RETENTION_DAYS must be a number of days/);
    }
  });

  it('is passed on to workers when it is not the default (they stamp the tasks they finish)', () => {
    const env = (v?: string) => awsWorkerEnv(resolveAwsSettings({ bucket: 'b' }, v === undefined ? {} : { DJC_RETENTION_DAYS: v }), {});
    expect(env('7').DJC_RETENTION_DAYS).toBe('7');
    expect(env('0').DJC_RETENTION_DAYS).toBe('0');
    expect(env().DJC_RETENTION_DAYS).toBeUndefined();
  });
});
