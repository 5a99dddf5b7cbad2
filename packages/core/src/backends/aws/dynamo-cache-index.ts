/**
 * The cache index (ports/cache-index.ts) in the state table; keys only,
 * never a scan (see dynamo-schema.ts):
 *
 * | item             | pk                               | sk                      |
 * | ---------------- | -------------------------------- | ----------------------- |
 * | cache entry      | `CACHE#<key>`                    | `ENTRY`                 |
 * | stage history    | `CACHESTAGE#<pipeline>#<stage>`  | `<createdAt>#<key>`     |
 * | task cache entry | `TASKCACHE#<taskKey>`            | `<batchSha256>`         |
 *
 * A stage history item is a copy of a live entry, kept in step with it in
 * the same transaction (a replaced entry's old copy is deleted), so the
 * newest entry of a stage is a Query of one partition, newest first,
 * Limit 1. Pipeline names cannot hold `#`, so the partition key is
 * unambiguous. Every item expires with the retention of the jobs it names
 * (TTL `expires_at` from its createdAt).
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { DjcError } from '../../errors.js';
import type { OutputKind } from '../../model/job.js';
import type { CacheEntry, TaskCacheEntry, TaskCacheRef } from '../../ports/cache-index.js';
import { cacheEntryOf, storedCacheEntry, type StoredCacheEntry } from '../cache-entry-parse.js';
import { ExprBuilder } from './dynamo-expressions.js';
import { batchGet, getItem, queryPages, send, sleep, transact, type DynamoContext, type Io, type Item, type TxItem } from './dynamo-request.js';
import { expiryOf, ITEM_VERSION, TTL_ATTRIBUTE } from './dynamo-schema.js';

const entryKey = (key: string) => ({ pk: `CACHE#${key}`, sk: 'ENTRY' });
const historyKey = (pipeline: string, stage: string, createdAt: string, key: string) => ({ pk: stagePk(pipeline, stage), sk: `${createdAt}#${key}` });
const stagePk = (pipeline: string, stage: string) => `CACHESTAGE#${pipeline}#${stage}`;
const taskKey = (r: TaskCacheRef) => ({ pk: `TASKCACHE#${r.taskKey}`, sk: r.batchSha256 });

const OUTPUT_KINDS = new Set<OutputKind>(['json-lines', 'json', 'raw']);

/** Tries of a put whose entry another writer replaced between our read and our write. */
const PUT_TRIES = 5;
/** Items per BatchWriteItem (DynamoDB's limit). */
const BATCH_WRITE = 25;

export class DynamoCacheIndex {
  constructor(private readonly ctx: DynamoContext) {}

  async put(entry: CacheEntry, io: Io): Promise<void> {
    const stored = storedCacheEntry(entry);
    for (let attempt = 1; ; attempt++) {
      const old = await this.getStored(entry.key, io);
      const outcome = await transact(this.ctx, this.putItems(stored, old), io);
      if (outcome.ok) return;
      if (attempt >= PUT_TRIES) {
        throw new DjcError('BACKEND_UNAVAILABLE', `${this.ctx.what}: the cache entry ${entry.key.slice(0, 12)} kept changing while it was written`, { hint: 'retry' });
      }
    }
  }

  /** Put the entry if it is still as read (`old`), put its history copy, delete the old copy. */
  private putItems(s: StoredCacheEntry, old: StoredCacheEntry | null): TxItem[] {
    const b = new ExprBuilder();
    const condition = old === null ? `attribute_not_exists(${b.name('pk')})` : b.eq('created_at', old.createdAt);
    const items: TxItem[] = [
      { Put: { TableName: this.ctx.table, Item: { ...entryKey(s.key), ...this.attrs(s) }, ConditionExpression: condition, ...b.params() } },
      { Put: { TableName: this.ctx.table, Item: { ...historyKey(s.pipeline, s.stage, s.createdAt, s.key), ...this.attrs(s) } } },
    ];
    const oldHistory = old === null ? null : historyKey(old.pipeline, old.stage, old.createdAt, old.key);
    const newHistory = historyKey(s.pipeline, s.stage, s.createdAt, s.key);
    if (oldHistory !== null && (oldHistory.pk !== newHistory.pk || oldHistory.sk !== newHistory.sk)) {
      items.push({ Delete: { TableName: this.ctx.table, Key: oldHistory } });
    }
    return items;
  }

  private attrs(s: StoredCacheEntry): Item {
    const expires = expiryOf(s.createdAt, this.ctx.retentionSeconds);
    return {
      v: ITEM_VERSION, cache_key: s.key, job_id: s.jobId, pipeline: s.pipeline, stage: s.stage, point: s.point,
      components: s.components, result: s.result, created_at: s.createdAt, ...(expires === null ? {} : { [TTL_ATTRIBUTE]: expires }),
    };
  }

  async get(key: string, io: Io): Promise<CacheEntry | null> {
    const s = await this.getStored(key, io);
    return s === null ? null : cacheEntryOf(s);
  }

  private async getStored(key: string, io: Io): Promise<StoredCacheEntry | null> {
    const item = await getItem(this.ctx, entryKey(key), io);
    return item === null ? null : storedOf(item);
  }

  /** The newest history item of the stage: one Query page of at most one item. */
  async latest(pipeline: string, stage: string, io: Io): Promise<CacheEntry | null> {
    const b = new ExprBuilder();
    const input = {
      KeyConditionExpression: b.eq('pk', stagePk(pipeline, stage)), ScanIndexForward: false, Limit: 1, ConsistentRead: true, ...b.params(),
    };
    for await (const page of queryPages(this.ctx, input, io)) {
      const item = page[0];
      const s = item === undefined ? null : storedOf(item);
      return s === null ? null : cacheEntryOf(s);
    }
    return null;
  }

  async delete(key: string, jobId: string, io: Io): Promise<boolean> {
    const old = await this.getStored(key, io);
    if (old === null || old.jobId !== jobId) return false;
    const b = new ExprBuilder();
    const outcome = await transact(this.ctx, [
      { Delete: { TableName: this.ctx.table, Key: entryKey(key), ConditionExpression: `${b.eq('job_id', jobId)} AND ${b.eq('created_at', old.createdAt)}`, ...b.params() } },
      { Delete: { TableName: this.ctx.table, Key: historyKey(old.pipeline, old.stage, old.createdAt, key) } },
    ], io);
    return outcome.ok;
  }

  async putTasks(entries: readonly TaskCacheEntry[], io: Io): Promise<void> {
    const requests = entries.map((e) => ({ PutRequest: { Item: this.taskItem(e) } }));
    for (let i = 0; i < requests.length; i += BATCH_WRITE) {
      let pending: typeof requests = requests.slice(i, i + BATCH_WRITE);
      for (let round = 0; pending.length > 0; round++) {
        if (round > 0) await sleep(Math.min(1_000, 20 * 2 ** round));
        const out = await send(this.ctx, io, (abortSignal) =>
          this.ctx.doc.send(new BatchWriteCommand({ RequestItems: { [this.ctx.table]: pending } }), { abortSignal }));
        pending = (out.UnprocessedItems?.[this.ctx.table] ?? []) as typeof requests;
      }
    }
  }

  private taskItem(e: TaskCacheEntry): Item {
    const expires = expiryOf(e.createdAt, this.ctx.retentionSeconds);
    return {
      ...taskKey(e), v: ITEM_VERSION, job_id: e.jobId, task_id: e.taskId, output_key: e.outputKey, output_inline: e.inlineOutput,
      output_kind: e.outputKind, records: e.records, bad: e.bad, created_at: e.createdAt, ...(expires === null ? {} : { [TTL_ATTRIBUTE]: expires }),
    };
  }

  async getTasks(refs: readonly TaskCacheRef[], io: Io): Promise<TaskCacheEntry[]> {
    const unique = new Map(refs.map((r) => [`${r.taskKey}\0${r.batchSha256}`, taskKey(r)]));
    const items = await batchGet(this.ctx, [...unique.values()], io);
    return items.map(taskEntryOf);
  }
}

function storedOf(item: Item): StoredCacheEntry | null {
  if (item.v !== ITEM_VERSION) return null;
  const str = (k: string) => (typeof item[k] === 'string' ? (item[k] as string) : null);
  const [key, jobId, pipeline, stage, components, result, createdAt] = ['cache_key', 'job_id', 'pipeline', 'stage', 'components', 'result', 'created_at'].map(str);
  if (!key || !jobId || !pipeline || !stage || !components || !result || !createdAt) return null;
  return { key, jobId, pipeline, stage, point: str('point'), components, result, createdAt };
}

function taskEntryOf(item: Item): TaskCacheEntry {
  const num = (k: string) => (typeof item[k] === 'number' ? (item[k] as number) : null);
  const pk = String(item.pk);
  return {
    taskKey: pk.slice('TASKCACHE#'.length), batchSha256: String(item.sk), jobId: String(item.job_id), taskId: num('task_id') ?? 0,
    outputKey: typeof item.output_key === 'string' ? item.output_key : null,
    inlineOutput: item.output_inline instanceof Uint8Array ? new Uint8Array(item.output_inline) : null,
    outputKind: OUTPUT_KINDS.has(item.output_kind as OutputKind) ? (item.output_kind as OutputKind) : null,
    records: num('records'), bad: num('bad'), createdAt: String(item.created_at),
  };
}
