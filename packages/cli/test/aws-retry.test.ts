/**
 * Fail fast, `djc failures` and `djc retry --task/--set` on the aws backend
 * (DynamoDB Local, fauxqs S3 and SQS): the same behaviour as on the local one.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl } from './helpers.js';
import { useAwsBackend } from './aws-backend.js';

const t = useAwsBackend('djc-awsretry-');

interface Status {
  jobId: string; status: string; error: string | null;
  tasks: { total: number; failed: number; succeeded: number; cancelled: number };
  retries: { taskCount: number; tasks: string; notRetried: number; selection: { task?: string }; changes: { key: string; from: unknown; to: unknown }[] }[];
}

describe('fail fast and retry on the aws backend', () => {
  it('fails fast, groups the failure with its last log line, re-runs one task with a patched config, then the rest', async () => {
    writeFileSync(join(t.box.dir, 'in.jsonl'), Array.from({ length: 20 }, (_, i) => `{"n":${i}}\n`).join(''));
    writeFileSync(join(t.box.dir, 'job.yaml'), `name: awsretry
input: { path: in.jsonl, batch: { records: 1 } }
handler:
  command: |
    read -r line
    if [ "$line" = '{"n":3}' ] && [ ! -f fixed ]; then echo "step one"; echo "task 3 is broken" >&2; exit 3; fi
    sleep 0.3
    printf '%s\\n' "$line"
compute: { workers: 2 }
retry: { max_attempts: 1 }
output: { path: out.jsonl }
`);
    const first = await t.run(['run', 'job.yaml', '--json']);
    expect(first.code, first.stderr).toBe(1);
    const s = JSON.parse(first.stdout) as Status;
    expect(s.error).toMatch(/^fail fast: 1 of 20 tasks failed, more than tolerated_failure: 0 allows/);
    expect(s.tasks.failed).toBe(1);
    expect(s.tasks.cancelled).toBeGreaterThan(0);
    expect(s.tasks.succeeded + s.tasks.failed + s.tasks.cancelled).toBe(20);

    const report = JSON.parse((await t.run(['failures', s.jobId, '--json'])).stdout) as { groups: { count: number; tasks: number[]; lastLine: string }[] };
    expect(report.groups).toMatchObject([{ count: 1, tasks: [3], lastLine: 'task 3 is broken' }]);

    const one = await t.run(['retry', s.jobId, '--task', '3', '--set', 'retry.max_attempts=2']);
    expect(one.code, one.stderr).toBe(1);
    expect(one.stderr).toContain('--set retry.max_attempts: 1 → 2');
    const tasks = JSON.parse((await t.run(['tasks', s.jobId, '--json'])).stdout) as { tasks: { taskId: number; status: string; attempts: number }[] };
    expect(tasks.tasks[3]).toMatchObject({ status: 'FAILED', attempts: 3 });
    expect(tasks.tasks.filter((x) => x.status === 'CANCELLED')).toHaveLength(s.tasks.cancelled);

    writeFileSync(join(t.box.dir, 'fixed'), '');
    const rest = await t.run(['retry', s.jobId]);
    expect(rest.code, rest.stderr).toBe(0);
    expect(readJsonl(join(t.box.dir, 'out.jsonl'))).toEqual(Array.from({ length: 20 }, (_, n) => ({ n })));
    const end = JSON.parse((await t.run(['status', s.jobId, '--json'])).stdout) as Status;
    expect(end.status).toBe('SUCCEEDED');
    expect(end.retries).toMatchObject([
      { taskCount: 1, tasks: '3', notRetried: s.tasks.cancelled, selection: { task: '3' }, changes: [{ key: 'retry.max_attempts', from: 1, to: 2 }] },
      { taskCount: 1 + s.tasks.cancelled, notRetried: 0, selection: {}, changes: [] },
    ]);
  });
});
