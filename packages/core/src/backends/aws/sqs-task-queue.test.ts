import {
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeTaskQueueContract } from '../../ports/task-queue.contract.js';
import type { TaskMessage } from '../../ports/task-queue.js';
import { startFauxqsServer, sqsClient, uniqueName, type FauxqsServer } from '../../testing/aws-fauxqs.js';
import { countRequests } from './request-counter.js';
import { ensureQueues, type EnsuredQueues } from './sqs-setup.js';
import { createSqsTaskQueue, type SqsTaskQueue } from './sqs-task-queue.js';

let server: FauxqsServer;
let client: SQSClient;

beforeAll(async () => {
  server = await startFauxqsServer();
  client = sqsClient(server.endpoint);
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

async function dropQueues(q: EnsuredQueues): Promise<void> {
  for (const QueueUrl of [q.queueUrl, q.dlqUrl]) await client.send(new DeleteQueueCommand({ QueueUrl }));
}

async function freshQueue(over: SQSClient = client): Promise<{ queue: SqsTaskQueue; urls: EnsuredQueues }> {
  const urls = await ensureQueues(client, uniqueName('djc-q'));
  return { queue: createSqsTaskQueue({ client: over, queueUrl: urls.queueUrl, dlqUrl: urls.dlqUrl }), urls };
}

describeTaskQueueContract(
  'SQS',
  async () => {
    const { queue, urls } = await freshQueue();
    return {
      queue,
      cleanup: async () => {
        await queue.close();
        await dropQueues(urls);
      },
    };
  },
  { unitMs: 1000, filtersByJob: false, findsMessagesByTask: false },
);

const msg = (taskId: number, jobId = 'job-a'): TaskMessage => ({ v: 1, jobId, taskId });

describe('SqsTaskQueue', () => {
  const opened: { queue: SqsTaskQueue; urls: EnsuredQueues }[] = [];
  const own: SQSClient[] = [];
  afterEach(async () => {
    for (const f of opened.splice(0)) {
      await f.queue.close();
      await dropQueues(f.urls);
    }
    for (const c of own.splice(0)) c.destroy();
  });
  const fixture = async (over?: SQSClient) => {
    const f = await freshQueue(over);
    opened.push(f);
    return f;
  };
  const countedClient = () => {
    const c = sqsClient(server.endpoint);
    own.push(c);
    return { c, counts: countRequests(c) };
  };

  it('ensureQueues creates the queue and its DLQ once, and is idempotent', async () => {
    const name = uniqueName('djc-setup');
    const first = await ensureQueues(client, name);
    expect(first.created).toEqual([`${name}-dlq`, name]);
    const again = await ensureQueues(client, name);
    expect(again).toEqual({ queueUrl: first.queueUrl, dlqUrl: first.dlqUrl, created: [], updated: [] });
    const changed = await ensureQueues(client, name, { maxReceiveCount: 7 });
    expect(changed).toMatchObject({ created: [], updated: [name] });
    opened.push({ queue: createSqsTaskQueue({ client, ...first }), urls: first });
  });

  it('the task queue redrives to the DLQ (RedrivePolicy names the DLQ ARN)', async () => {
    const { urls } = await fixture();
    const attrs = async (QueueUrl: string) =>
      (await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn', 'RedrivePolicy'] }))).Attributes ?? {};
    const dlqArn = (await attrs(urls.dlqUrl)).QueueArn;
    expect(dlqArn).toMatch(/^arn:aws:sqs:us-east-1:\d+:djc-q-[0-9a-f]+-dlq$/);
    expect(JSON.parse((await attrs(urls.queueUrl)).RedrivePolicy ?? '{}')).toEqual({ deadLetterTargetArn: dlqArn, maxReceiveCount: '50' });
  });

  it('8 concurrent consumers over 300 messages: each delivered and deleted exactly once', async () => {
    const { urls } = await fixture();
    await createSqsTaskQueue({ client, ...urls }).send(Array.from({ length: 300 }, (_, i) => msg(i)));
    const deleted: number[] = [];
    const consume = async () => {
      const q = createSqsTaskQueue({ client, ...urls });
      for (let empty = 0; deleted.length < 300 && empty < 3; ) {
        const got = await q.receive({ max: 10, visibilityMs: 60_000, waitMs: 1000 });
        empty = got.length === 0 ? empty + 1 : 0;
        await q.deleteBatch(got.map((m) => m.receipt));
        deleted.push(...got.map((m) => m.message.taskId));
      }
    };
    await Promise.all(Array.from({ length: 8 }, consume));
    expect(deleted).toHaveLength(300);
    expect(new Set(deleted).size).toBe(300);
    expect(await createSqsTaskQueue({ client, ...urls }).depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0, dead: 0 });
  });

  it('send of 25 messages is 3 SendMessageBatch requests', async () => {
    const { c, counts } = countedClient();
    const { queue } = await fixture(c);
    await queue.send(Array.from({ length: 25 }, (_, i) => msg(i)));
    expect(counts.byOperation).toEqual({ SendMessageBatch: 3 });
    expect((await queue.depth()).visible).toBe(25);
  });

  it('1,000 tasks: 100 SendMessageBatch, ~100 ReceiveMessage, 100 DeleteMessageBatch', async () => {
    const { c, counts } = countedClient();
    const { queue } = await fixture(c);
    await queue.send(Array.from({ length: 1000 }, (_, i) => msg(i)));
    for (;;) {
      const got = await queue.receive({ max: 10, visibilityMs: 60_000 });
      if (got.length === 0) break;
      await queue.deleteBatch(got.map((m) => m.receipt));
    }
    expect(counts.byOperation).toEqual({ SendMessageBatch: 100, ReceiveMessage: 101, DeleteMessageBatch: 100 });
    expect(counts.total() / 1000).toBeLessThanOrEqual(0.31);
  });

  it('a body that is not a task message goes to the DLQ with its reason and is skipped', async () => {
    const { queue, urls } = await fixture();
    await client.send(new SendMessageCommand({ QueueUrl: urls.queueUrl, MessageBody: '{"v":2,"jobId":"x","taskId":1}' }));
    await queue.send([msg(4)]);
    const got = await queue.receive({ max: 10, visibilityMs: 30_000 });
    expect(got.map((m) => m.message)).toEqual([msg(4)]);
    const dead = await client.send(new ReceiveMessageCommand({ QueueUrl: urls.dlqUrl, MessageAttributeNames: ['All'] }));
    expect(dead.Messages?.map((m) => m.Body)).toEqual(['{"v":2,"jobId":"x","taskId":1}']);
    expect(dead.Messages?.[0]?.MessageAttributes?.reason?.StringValue).toMatch(/^unreadable task message: body is not a v1 task message \(v:/);
  });

  it('deadLetter keeps the body and the reason on the DLQ message', async () => {
    const { queue, urls } = await fixture();
    await queue.send([msg(9, 'job-z')]);
    const [m] = await queue.receive({ max: 1, visibilityMs: 30_000 });
    await queue.deadLetter(m!.receipt, 'exit code 3\u001b[0m');
    await queue.deadLetter(m!.receipt, 'again: stale, a no-op');
    const dead = await client.send(new ReceiveMessageCommand({ QueueUrl: urls.dlqUrl, MessageAttributeNames: ['All'], MaxNumberOfMessages: 10 }));
    expect(dead.Messages?.map((d) => JSON.parse(d.Body ?? '{}'))).toEqual([msg(9, 'job-z')]);
    expect(dead.Messages?.[0]?.MessageAttributes?.reason?.StringValue).toBe('exit code 3\uFFFD[0m');
  });

  it('purgeJob leaves other jobs\' messages receivable and in order', async () => {
    const { queue } = await fixture();
    await queue.send([msg(0, 'a'), msg(0, 'b'), msg(1, 'a'), msg(1, 'b'), msg(2, 'a')]);
    await queue.purgeJob('a');
    const left = await queue.receive({ max: 10, visibilityMs: 30_000 });
    expect(left.map((m) => [m.message.jobId, m.message.taskId])).toEqual([['b', 0], ['b', 1]]);
    expect(await queue.depth()).toMatchObject({ visible: 0, inFlight: 2 });
  });
});
