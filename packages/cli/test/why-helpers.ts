/**
 * The `--why` scenario, run on each backend: one worker, four tasks. Task 0
 * fails its first attempt and waits out a one-minute backoff; task 1 runs
 * until the test creates a file; tasks 2 and 3 wait in the queue. The test
 * reads `djc tasks --why` and `djc status --why` (text and JSON) in that
 * state, then pauses the job and reads them again, then lets task 1 end and
 * cancels the job.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { djcStart, waitFor, type CliResult } from './helpers.js';

export interface WhyTask { taskId: number; status: string; attempts: number; code: string; message: string; until: string | null; worker: string | null }
export interface WhyDoc { jobId: string; status: string; job: { code: string; message: string } | null; tasks: WhyTask[]; truncated: boolean; unfinished: Record<string, number> }

export interface WhyEnv {
  dir: string;
  home: string;
  env?: Record<string, string>;
  run(args: string[]): Promise<CliResult>;
}

export function writeWhyJob(dir: string): void {
  writeFileSync(join(dir, 'in.jsonl'), Array.from({ length: 4 }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(dir, 'h.mjs'), `import { existsSync } from 'node:fs';
export async function h(records, ctx) {
  const n = records[0].n;
  if (n === 0 && ctx.attempt === 1) throw new Error('the first attempt fails');
  while (n === 1 && !existsSync(${JSON.stringify(join(dir, 'go'))})) await new Promise((r) => setTimeout(r, 100));
  return records;
}\n`);
  writeFileSync(join(dir, 'job.yaml'), `name: why
input: { path: in.jsonl, batch: { records: 1 } }
handler: { module: ./h.mjs#h }
compute: { workers: 1 }
retry: { max_attempts: 3, backoff: { initial: 1m, jitter: false } }
output: { path: out.jsonl }
`);
}

export async function whyJson(t: WhyEnv, jobId: string): Promise<WhyDoc> {
  const r = await t.run(['tasks', jobId, '--why', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as WhyDoc;
}

/** Starts `djc run` and waits for the state described above; the job id and the run. */
export async function startWhyScenario(t: WhyEnv): Promise<{ jobId: string; run: ReturnType<typeof djcStart> }> {
  writeWhyJob(t.dir);
  const run = djcStart(['run', 'job.yaml'], { cwd: t.dir, home: t.home, env: t.env, detached: true });
  started.push(run);
  const jobId = (await waitFor('the job id', async () => /djc: job (\S+) submitted/.exec(run.stderr()), 60_000))[1] as string;
  await waitFor('task 0 in backoff and task 1 running', async () => {
    const doc = await whyJson(t, jobId);
    const by = new Map(doc.tasks.map((x) => [x.taskId, x.status]));
    return by.get(0) === 'RETRY_WAIT' && by.get(1) === 'RUNNING';
  }, 90_000);
  return { jobId, run };
}

/** The reasons of the running job (before the pause). */
export function expectRunningReasons(doc: WhyDoc, startedAt: number): void {
  expect(doc.job).toBeNull();
  expect(doc.truncated).toBe(false);
  expect(doc.tasks.map((x) => [x.taskId, x.status, x.code])).toEqual([
    [0, 'RETRY_WAIT', 'backoff'], [1, 'RUNNING', 'running'], [2, 'PENDING', 'waiting_for_worker'], [3, 'PENDING', 'waiting_for_worker'],
  ]);
  const [backoff, running] = doc.tasks as [WhyTask, WhyTask];
  // A one-minute backoff, not jittered: it ends about a minute after the attempt, long after the test started.
  expect(Date.parse(backoff.until as string)).toBeGreaterThan(startedAt + 30_000);
  expect(backoff.message).toMatch(/^backoff until \S+ \(in [^)]+\) after attempt 1 failed: attempt 1: .*the first attempt fails/);
  expect(running.worker).toBeTruthy();
  expect(running.message).toContain(`running on worker ${running.worker} (attempt 1, lease until `);
  expect(doc.tasks[2]?.message).toMatch(/^queued, waiting for a free worker: 1 worker running, 1 task running or held$/);
}

const started: ReturnType<typeof djcStart>[] = [];

/**
 * Call at the top of a test file (after the sandbox's hooks, so it runs
 * before their leak check): after each test, however it ended, `djc run` and
 * its workers (its own process group) do not outlive it; task 1 would wait
 * for its file forever.
 */
export function stopScenariosAfterEach(): void {
  afterEach(() => {
    for (const run of started.splice(0)) {
      if (run.child.exitCode !== null || run.child.signalCode !== null) continue;
      try {
        process.kill(-(run.child.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}
