/**
 * At compute.concurrency 1 a worker hands its next held command attempts to
 * the perl spawner ahead of their turn (worker.ts QUEUE_AHEAD, a queued
 * start): the spawner starts each when the command before it exits. The
 * guarantees stay: one command at a time, each input record run and
 * output once; a command that must not start (the one before it timed
 * out, the worker was told to stop) never starts and its task is given back
 * (no attempt counted: max_attempts 1 here), then run once, later.
 *
 * The command appends "n start end" (seconds since boot, /proc/uptime, in
 * hundredths) to calls.txt, so the test sees when each really ran and that
 * none ran twice.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { djc, djcStart, sandboxPerTest, waitFor } from './helpers.js';

const box = sandboxPerTest();
const TASKS = 60;
/** The task that blocks: late enough that the worker measured the job quick and holds tasks ahead. */
const SLOW = 30;

interface TaskDoc { taskId: number; status: string; attempts: number; error: string | null; startedAt: string }
interface Call { n: number; start: number; end: number }

const opts = () => ({ cwd: box.dir, home: box.home });

/** `slow`: what task SLOW does before it prints (a shell fragment). `compute`: the job's compute mapping. */
function job(slow: string, compute: string): void {
  writeFileSync(join(box.dir, 'in.txt'), Array.from({ length: TASKS }, (_, n) => `${n}\n`).join(''));
  // Shell builtins only (the times from /proc/uptime, no date process): a command stays quick (< 20 ms) on a loaded machine,
  // so the worker queues the next ones behind it.
  writeFileSync(join(box.dir, 'cmd.sh'), `read n
read s rest < /proc/uptime
if [ "$n" = ${SLOW} ]; then ${slow}; fi
read e rest < /proc/uptime
echo "$n $s $e" >> calls.txt
echo "$n"
`);
  writeFileSync(join(box.dir, 'job.yaml'), `name: ahead-cmd
input: { path: in.txt, format: text, batch: { records: 1 } }
handler: { command: sh ./cmd.sh }
compute: ${compute}
retry: { max_attempts: 1 }
fail_fast: false
tolerated_failure: 5%
output: { path: out.txt }
`);
}

async function tasksOf(jobId: string): Promise<TaskDoc[]> {
  const r = await djc(['tasks', jobId, '--json'], opts());
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { tasks: TaskDoc[] }).tasks;
}

function calls(): Call[] {
  return readFileSync(join(box.dir, 'calls.txt'), 'utf8').trim().split('\n').map((l) => {
    const [n, start, end] = l.split(' ').map(Number) as [number, number, number];
    return { n, start, end };
  });
}

/** Each command ran to its end once (`except`: never), one at a time. */
function expectOneAtATime(got: Call[], except: number[]): void {
  const per = new Map<number, number>();
  for (const c of got) per.set(c.n, (per.get(c.n) ?? 0) + 1);
  expect([...per].filter(([, k]) => k !== 1)).toEqual([]);
  expect([...per.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: TASKS }, (_, n) => n).filter((n) => !except.includes(n)));
  const byStart = [...got].sort((a, b) => a.start - b.start);
  for (let i = 1; i < byStart.length; i++) expect((byStart[i] as Call).start, `task ${(byStart[i] as Call).n}`).toBeGreaterThanOrEqual((byStart[i - 1] as Call).end);
}

/** The lines of the job's local worker log (JSON). */
function workerLog(): Record<string, unknown>[] {
  const dir = join(box.home, 'workers');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.log'));
  return files.flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>));
}

function outputLines(): number[] {
  return readFileSync(join(box.dir, 'out.txt'), 'utf8').trim().split('\n').map(Number).sort((a, b) => a - b);
}

describe('at concurrency 1 the next commands wait in the spawner', () => {
  it('a command that times out fails alone; those queued behind it never start, are given back, and run once later', async () => {
    job('sleep 30', '{ workers: 1, concurrency: 1, timeout: 1s }');
    const r = await djc(['run', 'job.yaml', '--json'], opts());
    expect(r.code, r.stderr).toBe(0);
    const { jobId } = JSON.parse(r.stdout) as { jobId: string };
    const tasks = await tasksOf(jobId);
    const slow = tasks.find((t) => t.taskId === SLOW);
    expect(slow).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(slow?.error).toContain('timed out');
    // max_attempts 1: a task whose dropped attempt counted would have FAILED.
    const others = tasks.filter((t) => t.taskId !== SLOW);
    expect(others.filter((t) => t.status !== 'SUCCEEDED' || t.attempts !== 1)).toEqual([]);
    // The worker's log names the tasks given back: those queued behind the one that timed out.
    const givenBack = workerLog().filter((l) => l.msg === 'attempt given back').map((l) => l.taskId as number);
    expect(givenBack.length).toBeGreaterThan(0);
    expect(givenBack.filter((n) => n <= SLOW)).toEqual([]);
    expectOneAtATime(calls(), [SLOW]);
    expect(outputLines()).toEqual(Array.from({ length: TASKS }, (_, n) => n).filter((n) => n !== SLOW));
  });

  it('a worker told to stop finishes its running command; the commands queued behind it never start', async () => {
    // Task SLOW waits for the test's go, after the worker took its SIGTERM (grace 120 s).
    job(`touch slow-started; while [ ! -e go ]; do sleep 0.05; done`, '{ dispatcher: external, lease: 10m, concurrency: 1, timeout: 20m }');
    const run = djcStart(['run', 'job.yaml', '--json'], opts());
    const jobId = await waitFor('the job id', async () => /job (\S+) submitted/.exec(run.stderr())?.[1]);
    const first = djcStart(['worker', '--job', jobId, '--grace', '120', '--worker-id', 'first'], opts());
    await waitFor('task SLOW to start', async () => existsSync(join(box.dir, 'slow-started')));
    first.child.kill('SIGTERM');
    await waitFor('the worker to take the signal', async () => first.stderr().includes('waiting for running attempts'));
    writeFileSync(join(box.dir, 'go'), '');
    const stopped = await first.done;
    expect(stopped.code, stopped.stderr).toBe(0);
    // It had commands queued behind SLOW (else this test shows nothing), and none of them ran.
    expect(Number(/"startedAhead":(\d+)/.exec(stopped.stderr)?.[1])).toBeGreaterThan(0);
    expect(Math.max(...calls().map((c) => c.n))).toBe(SLOW);

    const second = djcStart(['worker', '--job', jobId, '--worker-id', 'second'], opts());
    expect((await second.done).code).toBe(0);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    const tasks = await tasksOf(jobId);
    expect(tasks.filter((t) => t.status !== 'SUCCEEDED')).toEqual([]);
    expectOneAtATime(calls(), []);
    expect(outputLines()).toEqual(Array.from({ length: TASKS }, (_, n) => n));
  });
});
