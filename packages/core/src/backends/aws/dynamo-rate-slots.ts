/**
 * The start slots of rate-limited jobs (StateStore.reserveRateSlot) on
 * DynamoDB: one item per job (`JOB#<jobId>` / `THROTTLE`) holding its GCRA
 * "theoretical arrival time" `tat` (epoch ms). DynamoDB has no max() in an
 * update, so a reservation is one of two conditional UpdateItems, whichever
 * holds:
 * - busy (`tat > now`): `SET tat = tat + interval`; the slot is the old tat;
 * - idle (no item, or `tat <= now`): `SET tat = now + interval`; the slot is now.
 * The failed condition returns the item (ALL_OLD), which says which one to
 * try next. No read first, and two writers can never get the same slot.
 * The item expires with the retention (TTL), counted from its last slot.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DjcError } from '../../errors.js';
import type { IoOptions } from '../../ports/state-store.js';
import { ExprBuilder } from './dynamo-expressions.js';
import { sendConditional, type DynamoContext } from './dynamo-request.js';
import { ITEM_VERSION, rateKey, TTL_ATTRIBUTE } from './dynamo-schema.js';

/** Tries before giving up (each lost try means another writer moved the slot meanwhile). */
const MAX_TRIES = 20;

export async function reserveRateSlot(ctx: DynamoContext, jobId: string, intervalMs: number, now: number, io: IoOptions): Promise<number> {
  const interval = Math.max(0, Math.round(intervalMs));
  const at = Math.round(now);
  let busy = true;
  for (let i = 0; i < MAX_TRIES; i++) {
    const res = await update(ctx, jobId, busy, interval, at, io);
    if (res.ok) return res.tat - interval;
    const tat = res.item?.tat;
    busy = typeof tat === 'number' && tat > at;
  }
  throw new DjcError('CONFLICT', `rate limit of job ${jobId}: no start slot after ${MAX_TRIES} tries (too many workers contending)`, { jobId });
}

type Outcome = { ok: true; tat: number } | { ok: false; item: Record<string, unknown> | null };

async function update(ctx: DynamoContext, jobId: string, busy: boolean, interval: number, now: number, io: IoOptions): Promise<Outcome> {
  const b = new ExprBuilder();
  const tat = b.name('tat');
  const sets = [`${b.name('v')} = ${b.value(ITEM_VERSION)}`, `${b.name('job_id')} = ${b.value(jobId)}`];
  if (ctx.retentionSeconds > 0) sets.push(`${b.name(TTL_ATTRIBUTE)} = ${b.value(Math.floor(now / 1000) + ctx.retentionSeconds)}`);
  const cmd = new UpdateCommand({
    TableName: ctx.table,
    Key: rateKey(jobId),
    UpdateExpression: busy
      ? `SET ${sets.join(', ')}, ${tat} = ${tat} + ${b.value(interval)}`
      : `SET ${sets.join(', ')}, ${tat} = ${b.value(now + interval)}`,
    ConditionExpression: busy
      ? `${tat} > ${b.value(now)}`
      : `attribute_not_exists(${tat}) OR ${tat} <= ${b.value(now)}`,
    ReturnValues: 'UPDATED_NEW',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    ...b.params(),
  });
  const res = await sendConditional(ctx, io, (abortSignal) => ctx.doc.send(cmd, { abortSignal }));
  if (!res.ok) return { ok: false, item: res.item };
  const next = res.value.Attributes?.tat;
  if (typeof next !== 'number') throw new DjcError('INTERNAL', `${ctx.what}: the rate slot item of job ${jobId} has no numeric tat`, { jobId });
  return { ok: true, tat: next };
}
