/**
 * Request counts of a job: one item per job, `pk JOB#<jobId>`, `sk REQUESTS`,
 * with one number attribute per operation, `req_<Service.Operation>`. Each
 * flush is one UpdateItem with `ADD` on those attributes (ADD creates the
 * item and the attribute at zero when missing, so concurrent flushes from
 * several processes add up exactly).
 *
 * Why not on the job item: every task transition rewrites the job item, and
 * DynamoDB bills a write by item size (1 WRU per KB). A dozen operation
 * counters would push the hot job item past 1 KB and double the price of
 * every counter move; the flushes (every ~5 s per process) are the cheaper
 * place to pay. `REQUESTS` sorts after `JOB` and before `TASK#`, so a job is
 * read with its counts in one Query (`sk BETWEEN JOB AND REQUESTS`).
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RequestCountDelta } from '../../ports/state-store.js';
import { send, type DynamoContext, type Io, type Item } from './dynamo-request.js';
import { ITEM_VERSION, requestsKey } from './dynamo-schema.js';

const PREFIX = 'req_';

/** One UpdateItem adding `counts` to the job's REQUESTS item (created if missing). */
export async function addRequestCounts(ctx: DynamoContext, jobId: string, counts: RequestCountDelta, io: Io): Promise<void> {
  const ops = Object.entries(counts).filter(([, n]) => Number.isInteger(n) && n > 0);
  if (ops.length === 0) return;
  const names: Record<string, string> = { '#v': 'v', '#job': 'job_id' };
  const values: Record<string, unknown> = { ':v': ITEM_VERSION, ':job': jobId };
  const adds = ops.map(([op, n], i) => {
    names[`#r${i}`] = `${PREFIX}${op}`;
    values[`:r${i}`] = n;
    return `#r${i} :r${i}`;
  });
  const cmd = new UpdateCommand({
    TableName: ctx.table,
    Key: requestsKey(jobId),
    UpdateExpression: `SET #v = :v, #job = :job ADD ${adds.join(', ')}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  });
  await send(ctx, io, (abortSignal) => ctx.doc.send(cmd, { abortSignal }));
}

/** The counts of a REQUESTS item (`{}` for none); attributes that are not counts are ignored. */
export function requestsOf(item: Item | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (!item) return out;
  for (const [attr, n] of Object.entries(item)) {
    if (attr.startsWith(PREFIX) && typeof n === 'number' && Number.isFinite(n)) out[attr.slice(PREFIX.length)] = n;
  }
  return out;
}
