/**
 * The body of a task message on SQS: `{"v":1,"jobId":"…","taskId":7}`. Bodies
 * cross a trust boundary (anyone with access to the queue can send), so
 * every body is parsed with a schema; keys added by later versions are
 * ignored, a body of another version or shape is refused with a reason.
 */
import { z } from 'zod';
import type { TaskMessage } from '../../ports/task-queue.js';

const TaskMessageBody = z.object({
  v: z.literal(1),
  jobId: z.string().min(1),
  taskId: z.number().int().nonnegative(),
  copyOf: z.number().int().positive().optional(),
});

export type DecodedBody = { ok: true; message: TaskMessage } | { ok: false; reason: string };

/** The SQS body of a task message. */
export function encodeTaskMessage(m: TaskMessage): string {
  return JSON.stringify({ v: 1, jobId: m.jobId, taskId: m.taskId, ...(m.copyOf === undefined ? {} : { copyOf: m.copyOf }) });
}

/** Parses a body; never throws. */
export function decodeTaskMessage(body: string | undefined): DecodedBody {
  let json: unknown;
  try {
    json = JSON.parse(body ?? '');
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  const parsed = TaskMessageBody.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `body is not a v1 task message (${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'})` };
  }
  const { copyOf, ...message } = parsed.data;
  return { ok: true, message: copyOf === undefined ? message : { ...message, copyOf } };
}
