/**
 * StateStore contract, job ids: listJobIds (newest first, by id prefix,
 * without reading the jobs), what `djc status PREFIX` and job names stand on.
 */
import { describe, expect, it } from 'vitest';
import type { StateStore } from '../ports/state-store.js';
import { testJob } from './fixtures.js';

/** Creates the jobs in this order, a few ms apart, so their creation times differ. */
async function createInOrder(store: StateStore, ids: readonly string[]): Promise<Map<string, string>> {
  const created = new Map<string, string>();
  for (const jobId of ids) {
    created.set(jobId, (await store.createJob(testJob({ jobId }))).createdAt);
    await new Promise((r) => setTimeout(r, 5));
  }
  return created;
}

export function describeJobIdCases(store: () => StateStore): void {
  describe('job ids', () => {
    it('listJobIds gives every id with its createdAt, newest first, and honours limit', async () => {
      const created = await createInOrder(store(), ['ids-a', 'ids-c', 'ids-b']);
      const all = await store().listJobIds();
      expect(all.map((r) => r.jobId)).toEqual(['ids-b', 'ids-c', 'ids-a']);
      for (const r of all) expect(r.createdAt).toBe(created.get(r.jobId));
      expect(all.map((r) => r.jobId)).toEqual((await store().listJobs()).map((j) => j.jobId));
      expect((await store().listJobIds({ limit: 2 })).map((r) => r.jobId)).toEqual(['ids-b', 'ids-c']);
      expect(await store().listJobIds({ limit: 0 })).toEqual([]);
    });

    it('idPrefix keeps exactly the ids that start with it, taken literally', async () => {
      await createInOrder(store(), ['wc-1', 'wc-12', 'wcx-1', 'w%c-1', 'w_c-1', 'other-1']);
      const ids = async (idPrefix: string, limit?: number) => (await store().listJobIds({ idPrefix, limit })).map((r) => r.jobId);
      expect(await ids('wc-1')).toEqual(['wc-12', 'wc-1']);
      expect(await ids('wc')).toEqual(['wcx-1', 'wc-12', 'wc-1']);
      expect(await ids('wc', 1)).toEqual(['wcx-1']);
      expect(await ids('w%')).toEqual(['w%c-1']);
      expect(await ids('w_')).toEqual(['w_c-1']);
      expect(await ids('other-1')).toEqual(['other-1']);
      expect(await ids('WC')).toEqual([]);
      expect(await ids('nothing')).toEqual([]);
      expect(await ids('')).toHaveLength(6);
    });
  });
}
