/**
 * claimTasks on DynamoDB: 2 requests for up to MAX_TASK_BATCH tasks
 * (claimTask pays 2 for one) — a consistent BatchGetItem of the tasks, then
 * one TransactWriteItems [an Update per claimable task (→ RUNNING for the
 * first `req.start` positions, else → CLAIMED), guarded by the
 * status, attempts and attempt_floor read, as claimTask's; ONE Update of the
 * job's counters with the sum of the moves, guarded by "not
 * cancel_requested, not terminal"]. When guards fail, those tasks are
 * re-checked against the images that won (ALL_OLD) and the transaction is
 * sent again with the tasks still claimable; a cancelled transaction applied
 * nothing, so nothing is counted twice. A refused job item refuses them all.
 */
import { ConflictError } from '../../errors.js';
import type { TaskRecord } from '../../model/job.js';
import { MAX_TASK_BATCH, type ClaimRequest, type ClaimResult } from '../../ports/state-store.js';
import { repeatedClaim, tooManyClaims } from '../store-errors.js';
import { counterUpdate, sumDeltas } from './dynamo-counters.js';
import { isRaceCode, txFailed } from './dynamo-errors.js';
import { toTaskRecord } from './dynamo-items.js';
import { checkClaimable, claimChange, jobRefused } from './dynamo-lease-changes.js';
import { batchGet, transact, type DynamoContext, type Io } from './dynamo-request.js';
import { isTaskId, taskKey } from './dynamo-schema.js';
import type { TaskChange } from './dynamo-task-change.js';

/** Transactions one call sends before tasks that keep changing under it give up (as claimTask). */
const TRIES = 5;

export async function claimMany(ctx: DynamoContext, jobId: string, taskIds: readonly number[], req: ClaimRequest, io: Io): Promise<ClaimResult[]> {
  if (taskIds.length > MAX_TASK_BATCH) throw tooManyClaims(jobId, taskIds.length, MAX_TASK_BATCH);
  const now = req.now ?? Date.now();
  const ids = [...new Set(taskIds)];
  // By position: the first `start` ids start now (a repeated id is refused anyway).
  const starting = new Set(taskIds.slice(0, req.start ?? taskIds.length));
  const current = new Map<number, TaskRecord | null>(ids.map((id) => [id, null]));
  for (const item of await batchGet(ctx, ids.filter(isTaskId).map((id) => taskKey(jobId, id)), io)) {
    const task = toTaskRecord(item, ctx.what);
    current.set(task.taskId, task);
  }
  const results = new Map<number, ClaimResult>();
  let open = ids;
  for (let round = 1; open.length > 0; round++) {
    const changes = claimable(ctx, jobId, open, current, { ...req, now, starting }, results);
    if (changes.length === 0) break;
    const counters = counterUpdate(ctx.table, jobId, sumDeltas(changes.map((c) => c.delta)), 'claimable');
    const res = await transact(ctx, [...changes.map((c) => c.tx), counters], io);
    if (res.ok) {
      for (const c of changes) results.set(c.taskId, c.after);
      break;
    }
    const job = res.reasons[changes.length];
    if (job?.code === 'ConditionalCheckFailed') {
      for (const c of changes) results.set(c.taskId, jobRefused(jobId, c.taskId, current.get(c.taskId) as TaskRecord, job.item));
      break;
    }
    const codes = res.reasons.map((r) => r.code);
    if (!codes.every(isRaceCode) || round >= TRIES) throw txFailed(ctx.what, codes, jobId);
    changes.forEach((c, i) => {
      const r = res.reasons[i];
      if (r?.code === 'ConditionalCheckFailed') current.set(c.taskId, r.item ? toTaskRecord(r.item, ctx.what) : null);
    });
    open = changes.map((c) => c.taskId);
  }
  return taskIds.map((id, i) => {
    const result = results.get(id) as ClaimResult;
    return taskIds.indexOf(id) === i ? result : repeatedClaim(jobId, id, result);
  });
}

/** The claims to write for `ids` (RUNNING if in `req.starting`, else CLAIMED); the refused ones go to `results`. */
function claimable(
  ctx: DynamoContext, jobId: string, ids: readonly number[], current: Map<number, TaskRecord | null>,
  req: ClaimRequest & { now: number; starting: ReadonlySet<number> }, results: Map<number, ClaimResult>,
): TaskChange[] {
  const changes: TaskChange[] = [];
  for (const id of ids) {
    const task = current.get(id) ?? null;
    try {
      checkClaimable(jobId, id, task, req, req.now);
      changes.push(claimChange(ctx, task, req, req.now, req.starting.has(id)));
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      results.set(id, e);
    }
  }
  return changes;
}
