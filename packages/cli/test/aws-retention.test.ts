/**
 * Retention on the AWS backend, through the CLI: finished jobs and tasks
 * carry `expires_at` (the table's TTL attribute) = their end +
 * DJC_RETENTION_DAYS, and `djc retry` renews it for what it re-runs.
 * DynamoDB Local never deletes expired items: the test reads the raw items
 * with the SDK, as an operator would.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dynamoRawItem } from '../../core/src/testing/aws-probes.js';
import { useAwsBackend } from './aws-backend.js';

const t = useAwsBackend('djc-awsret-');
const DAYS = 2;
const env = { DJC_RETENTION_DAYS: String(DAYS) };

interface Raw { endedAt: string | null; expiresAt: number | null }

/** The raw item under `JOB#<id>` / `sk`: its ended_at and expires_at. */
async function raw(jobId: string, sk: string): Promise<Raw> {
  const item = await dynamoRawItem(t.dynamo.endpoint, t.env.DJC_TABLE as string, { pk: `JOB#${jobId}`, sk });
  expect(item, sk).not.toBeNull();
  return { endedAt: (item?.ended_at as string | undefined) ?? null, expiresAt: (item?.expires_at as number | undefined) ?? null };
}

const task = (jobId: string, taskId: number) => raw(jobId, `TASK#${String(taskId).padStart(10, '0')}`);
const due = (endedAt: string | null) => Math.floor(Date.parse(endedAt ?? '') / 1000) + DAYS * 86_400;

describe('retention on the aws backend', () => {
  it('finished jobs and tasks expire DJC_RETENTION_DAYS after their end; djc retry renews what it re-runs', async () => {
    writeFileSync(join(t.box.dir, 'in.jsonl'), Array.from({ length: 30 }, (_, i) => `{"n":${i}}\n`).join(''));
    writeFileSync(join(t.box.dir, 'broken'), '');
    writeFileSync(join(t.box.dir, 'h.mjs'), `import { existsSync } from 'node:fs';
export function handle(records) {
  if (records[0].n === 10 && existsSync(new URL('./broken', import.meta.url))) throw new Error('broken');
  return records;
}\n`);
    writeFileSync(join(t.box.dir, 'job.yaml'), `name: retention
input: { path: in.jsonl, batch: { records: 10 } }
handler: { module: ./h.mjs#handle }
compute: { workers: 1 }
retry: { max_attempts: 1 }
fail_fast: false
output: { path: out.jsonl }
`);
    const first = await t.run(['run', 'job.yaml', '--json'], env);
    expect(first.code, first.stderr).toBe(1);
    const jobId = (JSON.parse(first.stdout) as { jobId: string }).jobId;

    const job = await raw(jobId, 'JOB');
    expect(job.endedAt).not.toBeNull();
    expect(job.expiresAt).toBe(due(job.endedAt));
    // The config and the request counts go with the job.
    expect((await raw(jobId, 'CONFIG')).expiresAt).toBe(job.expiresAt);
    expect((await raw(jobId, 'REQUESTS')).expiresAt).toBe(job.expiresAt);
    // Each task from its own end, written by the worker that finished it.
    const before = await Promise.all([0, 1, 2].map((i) => task(jobId, i)));
    for (const x of before) expect(x.expiresAt).toBe(due(x.endedAt));

    rmSync(join(t.box.dir, 'broken'));
    const retry = await t.run(['retry', jobId, '--json'], env);
    expect(retry.code, retry.stderr).toBe(0);
    expect(JSON.parse(retry.stdout)).toMatchObject({ status: 'SUCCEEDED' });

    const again = await raw(jobId, 'JOB');
    expect(again.endedAt! > job.endedAt!).toBe(true);
    expect(again.expiresAt).toBe(due(again.endedAt));
    expect((await raw(jobId, 'CONFIG')).expiresAt).toBe(again.expiresAt);
    const rerun = await task(jobId, 1);
    expect(rerun.endedAt! > before[1]!.endedAt!).toBe(true);
    expect(rerun.expiresAt).toBe(due(rerun.endedAt));
    // Tasks that did not re-run keep theirs (far from expiry: not rewritten).
    expect(await task(jobId, 0)).toEqual(before[0]);
    expect(await task(jobId, 2)).toEqual(before[2]);
  });
});
