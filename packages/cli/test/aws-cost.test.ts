/**
 * Request counting and cost estimate on the AWS backend, against the same
 * real-protocol servers as aws.test.ts (DynamoDB Local, fauxqs for S3 + SQS):
 * a job's requests are counted per service and operation by every process
 * that works for it, persisted with the job, and shown by `djc status`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAwsBackend } from './aws-backend.js';

const t = useAwsBackend('djc-aws-cost-');
const run = t.run;


interface StatusDoc {
  jobId: string;
  status: string;
  tasks: { total: number };
  requests?: { total: number; perTask: number; byOperation: Record<string, number>; estimatedCostUsd: number };
}

/** Runs a no-op job of `tasks` one-record tasks on 2 workers; returns its `djc status --json` document. */
async function runNoopJob(tasks: number): Promise<StatusDoc> {
  writeFileSync(join(t.box.dir, 'in.jsonl'), Array.from({ length: tasks }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(t.box.dir, 'noop.mjs'), 'export function noop(r) { return r; }\n');
  writeFileSync(join(t.box.dir, 'job.yaml'), `name: awscost
input: { path: in.jsonl, batch: { records: 1 } }
handler: { module: ./noop.mjs#noop }
compute: { workers: 2 }
output: { path: out.jsonl }
`);
  const r = await run(['run', 'job.yaml', '--json']);
  expect(r.code).toBe(0);
  const { jobId } = JSON.parse(r.stdout) as StatusDoc;
  const status = await run(['status', jobId, '--json']);
  expect(status.code).toBe(0);
  return JSON.parse(status.stdout) as StatusDoc;
}

function report(label: string, doc: StatusDoc): void {
  process.stderr.write(`${label}: ${JSON.stringify(doc.requests)}\n`);
}

describe('request counts and cost on the aws backend', () => {
  it('a 50-task job: djc status shows its requests by service and operation, per task, and an estimated cost', async () => {
    const doc = await runNoopJob(50);
    report('50 tasks', doc);
    expect(doc).toMatchObject({ status: 'SUCCEEDED', tasks: { total: 50 } });
    const req = doc.requests;
    expect(req).toBeDefined();
    if (!req) return;
    expect(Object.keys(req).sort()).toEqual(['byOperation', 'estimatedCostUsd', 'perTask', 'total']);
    expect(req.total).toBeGreaterThan(0);
    expect(Object.values(req.byOperation).reduce((a, b) => a + b, 0)).toBe(req.total);
    const ops = Object.keys(req.byOperation);
    for (const service of ['DynamoDB', 'S3', 'SQS']) expect(ops.some((op) => op.startsWith(`${service}.`))).toBe(true);
    // Claims and completions, each written for up to 25 tasks of a job at once: at least two of each for 50 tasks.
    expect(req.byOperation['DynamoDB.TransactWriteItems']).toBeGreaterThanOrEqual(4);
    expect(req.perTask).toBeCloseTo(req.total / 50, 2);
    expect(req.perTask).toBeLessThan(20);
    expect(req.estimatedCostUsd).toBeGreaterThan(0);
    expect(req.estimatedCostUsd).toBeLessThan(0.01);

    const human = await run(['status', doc.jobId]);
    expect(human.code).toBe(0);
    const line = human.stdout.split('\n').find((l) => l.startsWith('requests '));
    expect(line).toMatch(/^requests [\d,]+ \(DynamoDB [\d,]+, S3 [\d,]+, SQS [\d,]+\) · [\d.]+ per task · est\. \$[\d.]+/);
  });

  it('a 200-task no-op job on 2 workers: requests per task stay low (measured)', async () => {
    const doc = await runNoopJob(200);
    report('200 tasks', doc);
    expect(doc.status).toBe('SUCCEEDED');
    expect(doc.requests?.total).toBeGreaterThan(0);
    // The aim of issue 3: at most 5 requests per task, amortized (a count, not a timing).
    expect(doc.requests?.perTask).toBeLessThan(5);
  });
});
