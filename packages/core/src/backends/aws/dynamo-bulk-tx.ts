/**
 * Many task writes of one job, applied in transactions of up to 99 task
 * items + 1 counter update carrying the sum of their counter moves, so the
 * job's counters never disagree with its tasks. When a transaction is
 * cancelled because some items' conditions failed, each of those ops is
 * asked for a replacement given the item's current image (or dropped), and
 * the rest are retried in halves; a cancelled transaction applied nothing,
 * so nothing is counted twice.
 */
import type { Io, Item, TxItem, DynamoContext } from './dynamo-request.js';
import { transact } from './dynamo-request.js';
import { counterUpdate, sumDeltas, type CountDelta } from './dynamo-counters.js';
import { isRaceCode, noJob, txFailed } from './dynamo-errors.js';
import { TX_TASKS } from './dynamo-schema.js';
import { fencedBy } from './dynamo-fence.js';

/** One write of a bulk change. */
export interface BulkOp<T> {
  tx: TxItem;
  delta: CountDelta;
  /** What the caller gets back when the write applied. */
  result: T;
  /** Given the item's current image (null if absent), the write to try instead, or null to drop it. */
  retry(current: Item | null): BulkOp<T> | null;
}

/** Transactions one op may take part in before its chunk gives up (a task that keeps changing under it). */
const MAX_ROUNDS = 20;

/**
 * Applies the ops; returns the results of those that applied, in op order.
 * With `fence`, each transaction's counter update is conditional on the
 * job's coordinator epoch: FencedError at the first chunk it fails (chunks
 * applied before it stay applied, as with any other error).
 */
export async function applyBulk<T>(ctx: DynamoContext, jobId: string, ops: readonly BulkOp<T>[], io: Io, fence?: number): Promise<T[]> {
  const done: T[] = [];
  for (let i = 0; i < ops.length; i += TX_TASKS) {
    done.push(...(await applyChunk(ctx, jobId, ops.slice(i, i + TX_TASKS), io, 0, fence)));
  }
  return done;
}

/**
 * One transaction for the chunk. When some of its conditions fail, the
 * survivors (and replacements) are retried in two halves: under contention
 * (workers claiming while a cancel runs) a smaller transaction leaves other
 * writers less time to move one of its tasks, so the retries converge.
 */
async function applyChunk<T>(ctx: DynamoContext, jobId: string, ops: BulkOp<T>[], io: Io, round: number, fence?: number): Promise<T[]> {
  if (ops.length === 0) return [];
  const items = [...ops.map((o) => o.tx), counterUpdate(ctx.table, jobId, sumDeltas(ops.map((o) => o.delta)), 'exists', fence)];
  const res = await transact(ctx, items, io);
  if (res.ok) return ops.map((o) => o.result);
  const codes = res.reasons.map((r) => r.code);
  const job = res.reasons[ops.length];
  if (job?.code === 'ConditionalCheckFailed') throw fencedBy(jobId, fence, job.item) ?? noJob(jobId);
  if (!codes.every(isRaceCode) || round + 1 >= MAX_ROUNDS) throw txFailed(ctx.what, codes, jobId);
  const next = ops.flatMap((op, i) => {
    const r = res.reasons[i];
    if (r?.code !== 'ConditionalCheckFailed') return [op];
    const alt = op.retry(r.item);
    return alt ? [alt] : [];
  });
  const half = Math.ceil(next.length / 2);
  return [
    ...(await applyChunk(ctx, jobId, next.slice(0, half), io, round + 1, fence)),
    ...(await applyChunk(ctx, jobId, next.slice(half), io, round + 1, fence)),
  ];
}
