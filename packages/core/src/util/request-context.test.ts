import { describe, expect, it } from 'vitest';
import { currentJobId, withJob } from './request-context.js';

describe('request context', () => {
  it('follows awaits and timers, nests, and is empty outside', async () => {
    expect(currentJobId()).toBeUndefined();
    const seen = await withJob('a', async () => {
      await new Promise((r) => setTimeout(r, 1));
      const inner = await withJob('b', async () => currentJobId());
      const detached = withJob(undefined, () => currentJobId());
      return [currentJobId(), inner, detached];
    });
    expect(seen).toEqual(['a', 'b', undefined]);
    expect(currentJobId()).toBeUndefined();
  });
});
