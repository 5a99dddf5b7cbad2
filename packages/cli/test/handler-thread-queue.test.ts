/**
 * Quick module attempts queue on one handler thread (thread-pool.ts): at
 * concurrency 10 a worker posts several attempts to the same thread, which
 * runs them one at a time. When one attempt of such a queue times out,
 * throws, or ends its thread, only that attempt fails: the ones queued
 * behind it on the thread run again on another thread, and no attempt is
 * counted against them (every other task SUCCEEDED at attempt 1, and its
 * log says it was moved). The handler appends each call to a file, so the
 * test sees that no task ran twice. DJC_QUICK_THREADS=1 makes the worker queue on one thread whatever
 * the machine's cores.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { djc, readJsonl, sandboxPerTest } from './helpers.js';

const box = sandboxPerTest();
const TASKS = 80;
/** The task that misbehaves: late enough that the thread is measured quick and attempts queue on it. */
const BAD = 50;

interface TaskDoc { taskId: number; status: string; attempts: number; error: string | null; startedAt: string; endedAt: string }

const opts = () => ({ cwd: box.dir, home: box.home, env: { DJC_QUICK_THREADS: '1' } });
const MOVED = 'its handler thread ended because of an attempt queued ahead of it; it runs on another thread (no attempt counted)';

function job(how: 'spin' | 'throw' | 'exit'): void {
  writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: TASKS }, (_, n) => `{"n":${n}}\n`).join(''));
  writeFileSync(join(box.dir, 'h.mjs'), `import { appendFileSync } from 'node:fs';
export async function handle(records) {
  const n = records[0].n;
  appendFileSync(${JSON.stringify(join(box.dir, 'calls.txt'))}, n + '\\n');
  if (n === ${BAD}) {
    // Long enough for the attempts started beside it to queue behind it on its thread.
    await new Promise((resolve) => setTimeout(resolve, 500));
    if (${JSON.stringify(how)} === 'spin') for (const end = Date.now() + 60000; Date.now() < end;);
    if (${JSON.stringify(how)} === 'throw') throw new Error('record ${BAD} is bad');
    if (${JSON.stringify(how)} === 'exit') process.exit(3);
  }
  return records;
}
`);
  writeFileSync(join(box.dir, 'job.yaml'), `name: queue
input: { path: in.jsonl, batch: { records: 1 } }
handler: { module: ./h.mjs#handle }
compute: { workers: 1, concurrency: 10, timeout: 4s }
retry: { max_attempts: 1 }
fail_fast: false
tolerated_failure: 5%
output: { path: out.jsonl }
`);
}

async function runJob(): Promise<{ jobId: string; tasks: TaskDoc[]; calls: Map<number, number> }> {
  const r = await djc(['run', 'job.yaml', '--json'], opts());
  expect(r.code, r.stderr).toBe(0);
  const jobId = (JSON.parse(r.stdout) as { jobId: string }).jobId;
  const tasks = (JSON.parse((await djc(['tasks', jobId, '--json'], opts())).stdout) as { tasks: TaskDoc[] }).tasks;
  const calls = new Map<number, number>();
  for (const n of readFileSync(join(box.dir, 'calls.txt'), 'utf8').trim().split('\n').map(Number)) calls.set(n, (calls.get(n) ?? 0) + 1);
  return { jobId, tasks, calls };
}

/** How many of the tasks started while BAD ran say in their log that they were moved to another thread. */
async function moved(jobId: string, tasks: TaskDoc[]): Promise<number> {
  const bad = tasks.find((t) => t.taskId === BAD) as TaskDoc;
  const during = tasks.filter((t) => t.taskId !== BAD && t.startedAt >= bad.startedAt && t.startedAt <= bad.endedAt);
  let n = 0;
  for (const t of during) if ((await djc(['logs', jobId, '--task', String(t.taskId)], opts())).stdout.includes(MOVED)) n += 1;
  return n;
}

/** Every task but BAD SUCCEEDED at attempt 1, BAD FAILED with `error`, and the output holds every record but BAD's. */
function expectOnlyBadFailed(tasks: TaskDoc[], error: string): void {
  const bad = tasks.find((t) => t.taskId === BAD);
  expect(bad?.status).toBe('FAILED');
  expect(bad?.error).toContain(error);
  const others = tasks.filter((t) => t.taskId !== BAD);
  expect(others.filter((t) => t.status !== 'SUCCEEDED' || t.attempts !== 1)).toEqual([]);
  expect(others).toHaveLength(TASKS - 1);
  const out = readJsonl(join(box.dir, 'out.jsonl')) as { n: number }[];
  expect(out.map((r) => r.n).sort((a, b) => a - b)).toEqual(Array.from({ length: TASKS }, (_, n) => n).filter((n) => n !== BAD));
}

/** Tasks other than BAD whose handler was called more than once. */
function rerun(calls: Map<number, number>): number[] {
  return [...calls].filter(([n, c]) => n !== BAD && c > 1).map(([n]) => n);
}

describe('attempts queued on one handler thread', () => {
  it('a timeout fails only the attempt that timed out; the ones queued behind it run again, not counted', async () => {
    job('spin');
    const { jobId, tasks, calls } = await runJob();
    expectOnlyBadFailed(tasks, 'timed out after 4s');
    // The attempts queued behind the busy loop were taken from the thread it ran on and ran elsewhere, once each.
    expect(await moved(jobId, tasks)).toBeGreaterThan(0);
    expect(calls.get(BAD)).toBe(1);
    expect(calls.size).toBe(TASKS);
  });

  it('a handler that throws fails its attempt only; the thread goes on, no attempt runs twice', async () => {
    job('throw');
    const { jobId, tasks, calls } = await runJob();
    expectOnlyBadFailed(tasks, 'handler threw: Error: record 50 is bad');
    expect(rerun(calls)).toEqual([]);
    expect(await moved(jobId, tasks)).toBe(0);
    expect(calls.size).toBe(TASKS);
  });

  it('a handler that ends its thread fails its attempt only; the ones queued behind it run again, not counted', async () => {
    job('exit');
    const { jobId, tasks, calls } = await runJob();
    expectOnlyBadFailed(tasks, 'handler exited the thread with code 3');
    expect(await moved(jobId, tasks)).toBeGreaterThan(0);
    expect(calls.get(BAD)).toBe(1);
    // Every task ran (the ones behind the exit again elsewhere), each exactly once to completion.
    expect(calls.size).toBe(TASKS);
  });
});
