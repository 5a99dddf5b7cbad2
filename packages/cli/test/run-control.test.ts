/** compute.concurrency on one worker, and Ctrl-C on `djc run`. */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { djc, djcStart, sandboxPerTest, waitFor, workerPids } from './helpers.js';

const box = sandboxPerTest();

const opts = () => ({ cwd: box.dir, home: box.home });

function numbers(n: number): void {
  writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: n }, (_, i) => `{"n":${i}}\n`).join(''));
}

interface Tasks { tasks: { taskId: number; status: string; attempts: number; worker: string | null; error: string | null }[] }

describe('compute.concurrency', () => {
  it('2 on one worker: two tasks run at once (each waits for the other to arrive)', async () => {
    numbers(20);
    // A rendezvous: each attempt marks its arrival, then waits until both tasks have arrived.
    // Run one at a time, the first would give up and fail the job (no retries).
    writeFileSync(join(box.dir, 'h.mjs'), `import { existsSync, writeFileSync } from 'node:fs';
const here = (name) => new URL('./' + name, import.meta.url);
export async function handle(records, ctx) {
  writeFileSync(here('arrived-' + ctx.taskId), '');
  for (let i = 0; i < 600; i++) {
    if (existsSync(here('arrived-0')) && existsSync(here('arrived-1'))) return records;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw Object.assign(new Error('task ' + ctx.taskId + ' ran alone: no other task arrived'), { retryable: false });
}
`);
    writeFileSync(join(box.dir, 'job.yaml'), `name: pair
input: { path: in.jsonl, batch: { records: 10 } }
handler: { module: ./h.mjs#handle }
compute: { workers: 1, concurrency: 2 }
retry: { max_attempts: 1 }
`);
    const r = await djc(['run', 'job.yaml', '--json'], opts());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const { jobId } = JSON.parse(r.stdout) as { jobId: string };
    const t = JSON.parse((await djc(['tasks', jobId, '--json'], opts())).stdout) as Tasks;
    expect(t.tasks.map((x) => [x.status, x.attempts])).toEqual([['SUCCEEDED', 1], ['SUCCEEDED', 1]]);
    // One worker ran both.
    expect(t.tasks[0]?.worker).toBeTruthy();
    expect(t.tasks[1]?.worker).toBe(t.tasks[0]?.worker);
  });

  it('1 (the default) on one worker: the same rendezvous fails, so the test above can tell', async () => {
    numbers(20);
    writeFileSync(join(box.dir, 'h.mjs'), `import { existsSync, writeFileSync } from 'node:fs';
const here = (name) => new URL('./' + name, import.meta.url);
export async function handle(records, ctx) {
  writeFileSync(here('arrived-' + ctx.taskId), '');
  for (let i = 0; i < 20; i++) {
    if (existsSync(here('arrived-0')) && existsSync(here('arrived-1'))) return records;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw Object.assign(new Error('task ' + ctx.taskId + ' ran alone: no other task arrived'), { retryable: false });
}
`);
    writeFileSync(join(box.dir, 'job.yaml'), `name: alone
input: { path: in.jsonl, batch: { records: 10 } }
handler: { module: ./h.mjs#handle }
compute: { workers: 1 }
retry: { max_attempts: 1 }
`);
    const r = await djc(['run', 'job.yaml', '--json'], opts());
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { error: string }).error).toContain('ran alone: no other task arrived');
  });
});

describe('Ctrl-C on djc run', () => {
  it('cancels the job, stops its workers and exits 130', async () => {
    numbers(40);
    writeFileSync(join(box.dir, 'h.mjs'), `import { writeFileSync } from 'node:fs';
export async function handle(records, ctx) {
  writeFileSync(new URL('./started-' + ctx.taskId, import.meta.url), '');
  await new Promise((r) => setTimeout(r, 600_000));
  return records;
}
`);
    writeFileSync(join(box.dir, 'job.yaml'), `name: ctrlc
input: { path: in.jsonl, batch: { records: 10 } }
handler: { module: ./h.mjs#handle }
compute: { workers: 2 }
`);
    // Its own process group, as in a terminal: Ctrl-C sends SIGINT to `djc run` and its workers alike.
    const run = djcStart(['run', 'job.yaml', '--json'], { ...opts(), detached: true });
    const jobId = await waitFor('the job id', async () => /job (\S+) submitted/.exec(run.stderr())?.[1]);
    await waitFor('both workers mid-task', async () => workerPids(box.home).length === 2 && existsSync(join(box.dir, 'started-0')) && existsSync(join(box.dir, 'started-1')));
    process.kill(-(run.child.pid as number), 'SIGINT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain(`interrupted; cancelling ${jobId}`);
    expect((JSON.parse(r.stdout) as { status: string }).status).toBe('CANCELLED');
    await waitFor('workers gone', async () => workerPids(box.home).length === 0, 30_000);
    const s = JSON.parse((await djc(['status', jobId, '--json'], opts())).stdout) as { status: string; tasks: { cancelled: number; succeeded: number; total: number } };
    expect(s).toMatchObject({ status: 'CANCELLED', tasks: { total: 4, succeeded: 0, cancelled: 4 } });
  });
});
