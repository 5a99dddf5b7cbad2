/**
 * StateStore contract, the pipeline cache index (ports/cache-index.ts):
 * entries by key, the newest entry of a stage, conditional removal, and
 * task cache entries by (task key, batch sha256).
 */
import { describe, expect, it } from 'vitest';
import type { CacheEntry, TaskCacheEntry } from '../ports/cache-index.js';
import type { StateStore } from '../ports/state-store.js';
import type { CacheComponents } from '../pipeline/cache-components.js';
import { rejectionOf, testBatches, testJob } from './fixtures.js';
import { expectDjcError } from './contract-harness.js';

let seq = 0;
/** A unique sha256-like hex string, so cases never see each other's entries on a shared table. */
function hex(): string {
  seq += 1;
  return `${Date.now().toString(16)}${process.pid.toString(16)}${seq.toString(16)}`.padEnd(64, '0').slice(0, 64);
}

function components(over: Partial<CacheComponents> = {}): CacheComponents {
  return {
    v: 1,
    handler: { kind: 'module', entry: '/p/clean.ts', export: 'clean', files: [{ path: '/p/clean.ts', sha256: 'a'.repeat(64) }], packages: { zod: '4.0.0' } },
    reducer: null,
    settings: { 'input.batch.records': 5000, 'input.format': 'jsonl', 'handler.env.X': '1' },
    params: { min_len: 3 },
    point: null,
    input: { kind: 'files', checksum: false, files: [{ path: '/p/a.jsonl', size: 10, mtimeMs: 1.5 }] },
    ...over,
  };
}

function entry(over: Partial<CacheEntry> = {}): CacheEntry {
  return {
    key: hex(), jobId: `job-${hex().slice(0, 8)}`, pipeline: 'reviews', stage: 'clean', point: null,
    components: components(), result: { blobKey: 'jobs/x/result', sha256: 'f'.repeat(64), bytes: 12 },
    createdAt: '2026-12-01T10:00:00.000Z', ...over,
  };
}

function taskEntry(over: Partial<TaskCacheEntry> = {}): TaskCacheEntry {
  return {
    taskKey: 't'.repeat(64), batchSha256: hex(), jobId: 'job-t', taskId: 0, outputKey: 'jobs/job-t/outputs/00000000.1',
    inlineOutput: null, outputKind: 'json-lines', records: 10, bad: 0, createdAt: '2026-12-01T10:00:00.000Z', ...over,
  };
}

export function describeCacheCases(store: () => StateStore): void {
  describe('cache index', () => {
    it('putCacheEntry then getCacheEntry gives the entry back, components and all; an unknown key is null', async () => {
      const e = entry({ stage: 'train[lr=0.1,name=a#b]', point: { lr: 0.1, name: 'a#b', deep: true }, components: components({ point: { lr: 0.1, name: 'a#b', deep: true } }) });
      await store().putCacheEntry(e);
      expect(await store().getCacheEntry(e.key)).toEqual(e);
      expect(await store().getCacheEntry(hex())).toBeNull();
    });

    it('a put under an existing key replaces the entry (the newest run that computed a key is re-used)', async () => {
      const first = entry();
      await store().putCacheEntry(first);
      const second = { ...first, jobId: 'job-second', createdAt: '2026-12-01T11:00:00.000Z' };
      await store().putCacheEntry(second);
      await store().putCacheEntry(second);
      expect(await store().getCacheEntry(first.key)).toEqual(second);
    });

    it('latestCacheEntry is the newest entry of that pipeline and stage, whatever its key', async () => {
      const pipeline = `p-${hex().slice(0, 10)}`;
      const old = entry({ pipeline, createdAt: '2026-12-01T10:00:00.000Z' });
      const newest = entry({ pipeline, createdAt: '2026-12-01T12:00:00.000Z', components: components({ params: { min_len: 4 } }) });
      const between = entry({ pipeline, createdAt: '2026-12-01T11:00:00.000Z' });
      for (const e of [old, newest, between]) await store().putCacheEntry(e);
      await store().putCacheEntry(entry({ pipeline, stage: 'stats', createdAt: '2026-12-02T00:00:00.000Z' }));
      await store().putCacheEntry(entry({ pipeline: `${pipeline}x`, createdAt: '2026-12-02T00:00:00.000Z' }));
      expect(await store().latestCacheEntry(pipeline, 'clean')).toEqual(newest);
      expect((await store().latestCacheEntry(pipeline, 'stats'))?.stage).toBe('stats');
      expect(await store().latestCacheEntry(pipeline, 'report')).toBeNull();
      expect(await store().latestCacheEntry(`${pipeline}-other`, 'clean')).toBeNull();
    });

    it('latestCacheEntry follows replaced and deleted entries: it never answers with a copy of an entry that is gone', async () => {
      const pipeline = `p-${hex().slice(0, 10)}`;
      const a = entry({ pipeline, createdAt: '2026-12-01T10:00:00.000Z' });
      const b = entry({ pipeline, createdAt: '2026-12-01T11:00:00.000Z' });
      await store().putCacheEntry(a);
      await store().putCacheEntry(b);
      const aAgain = { ...a, jobId: 'job-a2', createdAt: '2026-12-01T12:00:00.000Z' };
      await store().putCacheEntry(aAgain);
      expect(await store().latestCacheEntry(pipeline, 'clean')).toEqual(aAgain);
      expect(await store().deleteCacheEntry(a.key, 'job-a2')).toBe(true);
      expect(await store().latestCacheEntry(pipeline, 'clean')).toEqual(b);
      expect(await store().deleteCacheEntry(b.key, b.jobId)).toBe(true);
      expect(await store().latestCacheEntry(pipeline, 'clean')).toBeNull();
    });

    it('deleteCacheEntry removes the entry only while it names that job', async () => {
      const e = entry();
      await store().putCacheEntry(e);
      expect(await store().deleteCacheEntry(e.key, 'job-someone-else')).toBe(false);
      expect(await store().getCacheEntry(e.key)).toEqual(e);
      expect(await store().deleteCacheEntry(e.key, e.jobId)).toBe(true);
      expect(await store().getCacheEntry(e.key)).toBeNull();
      expect(await store().deleteCacheEntry(e.key, e.jobId)).toBe(false);
    });

    it('refuses components too large to index, alike on every backend (CONFIG_INVALID), and stores nothing', async () => {
      const files = Array.from({ length: 4000 }, (_, i) => ({ path: `/p/generated/module-${i}.ts`, sha256: 'a'.repeat(64) }));
      const e = entry({ components: components({ handler: { kind: 'module', entry: '/p/h.ts', export: 'default', files, packages: {} } }) });
      const err = expectDjcError(await rejectionOf(store().putCacheEntry(e)), 'CONFIG_INVALID');
      expect(err.message).toContain('over 300 KiB');
      expect(await store().getCacheEntry(e.key)).toBeNull();
    });

    it('task cache entries: put many, get by (task key, batch sha256), missing ones left out, inline bytes intact', async () => {
      const taskKey = hex();
      const entries = Array.from({ length: 60 }, (_, i) => taskEntry({ taskKey, taskId: i, records: i }));
      entries[3] = { ...entries[3] as TaskCacheEntry, outputKey: null, inlineOutput: new Uint8Array([0, 1, 2, 255]), outputKind: 'raw' };
      entries[4] = { ...entries[4] as TaskCacheEntry, outputKey: null, inlineOutput: null, outputKind: null, records: null, bad: null };
      await store().putTaskCacheEntries(entries);
      const wanted = [entries[0], entries[3], entries[4], entries[59]] as TaskCacheEntry[];
      const refs = [...wanted.map((e) => ({ taskKey, batchSha256: e.batchSha256 })), { taskKey, batchSha256: hex() }, { taskKey: hex(), batchSha256: entries[1]?.batchSha256 as string }];
      const found = (await store().getTaskCacheEntries(refs)).sort((x, y) => x.taskId - y.taskId);
      expect(found.map((f) => ({ ...f, inlineOutput: f.inlineOutput === null ? null : [...f.inlineOutput] })))
        .toEqual(wanted.map((w) => ({ ...w, inlineOutput: w.inlineOutput === null ? null : [...w.inlineOutput] })));
      expect(await store().getTaskCacheEntries([])).toEqual([]);
    });

    it('a task cache entry put again under the same ids is replaced', async () => {
      const first = taskEntry({ taskKey: hex() });
      await store().putTaskCacheEntries([first]);
      const again = { ...first, jobId: 'job-later', taskId: 7 };
      await store().putTaskCacheEntries([again]);
      expect(await store().getTaskCacheEntries([{ taskKey: first.taskKey, batchSha256: first.batchSha256 }])).toEqual([again]);
    });

    it('putReusedTasks creates SUCCEEDED tasks with the earlier output, idempotently; counters count only those inserted', async () => {
      const job = testJob();
      await store().createJob(job);
      const [b0, b1, b2] = testBatches(3);
      const blob = taskEntry({ jobId: 'job-old', taskId: 4, records: 10, bad: 1 });
      const inline = taskEntry({ jobId: 'job-old', taskId: 5, outputKey: null, inlineOutput: new Uint8Array([123, 125, 10]), outputKind: 'json', records: 2, bad: 0 });
      expect(await store().putTasks(job.jobId, [b2!])).toBe(1);
      expect(await store().putReusedTasks(job.jobId, [{ batch: b0!, from: blob }, { batch: b1!, from: inline }])).toBe(2);
      expect(await store().putReusedTasks(job.jobId, [{ batch: b0!, from: inline }, { batch: b2!, from: blob }])).toBe(0);
      const [t0, t1, t2] = await store().listTasks(job.jobId);
      expect(t0).toMatchObject({ status: 'SUCCEEDED', attempts: 0, worker: null, batch: b0, outputKey: blob.outputKey, inlineOutput: null, outputKind: 'json-lines', records: 10, bad: 1, reusedFrom: { jobId: 'job-old', taskId: 4 } });
      expect(t0?.endedAt).not.toBeNull();
      expect(t1).toMatchObject({ status: 'SUCCEEDED', outputKey: null, outputKind: 'json', records: 2, bad: 0, reusedFrom: { jobId: 'job-old', taskId: 5 } });
      expect(Buffer.from(t1!.inlineOutput!).toString()).toBe('{}\n');
      expect(t2).toMatchObject({ status: 'PENDING' });
      expect(t2?.reusedFrom).toBeUndefined();
      const j = await store().getJob(job.jobId);
      expect(j?.tasks).toEqual({ total: 3, pending: 1, claimed: 0, running: 0, retrying: 0, succeeded: 2, failed: 0, cancelled: 0 });
      expect(j?.records).toMatchObject({ processed: 12, bad: 1 });
    });

    it('putReusedTasks on a missing job is NOT_FOUND', async () => {
      const e = await rejectionOf(store().putReusedTasks('job-missing-reused', [{ batch: testBatches(1)[0]!, from: taskEntry() }]));
      expectDjcError(e, 'NOT_FOUND');
    });
  });
}
