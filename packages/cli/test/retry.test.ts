/**
 * `djc retry` through the CLI: it re-uses the submitted config (and says
 * so), --set patches it for the re-run, --task and --error choose the tasks,
 * bad options change nothing, and the job keeps a retry history.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl, sandboxPerTest } from './helpers.js';

const box = sandboxPerTest();
const run = (args: string[]) => box.run(args);

interface Task { taskId: number; status: string; attempts: number; error: string | null }
interface Status {
  jobId: string; status: string; error: string | null;
  tasks: { total: number; failed: number; succeeded: number; cancelled: number };
  retries: { at: string; taskCount: number; tasks: string; notRetried: number; selection: { task?: string; error?: string }; changes: unknown[] }[];
}

const tasksOf = async (jobId: string): Promise<Task[]> => (JSON.parse((await run(['tasks', jobId, '--json'])).stdout) as { tasks: Task[] }).tasks;
const statusOf = async (jobId: string): Promise<Status> => JSON.parse((await run(['status', jobId, '--json'])).stdout) as Status;

/** `n` one-record batches {"n":i}; the command (sh, batch on stdin) is the handler. */
function job(name: string, n: number, command: string, extra = ''): string {
  writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: n }, (_, i) => `{"n":${i}}\n`).join(''));
  const file = join(box.dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}
input: { path: in.jsonl, batch: { records: 1 } }
handler:
  command: |
${command.split('\n').map((l) => `    ${l}`).join('\n')}
${extra.includes('compute:') ? '' : 'compute: { workers: 2 }\n'}output: { path: out.jsonl }
${extra}`);
  return file;
}

/** "0,2-4" → [0, 2, 3, 4]: the history writes consecutive tasks as ranges. */
const expandRanges = (text: string) => text.split(',').flatMap((part) => {
  const [a, b = a] = part.split('-').map(Number);
  return Array.from({ length: (b ?? 0) - (a ?? 0) + 1 }, (_, i) => (a ?? 0) + i);
});

const numbers = (n: number) => Array.from({ length: n }, (_, i) => ({ n: i }));

describe('djc retry --set', () => {
  it('re-runs the timed-out task with the new compute.timeout, says which config it uses, and records the change', async () => {
    const file = job('slowone', 4, `read -r line; n=$(printf '%s' "$line" | tr -dc 0-9)
if [ "$n" = 2 ]; then sleep 3; fi
printf '%s\\n' "$line"`, 'compute: { workers: 2, timeout: 1s }\nretry: { max_attempts: 1 }\n');
    const first = await run(['run', file, '--json']);
    expect(first.code, first.stderr).toBe(1);
    const { jobId, tasks: ended } = JSON.parse(first.stdout) as Status;
    expect((await tasksOf(jobId)).find((t) => t.taskId === 2)).toMatchObject({ status: 'FAILED', attempts: 1, error: expect.stringContaining('timed out after 1s') });

    const again = await run(['retry', jobId, '--set', 'compute.timeout=60s']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`re-using the config ${jobId} was submitted with (from ${file}`);
    expect(again.stderr).toContain('--set compute.timeout: 1s → 1m');
    expect(again.stdout).toContain('SUCCEEDED');
    const tasks = await tasksOf(jobId);
    expect(tasks.map((t) => t.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(tasks[2]).toMatchObject({ attempts: 2, error: null });
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual(numbers(4));
    const s = await statusOf(jobId);
    expect(s.retries).toHaveLength(1);
    expect(s.retries[0]).toMatchObject({
      taskCount: ended.failed + ended.cancelled, selection: {}, notRetried: 0,
      changes: [{ key: 'compute.timeout', value: '60s', from: 1000, to: 60_000, unit: 'duration' }],
    });
    expect(expandRanges(s.retries[0]?.tasks ?? '')).toContain(2);
    expect(Date.parse(s.retries[0]?.at ?? '')).toBeGreaterThan(0);
    expect((await run(['status', jobId])).stdout).toMatch(/retries +#1 .*; set compute\.timeout=1m/);
  });

  it('refuses keys that would change what succeeded batches mean, and bad values, changing nothing', async () => {
    const file = job('refuse', 3, `read -r line; case "$line" in *'"n":1}'*) echo "no good" >&2; exit 3;; esac; printf '%s\\n' "$line"`,
      'retry: { max_attempts: 1 }\n');
    const first = await run(['run', file, '--json']);
    expect(first.code, first.stderr).toBe(1);
    const { jobId } = JSON.parse(first.stdout) as Status;
    const before = await statusOf(jobId);
    const cases: [string[], RegExp][] = [
      [['--set', 'input.path=other.jsonl'], /--set input\.path=other\.jsonl: input\.\* cannot change on retry: .*\n {2}hint: run a new job with it: djc run .*refuse\.yaml --set input\.path=other\.jsonl/],
      [['--set', 'handler.command=cat'], /handler\.\* cannot change on retry/],
      [['--set', 'params.x=1'], /parameters\.\* cannot change on retry/],
      [['--set', 'compute.timout=1m'], /--set compute\.timout=1m: unknown key compute\.timout/],
      [['--set', 'compute.timeout=soon'], /compute\.timeout: expected a duration such as "30s"/],
      [['--set', 'retry.max_attempts=0'], /retry\.max_attempts: /],
      [['--set', 'nonsense'], /--set nonsense: is not KEY=VALUE/],
    ];
    for (const [args, message] of cases) {
      const r = await run(['retry', jobId, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(await statusOf(jobId)).toEqual(before);
  });
});

describe('djc retry --task and --error', () => {
  it('re-run only the tasks chosen; junk and tasks that cannot be retried are refused; the history says what each retry did', async () => {
    // Until ./fixed exists: task 1 and 4 fail with "bad input <n>", task 2 with "disk full".
    const file = job('subset', 6, `read -r line; n=$(printf '%s' "$line" | tr -dc 0-9)
if [ ! -f fixed ]; then
  case "$n" in 1|4) echo "bad input $n" >&2; exit 3;; 2) echo "disk full on /tmp/x$n" >&2; exit 4;; esac
fi
printf '%s\\n' "$line"`, 'retry: { max_attempts: 1 }\nfail_fast: false\n');
    const first = await run(['run', file, '--json']);
    expect(first.code, first.stderr).toBe(1);
    const { jobId } = JSON.parse(first.stdout) as Status;
    expect((await tasksOf(jobId)).map((t) => t.status)).toEqual(['SUCCEEDED', 'FAILED', 'FAILED', 'SUCCEEDED', 'FAILED', 'SUCCEEDED']);
    const before = await statusOf(jobId);

    const refused: [string[], number, RegExp][] = [
      [['--task', '1,x'], 2, /--task "1,x": "x" is not a task id or a range\n {2}hint: write task ids and ranges, e.g. --task 3,7-9/],
      [['--task', '4-2'], 2, /"4-2" is a range that ends before it starts/],
      [['--task', ''], 2, /an empty item/],
      [['--task', '3'], 2, /task 3 of .* is SUCCEEDED: retry re-runs failed and cancelled tasks only/],
      [['--task', '1,99'], 4, /job .* has no task 99 \(its tasks are 0-5\)/],
      [['--error', '('], 2, /--error "\(" is not a valid regular expression/],
      [['--error', 'no such text'], 2, /no failed or cancelled task of .* has an error matching --error "no such text"\n {2}hint: djc failures/],
    ];
    for (const [args, code, message] of refused) {
      const r = await run(['retry', jobId, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(r.stderr).toMatch(message);
    }
    expect(await statusOf(jobId)).toEqual(before);

    writeFileSync(join(box.dir, 'fixed'), '');
    const byError = await run(['retry', jobId, '--error', 'disk f']);
    expect(byError.code, byError.stderr).toBe(1); // tasks 1 and 4 still failed
    expect(byError.stderr).toContain('re-running 1 task of');
    expect(byError.stderr).toContain('note: 2 failed or cancelled tasks are not re-run, more than tolerated_failure allows (0)');
    expect((await tasksOf(jobId)).map((t) => [t.status, t.attempts])).toEqual([
      ['SUCCEEDED', 1], ['FAILED', 1], ['SUCCEEDED', 2], ['SUCCEEDED', 1], ['FAILED', 1], ['SUCCEEDED', 1],
    ]);

    const byTask = await run(['retry', jobId, '--task', '4']);
    expect(byTask.code, byTask.stderr).toBe(1); // task 1 still failed
    expect((await tasksOf(jobId)).map((t) => t.attempts)).toEqual([1, 1, 2, 1, 2, 1]);

    const rest = await run(['retry', jobId]);
    expect(rest.code, rest.stderr).toBe(0);
    expect((await tasksOf(jobId)).map((t) => [t.status, t.attempts])).toEqual([
      ['SUCCEEDED', 1], ['SUCCEEDED', 2], ['SUCCEEDED', 2], ['SUCCEEDED', 1], ['SUCCEEDED', 2], ['SUCCEEDED', 1],
    ]);
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual(numbers(6));

    const s = await statusOf(jobId);
    expect(s.status).toBe('SUCCEEDED');
    expect(s.retries.map(({ at: _at, ...r }) => r)).toEqual([
      { taskCount: 1, tasks: '2', notRetried: 2, selection: { error: 'disk f' }, changes: [] },
      { taskCount: 1, tasks: '4', notRetried: 1, selection: { task: '4' }, changes: [] },
      { taskCount: 1, tasks: '1', notRetried: 0, selection: {}, changes: [] },
    ]);
    const times = s.retries.map((r) => Date.parse(r.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    const human = (await run(['status', jobId])).stdout;
    expect(human).toMatch(/retries +#1 .*: 1 task \(2\) chosen by --error "disk f"; no settings changed/);
    expect(human).toMatch(/\n +#3 .*: 1 task \(1\); no settings changed/);
  });
});
