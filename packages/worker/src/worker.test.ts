import { describe, expect, it } from 'vitest';
import { prefetchFor } from './worker.js';

describe('prefetchFor', () => {
  it('takes a full receive for short tasks', () => {
    expect(prefetchFor(5, 30_000, 1)).toBe(9);
    expect(prefetchFor(200, 30_000, 4)).toBe(9);
  });
  it('takes only what finishes within half a lease', () => {
    expect(prefetchFor(5_000, 30_000, 1)).toBe(2); // 3 fit in 15 s: 1 running + 2 held
    expect(prefetchFor(5_000, 30_000, 2)).toBe(4);
  });
  it('takes nothing ahead for long tasks, or before the first task has finished', () => {
    expect(prefetchFor(60_000, 30_000, 1)).toBe(0);
    expect(prefetchFor(30_000, 30_000, 4)).toBe(0); // the loop passes the lease as the pace when it has none
  });
});
