/**
 * completeTasks on DynamoDB: one TransactWriteItems for up to MAX_TASK_BATCH
 * completions [an Update per task guarded by its lease (RUNNING, owner,
 * attempt), as completeTask's; ONE Update of the job's counters with the sum
 * of the moves], plus one BatchGetItem for the tasks this store did not
 * claim itself (`guesses`: the records its claims wrote). Tasks whose guard
 * failed are re-checked against the images that won (ALL_OLD): a lease that
 * no longer holds is LEASE_LOST for that task alone, a stale guess is
 * retried; a cancelled transaction applied nothing, so nothing is counted
 * twice.
 */
import type { DjcError } from '../../errors.js';
import type { TaskRecord } from '../../model/job.js';
import { MAX_TASK_BATCH, type CompleteResult, type LeaseRef, type TaskCompletion } from '../../ports/state-store.js';
import { checkedInlineOutput } from '../inline-output.js';
import { tooManyClaims } from '../store-errors.js';
import { counterUpdate, sumDeltas } from './dynamo-counters.js';
import { isRaceCode, leaseLost, noJob, txFailed } from './dynamo-errors.js';
import { toTaskRecord } from './dynamo-items.js';
import { completeChange } from './dynamo-lease-changes.js';
import { batchGet, transact, type DynamoContext, type Io } from './dynamo-request.js';
import { isTaskId, taskKey } from './dynamo-schema.js';
import type { TaskChange } from './dynamo-task-change.js';

/** Transactions one call sends before tasks that keep changing under it give up (as completeTask). */
const TRIES = 5;

export async function completeMany(
  ctx: DynamoContext, jobId: string, completions: readonly TaskCompletion[], guesses: readonly (TaskRecord | null)[], io: Io,
): Promise<CompleteResult[]> {
  if (completions.length > MAX_TASK_BATCH) throw tooManyClaims(jobId, completions.length, MAX_TASK_BATCH);
  const results: (CompleteResult | undefined)[] = completions.map(() => undefined);
  const current = new Map<number, TaskRecord | null>(); // by index in `completions`
  const seen = new Set<number>();
  completions.forEach((c, i) => {
    const refused = refusal(jobId, c, seen);
    if (refused) results[i] = refused;
    else current.set(i, guesses[i] ?? null);
  });
  await readUnknown(ctx, jobId, completions, current, io);
  let open = [...current.keys()];
  for (let round = 1; open.length > 0; round++) {
    const changes: { i: number; change: TaskChange }[] = [];
    for (const i of open) {
      const { taskId, lease, outcome } = completions[i] as TaskCompletion;
      const task = current.get(i) ?? null;
      if (holds(task, lease)) changes.push({ i, change: completeChange(ctx, task, outcome) });
      else results[i] = lost(jobId, taskId, task, lease);
    }
    if (changes.length === 0) break;
    const counters = counterUpdate(ctx.table, jobId, sumDeltas(changes.map((c) => c.change.delta)));
    const res = await transact(ctx, [...changes.map((c) => c.change.tx), counters], io);
    if (res.ok) {
      for (const { i, change } of changes) results[i] = change.after;
      break;
    }
    if (res.reasons[changes.length]?.code === 'ConditionalCheckFailed') throw noJob(jobId);
    const codes = res.reasons.map((r) => r.code);
    if (!codes.every(isRaceCode) || round >= TRIES) throw txFailed(ctx.what, codes, jobId);
    changes.forEach(({ i }, k) => {
      const r = res.reasons[k];
      if (r?.code === 'ConditionalCheckFailed') current.set(i, r.item ? toTaskRecord(r.item, ctx.what) : null);
    });
    open = changes.map((c) => c.i);
  }
  return results as CompleteResult[];
}

/** Why a completion is refused before anything is read: an oversized inline output, or its task listed again. */
function refusal(jobId: string, c: TaskCompletion, seen: Set<number>): DjcError | null {
  try {
    checkedInlineOutput(c.outcome, { jobId, taskId: c.taskId });
  } catch (e) {
    return e as DjcError;
  }
  if (seen.has(c.taskId)) return leaseLost(jobId, c.taskId, { status: null, attempts: null, owner: null, lease: c.lease, repeated: true });
  seen.add(c.taskId);
  return null;
}

/** Reads, in one BatchGetItem, the tasks of the completions without a guess. */
async function readUnknown(
  ctx: DynamoContext, jobId: string, completions: readonly TaskCompletion[], current: Map<number, TaskRecord | null>, io: Io,
): Promise<void> {
  const unknown = [...current].filter(([i, t]) => t === null && isTaskId((completions[i] as TaskCompletion).taskId)).map(([i]) => i);
  if (unknown.length === 0) return;
  const items = await batchGet(ctx, unknown.map((i) => taskKey(jobId, (completions[i] as TaskCompletion).taskId)), io);
  const byId = new Map(items.map((item) => {
    const t = toTaskRecord(item, ctx.what);
    return [t.taskId, t] as const;
  }));
  for (const i of unknown) current.set(i, byId.get((completions[i] as TaskCompletion).taskId) ?? null);
}

function holds(task: TaskRecord | null, lease: LeaseRef): task is TaskRecord {
  return task !== null && task.status === 'RUNNING' && task.leaseOwner === lease.owner && task.attempts === lease.attempt;
}

function lost(jobId: string, taskId: number, task: TaskRecord | null, lease: LeaseRef): DjcError {
  return leaseLost(jobId, taskId, { status: task?.status ?? null, attempts: task?.attempts ?? null, owner: task?.leaseOwner ?? null, lease });
}
