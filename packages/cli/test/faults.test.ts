import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { djc, djcStart, leakedProcesses, makeSandbox, readJsonl, waitFor, workerPids } from './helpers.js';

let box: ReturnType<typeof makeSandbox>;
beforeEach(() => { box = makeSandbox(); });
afterEach(async () => {
  expect(await leakedProcesses(box.home)).toEqual([]);
  box.cleanup();
});

function numbers(n: number): string {
  const file = join(box.dir, 'numbers.jsonl');
  writeFileSync(file, Array.from({ length: n }, (_, i) => `{"n":${i}}\n`).join(''));
  return file;
}

/** A module handler that takes `ms` per batch and echoes its records. */
function slowHandler(ms: number): void {
  writeFileSync(join(box.dir, 'slow.mjs'),
    `export async function echo(records, ctx) { await new Promise((r) => setTimeout(r, ${ms})); return records; }\n`);
}

function job(name: string, body: string): string {
  const file = join(box.dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\n${body}`);
  return file;
}

async function jobIdOf(name: string): Promise<string> {
  return waitFor(`job ${name} listed`, async () => {
    const r = await djc(['list', '--json'], { cwd: box.dir, home: box.home });
    if (r.code !== 0) return undefined;
    return (JSON.parse(r.stdout) as { jobs: { jobId: string; name: string }[] }).jobs.find((j) => j.name === name)?.jobId;
  });
}

/** Waits until one of the job's tasks is RUNNING (a worker is mid-task). */
async function runningTask(jobId: string, atLeast = 1): Promise<void> {
  await waitFor(`${atLeast} running task(s)`, async () => {
    const r = await djc(['tasks', jobId, '--status', 'running', '--json'], { cwd: box.dir, home: box.home });
    return r.code === 0 && (JSON.parse(r.stdout) as { tasks: unknown[] }).tasks.length >= atLeast;
  });
}

describe('faults', () => {
  it('a worker killed with SIGKILL mid-task: the job still succeeds, every record exactly once', async () => {
    numbers(2000);
    // Every task waits for the file `go`: once two tasks run, each of the two
    // workers is inside one, so the one killed is certainly mid-task.
    const go = join(box.dir, 'go');
    writeFileSync(join(box.dir, 'slow.mjs'), `import { existsSync } from 'node:fs';
export async function echo(records) {
  while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 50));
  return records;
}
`);
    const file = job('crash', `input: { path: numbers.jsonl, batch: { records: 50 } }
handler: { module: ./slow.mjs#echo }
compute: { workers: 2, lease: 3s }
output: { path: out.jsonl }
`);
    const run = djcStart(['run', file], { cwd: box.dir, home: box.home });
    const jobId = await jobIdOf('crash');
    await runningTask(jobId, 2);
    const victim = (await waitFor('a worker process', async () => workerPids(box.home)[0]));
    process.kill(victim, 'SIGKILL');
    writeFileSync(go, '');
    const r = await run.done;
    expect(r.code).toBe(0);
    const out = readJsonl(join(box.dir, 'out.jsonl')) as { n: number }[];
    expect(out.map((x) => x.n)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    const tasks = JSON.parse((await djc(['tasks', jobId, '--json'], { cwd: box.dir, home: box.home })).stdout) as { tasks: { attempts: number; error: string | null }[] };
    const rerun = tasks.tasks.filter((t) => t.attempts > 1);
    expect(rerun.length).toBeGreaterThanOrEqual(1);
  });

  it('a killed `djc run` leaves a job that status explains and the daemon adopts and finishes', async () => {
    numbers(1000);
    slowHandler(100);
    const file = job('orphan', `input: { path: numbers.jsonl, batch: { records: 25 } }
handler: { module: ./slow.mjs#echo }
compute: { workers: 2, lease: 3s }
output: { path: out.jsonl }
`);
    const stale = { DJC_COORDINATOR_STALE_SECONDS: '2' };
    const run = djcStart(['run', file], { cwd: box.dir, home: box.home });
    const jobId = await jobIdOf('orphan');
    await runningTask(jobId);
    run.child.kill('SIGKILL');
    await run.done;
    const explained = await waitFor('status to explain the stalled job', async () => {
      const r = await djc(['status', jobId], { cwd: box.dir, home: box.home, env: stale });
      return r.stdout.includes('not moving') ? r.stdout : undefined;
    }, 20_000);
    expect(explained).toMatch(/its coordinator \(djc run on .* \(pid \d+\)\) was last seen .* ago/);
    expect(explained).toContain('djc coordinator');

    const daemon = djcStart(['coordinator'], { cwd: box.dir, home: box.home, env: stale });
    try {
      const w = await djc(['wait', jobId, '--json'], { cwd: box.dir, home: box.home });
      expect(w.code).toBe(0);
      expect((JSON.parse(w.stdout) as { status: string }).status).toBe('SUCCEEDED');
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.done;
    }
    const out = readJsonl(join(box.dir, 'out.jsonl')) as { n: number }[];
    expect(out.map((x) => x.n)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('cancel stops a running job and its workers', async () => {
    numbers(400);
    slowHandler(1000);
    const file = job('stopme', `input: { path: numbers.jsonl, batch: { records: 10 } }
handler: { module: ./slow.mjs#echo }
compute: { workers: 2 }
`);
    const run = djcStart(['run', file], { cwd: box.dir, home: box.home });
    const jobId = await jobIdOf('stopme');
    await waitFor('workers running', async () => workerPids(box.home).length === 2);
    const c = await djc(['cancel', jobId, '--json'], { cwd: box.dir, home: box.home });
    expect(c.code).toBe(0);
    expect((JSON.parse(c.stdout) as { status: string }).status).toBe('CANCELLED');
    const r = await run.done;
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('CANCELLED');
    await waitFor('workers gone', async () => workerPids(box.home).length === 0, 20_000);
    const s = JSON.parse((await djc(['status', jobId, '--json'], { cwd: box.dir, home: box.home })).stdout) as { status: string; tasks: { succeeded: number; cancelled: number; total: number } };
    expect(s.status).toBe('CANCELLED');
    expect(s.tasks.cancelled).toBeGreaterThan(0);
    expect(s.tasks.succeeded).toBeLessThan(s.tasks.total);
  });

  it('djc retry re-runs only the failed tasks and then aggregates everything', async () => {
    numbers(100);
    // Batch 3 (records 30-39) fails until the marker file exists.
    const file = job('retryme', `input: { path: numbers.jsonl, batch: { records: 10 } }
handler:
  io: file
  command: |
    if grep -q '"n":35}' "$DJC_INPUT" && [ ! -f fixed ]; then echo "bad batch" >&2; exit 3; fi
    cp "$DJC_INPUT" "$DJC_OUTPUT"
compute: { workers: 2 }
retry: { max_attempts: 2, backoff: { initial: 50ms } }
fail_fast: false
output: { path: out.jsonl }
`);
    const first = await djc(['run', file], { cwd: box.dir, home: box.home });
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('FAILED');
    expect(first.stdout).toContain('djc retry');
    const jobId = first.stdout.split(' ')[0] as string;
    const failed = JSON.parse((await djc(['tasks', jobId, '--status', 'failed', '--json'], { cwd: box.dir, home: box.home })).stdout) as { tasks: { taskId: number; attempts: number; exitCode: number; error: string }[] };
    expect(failed.tasks.map((t) => t.taskId)).toEqual([3]);
    expect(failed.tasks[0]).toMatchObject({ attempts: 2, exitCode: 3 });
    expect(failed.tasks[0]?.error).toContain('bad batch');

    writeFileSync(join(box.dir, 'fixed'), '');
    const again = await djc(['retry', jobId], { cwd: box.dir, home: box.home });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('re-running 1 task');
    const tasks = JSON.parse((await djc(['tasks', jobId, '--json'], { cwd: box.dir, home: box.home })).stdout) as { tasks: { taskId: number; attempts: number; status: string }[] };
    for (const t of tasks.tasks) {
      expect(t.status).toBe('SUCCEEDED');
      expect(t.attempts).toBe(t.taskId === 3 ? 3 : 1);
    }
    expect((readJsonl(join(box.dir, 'out.jsonl')) as { n: number }[]).map((x) => x.n)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('a handler stuck in a synchronous busy loop times out and fails with a clear reason', async () => {
    numbers(20);
    writeFileSync(join(box.dir, 'spin.mjs'), 'export function spin(records) { if (records[0].n === 10) { for (;;) {} } return records; }\n');
    const file = job('spin', `input: { path: numbers.jsonl, batch: { records: 10 } }
handler: { module: ./spin.mjs#spin }
compute: { workers: 1, timeout: 3s }
retry: { max_attempts: 2, backoff: { initial: 10ms } }
fail_fast: false
`);
    const r = await djc(['run', file, '--json'], { cwd: box.dir, home: box.home });
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout) as { jobId: string; status: string; tasks: { failed: number; succeeded: number }; error: string };
    expect(s).toMatchObject({ status: 'FAILED', tasks: { failed: 1, succeeded: 1 } });
    expect(s.error).toMatch(/task 1: attempt 2: timed out after 3s/);
  });
});
