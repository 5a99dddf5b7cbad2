/**
 * DynamoStateStore against AWS's DynamoDB Local (started here on a free
 * port, real SDK v3 clients): the StateStore contract, with a fresh table per
 * test, plus table set-up, a missing table, request counts of the worker's
 * hot path, and racing claimers / cancellers / preparers, each with its own
 * client.
 */
import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../errors.js';
import type { StateStore } from '../../ports/state-store.js';
import { describeStateStoreContract } from '../../ports/state-store.contract.js';
import { conflictStatus, expectDjcError } from '../../testing/contract-harness.js';
import { dynamoClient, type DynamoDbLocal } from '../../testing/aws-dynamodb-local.js';
import { sharedDynamoDbLocal } from '../../testing/aws-dynamodb-shared.js';
import { rejectionOf, testBatches, testJob, testJobConfig } from '../../testing/fixtures.js';
import { createDynamoStateStore } from './dynamo-state-store.js';
import { ensureTable } from './dynamo-table.js';
import { countRequests } from './request-counter.js';

let server: DynamoDbLocal | undefined;
let client: DynamoDBClient;
const clients: DynamoDBClient[] = [];
const tables: string[] = [];

beforeAll(async () => {
  server = await sharedDynamoDbLocal();
  client = dynamoClient(server.endpoint);
}, 60_000);

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const t of tables.splice(0)) {
    await client.send(new DeleteTableCommand({ TableName: t })).catch(() => undefined);
  }
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

function tableName(): string {
  const name = `djc-test-${randomBytes(6).toString('hex')}`;
  tables.push(name);
  return name;
}

/** A fresh table; `n` stores on it, each with its own client (own connections, like separate workers). */
async function storesOnFreshTable(n: number): Promise<{ table: string; stores: StateStore[]; clients: DynamoDBClient[] }> {
  const table = tableName();
  await ensureTable(client, table);
  const own = Array.from({ length: n }, () => dynamoClient((server as DynamoDbLocal).endpoint));
  clients.push(...own);
  return { table, stores: own.map((c) => createDynamoStateStore({ client: c, table })), clients: own };
}

async function storeOnFreshTable(): Promise<StateStore> {
  return (await storesOnFreshTable(1)).stores[0] as StateStore;
}

/** Settles every racer before asserting, so a failure never leaves one running into the next test. */
async function race<T>(racers: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(racers);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/** Claims each task id in order (the same order for every claimer: maximum contention); returns the ids won. */
async function claimAll(store: StateStore, jobId: string, owner: string, count: number): Promise<number[]> {
  const won: number[] = [];
  for (let taskId = 0; taskId < count; taskId++) {
    try {
      await store.claimTask(jobId, taskId, { owner, leaseMs: 60_000, maxAttempts: 3 });
      won.push(taskId);
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
    }
  }
  return won;
}

describeStateStoreContract('aws (DynamoDB Local)', async () => {
  const table = tableName();
  await ensureTable(client, table);
  return {
    store: createDynamoStateStore({ client, table }),
    cleanup: async () => void (await client.send(new DeleteTableCommand({ TableName: table }))),
  };
});

describe('DynamoStateStore on DynamoDB Local: set-up and errors', () => {
  it('ensureTable creates the table once, then finds it', async () => {
    const table = tableName();
    expect(await ensureTable(client, table)).toBe('created');
    expect(await ensureTable(client, table)).toBe('exists');
  });

  it('ensureTable refuses a table of another shape, and a name DynamoDB would refuse', async () => {
    const table = tableName();
    await client.send(new CreateTableCommand({
      TableName: table, BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }));
    const e = expectDjcError(await rejectionOf(ensureTable(client, table)), 'BACKEND_UNAVAILABLE');
    expect(e.message).toBe(`DynamoDB table "${table}" exists but is not a djc state table: its key is id:HASH, not pk/sk`);
    expectDjcError(await rejectionOf(ensureTable(client, 'ab')), 'USAGE');
  });

  it('a missing table is BACKEND_UNAVAILABLE, naming the table and `djc setup aws`', async () => {
    const store = createDynamoStateStore({ client, table: 'djc-no-such-table' });
    // One call at a time: a second call started up front would reject while
    // the first is awaited, unobserved (an unhandled rejection).
    for (const call of [() => store.getJob('j'), () => store.claimTask('j', 0, { owner: 'w', leaseMs: 1_000, maxAttempts: 1 })]) {
      const e = expectDjcError(await rejectionOf(call()), 'BACKEND_UNAVAILABLE');
      expect(e.message).toContain('DynamoDB table "djc-no-such-table" does not exist');
      expect(e.hint).toContain('djc setup aws');
    }
  });

  it('an aborted signal stops the call with INTERRUPTED', async () => {
    const store = await storeOnFreshTable();
    const ac = new AbortController();
    ac.abort();
    expectDjcError(await rejectionOf(store.getJob('j', { signal: ac.signal })), 'INTERRUPTED');
  });

  it('refuses a job config too large for one item', async () => {
    const store = await storeOnFreshTable();
    const config = { ...testJobConfig(), description: 'x'.repeat(310 * 1024) };
    const e = expectDjcError(await rejectionOf(store.createJob(testJob({ config }))), 'CONFIG_INVALID');
    expect(e.message).toMatch(/at most 300 KB/);
  });

  it('putTasks for a missing job is NOT_FOUND', async () => {
    const store = await storeOnFreshTable();
    expectDjcError(await rejectionOf(store.putTasks('no-job', testBatches(3))), 'NOT_FOUND');
    expectDjcError(await rejectionOf(store.putTasks('no-job', [])), 'NOT_FOUND');
  });
});

describe('DynamoStateStore on DynamoDB Local: cost and races', () => {
  it('the worker hot path costs 2 requests per claim, 1 per heartbeat, 1 per complete of its own claim; an idle reclaim 1', async () => {
    const { stores: [store], clients: [own] } = await storesOnFreshTable(1);
    const job = testJob();
    await store!.createJob(job);
    await store!.putTasks(job.jobId, testBatches(2));
    const counted = countRequests(own as DynamoDBClient);
    const cost = async (call: () => Promise<unknown>) => {
      counted.reset();
      await call().catch(() => null);
      return { ...counted.byOperation };
    };
    const claim = () => store!.claimTask(job.jobId, 0, { owner: 'w', leaseMs: 60_000, maxAttempts: 3 });
    expect(await cost(claim)).toEqual({ GetItem: 1, TransactWriteItems: 1 });
    expect(await cost(() => store!.heartbeat(job.jobId, 0, { owner: 'w', attempt: 1 }, 60_000))).toEqual({ TransactWriteItems: 1 });
    const ok = { status: 'SUCCEEDED', outputKey: 'k', outputKind: 'raw', records: 1 } as const;
    expect(await cost(() => store!.completeTask(job.jobId, 0, { owner: 'w', attempt: 1 }, ok))).toEqual({ TransactWriteItems: 1 });
    const idle = { expiredBefore: Date.now(), reason: 'lost', maxAttempts: 3, notBefore: 0 };
    expect(await cost(() => store!.reclaimTasks(job.jobId, idle))).toEqual({ Query: 1 });
    expect(await cost(claim)).toEqual({ GetItem: 1 }); // a duplicate delivery: refused on the read
    counted.stop();
  });

  it('claimTasks costs 2 requests and completeTasks of its own claims 1, for 10 tasks as for one; others\' claims cost a BatchGetItem more', async () => {
    const { stores: [a, b], clients: [own] } = await storesOnFreshTable(2);
    const job = testJob();
    await a!.createJob(job);
    await a!.putTasks(job.jobId, testBatches(20));
    const counted = countRequests(own as DynamoDBClient);
    const cost = async (call: () => Promise<unknown>) => {
      counted.reset();
      await call();
      return { ...counted.byOperation };
    };
    const ids = Array.from({ length: 10 }, (_, i) => i);
    const req = { owner: 'w', leaseMs: 60_000, maxAttempts: 3 };
    expect(await cost(() => a!.claimTasks(job.jobId, ids, req))).toEqual({ BatchGetItem: 1, TransactWriteItems: 1 });
    const ok = { status: 'SUCCEEDED', inlineOutput: new Uint8Array([1]), outputKind: 'raw', records: 1 } as const;
    // A completion's receipt (read by the local backend's joint writes only) changes nothing here: the worker acks through SQS.
    const done = (taskIds: number[]) => taskIds.map((taskId) => ({ taskId, lease: { owner: 'w', attempt: 1 }, outcome: ok, receipt: `r${taskId}` }));
    expect(await cost(() => a!.completeTasks(job.jobId, done(ids.slice(0, 5))))).toEqual({ TransactWriteItems: 1 });
    // Claimed by a, completed through b (as by a restarted worker): b reads them first.
    const viaB = await b!.completeTasks(job.jobId, done(ids.slice(5)));
    expect(viaB.every((r) => !(r instanceof Error) && r.status === 'SUCCEEDED')).toBe(true);
    // a's remembered claims go stale: task 11 is reclaimed (a's write of it fails; its image says LEASE_LOST, for it
    // alone), task 10 is reclaimed and claimed again through b (a reads it, then writes it in the retried transaction).
    await a!.claimTasks(job.jobId, [10, 11], req);
    await b!.reclaimTasks(job.jobId, { owner: 'w', reason: 'lost', maxAttempts: 3, notBefore: 0 });
    await b!.claimTask(job.jobId, 10, req);
    const stale = await a!.completeTasks(job.jobId, [{ taskId: 10, lease: { owner: 'w', attempt: 2 }, outcome: ok }, { taskId: 11, lease: { owner: 'w', attempt: 1 }, outcome: ok }]);
    expect(stale[0]).toMatchObject({ taskId: 10, status: 'SUCCEEDED', attempts: 2 });
    expectDjcError(stale[1], 'LEASE_LOST');
    expect((await a!.getJob(job.jobId))?.tasks).toMatchObject({ succeeded: 11, retrying: 1, running: 0, pending: 8 });
    counted.stop();
  });

  it('the cache index reads and writes by key only: a put 2 requests, a get 1, the newest of a stage 1 Query, task entries in batches; never a Scan', async () => {
    const { stores: [store], clients: [own] } = await storesOnFreshTable(1);
    const counted = countRequests(own as DynamoDBClient);
    const cost = async (call: () => Promise<unknown>) => {
      counted.reset();
      await call();
      return { ...counted.byOperation };
    };
    const components = {
      v: 1 as const, handler: { kind: 'command' as const, command: 'wc -l', files: [] }, reducer: null, settings: {}, params: {}, point: null,
      input: { kind: 'files' as const, checksum: false, files: [] },
    };
    const entry = {
      key: 'k'.repeat(64), jobId: 'job-1', pipeline: 'reviews', stage: 'clean', point: null, components,
      result: { blobKey: 'jobs/job-1/result', sha256: 'f'.repeat(64), bytes: 1 }, createdAt: new Date().toISOString(),
    };
    expect(await cost(() => store!.putCacheEntry(entry))).toEqual({ GetItem: 1, TransactWriteItems: 1 });
    expect(await cost(() => store!.getCacheEntry(entry.key))).toEqual({ GetItem: 1 });
    expect(await cost(() => store!.latestCacheEntry('reviews', 'clean'))).toEqual({ Query: 1 });
    const tasks = Array.from({ length: 60 }, (_, i) => ({
      taskKey: 't'.repeat(64), batchSha256: String(i).padStart(64, '0'), jobId: 'job-1', taskId: i, outputKey: null,
      inlineOutput: new Uint8Array([i]), outputKind: 'raw' as const, records: 1, bad: 0, createdAt: entry.createdAt,
    }));
    expect(await cost(() => store!.putTaskCacheEntries(tasks))).toEqual({ BatchWriteItem: 3 });
    const refs = Array.from({ length: 150 }, (_, i) => ({ taskKey: 't'.repeat(64), batchSha256: String(i).padStart(64, '0') }));
    let found: unknown[] = [];
    expect(await cost(async () => { found = await store!.getTaskCacheEntries(refs); })).toEqual({ BatchGetItem: 2 });
    expect(found).toHaveLength(60);
  });

  it('two stores writing the same cache key at once: one entry remains, and the stage\'s newest is that entry', async () => {
    const { stores: [a, b] } = await storesOnFreshTable(2);
    const components = {
      v: 1 as const, handler: { kind: 'command' as const, command: 'wc -l', files: [] }, reducer: null, settings: {}, params: {}, point: null,
      input: { kind: 'files' as const, checksum: false, files: [] },
    };
    const entry = (jobId: string, createdAt: string) => ({
      key: 'r'.repeat(64), jobId, pipeline: 'race', stage: 'clean', point: null, components,
      result: { blobKey: `jobs/${jobId}/result`, sha256: 'f'.repeat(64), bytes: 1 }, createdAt,
    });
    for (let round = 0; round < 5; round++) {
      await race([
        a!.putCacheEntry(entry(`job-a${round}`, `2026-12-01T10:0${round}:00.000Z`)),
        b!.putCacheEntry(entry(`job-b${round}`, `2026-12-01T10:0${round}:30.000Z`)),
      ]);
    }
    const kept = await a!.getCacheEntry('r'.repeat(64));
    expect(kept).not.toBeNull();
    expect(await b!.latestCacheEntry('race', 'clean')).toEqual(kept);
    expect(await a!.deleteCacheEntry(kept!.key, kept!.jobId)).toBe(true);
    expect(await b!.latestCacheEntry('race', 'clean')).toBeNull();
  });

  it('of two racing job transitions one wins; the other is a ConflictError with the winner\'s status', async () => {
    const { stores: [a, b] } = await storesOnFreshTable(2);
    const job = testJob();
    await a!.createJob(job);
    const results = await Promise.allSettled([
      a!.transitionJob(job.jobId, ['SUBMITTED'], 'PREPARING'),
      b!.transitionJob(job.jobId, ['SUBMITTED'], 'CANCELLED', { endedAt: new Date().toISOString() }),
    ]);
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.status] : []));
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(won).toHaveLength(1);
    expect(conflictStatus(lost[0])).toBe(won[0]);
    expect((await a!.getJob(job.jobId))?.status).toBe(won[0]);
  });

  it('a retry\'s settings written through one store are read by another that has the config cached', async () => {
    const { stores: [a, b], clients: [, bClient] } = await storesOnFreshTable(2);
    const job = testJob();
    await a!.createJob(job);
    expect((await b!.getJob(job.jobId))?.config).toEqual(job.config); // b caches it
    await a!.transitionJob(job.jobId, ['SUBMITTED'], 'FAILED', { endedAt: new Date().toISOString() });
    const config = { ...job.config, compute: { ...job.config.compute, timeout: 5_000 } };
    const retries = [{ at: new Date().toISOString(), taskCount: 1, tasks: '0', notRetried: 0, selection: {}, changes: [] }];
    await a!.transitionJob(job.jobId, ['FAILED'], 'RUNNING', { settings: { config, retries } });
    expect(await b!.getJob(job.jobId)).toMatchObject({ status: 'RUNNING', config, retries });
    expect((await b!.listJobs()).find((j) => j.jobId === job.jobId)).toMatchObject({ config, retries });
    // Cached again: reading it costs the one Query of an unchanged job.
    const counted = countRequests(bClient as DynamoDBClient);
    expect(await b!.getJob(job.jobId)).toMatchObject({ config, retries });
    expect(counted.byOperation).toEqual({ Query: 1 });
    counted.stop();
  });

  it('8 claimers on separate clients race over 200 tasks: each task is claimed exactly once', async () => {
    const { stores: [admin, ...claimers] } = await storesOnFreshTable(9);
    const job = testJob();
    await admin!.createJob(job);
    expect(await admin!.putTasks(job.jobId, testBatches(200))).toBe(200);
    const wins = await race(claimers.map((store, i) => claimAll(store, job.jobId, `w${i}`, 200)));
    expect(wins.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect((await admin!.getJob(job.jobId))?.tasks).toEqual({ total: 200, pending: 0, claimed: 0, running: 200, retrying: 0, succeeded: 0, failed: 0, cancelled: 0 });
    const tasks = await admin!.listTasks(job.jobId);
    expect(tasks.every((t) => t.status === 'RUNNING' && t.attempts === 1)).toBe(true);
    wins.forEach((won, i) => won.forEach((taskId) => expect(tasks[taskId]?.leaseOwner).toBe(`w${i}`)));
  }, 60_000);

  it('cancelTasks racing 4 claimers cancels every task exactly once; counters exact', async () => {
    const { stores: [admin, ...claimers] } = await storesOnFreshTable(5);
    const job = testJob();
    await admin!.createJob(job);
    await admin!.putTasks(job.jobId, testBatches(100));
    const cancel = new Promise<void>((resolve) => setTimeout(resolve, 150)).then(() => admin!.cancelTasks(job.jobId));
    const [cancelled] = await race<unknown>([cancel, ...claimers.map((store, i) => claimAll(store, job.jobId, `w${i}`, 100))]);
    expect(cancelled).toBe(100);
    expect((await admin!.listTasks(job.jobId)).every((t) => t.status === 'CANCELLED' && t.leaseOwner === null)).toBe(true);
    expect((await admin!.getJob(job.jobId))?.tasks).toEqual({ total: 100, pending: 0, claimed: 0, running: 0, retrying: 0, succeeded: 0, failed: 0, cancelled: 100 });
  }, 60_000);

  it('putTasks of 2,000 tasks, resumed and raced by two preparers, keeps counters exact', async () => {
    const { stores: [a, b] } = await storesOnFreshTable(2);
    const job = testJob();
    await a!.createJob(job);
    expect(await a!.putTasks(job.jobId, testBatches(2_000))).toBe(2_000);
    expect(await b!.putTasks(job.jobId, testBatches(2_000))).toBe(0);
    const raced = await race([a!.putTasks(job.jobId, testBatches(600, 1_900)), b!.putTasks(job.jobId, testBatches(600, 1_900))]);
    expect(raced[0]! + raced[1]!).toBe(500);
    expect((await a!.getJob(job.jobId))?.tasks).toMatchObject({ total: 2_500, pending: 2_500 });
    expect((await a!.listTasks(job.jobId, { after: 2_495 })).map((t) => t.taskId)).toEqual([2_496, 2_497, 2_498, 2_499]);
  }, 60_000);
});
