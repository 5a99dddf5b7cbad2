/**
 * StateStore contract, pipelines (issue 10): job kinds, a stage run's parent
 * and stage, a pipeline's graph, WAITING and SKIPPED with their reason,
 * createJobs (in order, idempotent), listing a pipeline's runs by parent.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StateStore } from '../ports/state-store.js';
import { newJobId } from '../util/ids.js';
import { pipelineJobs } from '../pipeline/pipeline-jobs.js';
import { testJob } from './fixtures.js';
import { testPipelineSpec } from './pipeline-fixtures.js';
import { expectConflict, expectDjcError } from './contract-harness.js';

const diamond = () => testPipelineSpec(`p${randomBytes(3).toString('hex')}`, [
  { name: 'clean' },
  { name: 'stats', needs: ['clean'] },
  { name: 'train', needs: ['stats'], points: [{ lr: 0.1 }, { lr: 0.01 }] },
  { name: 'report', needs: ['clean', 'train'], onUpstreamFailure: 'fail' },
]);

function jobsOf(spec = diamond()) {
  const pipelineId = newJobId(spec.name);
  return { spec, pipelineId, jobs: pipelineJobs(spec, { pipelineId, backend: 'local', configPath: '/w/p.yaml', mode: 'run' }) };
}

export function describePipelineCases(store: () => StateStore): void {
  describe('pipelines', () => {
    it('a plain job is kind job, without parent, stage, pipeline or reason', async () => {
      const created = await store().createJob(testJob());
      expect(created).toMatchObject({ kind: 'job', parentId: null, stage: null, pipeline: null, reason: null, after: null });
    });

    it('createJobs writes a pipeline and its runs: runs WAITING with a reason or SUBMITTED, the graph on the pipeline', async () => {
      const { spec, pipelineId, jobs } = jobsOf();
      expect(await store().createJobs(jobs)).toBe(6);
      const pipeline = await store().getJob(pipelineId);
      expect(pipeline).toMatchObject({ kind: 'pipeline', parentId: null, stage: null, status: 'SUBMITTED', name: spec.name });
      expect(pipeline?.pipeline?.runs.map((r) => r.displayName)).toEqual(['clean', 'stats', 'train[lr=0.1]', 'train[lr=0.01]', 'report']);
      expect(pipeline?.pipeline?.order).toEqual(['clean', 'stats', 'train', 'report']);
      const runs = await store().listJobs({ parentId: pipelineId });
      expect(runs.map((r) => r.jobId)).toEqual(jobs.slice(0, 5).map((j) => j.jobId));
      expect(runs.map((r) => [r.name, r.status, r.reason])).toEqual([
        [`${spec.name}.clean`, 'SUBMITTED', null],
        [`${spec.name}.stats`, 'WAITING', 'waiting for clean'],
        [`${spec.name}.train[lr=0.1]`, 'WAITING', 'waiting for stats'],
        [`${spec.name}.train[lr=0.01]`, 'WAITING', 'waiting for stats'],
        [`${spec.name}.report`, 'WAITING', 'waiting for clean, train'],
      ]);
      expect(runs[3]).toMatchObject({ kind: 'stage', parentId: pipelineId, pipeline: null, stage: { name: 'train', point: { lr: 0.01 }, needs: ['stats'], index: 3 } });
      expect(runs[3]?.config.name).toBe('train');
      expect(await store().getJob(runs[4]!.jobId)).toEqual(runs[4]);
    });

    it('top-level lists show the pipeline, never its runs; status and limit apply to a parent listing', async () => {
      const plain = await store().createJob(testJob());
      const { pipelineId, jobs } = jobsOf();
      await store().createJobs(jobs);
      expect((await store().listJobs()).map((j) => j.jobId)).toEqual([pipelineId, plain.jobId]);
      expect((await store().listJobs({ status: 'SUBMITTED' })).map((j) => j.jobId)).toEqual([pipelineId, plain.jobId]);
      expect(await store().listJobs({ status: 'WAITING' })).toEqual([]);
      const waiting = await store().listJobs({ parentId: pipelineId, status: 'WAITING' });
      expect(waiting.map((r) => r.stage?.index)).toEqual([1, 2, 3, 4]);
      expect((await store().listJobs({ parentId: pipelineId, limit: 2 })).map((r) => r.stage?.index)).toEqual([0, 1]);
      expect(await store().listJobs({ parentId: plain.jobId })).toEqual([]);
      expect(await store().listJobs({ parentId: 'no-such-pipeline' })).toEqual([]);
    });

    it('createJobs is idempotent: jobs that exist are left as they are, missing ones are created', async () => {
      const { pipelineId, jobs } = jobsOf();
      await store().createJobs(jobs.slice(0, 2));
      await store().transitionJob(jobs[0]!.jobId, ['SUBMITTED'], 'PREPARING');
      expect(await store().createJobs(jobs)).toBe(4);
      expect(await store().createJobs(jobs)).toBe(0);
      const runs = await store().listJobs({ parentId: pipelineId });
      expect(runs.map((r) => r.status)).toEqual(['PREPARING', 'WAITING', 'WAITING', 'WAITING', 'WAITING']);
      await expect(store().createJob(jobs[1]!)).rejects.toSatisfy((e) => expectConflict(e) !== null);
    });

    it('a pipeline of many runs (a 60-point sweep) is written and listed whole, in run order', async () => {
      const points = Array.from({ length: 60 }, (_, i) => ({ seed: i }));
      const spec = testPipelineSpec(`sweep${randomBytes(2).toString('hex')}`, [{ name: 'prep' }, { name: 'fit', needs: ['prep'], points }]);
      const { pipelineId, jobs } = jobsOf(spec);
      expect(await store().createJobs(jobs)).toBe(62);
      const runs = await store().listJobs({ parentId: pipelineId });
      expect(runs.map((r) => r.stage?.point?.seed ?? null)).toEqual([null, ...points.map((p) => p.seed)]);
    });

    it('WAITING → SUBMITTED (ready) clears the reason; WAITING → SKIPPED keeps why; retry re-opens SKIPPED → WAITING', async () => {
      const { pipelineId, jobs } = jobsOf();
      await store().createJobs(jobs);
      const [, stats, train] = await store().listJobs({ parentId: pipelineId });
      const ready = await store().transitionJob(stats!.jobId, ['WAITING'], 'SUBMITTED', { reason: null });
      expect(ready).toMatchObject({ status: 'SUBMITTED', reason: null });
      const now = new Date().toISOString();
      const skipped = await store().transitionJob(train!.jobId, ['WAITING'], 'SKIPPED', { reason: 'stats FAILED', endedAt: now });
      expect(skipped).toMatchObject({ status: 'SKIPPED', reason: 'stats FAILED', endedAt: now });
      expect(await store().getJob(train!.jobId)).toMatchObject({ status: 'SKIPPED', reason: 'stats FAILED' });
      const reopened = await store().transitionJob(train!.jobId, ['SKIPPED'], 'WAITING', { reason: 'waiting for stats', endedAt: null });
      expect(reopened).toMatchObject({ status: 'WAITING', reason: 'waiting for stats', endedAt: null });
      expect((await store().updateJob(train!.jobId, { reason: 'waiting for stats (RUNNING 40%)' })).reason).toBe('waiting for stats (RUNNING 40%)');
    });

    it('a WAITING job cannot start without becoming ready, and a job waits only from SUBMITTED', async () => {
      const after = { jobIds: ['a-1', 'b-2'], mode: 'ok' as const };
      const waiting = await store().createJob(testJob({ status: 'WAITING', reason: 'after a-1', after }));
      expect(waiting).toMatchObject({ status: 'WAITING', reason: 'after a-1', kind: 'job', after });
      expect((await store().getJob(waiting.jobId))?.after).toEqual(after);
      expect((await store().listJobs({ status: 'WAITING' })).map((j) => j.jobId)).toEqual([waiting.jobId]);
      await expect(store().transitionJob(waiting.jobId, ['WAITING'], 'PREPARING')).rejects.toSatisfy((e) => expectDjcError(e, 'ILLEGAL_TRANSITION') !== null);
      await expect(store().transitionJob(waiting.jobId, ['SUBMITTED'], 'WAITING')).rejects.toSatisfy((e) => expectConflict(e) !== null);
      const plain = await store().createJob(testJob());
      expect((await store().transitionJob(plain.jobId, ['SUBMITTED'], 'WAITING', { reason: 'after x' })).status).toBe('WAITING');
      expect((await store().transitionJob(waiting.jobId, ['WAITING'], 'CANCELLED')).status).toBe('CANCELLED');
    });
  });
}
