/**
 * At compute.concurrency 1 a worker hands its handler thread the next held
 * quick attempt while one runs (worker.ts, QUEUE_AHEAD): the thread goes
 * from one attempt straight to the next. The guarantees of one attempt at a
 * time stay: the tasks' recorded starts are their true starts (their turn
 * on the thread, not when they were queued), so they follow each other
 * without overlap; an attempt that times out or ends its thread fails
 * alone, and the attempt queued behind it runs again on a new thread with
 * no attempt counted (its log says it was moved: on a worker that queues
 * nothing at c1, no task's log says so).
 *
 * The handler appends "n start end" (epoch ms, taken in the handler) to a
 * file for every call, so the test sees when each handler really ran and
 * that no task ran twice.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { djc, readJsonl, sandboxPerTest } from './helpers.js';

const box = sandboxPerTest();
const TASKS = 80;
/** The tasks that misbehave: each late enough that its thread (a new one after the one before) is measured quick. */
const BAD = [30, 50, 70];

interface TaskDoc { taskId: number; status: string; attempts: number; error: string | null; startedAt: string; endedAt: string }
interface Call { n: number; start: number; end: number }

const opts = () => ({ cwd: box.dir, home: box.home });
const MOVED = 'its handler thread ended because of an attempt queued ahead of it; it runs on another thread (no attempt counted)';

function job(how: 'spin' | 'exit' | 'none'): void {
  writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: TASKS }, (_, n) => `{"n":${n}}\n`).join(''));
  writeFileSync(join(box.dir, 'h.mjs'), `import { appendFileSync } from 'node:fs';
export async function handle(records) {
  const n = records[0].n;
  const start = Date.now();
  if (${JSON.stringify(BAD)}.includes(n) && ${JSON.stringify(how)} !== 'none') {
    // Long enough for the next held attempt to be queued behind it on its thread.
    await new Promise((resolve) => setTimeout(resolve, 300));
    appendFileSync(${JSON.stringify(join(box.dir, 'calls.txt'))}, n + ' ' + start + ' ' + Date.now() + '\\n');
    if (${JSON.stringify(how)} === 'spin') for (const end = Date.now() + 60000; Date.now() < end;);
    if (${JSON.stringify(how)} === 'exit') process.exit(3);
  }
  // A few ms of work: quick (< 20 ms), yet long enough for starts that overlap to show.
  for (const end = Date.now() + 3; Date.now() < end;);
  appendFileSync(${JSON.stringify(join(box.dir, 'calls.txt'))}, n + ' ' + start + ' ' + Date.now() + '\\n');
  return records;
}
`);
  writeFileSync(join(box.dir, 'job.yaml'), `name: ahead
input: { path: in.jsonl, batch: { records: 1 } }
handler: { module: ./h.mjs#handle }
compute: { workers: 1, concurrency: 1, timeout: 2s }
retry: { max_attempts: 1 }
fail_fast: false
tolerated_failure: 5%
output: { path: out.jsonl }
`);
}

async function runJob(): Promise<{ jobId: string; tasks: TaskDoc[]; calls: Call[] }> {
  const r = await djc(['run', 'job.yaml', '--json'], opts());
  expect(r.code, r.stderr).toBe(0);
  const jobId = (JSON.parse(r.stdout) as { jobId: string }).jobId;
  const tasks = (JSON.parse((await djc(['tasks', jobId, '--json'], opts())).stdout) as { tasks: TaskDoc[] }).tasks;
  const calls = readFileSync(join(box.dir, 'calls.txt'), 'utf8').trim().split('\n').map((l) => {
    const [n, start, end] = l.split(' ').map(Number) as [number, number, number];
    return { n, start, end };
  });
  return { jobId, tasks, calls };
}

/**
 * The tasks whose log says they were moved to another thread because of an
 * attempt ahead of them, among the first three started after each BAD one
 * (and the BAD ones: never moved).
 */
async function moved(jobId: string, tasks: TaskDoc[]): Promise<number[]> {
  const byStart = [...tasks].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const look = new Set<number>(BAD);
  for (const n of BAD) {
    const i = byStart.findIndex((t) => t.taskId === n);
    for (const t of byStart.slice(i + 1, i + 4)) look.add(t.taskId);
  }
  const ids: number[] = [];
  for (const id of look) if ((await djc(['logs', jobId, '--task', String(id)], opts())).stdout.includes(MOVED)) ids.push(id);
  return ids;
}

/** Every task but the BAD ones SUCCEEDED at attempt 1, each BAD one FAILED with `error`; the output holds the others' records. */
function expectOnlyBadFailed(tasks: TaskDoc[], error: string): void {
  for (const n of BAD) {
    const bad = tasks.find((t) => t.taskId === n);
    expect(bad?.status).toBe('FAILED');
    expect(bad?.error).toContain(error);
  }
  const others = tasks.filter((t) => !BAD.includes(t.taskId));
  expect(others.filter((t) => t.status !== 'SUCCEEDED' || t.attempts !== 1)).toEqual([]);
  expect(others).toHaveLength(TASKS - BAD.length);
  const out = readJsonl(join(box.dir, 'out.jsonl')) as { n: number }[];
  expect(out.map((r) => r.n).sort((a, b) => a - b)).toEqual(Array.from({ length: TASKS }, (_, n) => n).filter((n) => !BAD.includes(n)));
}

/** Each task's handler ran to its end exactly once (a BAD one that ended its thread: its one call before it). */
function expectOneCallEach(calls: Call[]): void {
  const per = new Map<number, number>();
  for (const c of calls) per.set(c.n, (per.get(c.n) ?? 0) + 1);
  expect([...per].filter(([, k]) => k !== 1)).toEqual([]);
  expect(per.size).toBe(TASKS);
}

describe('at concurrency 1 the next attempt waits in its handler thread', () => {
  it('each task starts when its handler does: recorded starts never overlap the attempt before', async () => {
    job('none');
    const { tasks, calls } = await runJob();
    expect(tasks.filter((t) => t.status !== 'SUCCEEDED' || t.attempts !== 1)).toEqual([]);
    expectOneCallEach(calls);
    const startedAt = new Map(tasks.map((t) => [t.taskId, Date.parse(t.startedAt)]));
    const byStart = [...calls].sort((a, b) => a.start - b.start);
    for (const [i, c] of byStart.entries()) {
      const recorded = startedAt.get(c.n) as number;
      // Its start is recorded no later than its handler started, and not before the handler ahead of it ended.
      expect(recorded, `task ${c.n}`).toBeLessThanOrEqual(c.start);
      if (i > 0) expect(recorded, `task ${c.n}`).toBeGreaterThanOrEqual((byStart[i - 1] as Call).end);
    }
  });

  it('a handler that ends its thread fails its attempt only; the one queued behind it runs on a new thread, not counted', async () => {
    job('exit');
    const { jobId, tasks, calls } = await runJob();
    expectOnlyBadFailed(tasks, 'handler exited the thread with code 3');
    expectOneCallEach(calls);
    const ids = await moved(jobId, tasks);
    // Only attempts queued behind a BAD one were moved: a task that started after it, never a BAD one.
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.filter((n) => BAD.includes(n))).toEqual([]);
  });

  it('a timeout names the attempt that timed out; the one queued behind it still succeeds, not counted', async () => {
    job('spin');
    const { jobId, tasks, calls } = await runJob();
    expectOnlyBadFailed(tasks, 'timed out after 2s');
    expectOneCallEach(calls);
    const ids = await moved(jobId, tasks);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.filter((n) => BAD.includes(n))).toEqual([]);
  });
});
