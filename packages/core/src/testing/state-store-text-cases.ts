/**
 * StateStore contract, part 4: free-text errors are stored bounded. A
 * handler may throw a message of any size; what a store writes must stay far
 * below DynamoDB's 400 KB item limit, on every backend alike.
 */
import { describe, expect, it } from 'vitest';
import type { StateStore } from '../ports/state-store.js';
import { MAX_ERROR_CHARS } from '../util/cap-text.js';
import { jobWithTasks } from './contract-harness.js';

/** A 1 MiB message that starts with something recognisable. */
const HUGE = `handler threw: Error: ${'x'.repeat(1024 * 1024)}`;

function expectCapped(error: string | null | undefined): void {
  expect(error).toBeTypeOf('string');
  const e = error as string;
  expect(e.length).toBeLessThanOrEqual(MAX_ERROR_CHARS);
  expect(e.length).toBeGreaterThan(MAX_ERROR_CHARS - 100);
  expect(e.startsWith('handler threw: Error: xxx')).toBe(true);
  expect(e).toMatch(/… \[\d+ more characters\]$/);
}

export function describeTextCases(store: () => StateStore): void {
  describe('stored errors are bounded', () => {
    it('completeTask with a 1 MiB error (RETRY_WAIT and FAILED) stores it cut, with a marker', async () => {
      const jobId = await jobWithTasks(store(), 2);
      const lease = { owner: 'w1', attempt: 1 };
      await store().claimTask(jobId, 0, { owner: 'w1', leaseMs: 30_000, maxAttempts: 3 });
      const r = await store().completeTask(jobId, 0, lease, { status: 'RETRY_WAIT', error: HUGE, kind: 'error', notBefore: 0 });
      expectCapped(r.error);
      await store().claimTask(jobId, 1, { owner: 'w1', leaseMs: 30_000, maxAttempts: 3 });
      const f = await store().completeTask(jobId, 1, lease, { status: 'FAILED', error: HUGE, kind: 'error' });
      expectCapped(f.error);
      expect(await store().getTask(jobId, 1)).toEqual(f);
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ retrying: 1, failed: 1 });
    });

    it('reclaimTasks with a 1 MiB reason stores it cut', async () => {
      const jobId = await jobWithTasks(store(), 1);
      await store().claimTask(jobId, 0, { owner: 'w1', leaseMs: 30_000, maxAttempts: 3 });
      const [t] = await store().reclaimTasks(jobId, { owner: 'w1', reason: HUGE, maxAttempts: 3, notBefore: 0 });
      expectCapped(t?.error);
      expect((await store().getTask(jobId, 0))?.error).toBe(t?.error);
    });

    it('transitionJob and updateJob with a 1 MiB error store it cut', async () => {
      const jobId = await jobWithTasks(store(), 1);
      const failed = await store().transitionJob(jobId, ['SUBMITTED'], 'FAILED', { error: HUGE });
      expectCapped(failed.error);
      expect((await store().getJob(jobId))?.error).toBe(failed.error);
      const updated = await store().updateJob(jobId, { error: `${HUGE}!` });
      expectCapped(updated.error);
      expect((await store().getJob(jobId))?.error).toBe(updated.error);
    });
  });
}
