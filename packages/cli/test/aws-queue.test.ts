/**
 * `djc queue` and a QUEUED job's reason in `djc status` on the AWS backend
 * (DynamoDB Local + fauxqs): the queue document in the S3 bucket, read back
 * the same as from the local blob store.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { writeQueueDocument } from '@djc/coordinator';
import { openBackend } from '../../core/src/backends/open.js';
import { useAwsBackend } from './aws-backend.js';
import { jobFiles, MINUTE, sampleQueue } from './queue-helpers.js';

const t = useAwsBackend('djc-awsqueue-');

describe('djc queue on the aws backend', () => {
  it('reads the document from the bucket: the waiting job, its reason, and the status line', async () => {
    const none = await t.run(['queue']);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('no queue yet: no coordinator has decided one');

    for (const [name, text] of Object.entries(jobFiles())) writeFileSync(join(t.box.dir, name), text);
    const s = await t.run(['submit', 'job.yaml', '--json']);
    expect(s.code, s.stderr).toBe(0);
    const { jobId } = JSON.parse(s.stdout) as { jobId: string };
    // The AWS SDK reads credentials and endpoints from process.env: this process opens the test's backend as djc would.
    for (const [k, v] of Object.entries(t.env)) vi.stubEnv(k, v);
    const backend = await openBackend({}, process.env);
    try {
      await backend.state.transitionJob(jobId, ['SUBMITTED'], 'QUEUED', { reason: 'waiting for workers' });
      await writeQueueDocument(backend, sampleQueue(jobId, Date.now()));
    } finally {
      await backend.close();
      vi.unstubAllEnvs();
    }

    const q = await t.run(['queue', '--json']);
    expect(q.code, q.stderr).toBe(0);
    const out = JSON.parse(q.stdout) as { stale: boolean; queue: { pools: { maxWorkers: number | null }[]; jobs: { jobId: string; reason: { code: string; estimatedStartMs: number } | null }[] } };
    expect(out.stale).toBe(false);
    expect(out.queue.pools.map((p) => p.maxWorkers)).toEqual([null, null]);
    expect(out.queue.jobs.map((j) => [j.jobId, j.reason?.code ?? null])).toEqual([['job-run', null], [jobId, 'resources'], ['job-low', 'reservation']]);
    expect(out.queue.jobs[1]?.reason?.estimatedStartMs).toBe(3 * MINUTE);

    const status = await t.run(['status', jobId]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('waiting  needs 4 cpus, 1 free; 0 jobs ahead; est. start in ~3m from recent throughput');
  });
});
