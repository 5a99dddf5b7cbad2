/** SQS probes for end-to-end tests: look at a queue, or inject raw messages, as an operator (or SQS itself) could. */
import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from './aws-fauxqs.js';

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
