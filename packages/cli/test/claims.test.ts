/**
 * Workers do not hoard tasks (issue 9 §1): a worker takes no more tasks than
 * it can start unless it measured this job's tasks to be short, a task held
 * ahead is CLAIMED (not RUNNING) and comes back without spending an attempt
 * when its worker dies, and the recorded times are the handler's: startedAt
 * is when it started, claimedAt when the task was claimed.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobStatusDocument } from '@djc/core';
import { createLocalBackend } from '@djc/core/backends/local';
import { djc, djcStart, readJsonl, sandboxPerTest, sleep, waitFor, workerPids } from './helpers.js';

const box = sandboxPerTest();
const opts = () => ({ cwd: box.dir, home: box.home });

interface TaskDoc {
  taskId: number; status: string; attempts: number; worker: string | null; error: string | null;
  claimedAt: string | null; startedAt: string | null; endedAt: string | null;
}

async function tasksOf(jobId: string, status?: string): Promise<TaskDoc[]> {
  const r = await djc(['tasks', jobId, '--json', ...(status ? ['--status', status] : [])], opts());
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { tasks: TaskDoc[] }).tasks;
}

/** A job of `n` one-record tasks ({"n": i}) named `name`, with the rest of its YAML. */
function job(name: string, n: number, rest: string): string {
  writeFileSync(join(box.dir, `${name}.jsonl`), Array.from({ length: n }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(box.dir, `${name}.yaml`), `name: ${name}\ninput: { path: ${name}.jsonl, batch: { records: 1 } }\n${rest}`);
  return `${name}.yaml`;
}

const ms = (iso: string | null) => Date.parse(iso ?? 'x');
const duration = (t: TaskDoc) => ms(t.endedAt) - ms(t.startedAt);

/** The PID of the worker process started with `--worker-id id`. */
function pidOfWorker(id: string): number | undefined {
  return workerPids(box.home).find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(id);
    } catch {
      return false;
    }
  });
}

describe('slow tasks are spread over the workers', () => {
  it('8 × sleep 2 on 4 workers: each worker runs some, one at a time, none waits in a worker longer than a task takes', async () => {
    const file = job('sleepy', 8, 'handler: { command: "sleep 2" }\n# Sleeps need no CPU: 4 workers fit a 2-core machine.\ncompute: { workers: 4, resources: { cpus: 0.5 } }\n');
    const r = await djc(['run', file, '--json'], opts());
    expect(r.code, r.stderr).toBe(0);
    const { jobId, tasks: counts } = JSON.parse(r.stdout) as { jobId: string; tasks: { succeeded: number; claimed: number } };
    const tasks = await tasksOf(jobId);
    const perWorker = new Map<string, TaskDoc[]>();
    for (const t of tasks) perWorker.set(t.worker ?? '?', [...(perWorker.get(t.worker ?? '?') ?? []), t]);
    // Every worker got work, and none ran two at once: a worker took a task only when it could start it. (Not
    // exactly 2 each: at load 15-20 a worker process can start 2 s after the others, and they rightly run more.)
    expect(perWorker.size).toBe(4);
    for (const mine of perWorker.values()) {
      const byStart = mine.sort((x, y) => ms(x.startedAt) - ms(y.startedAt));
      for (let i = 1; i < byStart.length; i++) expect(ms(byStart[i]!.startedAt)).toBeGreaterThanOrEqual(ms(byStart[i - 1]!.endedAt));
    }
    expect(counts).toMatchObject({ succeeded: 8, claimed: 0 });
    const shortest = Math.min(...tasks.map(duration));
    for (const t of tasks) {
      expect(t).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
      // The recorded run covers the whole sleep: startedAt is the handler's start, not a claim made earlier.
      expect(duration(t)).toBeGreaterThanOrEqual(2000);
      expect(ms(t.startedAt) - ms(t.claimedAt)).toBeGreaterThanOrEqual(0);
      expect(ms(t.startedAt) - ms(t.claimedAt)).toBeLessThan(shortest);
    }
  });

  it('a sleep 1 task records a run of 1 to 2 seconds, and djc tasks shows it with its worker', async () => {
    const file = job('one', 1, 'handler: { command: "sleep 1" }\ncompute: { workers: 1 }\n');
    const r = await djc(['run', file, '--json'], opts());
    expect(r.code, r.stderr).toBe(0);
    const { jobId } = JSON.parse(r.stdout) as { jobId: string };
    const [t] = await tasksOf(jobId);
    expect(duration(t as TaskDoc)).toBeGreaterThanOrEqual(1000);
    expect(duration(t as TaskDoc)).toBeLessThan(2000);
    const human = await djc(['tasks', jobId], opts());
    expect(human.stdout.split('\n')[0]).toMatch(/^TASK +STATUS +ATTEMPTS +RECORDS +DURATION +CPU +MEMORY +WORKER +EXIT +ERROR$/);
    expect(human.stdout.split('\n')[1]).toMatch(new RegExp(`^0 +SUCCEEDED +1 +1 +1\\.\\ds +\\S+ +\\S+ +${(t as TaskDoc).worker ?? '?'} +-$`));
  });
});

describe('a worker killed with SIGKILL', () => {
  it('with concurrency 1 costs exactly one attempt: the task it was running', async () => {
    // Tasks 0-3 take half a second (a pace the old prefetch took 9 tasks ahead for); from
    // task 4 on, each blocks until the test creates `go`, so the victim is known to be mid-task.
    const file = job('kill', 12, `handler:
  command: |
    cat
    sleep 0.5
    if [ "$DJC_TASK_ID" -ge 4 ]; then touch "started-$DJC_TASK_ID"; while [ ! -f go ]; do sleep 0.05; done; fi
compute: { workers: 2, concurrency: 1 }
retry: { max_attempts: 3, backoff: { initial: 100ms } }
output: { path: out.jsonl }
`);
    const run = djcStart(['run', file, '--json'], opts());
    const jobId = await waitFor('the job id', async () => /job (\S+) submitted/.exec(run.stderr())?.[1]);
    await waitFor('two tasks blocked', async () => readdirSync(box.dir).filter((f) => f.startsWith('started-')).length === 2);
    const running = await tasksOf(jobId, 'running');
    expect(running).toHaveLength(2);
    const victim = running[0] as TaskDoc;
    const pid = pidOfWorker(victim.worker ?? '');
    expect(pid, `the process of worker ${victim.worker}`).toBeDefined();
    process.kill(pid as number, 'SIGKILL');
    writeFileSync(join(box.dir, 'go'), '');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    const tasks = await tasksOf(jobId);
    expect(tasks.filter((t) => t.attempts !== 1).map((t) => [t.taskId, t.attempts])).toEqual([[victim.taskId, 2]]);
    expect(tasks.every((t) => t.status === 'SUCCEEDED' && t.error === null)).toBe(true);
    expect((readJsonl(join(box.dir, 'out.jsonl')) as { n: number }[]).map((x) => x.n)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('holding tasks ahead of its slot: status counts them claimed, not running, and they come back without spending an attempt', async () => {
    // Short tasks make the worker take tasks ahead. From task 15 on, a task blocks until the
    // test passes it (pass-N) or lets every task go (go): while one blocks, the tasks
    // received with it wait in the worker, held.
    writeFileSync(join(box.dir, 'h.mjs'), `import { existsSync, writeFileSync } from 'node:fs';
const at = (f) => new URL(f, import.meta.url);
export async function h(records) {
  const n = records[0].n;
  const free = () => existsSync(at('go')) || existsSync(at('pass-' + n));
  if (n >= 15 && !free()) {
    writeFileSync(at('blocked-' + n), '');
    while (!free()) await new Promise((r) => setTimeout(r, 5));
  }
  return records;
}
`);
    const file = job('held', 60, 'handler: { module: ./h.mjs#h }\ncompute: { workers: 1, concurrency: 1 }\noutput: { path: out.jsonl }\n');
    const run = djcStart(['run', file], opts());
    const jobId = await waitFor('the job id', async () => /job (\S+) submitted/.exec(run.stderr())?.[1]);
    const backend = createLocalBackend({ home: box.home });
    try {
      const seen = await heldWhileBlocked(backend, jobId);
      expect(seen.doc.tasks).toMatchObject({ running: 1 });
      expect(seen.doc.tasks.claimed).toBeGreaterThan(0);
      expect(seen.held.length).toBe(seen.doc.tasks.claimed);
      writeFileSync(join(box.dir, 'go'), '');
      const r = await run.done;
      expect(r.code, r.stderr).toBe(0);
      // The task it was running cost an attempt; the held ones (and all others) ran once.
      const tasks = await tasksOf(jobId);
      expect(tasks.filter((t) => t.attempts !== 1).map((t) => [t.taskId, t.attempts])).toEqual([[seen.blocked, 2]]);
      expect(tasks.every((t) => t.status === 'SUCCEEDED')).toBe(true);
      const records = await backend.state.listTasks(jobId);
      expect(records.filter((t) => seen.held.includes(t.taskId)).map((t) => t.attemptFloor)).toEqual(seen.held.map(() => 0));
      expect((readJsonl(join(box.dir, 'out.jsonl')) as { n: number }[]).map((x) => x.n)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    } finally {
      await backend.close();
    }
  });
});

/**
 * Waits for a blocked task while the worker holds others, reading the
 * SQLite file directly; passes blocked tasks that hold nothing behind them.
 * Then SIGKILLs the worker. Returns the blocked task, the held ones and the job's status
 * document (as `djc status --json` prints it) at that moment.
 */
async function heldWhileBlocked(backend: ReturnType<typeof createLocalBackend>, jobId: string) {
  const passed = new Set<number>();
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    const blocked = readdirSync(box.dir).filter((f) => f.startsWith('blocked-')).map((f) => Number(f.slice(8))).find((n) => !passed.has(n));
    if (blocked === undefined) {
      await sleep(5);
      continue;
    }
    // Its start is written shortly after it starts (batched), and the tasks before it commit
    // the same way: wait for both, so the kill meets exactly one running task.
    const until = Date.now() + 2_000;
    while (Date.now() < until) {
      // Three reads, not one snapshot: the task rows read the same before and after the job's
      // counters, so the counters were read in the same state as the rows.
      const rows = async () => ({
        held: (await backend.state.listTasks(jobId, { status: 'CLAIMED' })).map((t) => t.taskId),
        running: (await backend.state.listTasks(jobId, { status: 'RUNNING' })).map((t) => t.taskId),
      });
      const before = await rows();
      const job = await backend.state.getJob(jobId);
      const { held, running } = await rows();
      const steady = JSON.stringify(before) === JSON.stringify({ held, running });
      if (job && steady && held.length > 0 && running.length === 1 && running[0] === blocked) {
        const doc = jobStatusDocument(job);
        process.kill(workerPids(box.home)[0] as number, 'SIGKILL');
        return { blocked, held, doc };
      }
      await sleep(5);
    }
    passed.add(blocked);
    writeFileSync(join(box.dir, `pass-${blocked}`), '');
  }
  throw new Error(`no task was held while another blocked (passed: ${[...passed].join(', ')})`);
}
