/**
 * Creating the queues of the AWS backend (`djc setup aws`, and the tests):
 * the task queue `<name>` and its dead-letter queue `<name>-dlq`, with a
 * redrive policy from the first to the second.
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DjcError } from '../../errors.js';
import { isMissingQueue, sqsCall } from './sqs-errors.js';

/** 14 days, SQS's longest: queued tasks and dead letters outlive long jobs. */
const RETENTION_SECONDS = '1209600';

export interface EnsureQueuesOptions {
  /**
   * Receives after which SQS itself moves a message to the DLQ (default 50).
   * Only a safety net for poison messages: djc dead-letters FAILED tasks
   * explicitly, and retries and duplicate deliveries raise the count too.
   */
  maxReceiveCount?: number;
  signal?: AbortSignal;
}

export interface EnsuredQueues {
  queueUrl: string;
  dlqUrl: string;
  /** Names of the queues this call created. */
  created: string[];
  /** Names of existing queues whose redrive policy this call set. */
  updated: string[];
}

/** `<name>-dlq`: the dead-letter queue of the task queue `name`. */
export function dlqName(name: string): string {
  return `${name}-dlq`;
}

/**
 * Makes sure both queues exist and the task queue redrives to the DLQ after
 * `maxReceiveCount` receives. Idempotent: creates only what is missing (14
 * days retention), and sets the redrive policy of an existing task queue
 * only if it points elsewhere or uses another count.
 */
export async function ensureQueues(client: SQSClient, name: string, opts: EnsureQueuesOptions = {}): Promise<EnsuredQueues> {
  assertQueueName(name);
  const maxReceiveCount = opts.maxReceiveCount ?? 50;
  const created: string[] = [];
  const updated: string[] = [];
  const dlq = dlqName(name);
  const dlqUrl = await ensureQueue(client, dlq, { MessageRetentionPeriod: RETENTION_SECONDS }, created, opts.signal);
  const dlqArn = (await attributes(client, dlqUrl, dlq, ['QueueArn'], opts.signal)).QueueArn ?? '';
  const policy = JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: String(maxReceiveCount) });
  const queueUrl = await ensureQueue(client, name, { MessageRetentionPeriod: RETENTION_SECONDS, RedrivePolicy: policy }, created, opts.signal);
  if (!created.includes(name)) {
    const current = (await attributes(client, queueUrl, name, ['RedrivePolicy'], opts.signal)).RedrivePolicy;
    if (!samePolicy(current, dlqArn, maxReceiveCount)) {
      await sqsCall(`SQS queue "${name}"`, opts.signal, () =>
        client.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { RedrivePolicy: policy } }), { abortSignal: opts.signal }),
      );
      updated.push(name);
    }
  }
  return { queueUrl, dlqUrl, created, updated };
}

/** The queue's URL; creates it with `attrs` if it is missing (and records its name in `created`). */
async function ensureQueue(client: SQSClient, name: string, attrs: Record<string, string>, created: string[], signal?: AbortSignal): Promise<string> {
  const what = `SQS queue "${name}"`;
  const existing = await sqsCall(what, signal, () =>
    client.send(new GetQueueUrlCommand({ QueueName: name }), { abortSignal: signal }).then(
      (out) => out.QueueUrl,
      (e: unknown) => (isMissingQueue(e) ? undefined : Promise.reject(e)),
    ),
  );
  if (existing) return existing;
  const out = await sqsCall(what, signal, () => client.send(new CreateQueueCommand({ QueueName: name, Attributes: attrs }), { abortSignal: signal }));
  if (!out.QueueUrl) throw new DjcError('INTERNAL', `${what}: CreateQueue returned no QueueUrl`);
  created.push(name);
  return out.QueueUrl;
}

async function attributes(client: SQSClient, url: string, name: string, names: ('QueueArn' | 'RedrivePolicy')[], signal?: AbortSignal): Promise<Record<string, string>> {
  const out = await sqsCall(`SQS queue "${name}"`, signal, () =>
    client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names }), { abortSignal: signal }),
  );
  return out.Attributes ?? {};
}

function samePolicy(current: string | undefined, dlqArn: string, maxReceiveCount: number): boolean {
  if (!current) return false;
  try {
    const p = JSON.parse(current) as { deadLetterTargetArn?: string; maxReceiveCount?: string | number };
    return p.deadLetterTargetArn === dlqArn && Number(p.maxReceiveCount) === maxReceiveCount;
  } catch {
    return false;
  }
}

/** SQS names: 1–80 of [A-Za-z0-9_-]; "-dlq" must still fit. */
function assertQueueName(name: string): void {
  if (!/^[A-Za-z0-9_-]{1,76}$/.test(name)) {
    throw new DjcError('USAGE', `invalid SQS queue name ${JSON.stringify(name)}`, {
      hint: 'use 1–76 letters, digits, "-" or "_" (the dead-letter queue adds "-dlq"); FIFO queues are not supported',
    });
  }
}
