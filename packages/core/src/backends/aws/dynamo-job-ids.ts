/**
 * listJobIds on DynamoDB: the keys-only `by_created` index, newest first.
 * Its entries carry the job key (`pk` = `JOB#<jobId>`) and the sort key
 * `<createdAt>#<jobId>`, so no job item is read. With a prefix, a
 * FilterExpression on `pk` keeps the matching ids: DynamoDB still reads the
 * index entries it skips (a few dozen bytes per job, 1 MB per page), so the
 * cost grows with the number of jobs in the table, never with their tasks.
 */
import type { JobRef, ListJobIdsOptions } from '../../ports/state-store.js';
import { queryPages, type DynamoContext, type Io, type Item, type QueryInput } from './dynamo-request.js';
import { ALL_JOBS_PK, INDEX, jobPk } from './dynamo-schema.js';

export async function listJobIds(ctx: DynamoContext, opts: ListJobIdsOptions, io: Io): Promise<JobRef[]> {
  const limit = opts.limit ?? Number.POSITIVE_INFINITY;
  const out: JobRef[] = [];
  if (limit <= 0) return out;
  const prefix = opts.idPrefix ?? '';
  const input: QueryInput = {
    IndexName: INDEX.byCreated,
    KeyConditionExpression: '#k = :k',
    ExpressionAttributeNames: { '#k': 'gsi2pk', ...(prefix ? { '#pk': 'pk' } : {}) },
    ExpressionAttributeValues: { ':k': ALL_JOBS_PK, ...(prefix ? { ':p': jobPk(prefix) } : {}) },
    ScanIndexForward: false,
    // A Limit counts the entries read before the filter: with a prefix, read whole pages.
    ...(prefix ? { FilterExpression: 'begins_with(#pk, :p)' } : { Limit: Math.min(1000, limit) }),
  };
  for await (const page of queryPages(ctx, input, io)) {
    out.push(...page.map(toJobRef));
    if (out.length >= limit) break;
  }
  return out.slice(0, limit);
}

function toJobRef(key: Item): JobRef {
  const jobId = String(key.pk).slice(jobPk('').length);
  const sk = String(key.gsi2sk);
  return { jobId, createdAt: sk.slice(0, sk.indexOf('#')) };
}
