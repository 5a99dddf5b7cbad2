import { describe, expect, it } from 'vitest';
import { ThreadPool } from './thread-pool.js';

describe('ThreadPool.prewarm', () => {
  it('starts idle threads up to its slots that the first attempts then take; another heap limit gets its own thread', async () => {
    const pool = new ThreadPool(2);
    const signal = new AbortController().signal;
    try {
      expect(pool.threads).toBe(0);
      pool.prewarm(64);
      pool.prewarm(64);
      pool.prewarm(64); // no third slot: a no-op
      expect(pool.threads).toBe(2);
      const a = await pool.acquire(64, signal);
      const b = await pool.acquire(64, signal);
      expect(a).not.toBeNull();
      expect(b).not.toBeNull();
      expect(a).not.toBe(b);
      // Taken from the prewarmed ones: no thread was started for them.
      expect(pool.threads).toBe(2);
      pool.release(a!);
      // The thread given back is the one prewarmed (re-used, not replaced).
      expect(await pool.acquire(64, signal)).toBe(a);
    } finally {
      await pool.close();
    }
  });
});

describe('ThreadPool growth', () => {
  it('an attempt that finds the thread busy gets it when it is given back, without a second thread', async () => {
    const pool = new ThreadPool(4);
    const signal = new AbortController().signal;
    try {
      const a = await pool.acquire(64, signal);
      expect(pool.threads).toBe(1);
      const next = pool.acquire(64, signal);
      pool.release(a!);
      expect(await next).toBe(a);
      expect(pool.threads).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('starts one more thread, up to its slots, while attempts wait and no thread is given back', async () => {
    const pool = new ThreadPool(2);
    const signal = new AbortController().signal;
    try {
      const a = await pool.acquire(64, signal);
      const b = await pool.acquire(64, signal);
      expect(b).not.toBeNull();
      expect(b).not.toBe(a);
      expect(pool.threads).toBe(2);
      // Both slots have a thread: a third attempt waits for one given back.
      const c = pool.acquire(64, signal);
      let got = false;
      void c.then(() => { got = true; });
      await new Promise((r) => setTimeout(r, 200));
      expect(got).toBe(false);
      pool.release(b!);
      expect(await c).toBe(b);
      expect(pool.threads).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('an attempt with a heap limit no thread has starts its own thread at once', async () => {
    const pool = new ThreadPool(3);
    const signal = new AbortController().signal;
    try {
      const a = await pool.acquire(64, signal);
      const b = await pool.acquire(128, signal);
      expect(b!.limitMb).toBe(128);
      expect(a!.limitMb).toBe(64);
      expect(pool.threads).toBe(2);
    } finally {
      await pool.close();
    }
  });
});
