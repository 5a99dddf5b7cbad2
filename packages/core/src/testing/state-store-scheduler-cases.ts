/**
 * StateStore contract, the scheduler (issue 11): a job's owner is stored at
 * create and read back (a pipeline's runs carry the pipeline's), its
 * queuedAt is set and cleared by a patch or a status change, and a
 * priority change (`djc priority`, a settings patch) is persisted.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StateStore } from '../ports/state-store.js';
import { newJobId } from '../util/ids.js';
import { pipelineJobs } from '../pipeline/pipeline-jobs.js';
import { testJob } from './fixtures.js';
import { testPipelineSpec } from './pipeline-fixtures.js';

export function describeSchedulerCases(store: () => StateStore): void {
  describe('scheduler fields', () => {
    it('stores the owner given at create; without one it reads as ""', async () => {
      const owned = await store().createJob(testJob({ owner: 'alice' }));
      expect(owned.owner).toBe('alice');
      expect((await store().getJob(owned.jobId))?.owner).toBe('alice');
      const plain = await store().createJob(testJob());
      expect((await store().getJob(plain.jobId))?.owner).toBe('');
      expect(plain.queuedAt).toBeNull();
    });

    it('every run of a pipeline carries the pipeline owner', async () => {
      const spec = testPipelineSpec(`p${randomBytes(3).toString('hex')}`, [{ name: 'a' }, { name: 'b', needs: ['a'] }]);
      const pipelineId = newJobId(spec.name);
      await store().createJobs(pipelineJobs(spec, { pipelineId, backend: 'local', configPath: '/w/p.yaml', mode: 'daemon', owner: 'bob' }));
      const runs = await store().listJobs({ parentId: pipelineId });
      expect(runs.map((r) => r.owner)).toEqual(['bob', 'bob']);
      expect((await store().getJob(pipelineId))?.owner).toBe('bob');
    });

    it('queuedAt is written with a transition to QUEUED, kept by other patches, and cleared by null', async () => {
      const job = await store().createJob(testJob({ owner: 'carol' }));
      const at = '2026-01-02T03:04:05.000Z';
      const queued = await store().transitionJob(job.jobId, ['SUBMITTED'], 'QUEUED', { queuedAt: at, reason: 'needs 2 cpus, 1 free' });
      expect(queued).toMatchObject({ status: 'QUEUED', queuedAt: at, reason: 'needs 2 cpus, 1 free', owner: 'carol' });
      await store().updateJob(job.jobId, { reason: 'priority' });
      expect((await store().getJob(job.jobId))?.queuedAt).toBe(at);
      await store().updateJob(job.jobId, { queuedAt: null });
      expect((await store().getJob(job.jobId))?.queuedAt).toBeNull();
    });

    it('a priority change through the settings patch is persisted', async () => {
      const job = await store().createJob(testJob());
      expect(job.config.priority).toBe('normal');
      await store().updateJob(job.jobId, { settings: { config: { ...job.config, priority: 'urgent' }, retries: [] } });
      expect((await store().getJob(job.jobId))?.config.priority).toBe('urgent');
    });
  });
}
