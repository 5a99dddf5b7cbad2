/**
 * Fault injection for tests of the AWS backend: receives one visible message
 * of an SQS queue and deletes it, as a redrive to the dead-letter queue or a
 * send that never happened would leave the task behind it (a PENDING task
 * with no message).
 */
import { DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { TaskMessage } from '../ports/task-queue.js';
import { sqsClient } from './aws-fauxqs.js';

/** The body of the message deleted, or null when none was visible. */
export async function dropOneMessage(endpoint: string, queueName: string): Promise<TaskMessage | null> {
  const client = sqsClient(endpoint);
  try {
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: queueName }));
    const got = await client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 600 }));
    const m = got.Messages?.[0];
    if (!m) return null;
    await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
    return JSON.parse(m.Body ?? '{}') as TaskMessage;
  } finally {
    client.destroy();
  }
}
