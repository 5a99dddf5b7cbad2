/**
 * Chaos: duplicate deliveries forced. Two workers are frozen (SIGSTOP)
 * inside their tasks for longer than the lease (1 s), so their tasks are
 * delivered again to the worker left; then they are thawed (SIGCONT) and
 * their stale attempts run on to the end and try to commit. Every stale
 * attempt must lose: the result holds each record once and the counters
 * count each task and record once.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { djc, djcStart, sandboxPerTest, sleep, waitFor } from '../helpers.js';
import { exactness, recordFigures, workerPid } from './harness.js';

const box = sandboxPerTest('djc-chaos-dup-');
const RECORDS = 300;
const PER_TASK = 5;

interface Task { taskId: number; status: string; attempts: number; worker: string | null }

async function tasks(jobId: string, status?: string): Promise<Task[]> {
  const r = await djc(['tasks', jobId, '--json', ...(status ? ['--status', status] : [])], { cwd: box.dir, home: box.home });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { tasks: Task[] }).tasks;
}

/**
 * SIGSTOPs two workers that run a task, and returns the tasks they hold
 * while frozen (read after the stop: a worker may have finished the task
 * seen a moment before). Tries again (thawing them) when they held none.
 */
async function freezeTwoWorkersInTasks(jobId: string): Promise<{ frozen: Task[]; pids: number[] }> {
  for (let round = 0; round < 50; round++) {
    const running = (await tasks(jobId, 'running')).filter((t) => t.worker !== null);
    const workers = [...new Set(running.map((t) => t.worker as string))].slice(0, 2);
    if (workers.length < 2) {
      await sleep(50);
      continue;
    }
    const pids = workers.map((w) => workerPid(box.home, w));
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    const frozen = (await tasks(jobId, 'running')).filter((t) => t.worker !== null && workers.includes(t.worker));
    if (frozen.length > 0) return { frozen, pids };
    for (const pid of pids) process.kill(pid, 'SIGCONT');
  }
  throw new Error('never found two workers inside a task');
}

describe('chaos: duplicate deliveries', () => {
  it('attempts frozen past their lease and thawed after the task was re-run: 0 double commits, counters exact', async () => {
    const starts = join(box.dir, 'starts.log');
    writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: RECORDS }, (_, i) => `{"n":${i}}\n`).join(''));
    // Each attempt notes "task attempt" when it starts, then takes 150 ms.
    writeFileSync(join(box.dir, 'h.mjs'), `import { appendFileSync } from 'node:fs';
export async function echo(records, ctx) {
  appendFileSync(${JSON.stringify(starts)}, ctx.taskId + ' ' + ctx.attempt + '\\n');
  await new Promise((r) => setTimeout(r, 150));
  return records;
}
`);
    writeFileSync(join(box.dir, 'job.yaml'), `name: dup
input: { path: in.jsonl, batch: { records: ${PER_TASK} } }
handler: { module: ./h.mjs#echo }
compute: { workers: 3, lease: 1s, resources: { cpus: 0.5 } }
retry: { max_attempts: 4, backoff: { initial: 100ms } }
output: { path: out.jsonl }
`);
    const run = djcStart(['run', 'job.yaml', '--json'], { cwd: box.dir, home: box.home });
    const jobId = (await waitFor('the job id', async () => /djc: job (\S+) submitted/.exec(run.stderr())))[1] as string;
    const { frozen, pids } = await freezeTwoWorkersInTasks(jobId);
    try {
      // Their leases run out; the worker left runs those tasks again and commits them.
      await waitFor('the frozen tasks re-run and committed by the worker left', async () => {
        const now = await tasks(jobId);
        return frozen.every((f) => {
          const t = now.find((x) => x.taskId === f.taskId);
          return t?.status === 'SUCCEEDED' && t.attempts > f.attempts;
        });
      }, 60_000).catch(async (e: unknown) => {
        const now = await tasks(jobId);
        throw new Error(`${(e as Error).message}: frozen ${JSON.stringify(frozen)}, now ${JSON.stringify(frozen.map((f) => now.find((x) => x.taskId === f.taskId)))}; djc run said: ${run.stderr()}`);
      });
    } finally {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // stopped for good by its coordinator meanwhile
        }
      }
    }
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { status: string; tasks: { total: number; succeeded: number; failed: number }; records: { total: number; processed: number } };
    expect(doc).toMatchObject({
      status: 'SUCCEEDED',
      tasks: { total: RECORDS / PER_TASK, succeeded: RECORDS / PER_TASK, failed: 0 },
      records: { total: RECORDS, processed: RECORDS },
    });

    // Each frozen task was delivered at least twice (its first attempt started in the frozen worker).
    const started = readFileSync(starts, 'utf8').trim().split('\n').map((l) => l.split(' ').map(Number) as [number, number]);
    for (const f of frozen) {
      const attemptsStarted = started.filter(([task]) => task === f.taskId).map(([, attempt]) => attempt);
      expect(Math.max(...attemptsStarted)).toBeGreaterThan(f.attempts);
    }
    const { lost, duplicated, foreign } = exactness(join(box.dir, 'out.jsonl'), RECORDS);
    const all = await tasks(jobId);
    recordFigures({
      test: 'local: 2 workers frozen past a 1 s lease, thawed', backend: 'local', tasks: all.length, records: RECORDS,
      lost, duplicated, attempts: all.reduce((s, t) => s + t.attempts, 0), workerKills: 0, coordinatorKills: 0, takeoverSeconds: [],
    });
    expect({ lost, duplicated, foreign }).toEqual({ lost: 0, duplicated: 0, foreign: 0 });
  });
});
