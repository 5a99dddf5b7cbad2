import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { fixture, spec, tempDir, writeBatch } from '../../test-fixtures/attempt-spec.js';
import { createHandlerRunner, type AttemptResult } from './index.js';
import { newThreadWorker } from './pooled-thread.js';
import { hasSpareThread, holdSpareThread } from './spare-thread.js';
import { ThreadPool } from './thread-pool.js';

// A warm worker's handler thread, started before its job (spare-thread.ts):
// the pool's first thread of the same heap limit adopts it already listening;
// another limit, or a job with no module handler, ends it.

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp.cleanup());

const exited = (w: Worker) => new Promise<void>((resolve) => w.once('exit', () => resolve()));

// Each starts a thread or two through tsx: slow on a loaded machine.
describe('the spare handler thread', { timeout: 120_000 }, () => {
  it('is adopted, already listening, by the first thread of its heap limit', async () => {
    const worker = newThreadWorker(64);
    expect(await holdSpareThread(worker, 64)).toBe(true);
    const pool = new ThreadPool(2);
    try {
      pool.prewarm(64);
      expect(hasSpareThread()).toBe(false);
      const thread = await pool.acquire(64, new AbortController().signal);
      // Listening from the start: a thread started now would not be ready before its 'ready' message.
      expect(thread?.ready).toBe(true);
      pool.prewarm(64);
      expect(pool.threads).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('is ended when the pool needs another heap limit, or the job runs no module', async () => {
    // Not waited for: a spare still starting is ended the same.
    const worker = newThreadWorker(64);
    void holdSpareThread(worker, 64);
    const gone = exited(worker);
    const pool = new ThreadPool(1);
    try {
      pool.prewarm(128);
      expect(hasSpareThread()).toBe(false);
      await gone;
    } finally {
      await pool.close();
    }

    const other = newThreadWorker(64);
    void holdSpareThread(other, 64);
    const runner = createHandlerRunner({ slots: 1 });
    try {
      const otherGone = exited(other);
      runner.prewarm({ command: 'cat' } as never, undefined);
      expect(hasSpareThread()).toBe(false);
      await otherGone;
    } finally {
      await runner.close();
    }
  });

  it('runs the job\'s attempts once adopted', async () => {
    await holdSpareThread(newThreadWorker(64), 64);
    const runner = createHandlerRunner({ slots: 1, memoryBytes: 64 * 1024 * 1024 });
    try {
      runner.prewarm({ module: 'x' } as never, undefined);
      expect(hasSpareThread()).toBe(false);
      const batch = writeBatch(tmp.dir, 'in.jsonl', '{"id":1,"text":"a b"}\n', 1);
      const r: AttemptResult = await runner.run(spec(tmp.dir, batch, { module: fixture('ts-handler.ts', 'countWords') }));
      expect(r).toMatchObject({ ok: true, records: 1 });
    } finally {
      await runner.close();
    }
  });
});
