/**
 * A module handler's stray error (a promise it did not await rejects, a
 * callback throws) is attributed to the batch whose code caused it, never to
 * the batch that happens to run next on the same thread: with
 * retry.max_attempts 1, one worker and two tasks, the innocent task
 * succeeds. An error that surfaces within the settle window after its
 * handler returned fails the buggy task; a later one is logged against it
 * in the worker log.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { djc, sandboxPerTest } from './helpers.js';

const box = sandboxPerTest();
const run = (args: string[]) => box.run(args);

interface Task { taskId: number; status: string; attempts: number; error: string | null }

// Task 0 (record "buggy") leaves an error behind; task 1 (record "innocent") runs 1.5 s on the same thread.
const HANDLER = `
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export async function handle(records) {
  const [{ role }] = records;
  if (role === 'innocent') { await sleep(1500); return records; }
  if (process.env.STRAY === 'settle') {
    await sleep(200);
    setTimeout(() => void Promise.reject(new Error('left behind by the buggy batch')), 5);
  } else {
    void sleep(400).then(() => Promise.reject(new Error('left behind by the buggy batch')));
  }
  return records;
}
`;

async function runJob(stray: 'settle' | 'late'): Promise<{ jobId: string; status: string; tasks: Task[]; code: number }> {
  writeFileSync(join(box.dir, 'in.jsonl'), '{"role":"buggy"}\n{"role":"innocent"}\n');
  writeFileSync(join(box.dir, 'h.mjs'), HANDLER);
  writeFileSync(join(box.dir, 'job.yaml'), [
    'name: stray', 'input: { path: in.jsonl, batch: { records: 1 } }', 'handler: { module: ./h.mjs#handle }',
    'compute: { workers: 1, concurrency: 1 }', 'retry: { max_attempts: 1 }', 'tolerated_failure: 1', 'output: { path: out.jsonl }', '',
  ].join('\n'));
  const res = await djc(['run', 'job.yaml', '--json'], { cwd: box.dir, home: box.home, env: { STRAY: stray } });
  const doc = JSON.parse(res.stdout) as { jobId: string; status: string };
  const tasks = JSON.parse((await run(['tasks', doc.jobId, '--json'])).stdout) as { tasks: Task[] };
  return { ...doc, tasks: tasks.tasks, code: res.code };
}

describe('stray errors of a module handler', () => {
  it('within the settle window: the buggy batch fails, the innocent one succeeds (max_attempts: 1)', async () => {
    const { jobId, tasks } = await runJob('settle');
    expect(tasks.map((t) => [t.taskId, t.status, t.attempts])).toEqual([[0, 'FAILED', 1], [1, 'SUCCEEDED', 1]]);
    expect(tasks[0]?.error).toMatch(/handler left a stray error: a promise it did not await rejected: Error: left behind by the buggy batch \(at h\.mjs:\d+:\d+\); await every promise the handler starts/);
    const logs = await run(['logs', jobId, '--task', '0']);
    expect(logs.stdout).toContain('left behind by the buggy batch');
  });

  it('after the buggy batch reported: it is logged against that batch in the worker log; both succeed', async () => {
    const { jobId, status, tasks, code } = await runJob('late');
    expect(code).toBe(0);
    expect(status).toBe('SUCCEEDED');
    expect(tasks.map((t) => [t.taskId, t.status, t.attempts, t.error])).toEqual([[0, 'SUCCEEDED', 1, null], [1, 'SUCCEEDED', 1, null]]);
    const workers = await run(['logs', jobId, '--workers']);
    const line = workers.stdout.split('\n').find((l) => l.includes('stray error'));
    expect(line, workers.stdout).toBeDefined();
    expect(JSON.parse(line as string)).toMatchObject({
      jobId, taskId: 0, attempt: 1,
      error: expect.stringMatching(/^handler left a stray error: a promise it did not await rejected: Error: left behind by the buggy batch/),
    });
  });
});
