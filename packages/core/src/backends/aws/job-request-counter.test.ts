/**
 * Attribution and flushing of per-job request counts. The clients here are
 * minimal middleware stacks that run one request through the installed
 * middleware (the real SDK clients are exercised end to end in
 * packages/cli/test/aws-cost.test.ts); the store is the real SQLite one.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalBackend } from '../local/index.js';
import { tempDir, testJob } from '../../testing/fixtures.js';
import { withJob } from '../../util/request-context.js';
import { countJobRequests } from './job-request-counter.js';
import type { CountableClient } from './request-counter.js';
import { startRequestFlusher } from './request-flusher.js';

type Mw = Parameters<CountableClient['middlewareStack']['add']>[0];

function stubClient() {
  const mws = new Map<string, Mw>();
  const client: CountableClient = {
    middlewareStack: {
      add: (mw, o) => void mws.set(o.name, mw),
      remove: (name) => mws.delete(name),
    },
  };
  const send = async (commandName: string) => {
    let h = async (_: unknown): Promise<unknown> => ({});
    for (const mw of mws.values()) h = mw(h, { commandName });
    await h({});
  };
  return { client, send };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('per-job request counter', () => {
  it('counts by Service.Operation for the job of the call chain; outside a job, unattributed', async () => {
    const [d, s, q] = [stubClient(), stubClient(), stubClient()];
    const counter = countJobRequests({ DynamoDB: d.client, S3: s.client, SQS: q.client });
    await withJob('a', async () => {
      await d.send('TransactWriteItemsCommand');
      await d.send('TransactWriteItemsCommand');
      await withJob('b', () => s.send('PutObjectCommand'));
    });
    await q.send('ReceiveMessageCommand');
    expect(Object.fromEntries(counter.take())).toEqual({
      a: { 'DynamoDB.TransactWriteItems': 2 },
      b: { 'S3.PutObject': 1 },
    });
    expect(counter.unattributed).toEqual({ 'SQS.ReceiveMessage': 1 });
    expect(counter.take().size).toBe(0);
    // The totals (the metrics' counter) keep everything, jobs or not, whatever was taken.
    expect(counter.totals).toEqual({ 'DynamoDB.TransactWriteItems': 2, 'S3.PutObject': 1, 'SQS.ReceiveMessage': 1 });
    counter.stop();
    await withJob('a', () => d.send('GetItemCommand'));
    expect(counter.take().size).toBe(0);
  });

  it('the flusher adds deltas to the store exactly, counts its own write into the next delta, and holds back a delta of only that', async () => {
    const tmp = await tempDir('djc-reqflush-');
    const backend = createLocalBackend({ home: join(tmp.dir, 'home') });
    cleanups.push(async () => { await backend.close(); await tmp.cleanup(); });
    const job = testJob();
    await backend.state.createJob(job);
    const d = stubClient();
    const counter = countJobRequests({ DynamoDB: d.client, S3: stubClient().client, SQS: stubClient().client });
    // The store "sends" one UpdateItem per flush, as the DynamoDB store does.
    const state = { addRequestCounts: async (...a: Parameters<typeof backend.state.addRequestCounts>) => {
      await d.send('UpdateItemCommand');
      await backend.state.addRequestCounts(...a);
    } } as unknown as typeof backend.state;
    const flusher = startRequestFlusher(counter, state, 60_000);
    await withJob(job.jobId, () => d.send('GetItemCommand'));
    await flusher.flush();
    expect((await backend.state.getJob(job.jobId))?.requests).toEqual({ 'DynamoDB.GetItem': 1 });
    await flusher.flush(); // only the previous flush's own UpdateItem: held back
    expect((await backend.state.getJob(job.jobId))?.requests).toEqual({ 'DynamoDB.GetItem': 1 });
    await flusher.stop(); // final: flushed
    expect((await backend.state.getJob(job.jobId))?.requests).toEqual({ 'DynamoDB.GetItem': 1, 'DynamoDB.UpdateItem': 1 });
  });
});
