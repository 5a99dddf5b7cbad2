/**
 * The job's task counters move in the same transaction as its tasks: each
 * task write is paired with one Update of the job item that ADDs the signed
 * deltas (and bumps `version`), conditioned on the job existing (for a claim,
 * also on it being neither cancel_requested nor terminal).
 */
import { TERMINAL_JOB } from '../../model/status.js';
import { UpdateBuilder, type ExprBuilder } from './dynamo-expressions.js';
import type { TxItem } from './dynamo-request.js';
import { jobKey } from './dynamo-schema.js';
import { fenceCondition } from './dynamo-fence.js';
import type { CountDelta } from '../../model/count-delta.js';

export { addMove, type CountDelta } from '../../model/count-delta.js';



/** Sums deltas. */
export function sumDeltas(deltas: readonly CountDelta[]): CountDelta {
  const out: CountDelta = {};
  for (const d of deltas) {
    for (const [k, v] of Object.entries(d) as [keyof CountDelta, number][]) out[k] = (out[k] ?? 0) + v;
  }
  return out;
}

/** How the job item must look for the counter update to apply. */
export type JobGuard = 'exists' | 'claimable';

/**
 * The transaction item that applies `delta` to the job's counters; with
 * `fence`, only while the job's coordinator epoch is still that (a task
 * write of a coordinator's claim: dynamo-fence.ts).
 */
export function counterUpdate(table: string, jobId: string, delta: CountDelta, guard: JobGuard = 'exists', fence?: number): TxItem {
  const b = new UpdateBuilder();
  for (const [key, n] of Object.entries(delta) as [keyof CountDelta, number][]) {
    b.add(key === 'processed' ? 'records_processed' : key === 'bad' ? 'records_bad' : `tasks_${key}`, n);
  }
  b.add('version', 1);
  return {
    Update: {
      TableName: table,
      Key: jobKey(jobId),
      ...b.input(`${jobCondition(b, guard)}${fenceCondition(b, fence)}`),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

/** The job condition of a claim or heartbeat: not being cancelled, not finished. */
export function jobCondition(b: ExprBuilder, guard: JobGuard): string {
  const exists = `attribute_exists(${b.name('pk')})`;
  if (guard === 'exists') return exists;
  return `${exists} AND ${b.eq('cancel_requested', false)} AND NOT (${b.in('status', [...TERMINAL_JOB])})`;
}
