/**
 * A worker told to stop (SIGTERM) lets its running attempt finish within the
 * grace period (`djc worker --grace`); past it, it gives the task back: the
 * attempt is refunded and the task's message is visible again at once, so
 * another worker finishes it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { djc, djcStart, readJsonl, sandboxPerTest, waitFor, workerPids } from './helpers.js';

const box = sandboxPerTest();

const opts = () => ({ cwd: box.dir, home: box.home });

interface TaskDoc { taskId: number; status: string; attempts: number; error: string | null; worker: string | null }
async function tasksOf(jobId: string): Promise<TaskDoc[]> {
  const r = await djc(['tasks', jobId, '--json'], opts());
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { tasks: TaskDoc[] }).tasks;
}

/** A job of one task run by workers this test starts (dispatcher external). */
function oneTaskJob(handlerJs: string): void {
  writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: 5 }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(box.dir, 'h.mjs'), handlerJs);
  writeFileSync(join(box.dir, 'job.yaml'), `name: stopping
input: { path: in.jsonl, batch: { records: 10 } }
handler: { module: ./h.mjs#handle }
compute: { dispatcher: external, lease: 10m, timeout: 20m }
retry: { max_attempts: 1 }
output: { path: out.jsonl }
`);
}

describe('a worker stopped mid-task', () => {
  it('finishes the running attempt within its grace period, then exits 0', async () => {
    // The attempt ends only once the test has seen the worker take the SIGTERM.
    oneTaskJob(`import { existsSync, readFileSync, writeFileSync } from 'node:fs';
export async function handle(records) {
  writeFileSync(new URL('./started', import.meta.url), '');
  while (!existsSync(new URL('./go', import.meta.url))) await new Promise((r) => setTimeout(r, 50));
  return records;
}
`);
    const run = djcStart(['run', 'job.yaml', '--json'], opts());
    const jobId = await waitFor('the job id', async () => /job (\S+) submitted/.exec(run.stderr())?.[1]);
    const worker = djcStart(['worker', '--job', jobId, '--grace', '120', '--worker-id', 'only'], opts());
    await waitFor('the attempt to start', async () => existsSync(join(box.dir, 'started')));
    worker.child.kill('SIGTERM');
    await waitFor('the worker to take the signal', async () => worker.stderr().includes('waiting for running attempts'));
    writeFileSync(join(box.dir, 'go'), '');
    const w = await worker.done;
    expect(w.code, w.stderr).toBe(0);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    const [t] = await tasksOf(jobId);
    expect(t).toMatchObject({ status: 'SUCCEEDED', attempts: 1, worker: 'only', error: null });
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
  });

  it('gives the task back after its grace period; another worker finishes it, and the retry budget is untouched', async () => {
    // Attempt 1 sleeps far longer than any timeout here (and ignores ctx.signal); later attempts return at once.
    oneTaskJob(`import { writeFileSync } from 'node:fs';
export async function handle(records, ctx) {
  writeFileSync(new URL('./started-' + ctx.attempt, import.meta.url), '');
  if (ctx.attempt === 1) await new Promise((r) => setTimeout(r, 600_000));
  return records;
}
`);
    // A lease of 10 minutes: the task can only come back in time if the worker gives it back
    // (state and queue message) itself. max_attempts 1: a given-back attempt that counted would
    // fail the job.
    const run = djcStart(['run', 'job.yaml', '--json'], opts());
    const jobId = await waitFor('the job id', async () => /job (\S+) submitted/.exec(run.stderr())?.[1]);

    const first = djcStart(['worker', '--job', jobId, '--grace', '1', '--worker-id', 'first'], opts());
    await waitFor('attempt 1 to start', async () => existsSync(join(box.dir, 'started-1')));
    first.child.kill('SIGTERM');
    const stopped = await first.done;
    expect(stopped.code, stopped.stderr).toBe(0);

    const [given] = await tasksOf(jobId);
    expect(given).toMatchObject({ taskId: 0, status: 'PENDING', attempts: 1, worker: 'first' });
    expect(given?.error).toContain('attempt 1 given back');

    const second = djcStart(['worker', '--job', jobId, '--worker-id', 'second'], opts());
    const finished = await second.done;
    expect(finished.code, finished.stderr).toBe(0);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { status: string }).status).toBe('SUCCEEDED');

    const [done] = await tasksOf(jobId);
    expect(done).toMatchObject({ taskId: 0, status: 'SUCCEEDED', attempts: 2, worker: 'second', error: null });
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
    const logs = await djc(['logs', jobId, '--task', '0'], opts());
    expect(logs.stdout).toMatch(/=== task 0 attempt 1 ===\n.*attempt aborted \(worker shutting down\)/);
  });
});

describe('a coordinator daemon stopped mid-task', () => {
  it('its local workers give their attempts back; the next daemon finishes the job within the retry budget', async () => {
    oneTaskJob(`import { writeFileSync } from 'node:fs';
export async function handle(records, ctx) {
  writeFileSync(new URL('./started-' + ctx.attempt, import.meta.url), '');
  if (ctx.attempt === 1) await new Promise((r) => setTimeout(r, 600_000));
  return records;
}
`);
    // Local workers this time (started by the daemon), with the default lease: a worker killed
    // before it gave its attempt back would leave a task that comes back as a spent attempt, and
    // with max_attempts 1 the job would fail.
    writeFileSync(join(box.dir, 'job.yaml'), readFileSync(join(box.dir, 'job.yaml'), 'utf8')
      .replace('compute: { dispatcher: external, lease: 10m, timeout: 20m }', 'compute: { workers: 1, timeout: 20m }'));
    const first = djcStart(['coordinator'], opts());
    const sub = await djc(['submit', 'job.yaml', '--json'], opts());
    expect(sub.code, sub.stderr).toBe(0);
    const { jobId } = JSON.parse(sub.stdout) as { jobId: string };
    await waitFor('attempt 1 to start', async () => existsSync(join(box.dir, 'started-1')));
    first.child.kill('SIGTERM');
    const stopped = await first.done;
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(workerPids(box.home)).toEqual([]);
    const [given] = await tasksOf(jobId);
    expect(given).toMatchObject({ status: 'PENDING', attempts: 1 });
    expect(given?.error).toContain('attempt 1 given back');

    const second = djcStart(['coordinator'], opts());
    try {
      const w = await djc(['wait', jobId, '--json'], opts());
      expect(w.code, w.stdout + w.stderr).toBe(0);
      expect((JSON.parse(w.stdout) as { status: string }).status).toBe('SUCCEEDED');
    } finally {
      second.child.kill('SIGTERM');
      await second.done;
    }
    const [done] = await tasksOf(jobId);
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 2, error: null });
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
  });
});
