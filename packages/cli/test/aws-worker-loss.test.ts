/**
 * Workers killed with SIGKILL on the AWS backend (DynamoDB Local + fauxqs).
 * One task of each job sleeps a minute on its first attempt, so the kill
 * lands while that task runs; every later attempt and every other task is
 * quick. Whoever brings the task back, it must run again (attempts ≥ 2) and
 * the result must hold every record exactly once.
 *
 * - dispatcher external: djc starts no workers and cannot see them die. The
 *   test starts the printed worker command itself, kills it by PID, and
 *   starts another; only the lease (the SQS visibility timeout, 3 s here)
 *   running out can bring the task back.
 * - dispatcher local: the coordinator's own child dies; it notices at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useAwsBackend } from './aws-backend.js';
import { djcStart, readJsonl, sleep, waitFor, workerPids, type CliResult } from './helpers.js';

const t = useAwsBackend('djc-awsloss-');
const RECORDS = 400;
/** Task 5 (records 100–119) is the one the kill lands on. */
const VICTIM = 5;

/** Workers this test started; killed after it if still alive. */
let started: ChildProcess[] = [];
afterEach(() => {
  for (const w of started) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  started = [];
});

function writeJob(compute: string): void {
  writeFileSync(join(t.box.dir, 'in.jsonl'), Array.from({ length: RECORDS }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(t.box.dir, 'h.mjs'), `export async function echo(records, ctx) {
  const ms = records[0].n === ${VICTIM * 20} && ctx.attempt === 1 ? 60_000 : 50;
  await new Promise((resolve) => setTimeout(resolve, ms));
  return records;
}\n`);
  writeFileSync(join(t.box.dir, 'job.yaml'), `name: awsloss
input: { path: in.jsonl, batch: { records: 20 } }
handler: { module: ./h.mjs#echo }
compute: ${compute}
retry: { max_attempts: 3, backoff: { initial: 200ms } }
output: { path: out.jsonl }
`);
}

interface Task { taskId: number; status: string; attempts: number; worker: string | null }

async function tasks(jobId: string): Promise<Task[]> {
  const r = await t.run(['tasks', jobId, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { tasks: Task[] }).tasks;
}

/**
 * The PID of a worker: in its id (`host:pid:hex`) when it chose its own, else
 * (`host:local:hex`, named by the local dispatcher) the process started with
 * `--worker-id <id>`.
 */
function pidOf(workerId: string): number {
  const m = /:(\d+):[0-9a-f]+$/.exec(workerId);
  if (m) return Number(m[1]);
  const pid = workerPids(t.box.home).find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(workerId));
  if (pid === undefined) throw new Error(`no live worker ${workerId}`);
  return pid;
}

/** Waits until the victim task runs (its first attempt); returns the PID of the worker running it. */
async function victimRunning(jobId: string): Promise<number> {
  const task = await waitFor(`task ${VICTIM} running`, async () => {
    const found = (await tasks(jobId)).find((x) => x.taskId === VICTIM);
    return found?.status === 'RUNNING' && found.worker ? found : undefined;
  }, 120_000);
  expect(task.attempts).toBe(1);
  return pidOf(task.worker as string);
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** The job ended well, the victim ran again, and every record is in the result exactly once. */
async function expectRecovered(r: CliResult): Promise<void> {
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout) as { jobId: string; status: string; tasks: { total: number; succeeded: number } };
  expect(doc).toMatchObject({ status: 'SUCCEEDED', tasks: { total: RECORDS / 20, succeeded: RECORDS / 20 } });
  const victim = (await tasks(doc.jobId)).find((x) => x.taskId === VICTIM);
  expect(victim?.status).toBe('SUCCEEDED');
  expect(victim?.attempts).toBeGreaterThanOrEqual(2);
  const got = (readJsonl(join(t.box.dir, 'out.jsonl')) as { n: number }[]).map((x) => x.n);
  expect(got).toEqual([...Array(RECORDS).keys()]);
}

describe('a worker killed with SIGKILL on the aws backend', () => {
  it('dispatcher external (the coordinator cannot see it die): its task comes back when the lease runs out and runs again', async () => {
    writeJob('{ dispatcher: external, lease: 3s }');
    const run = djcStart(['run', 'job.yaml', '--json'], { cwd: t.box.dir, home: t.box.home, env: t.env });
    let stderr = '';
    run.child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    let ended = false;
    const done = run.done.then((r) => { ended = true; return r; });
    const jobId = (await waitFor('the job id', async () => /djc: job (\S+) submitted/.exec(stderr)))[1] as string;
    // The command djc printed for "start workers wherever they should run".
    const command = (await waitFor('the worker command', async () => /^ {2}(env .+--job \S+)$/m.exec(stderr)))[1] as string;
    expect(command).toContain(`--job ${jobId}`);

    // Credentials come from the worker's own environment, never from the printed line.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DJC_')));
    const env = { ...inherited, ...t.env, DJC_HOME: t.box.home };
    let lastWorkerLog = '';
    const startWorker = () => {
      const w = spawn('sh', ['-c', `exec ${command}`], { cwd: t.box.dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
      lastWorkerLog = '';
      w.stderr?.on('data', (d: Buffer) => { lastWorkerLog = (lastWorkerLog + d.toString()).slice(-4000); });
      started.push(w);
      return w;
    };

    const first = startWorker();
    const pid = await victimRunning(jobId);
    expect(pid).toBe(first.pid);
    process.kill(pid, 'SIGKILL');
    await exited(first);

    // Keep one worker up until the job ends: one that finds nothing to run
    // while the dead worker's lease still holds exits, and another is started.
    for (let n = 0; !ended; n++) {
      expect(n, `workers started after the kill; the last one said: ${lastWorkerLog}`).toBeLessThan(40);
      const w = startWorker();
      await Promise.race([exited(w), done]);
      if (!ended) await sleep(250);
    }
    await expectRecovered(await done);
    await Promise.all(started.map(exited));
  });

  it('dispatcher local: the coordinator sees its child die and the task runs again', async () => {
    writeJob('{ workers: 2, lease: 3s }');
    const run = djcStart(['run', 'job.yaml', '--json'], { cwd: t.box.dir, home: t.box.home, env: t.env });
    let stderr = '';
    run.child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const jobId = (await waitFor('the job id', async () => /djc: job (\S+) submitted/.exec(stderr)))[1] as string;
    process.kill(await victimRunning(jobId), 'SIGKILL');
    await expectRecovered(await run.done);
  });
});
