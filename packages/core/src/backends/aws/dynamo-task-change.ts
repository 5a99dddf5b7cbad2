/**
 * One task write as a transaction item: a patch of the task's attributes,
 * guarded by a condition on the state that was read, with the record it
 * produces and the counter move it implies. Every status change is checked
 * against the transition table here, before anything is written, and sets
 * the task's TTL in the same write: `expires_at` = end + retention on a move
 * to a terminal status, removed on any other move (dynamo-schema.ts).
 */
import type { AttemptUsage, CopyLease, SpeculationState, TaskRecord } from '../../model/job.js';
import { capError } from '../../util/cap-text.js';
import { assertTaskTransition, LEASED_TASK, TERMINAL_TASK, type TaskStatus } from '../../model/status.js';
import { addMove, type CountDelta } from './dynamo-counters.js';
import { UpdateBuilder, type ExprBuilder } from './dynamo-expressions.js';
import type { DynamoContext, TxItem } from './dynamo-request.js';
import { expiryOf, expirySk, runningPk, taskKey, TTL_ATTRIBUTE } from './dynamo-schema.js';

/** What a task write needs of the store: the table and the retention of finished items. */
export type TaskTable = Pick<DynamoContext, 'table' | 'retentionSeconds'>;

type PatchableField =
  | 'status' | 'attempts' | 'attemptFloor' | 'leaseOwner' | 'leaseExpiresAt' | 'notBefore' | 'worker'
  | 'error' | 'exitCode' | 'outputKey' | 'inlineOutput' | 'outputKind' | 'records' | 'bad' | 'claimedAt' | 'startedAt' | 'endedAt';

/** Fields to set (a value) or clear (null); `failureKind` is stored but not part of the record; `usage` null removes it. */
export type TaskPatch = Partial<Pick<TaskRecord, PatchableField>> & {
  failureKind?: string | null;
  usage?: AttemptUsage | null;
  /** Speculative copies (null removes each). */
  leaseAttempt?: number | null;
  copy?: CopyLease | null;
  speculation?: SpeculationState | null;
};

const ATTR: Record<keyof TaskPatch, string> = {
  status: 'status', attempts: 'attempts', attemptFloor: 'attempt_floor', leaseOwner: 'lease_owner',
  leaseExpiresAt: 'lease_expires_at', notBefore: 'not_before', worker: 'worker', error: 'error',
  exitCode: 'exit_code', outputKey: 'output_key', inlineOutput: 'output_inline', outputKind: 'output_kind', records: 'records', bad: 'bad', claimedAt: 'claimed_at', startedAt: 'started_at',
  endedAt: 'ended_at', failureKind: 'failure_kind', usage: 'usage',
  leaseAttempt: 'lease_attempt', copy: 'copy', speculation: 'speculation',
};

/** What the task must still look like for the write to apply. */
export interface TaskGuard {
  /** Its status, or one of these. */
  status: TaskStatus | readonly TaskStatus[];
  attempts?: number;
  attemptFloor?: number;
  leaseOwner?: string;
  /** A further condition, built with the same placeholders. */
  extra?: (b: ExprBuilder) => string;
}

export interface TaskChange {
  taskId: number;
  from: TaskStatus;
  to: TaskStatus;
  tx: TxItem;
  /** The task as the write leaves it. */
  after: TaskRecord;
  delta: CountDelta;
}

/**
 * A status change of `task` (checked against the transition table), as a
 * guarded transaction item; `records` are added to the job's record counts.
 * `via`: a status passed through in the same write (a held task's start
 * written with its end: CLAIMED → RUNNING → outcome); both steps are checked.
 */
export function taskChange(
  ctx: TaskTable, task: TaskRecord, patch: TaskPatch & { status: TaskStatus }, guard: TaskGuard,
  records: Pick<CountDelta, 'processed' | 'bad'> = {}, via?: TaskStatus,
): TaskChange {
  const { jobId, taskId } = task;
  if (patch.error !== undefined) patch = { ...patch, error: capError(patch.error) };
  if (via !== undefined) assertTaskTransition(task.status, via, { jobId, taskId });
  assertTaskTransition(via ?? task.status, patch.status, { jobId, taskId });
  const delta = addMove(Object.fromEntries(Object.entries(records).filter(([, n]) => n !== 0)), task.status, patch.status);
  return { taskId, from: task.status, to: patch.status, tx: taskUpdate(ctx, jobId, taskId, patch, guard), after: applyPatch(task, patch), delta };
}

/** The guarded Update of one task item (no counters); ALL_OLD on a failed condition. */
export function taskUpdate(ctx: TaskTable, jobId: string, taskId: number, patch: TaskPatch, guard: TaskGuard): TxItem {
  const b = new UpdateBuilder();
  for (const [field, v] of Object.entries(patch) as [keyof TaskPatch, unknown][]) b.set(ATTR[field], v);
  if (patch.status !== undefined && !LEASED_TASK.has(patch.status)) {
    b.remove('gsi3pk').remove('gsi3sk');
  } else if (patch.leaseExpiresAt != null) {
    b.set('gsi3pk', runningPk(jobId)).set('gsi3sk', expirySk(patch.leaseExpiresAt));
  }
  if (patch.status !== undefined) {
    b.set(TTL_ATTRIBUTE, TERMINAL_TASK.has(patch.status) ? expiryOf(patch.endedAt, ctx.retentionSeconds) : null);
  }
  return {
    Update: {
      TableName: ctx.table,
      Key: taskKey(jobId, taskId),
      ...b.input(guardCondition(b, guard)),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

function guardCondition(b: ExprBuilder, g: TaskGuard): string {
  const parts = [typeof g.status === 'string' ? b.eq('status', g.status) : b.in('status', [...g.status])];
  if (g.attempts !== undefined) parts.push(b.eq('attempts', g.attempts));
  if (g.attemptFloor !== undefined) parts.push(b.eq('attempt_floor', g.attemptFloor));
  if (g.leaseOwner !== undefined) parts.push(b.eq('lease_owner', g.leaseOwner));
  if (g.extra) parts.push(`(${g.extra(b)})`);
  return parts.join(' AND ');
}

/** The record after the patch. */
export function applyPatch(task: TaskRecord, patch: TaskPatch): TaskRecord {
  const { failureKind: _kind, ...fields } = patch;
  const out: TaskRecord = { ...task };
  for (const [k, v] of Object.entries(fields)) {
    if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  }
  if (out.usage === null) delete out.usage;
  for (const k of ['leaseAttempt', 'copy', 'speculation'] as const) if (out[k] === null) delete out[k];
  return out;
}
