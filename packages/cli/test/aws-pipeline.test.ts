/**
 * A pipeline on the AWS backend (DynamoDB Local + fauxqs S3/SQS): the
 * diamond with a 2-point sweep, whose stages hand their results to each
 * other through S3 (s3:// locations), and an N-to-N stage streaming from
 * its upstream; results checked against an independent computation, as on
 * the local backend.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAwsBackend } from './aws-backend.js';
import { expectedReport, writeDiamondYaml, writeHandlers, writeReviews, writeStreamPipeline } from './pipeline-helpers.js';

const t = useAwsBackend('djc-aws-pipeline-');

describe('a pipeline on the aws backend', () => {
  it('the diamond: stages read their upstreams from S3; status lists the runs by their pipeline', async () => {
    const reviews = writeReviews(t.box.dir, 200);
    writeHandlers(t.box.dir);
    writeDiamondYaml(t.box.dir);
    const r = await t.run(['run', 'reviews.yaml']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(t.box.dir, 'out/report.json'), 'utf8'))).toEqual(expectedReport(reviews, [1, 3]));
    const doc = JSON.parse((await t.run(['status', 'reviews', '--json'])).stdout) as {
      status: string; backend: string; stages: { name: string; status: string; runs: { jobId: string }[] }[];
    };
    expect(doc).toMatchObject({ status: 'SUCCEEDED', backend: 'aws' });
    expect(doc.stages.map((s) => `${s.name}:${s.status}:${s.runs.length}`)).toEqual(['clean:SUCCEEDED:1', 'stats:SUCCEEDED:1', 'train:SUCCEEDED:2', 'report:SUCCEEDED:1']);
    const stats = JSON.parse((await t.run(['status', doc.stages[1]!.runs[0]!.jobId, '--json'])).stdout) as { name: string; parentId: string };
    expect(stats).toMatchObject({ name: 'reviews.stats' });
    const list = JSON.parse((await t.run(['list', '--json'])).stdout) as { jobs: { name: string; stages?: unknown[] }[] };
    expect(list.jobs.map((j) => [j.name, j.stages?.length])).toEqual([['reviews', 5]]);
  });

  it('N to N streams on S3 too', async () => {
    writeStreamPipeline(t.box.dir, { records: 30, upMs: 200 });
    const r = await t.run(['run', 'stream.yaml']);
    expect(r.code, r.stderr).toBe(0);
    const out = (await t.run(['results', 'stream.down'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { n: number; up: number; down: number });
    expect(out.map((x) => x.n)).toEqual(Array.from({ length: 30 }, (_, n) => n * 2 + 1));
    for (const x of out) expect(x.down).toBe(x.up);
  });
});
