/**
 * Attempt logs stream on the AWS backend too (DynamoDB Local, fauxqs for S3
 * and SQS): `djc logs -f` shows a line while the attempt runs, and the
 * worker rewrites the log at most about once a second while it grows, not
 * once per line (counted with the job's own S3 request counts).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAwsBackend } from './aws-backend.js';
import { DJC } from './helpers.js';

const t = useAwsBackend('djc-aws-logs-');

function writeJob(name: string, command: string): string {
  writeFileSync(join(t.box.dir, `${name}.jsonl`), '{"n":1}\n');
  writeFileSync(join(t.box.dir, `${name}.yaml`), `name: ${name}
input: { path: ${name}.jsonl }
handler: { command: ${JSON.stringify(command)} }
output: { path: ${name}.out }
`);
  return `${name}.yaml`;
}

/** `djc …` in the background with this test's environment, and what it printed so far. */
function start(args: string[]) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DJC_')));
  const child = spawn(process.execPath, [DJC, ...args], { cwd: t.box.dir, env: { ...inherited, DJC_HOME: t.box.home, ...t.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { done, stdout: () => stdout, stderr: () => stderr };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Doc {
  jobId: string;
  requests?: { byOperation: Record<string, number> };
}

/** Runs a one-task job; its S3 PutObject count and its attempt's duration in seconds. */
async function putsOf(file: string): Promise<{ jobId: string; puts: number; seconds: number }> {
  const r = await t.run(['run', file, '--json']);
  expect(r.code).toBe(0);
  const { jobId } = JSON.parse(r.stdout) as Doc;
  const doc = JSON.parse((await t.run(['status', jobId, '--json'])).stdout) as Doc;
  const task = (JSON.parse((await t.run(['tasks', jobId, '--json'])).stdout) as { tasks: { startedAt: string; endedAt: string }[] }).tasks[0];
  const seconds = (Date.parse(task?.endedAt ?? '') - Date.parse(task?.startedAt ?? '')) / 1000;
  return { jobId, puts: doc.requests?.byOperation['S3.PutObject'] ?? 0, seconds };
}

describe('attempt logs on the aws backend', () => {
  it('logs -f shows a line while the attempt runs', async () => {
    const file = writeJob('follow', "echo 'step 1' >&2; while [ ! -f go ]; do sleep 0.05; done; echo 'step 2' >&2; cat");
    const run = start(['run', file]);
    const jobId = await until('the job id', async () => /djc: job (\S+) submitted/.exec(run.stderr())?.[1]);
    const follow = start(['logs', jobId, '--task', '0', '-f']);
    await until('step 1', async () => follow.stdout().includes('step 1'));
    const tasks = JSON.parse((await t.run(['tasks', jobId, '--json'])).stdout) as { tasks: { status: string }[] };
    expect(tasks.tasks[0]?.status).toBe('RUNNING');
    writeFileSync(join(t.box.dir, 'go'), '');
    expect(await follow.done).toBe(0);
    expect(follow.stdout()).toBe('=== task 0 attempt 1 ===\nstep 1\nstep 2\n');
    expect(await run.done).toBe(0);
  });

  it('a task that logs 150 lines over seconds costs about one log write per second, not one per line', async () => {
    const quiet = await putsOf(writeJob('quiet', 'sleep 3; cat'));
    const chatty = await putsOf(writeJob('chatty', 'for i in $(seq 1 150); do echo "line $i" >&2; sleep 0.02; done; cat'));
    const logPuts = chatty.puts - quiet.puts;
    process.stderr.write(`S3 PutObject: quiet job ${quiet.puts}, chatty job ${chatty.puts} (attempt ${chatty.seconds.toFixed(1)} s)\n`);
    expect(chatty.seconds).toBeGreaterThan(1);
    // Written while it ran (at least once), then the final text, and never more than once per second of the attempt (plus the final write).
    expect(logPuts).toBeGreaterThanOrEqual(2);
    expect(logPuts).toBeLessThanOrEqual(Math.ceil(chatty.seconds) + 1);
    const log = await t.run(['logs', chatty.jobId, '--task', '0']);
    expect(log.stdout.split('\n').filter((l) => l.startsWith('line '))).toHaveLength(150);
  });
});
