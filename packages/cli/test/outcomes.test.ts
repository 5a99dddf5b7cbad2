/**
 * How a job's end is decided and reported: tolerated_failure, aggregate:
 * none, and which ends fire a notification.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl, sandboxPerTest } from './helpers.js';

const box = sandboxPerTest();

const run = (args: string[]) => box.run(args);

interface Status { jobId: string; status: string; error: string | null; tasks: { total: number; failed: number; succeeded: number }; output: { path: string | null } }

/** 100 records {"n":0..99} in batches of 10; `handle` fails the batches starting at `failAt`, without retries; every task runs (fail_fast: false). */
function job(extra: string, failAt: number[] = []): void {
  writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: 100 }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(box.dir, 'h.mjs'), `const FAIL = ${JSON.stringify(failAt)};
export function handle(records) {
  if (FAIL.includes(records[0].n)) throw new Error('batch at ' + records[0].n + ' is bad');
  return records.map((r) => ({ n: r.n, sq: r.n * r.n }));
}
`);
  writeFileSync(join(box.dir, 'job.yaml'), `name: outcomes
input: { path: in.jsonl, batch: { records: 10 } }
handler: { module: ./h.mjs#handle }
compute: { workers: 2 }
retry: { max_attempts: 1 }
fail_fast: false
${extra}`);
}

const expected = (skip: number[]) => Array.from({ length: 100 }, (_, n) => n)
  .filter((n) => !skip.includes(n - (n % 10)))
  .map((n) => ({ n, sq: n * n }));

describe('tolerated_failure', () => {
  it('failures within it: SUCCEEDED, exit 0, the result holds exactly the succeeded batches, the error notes the failures', async () => {
    job('tolerated_failure: 20%\noutput: { path: out.jsonl }\n', [30, 70]);
    const r = await run(['run', 'job.yaml', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Status;
    expect(s).toMatchObject({ status: 'SUCCEEDED', tasks: { total: 10, failed: 2, succeeded: 8 } });
    expect(s.error).toBe('2 of 10 tasks failed (tolerated_failure allows 2)');
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual(expected([30, 70]));
    const failed = JSON.parse((await run(['tasks', s.jobId, '--status', 'failed', '--json'])).stdout) as { tasks: { taskId: number; error: string }[] };
    expect(failed.tasks.map((t) => t.taskId)).toEqual([3, 7]);
    expect(failed.tasks[0]?.error).toContain('batch at 30 is bad');
  });

  it('failures beyond it: FAILED, exit 1, no result written', async () => {
    job('tolerated_failure: 1\noutput: { path: out.jsonl }\n', [30, 70]);
    const r = await run(['run', 'job.yaml', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const s = JSON.parse(r.stdout) as Status;
    expect(s).toMatchObject({ status: 'FAILED', tasks: { total: 10, failed: 2, succeeded: 8 }, output: { path: null } });
    expect(s.error).toMatch(/^2 of 10 tasks failed \(tolerated_failure allows 1\) — task 3: attempt 1: .*batch at 30 is bad/);
    expect(existsSync(join(box.dir, 'out.jsonl'))).toBe(false);
    const res = await run(['results', s.jobId]);
    expect(res.code).toBe(4);
    expect(res.stderr).toContain(`job ${s.jobId} has no result: it is FAILED`);
  });
});

describe('output.aggregate: none', () => {
  it('writes no result; each batch\'s output stays readable with djc results --task', async () => {
    job('output: { path: out.jsonl, aggregate: none }\n');
    const r = await run(['run', 'job.yaml', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Status;
    expect(s).toMatchObject({ status: 'SUCCEEDED', tasks: { succeeded: 10 }, output: { path: null } });
    expect(existsSync(join(box.dir, 'out.jsonl'))).toBe(false);

    const whole = await run(['results', s.jobId]);
    expect(whole.code).toBe(4);
    expect(whole.stderr).toContain('its output.aggregate is none');
    expect(whole.stderr).toContain(`djc results ${s.jobId} --task N`);

    for (const taskId of [0, 4, 9]) {
      const one = await run(['results', s.jobId, '--task', String(taskId)]);
      expect(one.code, one.stderr).toBe(0);
      const lines = one.stdout.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as unknown);
      expect(lines).toEqual(expected([]).slice(taskId * 10, taskId * 10 + 10));
    }
    const where = await run(['results', s.jobId, '--task', '4', '--json']);
    // A batch's output this small is kept in its task record, not as a blob.
    expect(JSON.parse(where.stdout)).toMatchObject({ jobId: s.jobId, taskId: 4, status: 'SUCCEEDED', output: { path: `task:${s.jobId}/4` } });
    expect((await run(['results', s.jobId, '--task', '10'])).code).toBe(4);
    expect((await run(['results', s.jobId, '--task', 'x'])).code).toBe(2);
  });
});

describe('notification.on', () => {
  it('a command notification on [failed] stays silent for a succeeded job and fires for a failed one', async () => {
    const notify = `notification:
  command: 'echo "$DJC_JOB_STATUS $DJC_JOB_ID" >> notified.txt'
  on: [failed]
`;
    job(notify);
    const ok = await run(['run', 'job.yaml', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    // The notification runs before the job's end is returned: had it fired, the file would be there.
    expect(existsSync(join(box.dir, 'notified.txt'))).toBe(false);

    job(notify, [50]);
    const bad = await run(['run', 'job.yaml', '--json']);
    expect(bad.code, bad.stderr).toBe(1);
    const s = JSON.parse(bad.stdout) as Status;
    expect(readFileSync(join(box.dir, 'notified.txt'), 'utf8')).toBe(`FAILED ${s.jobId}\n`);
  });
});
