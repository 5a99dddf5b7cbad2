/**
 * Benchmark 4: the AWS backend. N one-record no-op tasks on 2 workers with
 * state in DynamoDB, blobs in S3 and messages in SQS — here AWS's DynamoDB
 * Local and fauxqs on 127.0.0.1 — next to the same job on the local backend
 * in the same run. Reports tasks/s, AWS requests per task by operation and
 * the request-cost estimate per million tasks (from `djc status --json`).
 * Local emulators are not AWS: the request counts carry over, the speed
 * does not (DynamoDB Local runs transactions one at a time).
 *
 * Env: BENCH_AWS_TASKS (default 2000).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runJob, writeJob } from './djc-job.mjs';
import { DJC_BIN, main, note, round, run, tempDir } from './lib.mjs';
import { importTs } from '../lib/ts-import.mjs';

const N = Number(process.env.BENCH_AWS_TASKS ?? 2000);


async function onAws(dir, jobFile, dynamo, fauxqs) {
  const env = {
    DJC_BACKEND: 'aws', DJC_TABLE: 'bench-state', DJC_BUCKET: 'bench-blobs', DJC_QUEUE: 'bench-tasks',
    AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_ENDPOINT_URL_S3: fauxqs.endpoint, AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
  };
  Object.assign(process.env, env);
  try {
    await run(process.execPath, [DJC_BIN, 'setup', 'aws'], { env: { DJC_HOME: join(dir, 'home-aws') } }); // rejects on failure
    const r = await runJob(jobFile, join(dir, 'home-aws'));
    const status = await run(process.execPath, [DJC_BIN, 'status', r.doc.jobId, '--json'], { env: { DJC_HOME: join(dir, 'home-aws') } });
    return { ...r, requests: JSON.parse(status.stdout).requests ?? null };
  } finally {
    for (const k of Object.keys(env)) delete process.env[k];
  }
}

main('aws-tasks', async () => {
  const { startDynamoDbLocal } = await importTs('packages/core/src/testing/aws-dynamodb-local.ts');
  const { startFauxqsServer } = await importTs('packages/core/src/testing/aws-fauxqs.ts');
  const tmp = await tempDir('aws-tasks');
  const [dynamo, fauxqs] = await Promise.all([startDynamoDbLocal(), startFauxqsServer()]);
  try {
    await writeFile(join(tmp.dir, 'in.jsonl'), Array.from({ length: N }, (_, i) => `{"i":${i}}\n`).join(''));
    await writeFile(join(tmp.dir, 'noop.mjs'), 'export async function noop(records) { return records; }\n');
    const jobFile = await writeJob(tmp.dir, 'job.yaml', { name: 'bench-aws', input: 'in.jsonl', records: 1, handler: ['module: ./noop.mjs#noop'], workers: 2 });
    const local = await runJob(jobFile, join(tmp.dir, 'home-local'));
    note(`local: ${N} tasks in ${(local.wallMs / 1000).toFixed(2)} s`);
    const aws = await onAws(tmp.dir, jobFile, dynamo, fauxqs);
    note(`aws: ${N} tasks in ${(aws.wallMs / 1000).toFixed(2)} s`);
    const req = aws.requests;
    return {
      tasks: N,
      local: { wallMs: local.wallMs, tasksPerSec: Math.round((N * 1000) / local.wallMs) },
      aws: {
        wallMs: aws.wallMs,
        tasksPerSec: Math.round((N * 1000) / aws.wallMs),
        requests: req ? req.total : null,
        requestsPerTask: req ? round(req.total / N, 2) : null,
        byOperation: req ? req.byOperation : null,
        costPerMillionTasksUsd: req && req.estimatedCostUsd !== undefined ? round((req.estimatedCostUsd / N) * 1e6, 2) : null,
      },
    };
  } finally {
    await Promise.all([dynamo.stop(), fauxqs.stop()]);
    await tmp.remove();
  }
});
