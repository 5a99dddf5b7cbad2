/**
 * Per-batch re-use on the AWS backend (DynamoDB Local + fauxqs S3/SQS), as
 * on the local one (pipeline-batch-reuse.test.ts): after an append, only
 * the new batch runs, the leading ones are SUCCEEDED tasks that never ran,
 * and the result is exact.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAwsBackend } from './aws-backend.js';

const t = useAwsBackend('djc-aws-batch-reuse-');

interface TaskDoc { taskId: number; attempts: number; reusedFrom: { jobId: string; taskId: number } | null }

const line = (n: number) => JSON.stringify({ n }) + '\n';
const numbers = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => line(from + i)).join('');

async function runClean(): Promise<{ jobId: string; tasks: TaskDoc[]; out: number[] }> {
  const r = await t.run(['run', 'numbers.yaml', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const jobId = (JSON.parse(r.stdout) as { stages: { runs: { jobId: string }[] }[] }).stages[0]!.runs[0]!.jobId;
  const tasks = (JSON.parse((await t.run(['tasks', jobId, '--json'])).stdout) as { tasks: TaskDoc[] }).tasks;
  const out = (await t.run(['results', jobId])).stdout.trim().split('\n').map((l) => (JSON.parse(l) as { n: number }).n);
  return { jobId, tasks, out };
}

describe('per-batch re-use on the aws backend', () => {
  it('an appended input runs only its new batch; the result is exact', async () => {
    writeFileSync(join(t.box.dir, 'numbers.jsonl'), numbers(0, 30));
    writeFileSync(join(t.box.dir, 'square.mjs'), 'export function square(records) { return records.map((r) => ({ n: r.n * r.n })); }\n');
    writeFileSync(join(t.box.dir, 'numbers.yaml'), `name: numbers
stages:
  square:
    input: { path: numbers.jsonl, batch: { records: 10 } }
    handler: { module: ./square.mjs#square }
    compute: { workers: 1 }
`);
    const first = await runClean();
    expect(first.out).toEqual(Array.from({ length: 30 }, (_, n) => n * n));
    appendFileSync(join(t.box.dir, 'numbers.jsonl'), numbers(30, 40));
    const second = await runClean();
    expect(second.tasks.map((x) => [x.taskId, x.attempts, x.reusedFrom])).toEqual([
      [0, 0, { jobId: first.jobId, taskId: 0 }], [1, 0, { jobId: first.jobId, taskId: 1 }], [2, 0, { jobId: first.jobId, taskId: 2 }], [3, 1, null],
    ]);
    expect(second.out).toEqual(Array.from({ length: 40 }, (_, n) => n * n));
  });
});
