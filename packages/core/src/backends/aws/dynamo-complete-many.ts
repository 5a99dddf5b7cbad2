/**
 * completeTasks on DynamoDB: one TransactWriteItems for up to MAX_TASK_BATCH
 * ends and starts [an Update per task guarded by its lease (status as read,
 * RUNNING or CLAIMED; owner; attempt), as completeTask's; a start needs
 * CLAIMED; ONE Update of the job's counters with the sum of the moves],
 * plus one BatchGetItem for the tasks this store did not claim itself
 * (`guesses`: the records its claims and starts wrote). Tasks whose guard
 * failed are re-checked against the images that won (ALL_OLD): a lease that
 * no longer holds is LEASE_LOST for that task alone, a stale guess is
 * retried; a cancelled transaction applied nothing, so nothing is counted
 * twice.
 */
import type { DjcError } from '../../errors.js';
import type { TaskRecord } from '../../model/job.js';
import { LEASED_TASK } from '../../model/status.js';
import { MAX_TASK_BATCH, type CompleteResult, type LeaseRef, type LeaseWrite } from '../../ports/state-store.js';
import { checkedInlineOutput } from '../inline-output.js';
import { tooManyClaims } from '../store-errors.js';
import { counterUpdate, sumDeltas } from './dynamo-counters.js';
import { isRaceCode, leaseLost, noJob, txFailed } from './dynamo-errors.js';
import { toTaskRecord } from './dynamo-items.js';
import { completeChange, startChange } from './dynamo-lease-changes.js';
import { batchGet, transact, type DynamoContext, type Io } from './dynamo-request.js';
import { isTaskId, taskKey } from './dynamo-schema.js';
import type { TaskChange } from './dynamo-task-change.js';
import { leaseSlotOf } from '../lease-slot.js';

/** Transactions one call sends before tasks that keep changing under it give up (as completeTask). */
const TRIES = 5;

export async function completeMany(
  ctx: DynamoContext, jobId: string, completions: readonly LeaseWrite[], guesses: readonly (TaskRecord | null)[], io: Io,
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
      const w = completions[i] as LeaseWrite;
      const task = current.get(i) ?? null;
      if (!holds(task, w)) results[i] = lost(jobId, w.taskId, task, w.lease);
      else {
        const slot = leaseSlotOf(task, w.lease) ?? 'lease';
        changes.push({ i, change: w.outcome === undefined ? startChange(ctx, task, w.startedAt) : completeChange(ctx, task, w.outcome, w.startedAt, slot) });
      }
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

/** Why a write is refused before anything is read: an oversized inline output, or its task listed again. */
function refusal(jobId: string, c: LeaseWrite, seen: Set<number>): DjcError | null {
  try {
    if (c.outcome !== undefined) checkedInlineOutput(c.outcome, { jobId, taskId: c.taskId });
  } catch (e) {
    return e as DjcError;
  }
  if (seen.has(c.taskId)) return leaseLost(jobId, c.taskId, { status: null, attempts: null, owner: null, lease: c.lease, repeated: true });
  seen.add(c.taskId);
  return null;
}

/** Reads, in one BatchGetItem, the tasks of the writes without a guess. */
async function readUnknown(
  ctx: DynamoContext, jobId: string, completions: readonly LeaseWrite[], current: Map<number, TaskRecord | null>, io: Io,
): Promise<void> {
  const unknown = [...current].filter(([i, t]) => t === null && isTaskId((completions[i] as LeaseWrite).taskId)).map(([i]) => i);
  if (unknown.length === 0) return;
  const items = await batchGet(ctx, unknown.map((i) => taskKey(jobId, (completions[i] as LeaseWrite).taskId)), io);
  const byId = new Map(items.map((item) => {
    const t = toTaskRecord(item, ctx.what);
    return [t.taskId, t] as const;
  }));
  for (const i of unknown) current.set(i, byId.get((completions[i] as LeaseWrite).taskId) ?? null);
}

/**
 * `w`'s lease holds `task`: RUNNING or CLAIMED for an end, CLAIMED for a
 * start; same owner and attempt (the task's lease, or for an end its
 * speculative copy's).
 */
function holds(task: TaskRecord | null, w: LeaseWrite): task is TaskRecord {
  const slot = leaseSlotOf(task, w.lease);
  if (task === null || slot === null) return false;
  return w.outcome === undefined ? task.status === 'CLAIMED' && slot === 'lease' : LEASED_TASK.has(task.status);
}

function lost(jobId: string, taskId: number, task: TaskRecord | null, lease: LeaseRef): DjcError {
  return leaseLost(jobId, taskId, { status: task?.status ?? null, attempts: task?.attempts ?? null, owner: task?.leaseOwner ?? null, lease });
}
