import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { fixture, spec, tempDir, writeBatch } from '../../test-fixtures/attempt-spec.js';
import { createHandlerRunner, type AttemptResult } from './index.js';
import { newThreadWorker } from './pooled-thread.js';
import { hasSpareThread, holdSpareThread, takeEarlySpare } from './spare-thread.js';
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

  it('started by bin.ts before the worker\'s modules: taken once, ready or not; one of another heap limit is ended', async () => {
    const slot = globalThis as Record<symbol, unknown>;
    const key = Symbol.for('djc.worker.earlySpare');
    expect(takeEarlySpare(64)).toBeNull();
    // What bin.ts leaves: the Worker, its limit, whether it said 'ready', and how to remove its listeners.
    const leave = (worker: Worker, limitMb: number) => {
      const early = { worker, limitMb, ready: false, exited: false, stop: () => undefined as void };
      const onMessage = (m: { type?: string }) => { if (m?.type === 'ready') early.ready = true; };
      worker.on('message', onMessage);
      early.stop = () => void worker.off('message', onMessage);
      slot[key] = early;
      return early;
    };
    const worker = newThreadWorker(64);
    const early = leave(worker, 64);
    await new Promise<void>((resolve) => worker.on('message', (m: { type?: string }) => m?.type === 'ready' && resolve()));
    expect(early.ready).toBe(true);
    const taken = takeEarlySpare(64);
    expect(taken).toEqual({ worker, ready: true });
    expect(takeEarlySpare(64)).toBeNull();
    expect(await holdSpareThread(worker, 64, true)).toBe(true);
    const pool = new ThreadPool(1);
    try {
      pool.prewarm(64);
      expect(hasSpareThread()).toBe(false);
      expect((await pool.acquire(64, new AbortController().signal))?.ready).toBe(true);
    } finally {
      await pool.close();
    }

    const other = newThreadWorker(64);
    leave(other, 64);
    const gone = exited(other);
    expect(takeEarlySpare(128)).toBeNull();
    await gone;
    expect(slot[key]).toBeUndefined();
  });
});
