/**
 * Task items: idempotent bulk insert (prepare) and reads. putTasks never
 * overwrites a task: existing ids are found with one key-only Query and
 * skipped, and the rest are written as conditional Puts
 * (`attribute_not_exists(pk)`), 99 per transaction with the counter ADD of
 * exactly the tasks that transaction inserts (see dynamo-bulk-tx.ts).
 */
import type { BatchDescriptor } from '../../model/batch.js';
import type { TaskRecord } from '../../model/job.js';
import type { ListTasksOptions, ReusedTask, TaskOutputRef } from '../../ports/state-store.js';
import { applyBulk, type BulkOp } from './dynamo-bulk-tx.js';
import { badTaskId, noJob } from './dynamo-errors.js';
import { ExprBuilder } from './dynamo-expressions.js';
import { newTaskItem, reusedTaskItem, toTaskOutput, toTaskRecord } from './dynamo-items.js';
import type { DynamoJobOps } from './dynamo-job-ops.js';
import { getItem, queryPages, type DynamoContext, type Io, type QueryInput } from './dynamo-request.js';
import { isTaskId, jobPk, MAX_TASK_ID, taskKey, taskSk } from './dynamo-schema.js';

export class DynamoTaskOps {
  constructor(private readonly ctx: DynamoContext, private readonly jobs: DynamoJobOps) {}

  /** Inserts the tasks that do not exist yet; returns how many it inserted. */
  async put(jobId: string, batches: readonly BatchDescriptor[], io: Io): Promise<number> {
    const unique = new Map<number, BatchDescriptor>();
    for (const b of batches) {
      if (!isTaskId(b.index)) throw badTaskId(jobId, b.index);
      if (!unique.has(b.index)) unique.set(b.index, b);
    }
    const ids = [...unique.keys()];
    const existing = ids.length > 0 ? await this.existingIds(jobId, Math.min(...ids), Math.max(...ids), io) : new Set<number>();
    const ops = [...unique.values()].filter((b) => !existing.has(b.index)).map((b) => this.insertOp(jobId, b));
    if (ops.length === 0) {
      if ((await this.jobs.status(jobId, io)) === null) throw noJob(jobId);
      return 0;
    }
    return (await applyBulk(this.ctx, jobId, ops, io)).length;
  }

  /** Inserts SUCCEEDED tasks with their earlier outputs (per-batch re-use), those that do not exist yet; returns how many it inserted. */
  async putReused(jobId: string, tasks: readonly ReusedTask[], io: Io): Promise<number> {
    const unique = new Map<number, ReusedTask>();
    for (const t of tasks) {
      if (!isTaskId(t.batch.index)) throw badTaskId(jobId, t.batch.index);
      if (!unique.has(t.batch.index)) unique.set(t.batch.index, t);
    }
    const ids = [...unique.keys()];
    const existing = ids.length > 0 ? await this.existingIds(jobId, Math.min(...ids), Math.max(...ids), io) : new Set<number>();
    const endedAt = new Date().toISOString();
    const ops = [...unique.values()].filter((t) => !existing.has(t.batch.index)).map((t) => this.reusedOp(jobId, t, endedAt));
    if (ops.length === 0) {
      if ((await this.jobs.status(jobId, io)) === null) throw noJob(jobId);
      return 0;
    }
    return (await applyBulk(this.ctx, jobId, ops, io)).length;
  }

  private reusedOp(jobId: string, { batch, from }: ReusedTask, endedAt: string): BulkOp<number> {
    return {
      tx: { Put: { TableName: this.ctx.table, Item: reusedTaskItem(jobId, batch, from, endedAt), ConditionExpression: 'attribute_not_exists(pk)' } },
      delta: { total: 1, succeeded: 1, processed: from.records ?? 0, bad: from.bad ?? 0 },
      result: batch.index,
      retry: () => null, // it exists now: another writer inserted it (and counted it)
    };
  }

  private insertOp(jobId: string, batch: BatchDescriptor): BulkOp<number> {
    return {
      tx: { Put: { TableName: this.ctx.table, Item: newTaskItem(jobId, batch), ConditionExpression: 'attribute_not_exists(pk)' } },
      delta: { total: 1, pending: 1 },
      result: batch.index,
      retry: () => null, // it exists now: another writer inserted it (and counted it)
    };
  }

  /** Ids of the job's tasks in [from, to], read consistently (keys only). */
  private async existingIds(jobId: string, from: number, to: number, io: Io): Promise<Set<number>> {
    const input: QueryInput = {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': jobPk(jobId), ':from': taskSk(from), ':to': taskSk(to) },
      ProjectionExpression: 'task_id',
      ConsistentRead: true,
    };
    const ids = new Set<number>();
    for await (const page of queryPages(this.ctx, input, io)) for (const i of page) ids.add(Number(i.task_id));
    return ids;
  }

  async get(jobId: string, taskId: number, io: Io): Promise<TaskRecord | null> {
    if (!isTaskId(taskId)) return null;
    const item = await getItem(this.ctx, taskKey(jobId, taskId), io);
    return item ? toTaskRecord(item, this.ctx.what) : null;
  }

  /** Tasks with id > after, in id order, optionally of one status, at most `limit`. */
  async list(jobId: string, opts: ListTasksOptions, io: Io): Promise<TaskRecord[]> {
    const limit = opts.limit ?? Number.POSITIVE_INFINITY;
    const from = Math.max(0, Math.floor(opts.after ?? -1) + 1);
    const out: TaskRecord[] = [];
    if (limit <= 0 || from > MAX_TASK_ID) return out;
    for await (const page of queryPages(this.ctx, listInput(jobId, from, limit, opts), io)) {
      for (const item of page) out.push(toTaskRecord(item, this.ctx.what));
      if (out.length >= limit) break;
    }
    return out.slice(0, limit);
  }

  /** The outputs of SUCCEEDED tasks with id > after, in id order, at most `limit`: only those attributes are read. */
  async listOutputs(jobId: string, opts: Omit<ListTasksOptions, 'status'>, io: Io): Promise<TaskOutputRef[]> {
    const limit = opts.limit ?? Number.POSITIVE_INFINITY;
    const from = Math.max(0, Math.floor(opts.after ?? -1) + 1);
    const out: TaskOutputRef[] = [];
    if (limit <= 0 || from > MAX_TASK_ID) return out;
    for await (const page of queryPages(this.ctx, listInput(jobId, from, limit, { status: 'SUCCEEDED' }, OUTPUT_ATTRIBUTES), io)) {
      for (const item of page) out.push(toTaskOutput(item, this.ctx.what));
      if (out.length >= limit) break;
    }
    return out.slice(0, limit);
  }
}

const OUTPUT_ATTRIBUTES = ['task_id', 'output_key', 'output_inline', 'output_kind'] as const;

function listInput(jobId: string, from: number, limit: number, opts: ListTasksOptions, only?: readonly string[]): QueryInput {
  const b = new ExprBuilder();
  const projection = only?.map((a) => b.name(a)).join(', ');
  const key = `${b.name('pk')} = ${b.value(jobPk(jobId))} AND ${b.name('sk')} BETWEEN ${b.value(taskSk(from))} AND ${b.value(taskSk(MAX_TASK_ID))}`;
  const filter = opts.status ? b.eq('status', opts.status) : undefined;
  // Limit counts items read before the filter: read a few pages' worth when filtering.
  const pageSize = Number.isFinite(limit) ? Math.min(1_000, filter ? Math.max(100, limit * 4) : limit) : undefined;
  return {
    KeyConditionExpression: key,
    ...(filter ? { FilterExpression: filter } : {}),
    ...(projection ? { ProjectionExpression: projection } : {}),
    ...b.params(),
    ConsistentRead: true,
    ...(pageSize ? { Limit: pageSize } : {}),
  };
}
