/**
 * fail_fast: once more tasks failed than tolerated_failure allows, the job
 * stops scheduling the rest and ends FAILED with a message naming the
 * limit; --keep-going runs every task; `djc retry` then re-runs the failed
 * and the never-run tasks. Asserted by counts, never by time.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl, sandboxPerTest, workerPids } from './helpers.js';

const box = sandboxPerTest();
const run = (args: string[]) => box.run(args);

interface Status { jobId: string; status: string; error: string | null; tasks: { total: number; failed: number; succeeded: number; cancelled: number; pending: number; running: number } }
interface Task { taskId: number; status: string; attempts: number }

/** 100 one-record tasks; task 3 fails until ./fixed exists; each task sleeps ./delay seconds (0.3 unless written). */
function hundredTasks(): string {
  writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: 100 }, (_, i) => `{"n":${i}}\n`).join(''));
  const file = join(box.dir, 'job.yaml');
  writeFileSync(file, `name: failfast
input: { path: in.jsonl, batch: { records: 1 } }
handler:
  command: |
    read -r line
    if [ "$line" = '{"n":3}' ] && [ ! -f fixed ]; then echo "task 3 is broken" >&2; exit 3; fi
    sleep "$(cat delay 2>/dev/null || echo 0.3)"
    printf '%s\\n' "$line"
compute: { workers: 2 }
retry: { max_attempts: 1 }
tolerated_failure: 0
output: { path: out.jsonl }
`);
  return file;
}

const tasksOf = async (jobId: string): Promise<Task[]> => (JSON.parse((await run(['tasks', jobId, '--json'])).stdout) as { tasks: Task[] }).tasks;

describe('fail fast', () => {
  it('one failure over tolerated_failure 0 ends the job FAILED long before the rest ran; retry re-runs the failed and never-run tasks', async () => {
    const file = hundredTasks();
    const r = await run(['run', file, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const s = JSON.parse(r.stdout) as Status;
    expect(s.status).toBe('FAILED');
    expect(s.error).toMatch(/^fail fast: 1 of 100 tasks failed, more than tolerated_failure: 0 allows, so the job cannot succeed; its \d+ unfinished tasks were cancelled /);
    expect(s.error).toContain(`djc retry ${s.jobId} re-runs the failed and cancelled tasks`);
    expect(s.error).toContain('task 3: attempt 1: command exited with code 3: task 3 is broken');
    expect(s.tasks).toMatchObject({ total: 100, failed: 1, pending: 0, running: 0 });
    expect(s.tasks.succeeded + s.tasks.failed + s.tasks.cancelled).toBe(100);
    // Most tasks never ran: cancelled without an attempt.
    const tasks = await tasksOf(s.jobId);
    const neverRan = tasks.filter((t) => t.status === 'CANCELLED' && t.attempts === 0).length;
    expect(s.tasks.cancelled).toBeGreaterThan(50);
    expect(neverRan).toBeGreaterThan(50);
    expect(s.tasks.succeeded).toBeLessThan(50);
    expect(workerPids(box.home)).toEqual([]);

    writeFileSync(join(box.dir, 'fixed'), '');
    writeFileSync(join(box.dir, 'delay'), '0');
    const again = await run(['retry', s.jobId]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`re-running ${1 + s.tasks.cancelled} tasks of ${s.jobId}`);
    const after = await tasksOf(s.jobId);
    expect(after.every((t) => t.status === 'SUCCEEDED')).toBe(true);
    // Each task ran once in all: the first run's successes are kept, the rest ran in the retry.
    const ranTwice = after.filter((t) => t.attempts > 1).map((t) => t.taskId);
    const cancelledWhileRunning = tasks.filter((t) => t.status === 'CANCELLED' && t.attempts === 1).map((t) => t.taskId);
    expect(ranTwice.sort((a, b) => a - b)).toEqual([3, ...cancelledWhileRunning].sort((a, b) => a - b));
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual(Array.from({ length: 100 }, (_, n) => ({ n })));
  });

  it('--keep-going runs every task, then fails with the usual message', async () => {
    const file = hundredTasks();
    writeFileSync(join(box.dir, 'delay'), '0');
    const r = await run(['run', file, '--keep-going', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const s = JSON.parse(r.stdout) as Status;
    expect(s.tasks).toMatchObject({ total: 100, succeeded: 99, failed: 1, cancelled: 0 });
    expect(s.error).toMatch(/^1 of 100 tasks failed \(tolerated_failure allows 0\) — task 3: /);
    expect((await tasksOf(s.jobId)).every((t) => t.attempts === 1)).toBe(true);
  });
});
