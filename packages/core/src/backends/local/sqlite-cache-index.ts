/**
 * The cache index (ports/cache-index.ts) in the local SQLite file: one row
 * per cache key in `cache_entries` (the newest per pipeline and stage found
 * through `cache_entries_by_stage`), one per re-usable task output in
 * `task_cache`. Every write is one statement, so atomic on its own.
 */
import type { CacheEntry, TaskCacheEntry, TaskCacheRef } from '../../ports/cache-index.js';
import type { OutputKind } from '../../model/job.js';
import { cacheEntryOf, storedCacheEntry } from '../cache-entry-parse.js';
import type { Db } from './db.js';
import type { Statement } from './sqlite-driver.js';

interface EntryRow {
  cache_key: string;
  job_id: string;
  pipeline: string;
  stage: string;
  point: string | null;
  components: string;
  result: string;
  created_at: string;
}

interface TaskRow {
  task_key: string;
  batch_sha256: string;
  job_id: string;
  task_id: number;
  output_key: string | null;
  output_inline: Uint8Array | null;
  output_kind: OutputKind | null;
  records: number | null;
  bad: number | null;
  created_at: string;
}

export class SqliteCacheIndex {
  private readonly put: Statement;
  private readonly get: Statement;
  private readonly latest: Statement;
  private readonly remove: Statement;
  private readonly putTask: Statement;
  private readonly getTask: Statement;

  constructor(db: Db) {
    this.put = db.prepare(`INSERT OR REPLACE INTO cache_entries (cache_key, job_id, pipeline, stage, point, components, result, created_at)
      VALUES (@key, @jobId, @pipeline, @stage, @point, @components, @result, @createdAt)`);
    this.get = db.prepare('SELECT * FROM cache_entries WHERE cache_key = ?');
    this.latest = db.prepare('SELECT * FROM cache_entries WHERE pipeline = ? AND stage = ? ORDER BY created_at DESC LIMIT 1');
    this.remove = db.prepare('DELETE FROM cache_entries WHERE cache_key = ? AND job_id = ?');
    this.putTask = db.prepare(`INSERT OR REPLACE INTO task_cache
      (task_key, batch_sha256, job_id, task_id, output_key, output_inline, output_kind, records, bad, created_at)
      VALUES (@taskKey, @batchSha256, @jobId, @taskId, @outputKey, @outputInline, @outputKind, @records, @bad, @createdAt)`);
    this.getTask = db.prepare('SELECT * FROM task_cache WHERE task_key = ? AND batch_sha256 = ?');
  }

  putEntry(e: CacheEntry): void {
    this.put.run(storedCacheEntry(e));
  }

  getEntry(key: string): CacheEntry | null {
    return entryOf(this.get.get(key) as EntryRow | undefined);
  }

  latestEntry(pipeline: string, stage: string): CacheEntry | null {
    return entryOf(this.latest.get(pipeline, stage) as EntryRow | undefined);
  }

  deleteEntry(key: string, jobId: string): boolean {
    return this.remove.run(key, jobId).changes > 0;
  }

  putTaskEntries(entries: readonly TaskCacheEntry[]): void {
    for (const e of entries) {
      this.putTask.run({
        taskKey: e.taskKey, batchSha256: e.batchSha256, jobId: e.jobId, taskId: e.taskId, outputKey: e.outputKey,
        outputInline: e.inlineOutput === null ? null : Buffer.from(e.inlineOutput), outputKind: e.outputKind,
        records: e.records, bad: e.bad, createdAt: e.createdAt,
      });
    }
  }

  getTaskEntries(refs: readonly TaskCacheRef[]): TaskCacheEntry[] {
    const found: TaskCacheEntry[] = [];
    for (const r of refs) {
      const row = this.getTask.get(r.taskKey, r.batchSha256) as TaskRow | undefined;
      if (row) found.push(taskEntryOf(row));
    }
    return found;
  }
}

function entryOf(row: EntryRow | undefined): CacheEntry | null {
  if (!row) return null;
  return cacheEntryOf({
    key: row.cache_key, jobId: row.job_id, pipeline: row.pipeline, stage: row.stage, point: row.point,
    components: row.components, result: row.result, createdAt: row.created_at,
  });
}

function taskEntryOf(row: TaskRow): TaskCacheEntry {
  return {
    taskKey: row.task_key, batchSha256: row.batch_sha256, jobId: row.job_id, taskId: row.task_id,
    outputKey: row.output_key, inlineOutput: row.output_inline === null ? null : new Uint8Array(row.output_inline),
    outputKind: row.output_kind, records: row.records, bad: row.bad, createdAt: row.created_at,
  };
}
