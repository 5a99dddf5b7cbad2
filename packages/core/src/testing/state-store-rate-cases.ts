/**
 * StateStore contract, rate limits: reserveRateSlot (GCRA start slots of a
 * job with handler.rate_limit), what keeps batch starts across every worker
 * of a job under `calls` per `per`.
 */
import { describe, expect, it } from 'vitest';
import type { StateStore } from '../ports/state-store.js';
import { jobWithTasks } from './contract-harness.js';

const T0 = 1_800_000_000_000;

export function describeRateCases(store: () => StateStore): void {
  describe('reserveRateSlot', () => {
    it('hands out slots interval apart from now, each one once, and an idle job starts at once again', async () => {
      const jobId = await jobWithTasks(store(), 1);
      expect(await store().reserveRateSlot(jobId, 50, T0)).toBe(T0);
      expect(await store().reserveRateSlot(jobId, 50, T0)).toBe(T0 + 50);
      // A caller whose clock is a little ahead still queues behind the slots given.
      expect(await store().reserveRateSlot(jobId, 50, T0 + 20)).toBe(T0 + 100);
      // Idle past the last slot: no credit is saved up, the next start is now.
      expect(await store().reserveRateSlot(jobId, 50, T0 + 10_000)).toBe(T0 + 10_000);
      expect(await store().reserveRateSlot(jobId, 50, T0 + 10_000)).toBe(T0 + 10_050);
    });

    it('keeps each job apart, and leaves the job and its tasks as they were', async () => {
      const a = await jobWithTasks(store(), 2);
      const b = await jobWithTasks(store(), 2);
      const before = await store().getJob(a);
      await store().reserveRateSlot(a, 1000, T0);
      expect(await store().reserveRateSlot(b, 1000, T0)).toBe(T0);
      expect(await store().reserveRateSlot(a, 1000, T0)).toBe(T0 + 1000);
      expect(await store().getJob(a)).toEqual(before);
      expect((await store().listTasks(a)).map((t) => t.status)).toEqual(['PENDING', 'PENDING']);
    });

    it('concurrent callers get distinct slots exactly interval apart, none lost', async () => {
      const jobId = await jobWithTasks(store(), 1);
      const slots = await Promise.all(Array.from({ length: 12 }, () => store().reserveRateSlot(jobId, 25, T0)));
      expect([...slots].sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, k) => T0 + 25 * k));
      expect(await store().reserveRateSlot(jobId, 25, T0)).toBe(T0 + 25 * 12);
    });
  });
}
