/**
 * `deadline` (issue 11): when submit + deadline passes, the job is stopped
 * like a cancel and ends TIMEOUT; `djc run` and `djc wait` exit 1, `--json`
 * says "status": "TIMEOUT", and its error names the deadline.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { djc, sandboxPerTest, workerPids } from './helpers.js';

const box = sandboxPerTest();
const opts = () => ({ cwd: box.dir, home: box.home });

interface Doc { jobId: string; status: string; error: string | null; createdAt: string; endedAt: string; tasks: Record<string, number> }

/** A job of `n` one-record tasks running `command`, with the rest of its YAML. */
function job(name: string, n: number, rest: string): string {
  writeFileSync(join(box.dir, `${name}.jsonl`), Array.from({ length: n }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(box.dir, `${name}.yaml`), `name: ${name}\ninput: { path: ${name}.jsonl, batch: { records: 1 } }\n${rest}`);
  return `${name}.yaml`;
}

describe('deadline', () => {
  it('a job still running when its deadline passes ends TIMEOUT: run exits 1, its tasks are cancelled, its workers stopped, the error names the deadline', async () => {
    const file = job('slow', 4, 'handler: { command: "sleep 60" }\ncompute: { workers: 2 }\ndeadline: 2s\n');
    const r = await djc(['run', file, '--json'], opts());
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.status).toBe('TIMEOUT');
    expect(doc.error).toMatch(/^deadline 2s passed: the job had to end by \S+ \(2s after its submit at \S+\); it was stopped RUNNING$/);
    expect(doc.tasks).toMatchObject({ total: 4, succeeded: 0, running: 0, pending: 0, cancelled: 4 });
    // Stopped once the deadline had passed, not before.
    expect(Date.parse(doc.endedAt) - Date.parse(doc.createdAt)).toBeGreaterThanOrEqual(2000);
    expect(workerPids(box.home)).toEqual([]);

    const wait = await djc(['wait', doc.jobId, '--json'], opts());
    expect(wait.code).toBe(1);
    expect(JSON.parse(wait.stdout)).toMatchObject({ status: 'TIMEOUT', error: doc.error });
    const human = await djc(['status', doc.jobId], opts());
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^status {3}TIMEOUT /m);
    expect(human.stdout).toContain('error    deadline 2s passed');
    const listed = JSON.parse((await djc(['list', '--status', 'timeout', '--json'], opts())).stdout) as { jobs: { jobId: string }[] };
    expect(listed.jobs.map((j) => j.jobId)).toEqual([doc.jobId]);
  });

  it('djc retry of a TIMEOUT job, with a longer deadline (--set deadline=1h), runs its cancelled tasks to SUCCEEDED', async () => {
    const file = job('retried', 2, 'handler: { command: "sleep 3; cat" }\ncompute: { workers: 2 }\ndeadline: 1s\n');
    const r = await djc(['run', file, '--json'], opts());
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc).toMatchObject({ status: 'TIMEOUT', tasks: { cancelled: 2 } });
    const again = await djc(['retry', doc.jobId, '--set', 'deadline=1h', '--json'], opts());
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('--set deadline: 1s → 1h');
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'SUCCEEDED', error: null, tasks: { succeeded: 2, cancelled: 0 } });
  });

  it('a job that ends before its deadline is not touched by it', async () => {
    const file = job('quick', 2, 'handler: { command: "cat" }\ndeadline: 1h\n');
    const r = await djc(['run', file, '--json'], opts());
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'SUCCEEDED', error: null });
  });

  it('a deadline that is not a duration is refused with its YAML path (exit 2)', async () => {
    const file = job('bad', 1, 'handler: { command: "cat" }\ndeadline: soon\n');
    const r = await djc(['validate', file], opts());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('deadline');
  });
});
