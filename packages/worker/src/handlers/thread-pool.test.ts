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
