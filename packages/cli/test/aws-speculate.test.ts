/**
 * Speculative copies on the aws backend (DynamoDB Local, fauxqs S3 and SQS):
 * the same behaviour as on the local one (speculate.test.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl } from './helpers.js';
import { useAwsBackend } from './aws-backend.js';

const t = useAwsBackend('djc-awsspec-');

describe('speculative copies on the aws backend', () => {
  it('a copy of a slow first attempt wins and the result has each record once', async () => {
    writeFileSync(join(t.box.dir, 'in.jsonl'), Array.from({ length: 12 }, (_, i) => `{"n":${i}}\n`).join(''));
    writeFileSync(join(t.box.dir, 'h.mjs'), `export async function handle(records, ctx) {
  if (ctx.taskId === 2 && ctx.attempt === 1) {
    await new Promise((resolve) => {
      const t = setTimeout(resolve, 600_000);
      ctx.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
    });
    return [{ slow: true }];
  }
  return records;
}
`);
    writeFileSync(join(t.box.dir, 'job.yaml'), `name: awsspec
input: { path: in.jsonl, batch: { records: 2 } }
handler: { module: ./h.mjs#handle }
compute: { workers: 2, lease: 3s, speculate: { after: p90x2, min_peers: 3 } }
retry: { max_attempts: 1 }
output: { path: out.jsonl }
`);
    const r = await t.run(['run', 'job.yaml', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { jobId: string; status: string; speculation?: { copies: number; won: number } };
    expect(s).toMatchObject({ status: 'SUCCEEDED', speculation: { copies: 1, won: 1 } });
    expect(readJsonl(join(t.box.dir, 'out.jsonl'))).toEqual(Array.from({ length: 12 }, (_, n) => ({ n })));
    const tasks = JSON.parse((await t.run(['tasks', s.jobId, '--json'])).stdout) as { tasks: { taskId: number; attempts: number; speculation: string | null }[] };
    expect(tasks.tasks.find((x) => x.taskId === 2)).toMatchObject({ attempts: 2, speculation: 'won' });
  });
});
