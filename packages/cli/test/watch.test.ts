/**
 * Seeing work while it runs (issue 9 §5), through the CLI: `logs -f` follows
 * an attempt's log as it is written, through retries and across tasks;
 * `status --watch` and `wait --timeout`; the progress bar under a real
 * terminal (a pty from util-linux `script`) fits its width, follows a
 * resize, and does not read 100% for a cancelled job.
 *
 * Handlers wait for files the test creates ("gates") instead of sleeping,
 * so "while the attempt runs" is a fact of the test, not a guess at timing.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DJC, djcStart, sandboxPerTest, waitFor } from './helpers.js';

const box = sandboxPerTest('djc-watch-');

/** Waits in the shell until the file `name` exists (in the job's directory). */
const gate = (name: string) => `while [ ! -f ${name} ]; do sleep 0.05; done`;

function writeJob(name: string, records: number, command: string, extra = ''): string {
  writeFileSync(join(box.dir, `${name}.jsonl`), Array.from({ length: records }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(box.dir, `${name}.yaml`), `name: ${name}
input: { path: ${name}.jsonl, batch: { records: 1 } }
handler: { command: ${JSON.stringify(command)} }
${extra}
`);
  return `${name}.yaml`;
}

const opts = () => ({ cwd: box.dir, home: box.home });
const open = (name: string) => writeFileSync(join(box.dir, name), '');

/** `djc run` in the background; resolves its job id once it said "submitted". */
async function startRun(file: string) {
  const run = djcStart(['run', file], opts());
  const jobId = await waitFor('the job id', async () => /djc: job (\S+) submitted/.exec(run.stderr())?.[1]);
  return { ...run, jobId };
}

/** `djc logs …` in the background, with what it printed so far. */
function startLogs(args: string[]) {
  const p = djcStart(['logs', ...args], opts());
  let stdout = '';
  p.child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
  return { ...p, stdout: () => stdout };
}

async function taskStatus(jobId: string, taskId: number): Promise<string> {
  const r = await box.run(['tasks', jobId, '--json']);
  return (JSON.parse(r.stdout) as { tasks: { taskId: number; status: string }[] }).tasks.find((t) => t.taskId === taskId)?.status ?? '?';
}

describe('djc logs -f', () => {
  it('shows a line while the attempt runs, then the rest, and ends after the task ends', async () => {
    const file = writeJob('steps', 1, `echo 'step 1' >&2; ${gate('go1')}; echo 'step 2' >&2; ${gate('go2')}; cat`);
    const run = await startRun(file);
    const follow = startLogs([run.jobId, '--task', '0', '-f']);
    await waitFor('step 1 on stdout', async () => follow.stdout().includes('step 1'), 30_000);
    expect(await taskStatus(run.jobId, 0)).toBe('RUNNING');
    expect(follow.stdout()).toBe('=== task 0 attempt 1 ===\nstep 1\n');
    open('go1');
    await waitFor('step 2 on stdout', async () => follow.stdout().includes('step 2'), 30_000);
    expect(await taskStatus(run.jobId, 0)).toBe('RUNNING');
    open('go2');
    const r = await follow.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('=== task 0 attempt 1 ===\nstep 1\nstep 2\n');
    expect(await taskStatus(run.jobId, 0)).toBe('SUCCEEDED');
    expect((await run.done).code).toBe(0);
  });

  it('follows a task through a retry, follows every task with its id in front, and exits 130 on Ctrl-C', async () => {
    const file = writeJob('retry', 2,
      `echo "task $DJC_TASK_ID try $DJC_ATTEMPT" >&2; if [ "$DJC_TASK_ID$DJC_ATTEMPT" = 11 ]; then exit 3; fi; ${gate('go')}; echo "task $DJC_TASK_ID done" >&2; cat`,
      'compute: { workers: 2 }\nretry: { max_attempts: 2, backoff: { initial: 100ms } }');
    const run = await startRun(file);
    const one = startLogs([run.jobId, '--task', '1', '-f']);
    const all = startLogs([run.jobId, '-f']);
    const interrupted = startLogs([run.jobId, '--task', '0', '-f']);
    await waitFor('both tasks in the job follower', async () => all.stdout().includes('task 1 | task 1 try 2') && all.stdout().includes('task 0 | task 0 try 1'), 30_000);
    await waitFor('task 0 followed', async () => interrupted.stdout().includes('task 0 try 1'), 30_000);
    interrupted.child.kill('SIGINT');
    expect((await interrupted.done).code).toBe(130);
    open('go');
    const [a, b] = [await all.done, await one.done];
    expect((await run.done).code).toBe(0);
    expect(b.code).toBe(0);
    expect(b.stdout).toBe('=== task 1 attempt 1 ===\ntask 1 try 1\n=== task 1 attempt 2 ===\ntask 1 try 2\ntask 1 done\n');
    expect(a.code).toBe(0);
    const lines = a.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('task 1 | '))).toEqual(['task 1 | task 1 try 1', 'task 1 | --- attempt 2 ---', 'task 1 | task 1 try 2', 'task 1 | task 1 done']);
    expect(lines.filter((l) => l.startsWith('task 0 | '))).toEqual(['task 0 | task 0 try 1', 'task 0 | task 0 done']);
    expect(lines).toHaveLength(6);
    // Without -f: the same, once.
    expect((await box.run(['logs', run.jobId])).stdout).toBe(
      'task 0 | task 0 try 1\ntask 0 | task 0 done\ntask 1 | task 1 try 1\ntask 1 | --- attempt 2 ---\ntask 1 | task 1 try 2\ntask 1 | task 1 done\n');
    const usage = await box.run(['logs', run.jobId, '-f', '--json']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('-f follows task logs as text');
  });
});

describe('djc wait --timeout and djc status --watch', () => {
  it('wait gives up with exit 124 and says so; status --watch ends with the outcome and the exit code of wait', async () => {
    const file = writeJob('fails', 2, `if [ "$DJC_TASK_ID" = 1 ]; then echo 'no luck' >&2; exit 5; fi; cat`, 'retry: { max_attempts: 1 }\nfail_fast: false');
    const sub = await box.run(['submit', file]);
    const jobId = sub.stdout.trim();
    const timedOut = await box.run(['wait', jobId, '--timeout', '1s']);
    expect(timedOut.code).toBe(124);
    expect(timedOut.stderr).toContain(`djc: timed out after 1s: job ${jobId} is still SUBMITTED (it goes on; djc cancel ${jobId} stops it)`);
    expect(timedOut.stdout).toBe('');
    const bad = await box.run(['wait', jobId, '--timeout', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--timeout expects a duration');

    const daemon = djcStart(['coordinator'], opts());
    try {
      const watched = await box.run(['status', jobId, '--watch']);
      const waited = await box.run(['wait', jobId, '--timeout', '5m']);
      expect(waited.code).toBe(1);
      expect(watched.code).toBe(waited.code);
      expect(watched.stdout).toBe(waited.stdout);
      expect(watched.stdout).toMatch(new RegExp(`^${jobId} FAILED in \\S+: 2 total: 1 succeeded, 1 failed`));
      // Not a terminal: plain progress lines on stderr, the last one the job's end.
      expect(watched.stderr).toContain(`${jobId}: failed 100% 2/2 tasks`);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.done;
    }
  });
});

/** This process's environment without DJC_* settings of the shell that runs the tests. */
function withoutDjcSettings(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DJC_')));
}

/** Runs `script` (util-linux) around a shell line: a real pty of `cols` columns; resolves with every byte it showed. */
function underPty(shell: string, env: Record<string, string> = {}) {
  const child = spawn('script', ['-q', '-e', '-c', shell, '/dev/null'], {
    cwd: box.dir, env: { ...withoutDjcSettings(), DJC_HOME: box.home, TERM: 'xterm', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  const done = new Promise<{ code: number | null; out: string }>((r) => child.on('close', (code) => r({ code, out })));
  return { done, out: () => out };
}

/** Escape sequences (cursor moves, erases) take no columns. */
const visible = (row: string) => row.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

/**
 * The rows of the bar, as a terminal shows them: the text between carriage
 * returns and newlines, without escape sequences, that reads like a bar
 * ("40% 4/10 tasks", or "<job>: submitted (…)" before the tasks exist).
 */
function frames(bytes: string): string[] {
  return bytes.split(/\r|\n/).map(visible).filter((r) => /\d+% [\d,]+\/[\d,]+ tasks|^\S+: (submitted|preparing) \(/.test(r));
}

describe('the progress bar under a real terminal', () => {
  it('fits 60 columns, then 40 after a resize, and never wraps', async () => {
    const file = writeJob('wide', 12, `${gate('go')}; sleep 0.2; cat`, 'compute: { workers: 2 }');
    const pty = underPty(`stty cols 60; node ${DJC} run ${file} & p=$!; ${gate('resize')}; stty cols 40; kill -WINCH $p; touch go; wait $p`);
    await waitFor('a bar with running tasks', async () => frames(pty.out()).some((f) => f.includes('running')), 60_000);
    open('resize');
    const { code, out } = await pty.done;
    expect(code).toBe(0);
    const shown = frames(out);
    expect(shown.length).toBeGreaterThan(2);
    for (const row of shown) expect(row.length, row).toBeLessThanOrEqual(60);
    // Wider than 40 before the resize (the line is fitted, not short by luck), within 40 at the end.
    expect(shown.some((f) => f.length > 40)).toBe(true);
    expect((shown.at(-1) as string).length).toBeLessThanOrEqual(40);
    expect(shown.at(-1)).toContain('succeeded');
    expect(out).toMatch(/wide-\S+ SUCCEEDED in/);
  });

  it('TERM=dumb: plain lines, no carriage returns or escape sequences', async () => {
    const file = writeJob('dumb', 3, 'sleep 0.2; cat');
    const { code, out } = await underPty(`stty cols 60; node ${DJC} run ${file}`, { TERM: 'dumb' }).done;
    expect(code).toBe(0);
    expect(out).not.toMatch(/\x1b/);
    expect(out.replace(/\r\n/g, '\n')).not.toContain('\r');
    expect(out).toMatch(/dumb-\S+: succeeded 100% 3\/3 tasks · 3\/3 records/);
  });

  it('a cancelled job ends on a bar that says cancelled, not 100%', async () => {
    const file = writeJob('stop', 4, `${gate('never')}; cat`, 'compute: { workers: 2, lease: 3s }');
    const pty = underPty(`stty cols 100; node ${DJC} run ${file}`);
    await waitFor('two tasks running', async () => frames(pty.out()).some((f) => f.includes('2 running')), 60_000);
    const jobId = /djc: job (\S+) submitted/.exec(pty.out())?.[1] as string;
    expect((await box.run(['cancel', jobId])).code).toBe(0);
    const { code, out } = await pty.done;
    expect(code).toBe(1);
    const last = frames(out).at(-1) as string;
    expect(last).toMatch(/cancelled · 0% 0\/4 tasks/);
    expect(out).not.toContain('100%');
  });
});
