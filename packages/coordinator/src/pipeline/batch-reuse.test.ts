import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blobKeys, type Backend, type BatchDescriptor, type JobConfig, type TaskCacheEntry } from '@djc/core';
import { JobConfigSchema } from '@djc/core/schemas';
import { createLocalBackend } from '@djc/core/backends/local';
import { splitReused } from './batch-reuse.js';

let dir: string;
let backend: Backend;
let config: JobConfig;
const LINES = ['{"i":1}\n', '{"i":2}\n', '{"i":3}\n'];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'djc-batch-reuse-'));
  backend = createLocalBackend({ home: join(dir, '.djc') });
  writeFileSync(join(dir, 'a.jsonl'), LINES.join(''));
  config = JobConfigSchema.parse({ name: 's', input: { path: join(dir, 'a.jsonl'), on_bad_record: 'dead_letter' }, handler: { command: 'cat' } });
});
afterEach(async () => {
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One batch per line of a.jsonl. */
function batches(): BatchDescriptor[] {
  let at = 0;
  return LINES.map((l, index) => {
    const b: BatchDescriptor = { index, file: join(dir, 'a.jsonl'), start: at, end: at + l.length, firstRecord: index, records: 1 };
    at += l.length;
    return b;
  });
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const entry = (line: string, over: Partial<TaskCacheEntry>): TaskCacheEntry => ({
  taskKey: 'k', batchSha256: sha(line), jobId: 'old', taskId: 0, outputKey: null, inlineOutput: null, outputKind: 'raw', records: 1, bad: 0, createdAt: '2026-12-02T00:00:00.000Z', ...over,
});

describe('splitReused', () => {
  it('hashes each batch; re-uses those with an entry (a blob output copied into the job), runs the rest', async () => {
    await backend.blobs.put('jobs/old/outputs/00000001.1', 'out-1');
    await backend.state.putTaskCacheEntries([
      entry(LINES[0]!, { taskId: 7, inlineOutput: new Uint8Array([1]) }),
      entry(LINES[1]!, { taskId: 1, outputKey: 'jobs/old/outputs/00000001.1' }),
    ]);
    const split = await splitReused(backend, 'new', config, batches(), { taskKey: 'k', fresh: false });
    expect(split.run.map((b) => [b.index, b.sha256])).toEqual([[2, sha(LINES[2]!)]]);
    expect(split.reused.map((r) => [r.batch.index, r.batch.sha256, r.from.taskId, r.from.outputKey])).toEqual([
      [0, sha(LINES[0]!), 7, null],
      [1, sha(LINES[1]!), 1, blobKeys.output('new', 1, 0)],
    ]);
    expect((await backend.blobs.get(blobKeys.output('new', 1, 0)))?.toString()).toBe('out-1');
  });

  it('runs a batch whose output blob is gone, whose dead letters stayed with the earlier job, or under another task key; --fresh only hashes', async () => {
    await backend.state.putTaskCacheEntries([
      entry(LINES[0]!, { outputKey: 'jobs/old/outputs/gone' }),
      entry(LINES[1]!, { inlineOutput: new Uint8Array([1]), bad: 2 }),
      entry(LINES[2]!, { taskKey: 'other', inlineOutput: new Uint8Array([1]) }),
    ]);
    const split = await splitReused(backend, 'new', config, batches(), { taskKey: 'k', fresh: false });
    expect([split.reused.length, split.run.map((b) => b.index)]).toEqual([0, [0, 1, 2]]);
    await backend.state.putTaskCacheEntries([entry(LINES[2]!, { inlineOutput: new Uint8Array([1]) })]);
    const fresh = await splitReused(backend, 'new', config, batches(), { taskKey: 'k', fresh: true });
    expect([fresh.reused.length, fresh.run.map((b) => b.sha256)]).toEqual([0, LINES.map(sha)]);
  });
});
