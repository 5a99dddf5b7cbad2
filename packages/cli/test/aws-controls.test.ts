/**
 * Job controls of issue 11 on the aws backend (DynamoDB Local, fauxqs S3 and
 * SQS): the rate limit across workers (its slots in DynamoDB, conditional
 * UpdateItems), a deadline → TIMEOUT, and pause/resume under `djc run`,
 * the same as on the local backend. The rate is 5/s, not 20/s as on the
 * local backend: DynamoDB Local serialises transactions, and on this
 * shared machine a task's writes there take longer than 16 slots at 20/s
 * allow (measured 8.5/s), which would measure the emulator, not the limit.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { djcStart, sleep, waitFor, workerPids } from './helpers.js';
import { useAwsBackend } from './aws-backend.js';

const t = useAwsBackend('djc-awsctl-');

interface Doc { jobId: string; status: string; error: string | null; tasks: Record<string, number> }
interface TaskDoc { taskId: number; status: string; attempts: number; startedAt: string | null }

/** A job of `n` one-record tasks ({"n": i}) with the rest of its YAML. */
function job(name: string, n: number, rest: string): string {
  writeFileSync(join(t.box.dir, `${name}.jsonl`), Array.from({ length: n }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(t.box.dir, `${name}.yaml`), `name: ${name}\ninput: { path: ${name}.jsonl, batch: { records: 1 } }\n${rest}`);
  return `${name}.yaml`;
}

async function status(ref: string): Promise<Doc> {
  const r = await t.run(['status', ref, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Doc;
}

async function tasksOf(jobId: string): Promise<TaskDoc[]> {
  return (JSON.parse((await t.run(['tasks', jobId, '--json'])).stdout) as { tasks: TaskDoc[] }).tasks;
}

describe('job controls on the aws backend', () => {
  it('rate_limit calls: 5, per: 1s over 4 workers × 4 slots: no 1 s window holds more than 6 starts (one late start), the rate at most 10% over, and not throttled below half', async () => {
    const file = job('limited', 40, 'handler: { command: cat, rate_limit: { calls: 5, per: 1s } }\ncompute: { workers: 4, concurrency: 4 }\n');
    const r = await t.run(['run', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { jobId } = JSON.parse(r.stdout) as Doc;
    const starts = (await tasksOf(jobId)).map((x) => Date.parse(x.startedAt ?? 'x')).sort((a, b) => a - b);
    expect(starts).toHaveLength(40);
    let busiest = 0;
    for (const from of starts) busiest = Math.max(busiest, starts.filter((s) => s >= from && s < from + 1000).length);
    // A start recorded a little after its slot lets one window hold one more: +10% of 5 is below one start.
    expect(busiest).toBeLessThanOrEqual(6);
    const rate = (starts.length - 1) / (((starts.at(-1) as number) - (starts[0] as number)) / 1000);
    // The limit is a ceiling; how close the run comes to it from below is the machine's (DynamoDB Local at load fell
    // under 4.5/s in CI). Half the limit still tells a limiter that over-throttles (e.g. one slot a second) from one that works.
    expect(rate).toBeGreaterThanOrEqual(5 * 0.5);
    expect(rate).toBeLessThanOrEqual(5 * 1.1);
  });

  it('a deadline that passes: TIMEOUT, exit 1, the error names it, the tasks cancelled', async () => {
    const r = await t.run(['run', job('late', 2, 'handler: { command: "sleep 60" }\ncompute: { workers: 2 }\ndeadline: 2s\n'), '--json']);
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.status).toBe('TIMEOUT');
    expect(doc.error).toMatch(/^deadline 2s passed: .*; it was stopped RUNNING$/);
    expect(doc.tasks).toMatchObject({ running: 0, pending: 0, cancelled: 2 });
  });

  it('pause and resume under djc run: workers released while paused, then every task once', async () => {
    const run = djcStart(['run', job('pausable', 16, 'handler: { command: "sleep 1; cat" }\ncompute: { workers: 2 }\n'), '--json'],
      { cwd: t.box.dir, home: t.box.home, env: t.env });
    try {
      await waitFor('a task done', async () => ((await status('pausable').catch(() => null))?.tasks.succeeded ?? 0) >= 1);
      const pz = await t.run(['pause', 'pausable']);
      expect(pz.code, pz.stderr).toBe(0);
      const paused = await waitFor('the workers released', async () => {
        const d = await status('pausable');
        return d.tasks.running + d.tasks.claimed === 0 && workerPids(t.box.home).length === 0 ? d : null;
      });
      expect(paused.status).toBe('PAUSED');
      expect(paused.tasks.pending).toBeGreaterThan(0);
      await sleep(1500);
      expect(await status('pausable')).toMatchObject({ status: 'PAUSED', tasks: paused.tasks });
      expect((await t.run(['resume', 'pausable'])).code).toBe(0);
      const done = await run.done;
      expect(done.code, done.stderr).toBe(0);
      const doc = JSON.parse(done.stdout) as Doc;
      expect(doc).toMatchObject({ status: 'SUCCEEDED', tasks: { succeeded: 16 } });
      for (const x of await tasksOf(doc.jobId)) expect(x).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    } finally {
      run.child.kill('SIGKILL');
    }
  });
});
