/**
 * The same CLI on the AWS backend, against real-protocol servers on
 * 127.0.0.1: AWS's DynamoDB Local (Java) and fauxqs (S3 + SQS), with the
 * real SDK v3 clients. Each test has its own table, bucket and queues.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { s3Put, sqsQueueDepth, sqsSendRaw } from '../../core/src/testing/aws-probes.js';
import { startThrottlingServer } from '../../core/src/testing/aws-throttling-server.js';
import { useAwsBackend } from './aws-backend.js';
import { copyExample, djc, djcStart, generate, readJsonl, waitFor } from './helpers.js';
import { expectHugeErrorStoredBounded, writeHugeErrorJob } from './huge-error-case.js';

const t = useAwsBackend('djc-aws-');
const run = t.run;


describe('the aws backend', () => {
  it('djc setup aws creates what is missing, and a second run finds it (but the lifecycle rule, which fauxqs does not keep)', async () => {
    // beforeEach ran it once already.
    const again = await run(['setup', 'aws', '--json']);
    expect(again.code).toBe(0);
    const doc = JSON.parse(again.stdout) as { steps: { resource: string; result: string }[] };
    // fauxqs takes the lifecycle rule (200) but keeps none, so setup puts it again each time here;
    // aws-lifecycle.test.ts checks the rule against a server that keeps it, "nothing to do" included.
    expect(doc.steps.map((s) => s.result)).toEqual(['exists', 'exists', 'created', 'exists', 'exists']);
    expect(doc.steps.map((s) => s.resource)).toEqual([
      `DynamoDB table ${t.env.DJC_TABLE}`, `S3 bucket ${t.env.DJC_BUCKET}`, `S3 lifecycle rule djc-retention on ${t.env.DJC_BUCKET}/jobs/ (expire after 30 days)`,
      `SQS queue ${t.env.DJC_QUEUE}-dlq`, `SQS queue ${t.env.DJC_QUEUE}`,
    ]);
    const human = await run(['setup', 'aws']);
    expect(human.stderr).toContain('djc: 1 change; use:');
  });

  it('wordcount gives the exact result, as on the local backend', async () => {
    const ex = copyExample('wordcount', t.box.dir);
    await generate(ex, 20_000);
    const r = await run(['run', join(ex, 'job.yaml'), '--set', 'input.batch.records=2000', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'SUCCEEDED', backend: 'aws', records: { total: 20_000, processed: 20_000 } });
    const expected = new Map<string, number>();
    for (const line of readFileSync(join(ex, 'data/reviews.jsonl'), 'utf8').split('\n')) {
      if (!line) continue;
      for (const w of (JSON.parse(line) as { text: string }).text.toLowerCase().split(/\s+/)) if (w) expected.set(w, (expected.get(w) ?? 0) + 1);
    }
    const got = readJsonl(join(ex, 'out/wordcount.jsonl')) as { word: string; count: number }[];
    expect(new Map(got.map((g) => [g.word, g.count]))).toEqual(expected);
  });

  it('flags name the backend and its resources; the global AWS_ENDPOINT_URL reaches S3 (path-style) and SQS, a per-service one wins', async () => {
    const { DJC_TABLE, DJC_BUCKET, DJC_QUEUE, DJC_BACKEND: _backend, AWS_ENDPOINT_URL_S3: _s3, AWS_ENDPOINT_URL_SQS: _sqs, ...rest } = t.env;
    const env = { ...rest, AWS_ENDPOINT_URL: t.fauxqs.endpoint };
    writeFileSync(join(t.box.dir, 'in.jsonl'), '{"n":1}\n{"n":2}\n{"n":3}\n');
    writeFileSync(join(t.box.dir, 'echo.mjs'), 'export default (records) => records;\n');
    writeFileSync(join(t.box.dir, 'job.yaml'), 'name: flags\ninput: { path: in.jsonl, batch: { records: 1 } }\nhandler: { module: ./echo.mjs }\noutput: { path: out.jsonl }\n');
    const flags = ['--backend', 'aws', '--table', DJC_TABLE as string, '--bucket', DJC_BUCKET as string, '--queue', DJC_QUEUE as string];
    const r = await djc([...flags, 'run', 'job.yaml', '--json'], { cwd: t.box.dir, home: t.box.home, env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'SUCCEEDED', backend: 'aws', records: { total: 3, processed: 3 } });
    expect(readJsonl(join(t.box.dir, 'out.jsonl'))).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    // The job is in the table the flags named: the env's names find it too.
    const listed = await run(['list', '--json']);
    expect((JSON.parse(listed.stdout) as { jobs: { name: string }[] }).jobs.map((j) => j.name)).toContain('flags');
  });

  it('backend names can come from a settings file (--settings-file)', async () => {
    const { DJC_TABLE, DJC_BUCKET, DJC_QUEUE, DJC_BACKEND, ...rest } = t.env;
    writeFileSync(join(t.box.dir, 'aws.env'), `DJC_BACKEND=${DJC_BACKEND}\nDJC_TABLE=${DJC_TABLE}\nDJC_BUCKET=${DJC_BUCKET}\nDJC_QUEUE=${DJC_QUEUE}\n`);
    const r = await djc(['--settings-file', 'aws.env', 'setup', 'aws', '--json'], { cwd: t.box.dir, home: t.box.home, env: rest });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { steps: { resource: string }[] }).steps[0]?.resource).toBe(`DynamoDB table ${DJC_TABLE}`);
    const bad = await djc(['--settings-file', 'missing.env', 'list'], { cwd: t.box.dir, home: t.box.home, env: rest });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('cannot read the settings file missing.env');
  });

  it('csv-command and flaky give the same exact results as on the local backend', async () => {
    const csv = copyExample('csv-command', t.box.dir);
    await generate(csv, 2_000);
    expect((await run(['run', join(csv, 'job.yaml'), '--set', 'params.min_cents=50000'])).code).toBe(0);
    const whole = execFileSync('python3', ['to_cents.py', '50000'], { cwd: csv, input: readFileSync(join(csv, 'data/orders.csv')) }).toString();
    expect(readFileSync(join(csv, 'out/orders.jsonl'), 'utf8')).toBe(whole);

    const flaky = copyExample('flaky', t.box.dir);
    await generate(flaky, 300);
    const r = await run(['run', join(flaky, 'job.yaml'), '--set', 'input.batch.records=50', '--json']);
    expect(r.code).toBe(0);
    const jobId = (JSON.parse(r.stdout) as { jobId: string }).jobId;
    expect(readJsonl(join(flaky, 'out/doubled.jsonl'))).toEqual(Array.from({ length: 300 }, (_, i) => (i + 1) * 2));
    const tasks = JSON.parse((await run(['tasks', jobId, '--json'])).stdout) as { tasks: { taskId: number; attempts: number }[] };
    expect(tasks.tasks.map((t) => t.attempts)).toEqual(tasks.tasks.map((t) => (t.taskId % 3 === 0 ? 3 : 1)));
  });

  it('an s3:// input is split and read from S3 (ranged reads), and gives the exact result', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => `${i},"line one of ${i}\nline two, with ""quotes"""`);
    await s3Put(t.fauxqs.endpoint, t.env.DJC_BUCKET as string, 'inputs/notes.csv', `id,note\n${rows.join('\n')}\n`);
    writeFileSync(join(t.box.dir, 'lines.py'), [
      'import csv, json, sys',
      'for r in csv.DictReader(sys.stdin):',
      '    print(json.dumps({"id": int(r["id"]), "lines": len(r["note"].splitlines()), "quoted": \'"quotes"\' in r["note"]}))',
      '',
    ].join('\n'));
    writeFileSync(join(t.box.dir, 'job.yaml'), `name: s3input
input: { path: "s3://${t.env.DJC_BUCKET}/inputs/notes.csv", format: csv, batch: { records: 40 } }
handler: { command: python3 lines.py }
compute: { workers: 2 }
output: { path: out.jsonl }
`);
    const r = await run(['run', 'job.yaml', '--json']);
    expect((JSON.parse(r.stdout) as { error: string | null }).error).toBeNull();
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'SUCCEEDED', records: { total: 300, processed: 300 }, tasks: { total: 8 } });
    expect(readJsonl(join(t.box.dir, 'out.jsonl'))).toEqual(Array.from({ length: 300 }, (_, id) => ({ id, lines: 2, quoted: true })));
  });

  it('duplicated SQS messages never produce a second committed attempt', async () => {
    writeFileSync(join(t.box.dir, 'in.jsonl'), Array.from({ length: 200 }, (_, i) => `{"n":${i}}\n`).join(''));
    writeFileSync(join(t.box.dir, 'slow.mjs'), 'export async function echo(r) { await new Promise((s) => setTimeout(s, 100)); return r; }\n');
    writeFileSync(join(t.box.dir, 'job.yaml'), `name: awsdup
input: { path: in.jsonl, batch: { records: 10 } }
handler: { module: ./slow.mjs#echo }
compute: { workers: 2 }
output: { path: out.jsonl }
`);
    const bg = djcStart(['run', 'job.yaml'], { cwd: t.box.dir, home: t.box.home, env: t.env });
    const jobId = await waitFor('the job', async () => {
      const list = await run(['list', '--json']);
      return list.code === 0 ? (JSON.parse(list.stdout) as { jobs: { jobId: string; status: string }[] }).jobs.find((j) => j.status === 'RUNNING')?.jobId : undefined;
    });
    // Inject a second copy of every task's message, as SQS's at-least-once delivery may.
    await sqsSendRaw(t.fauxqs.endpoint, t.env.DJC_QUEUE as string, Array.from({ length: 20 }, (_, taskId) => JSON.stringify({ v: 1, jobId, taskId })));
    const r = await bg.done;
    expect(r.code).toBe(0);
    const tasks = JSON.parse((await run(['tasks', jobId, '--json'])).stdout) as { tasks: { attempts: number; status: string }[] };
    expect(tasks.tasks).toHaveLength(20);
    for (const t of tasks.tasks) expect(t).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect((readJsonl(join(t.box.dir, 'out.jsonl')) as { n: number }[]).map((x) => x.n)).toEqual([...Array(200).keys()]);
  });

  it('a task that exhausts its attempts ends FAILED and its message is in the dead-letter queue', async () => {
    writeFileSync(join(t.box.dir, 'in.txt'), 'a\nb\n');
    writeFileSync(join(t.box.dir, 'job.yaml'), `name: awsfail
input: { path: in.txt, format: text, batch: { records: 1 } }
handler: { command: 'if grep -q b; then echo "no b allowed" >&2; exit 4; fi' }
compute: { workers: 1 }
retry: { max_attempts: 2, backoff: { initial: 100ms } }
fail_fast: false
`);
    const r = await run(['run', 'job.yaml', '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { status: string; error: string; tasks: { failed: number; succeeded: number } };
    expect(doc).toMatchObject({ status: 'FAILED', tasks: { failed: 1, succeeded: 1 } });
    expect(doc.error).toContain('no b allowed');
    expect(await sqsQueueDepth(t.fauxqs.endpoint, `${t.env.DJC_QUEUE}-dlq`)).toBe(1);
  });

  it('a handler that throws a 1 MiB message: task and job errors are stored cut (items stay far below 400 KB)', async () => {
    writeHugeErrorJob(t.box.dir);
    await expectHugeErrorStoredBounded(run);
  });

  it('8 workers racing over 1,000 tasks: every task committed exactly once', async () => {
    writeFileSync(join(t.box.dir, 'in.jsonl'), Array.from({ length: 1000 }, (_, i) => `{"n":${i}}\n`).join(''));
    writeFileSync(join(t.box.dir, 'id.mjs'), 'export function id(r) { return r; }\n');
    writeFileSync(join(t.box.dir, 'job.yaml'), `name: awsrace
input: { path: in.jsonl, batch: { records: 1 } }
handler: { module: ./id.mjs#id }
# 8 racing workers on any machine: the race, not the CPU, is under test.
compute: { workers: 8, resources: { cpus: 0.25 } }
output: { path: out.jsonl }
`);
    const r = await run(['run', 'job.yaml', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { jobId: string; tasks: { total: number; succeeded: number }; records: { processed: number } };
    expect(doc.tasks).toMatchObject({ total: 1000, succeeded: 1000 });
    expect(doc.records.processed).toBe(1000);
    const tasks = JSON.parse((await run(['tasks', doc.jobId, '--json'])).stdout) as { tasks: { attempts: number; worker: string }[] };
    expect(tasks.tasks.filter((t) => t.attempts !== 1)).toEqual([]);
    expect(new Set(tasks.tasks.map((t) => t.worker)).size).toBeGreaterThan(1);
    expect((readJsonl(join(t.box.dir, 'out.jsonl')) as { n: number }[]).map((x) => x.n)).toEqual([...Array(1000).keys()]);
  });

  it('bad credentials exit 3 with the AWS error code in the message', async () => {
    const r = await run(['list'], { AWS_ACCESS_KEY_ID: 'not-a-valid-key!' });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/DynamoDB table ".*": not authorised \(UnrecognizedClientException\)/);
    expect(r.stderr).toContain('AWS_PROFILE');
  });

  it('a table that keeps throttling past the retries exits 3 (not 70) with the operation and the fix', async () => {
    const throttling = await startThrottlingServer();
    try {
      const r = await run(['list'], { AWS_ENDPOINT_URL_DYNAMODB: throttling.endpoint, AWS_MAX_ATTEMPTS: '2' });
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/DynamoDB table ".*": throttled on Query after 2 attempts \(ProvisionedThroughputExceededException\)/);
      expect(r.stderr).toContain('on-demand capacity');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(throttling.requests()).toBe(2);
    } finally {
      await throttling.stop();
    }
  });

  it('a wrong endpoint exits 3 with a message that names the service and what to check', async () => {
    const r = await run(['list'], { AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9', AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot reach the endpoint \(ECONNREFUSED\)/);
    expect(r.stderr).toContain('AWS_ENDPOINT_URL');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const missing = await run(['list'], { DJC_QUEUE: 'no-such-queue' });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('SQS queue "no-such-queue" does not exist');
    expect(missing.stderr).toContain('djc setup aws');
  });
});
