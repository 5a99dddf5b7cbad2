/**
 * The failover chaos scenario both backends run: a job through a leader and
 * a standby coordinator while a random worker is SIGKILLed every few
 * seconds; once `warmup` tasks are done the leader is SIGKILLed, then the
 * next leader as soon as it coordinates; then the gated batches go on and
 * the job must end SUCCEEDED with every record once and exact counters. The
 * figures go to .test-results/chaos.jsonl.
 */
import { join } from 'node:path';
import { expect } from 'vitest';
import { waitFor, type CliResult } from '../helpers.js';
import { exactness, keepCoordinators, killWorkersEvery, recordFigures, takeoverSeconds } from './harness.js';

interface Status { status: string; tasks: { total: number; succeeded: number; failed: number; cancelled: number }; records: { total: number; processed: number } }

export interface FailoverScenario {
  /** The figures' label and backend. */
  test: string;
  backend: 'local' | 'aws';
  /** Runs the CLI in the test's sandbox. */
  run(args: string[], timeoutMs?: number): Promise<CliResult>;
  dir: string;
  home: string;
  /** The coordinators' environment (DJC_HOME, the backend's settings). */
  env: Record<string, string>;
  tasks: number;
  records: number;
  /** Tasks done before the first leader kill. */
  warmup: number;
  killEveryMs: number;
  /** Workers the killer leaves alive. */
  keep: number;
  /**
   * Whether some worker kill must have hit work in hand (a task it held or ran, reclaimed by a coordinator): true
   * where tasks are many and kills frequent. Not "some task ran twice": a task held, or started and its start not
   * written yet (a short one's start goes with its end, committer.ts), is handed back with its attempt refunded.
   */
  rerunsExpected: boolean;
  /** Opens the gated handler's later batches (writeGatedHandler). */
  gate: { open(): void };
}

export async function runFailoverScenario(s: FailoverScenario): Promise<void> {
  const status = async (jobId: string): Promise<Status> => {
    const r = await s.run(['status', jobId, '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Status;
  };
  const coordinators = keepCoordinators(['--cpus', '8'], { cwd: s.dir, home: s.home, env: s.env, count: 2 });
  const killer = killWorkersEvery(s.home, s.killEveryMs, s.keep);
  const takeovers: number[] = [];
  let workerKills = 0;
  let reclaims = 0;
  let jobId = '';
  try {
    const sub = await s.run(['submit', 'job.yaml', '--json']);
    expect(sub.code, sub.stderr).toBe(0);
    jobId = (JSON.parse(sub.stdout) as { jobId: string }).jobId;
    await waitFor(`${s.warmup} tasks done`, async () => (await status(jobId)).tasks.succeeded >= s.warmup, 120_000)
      .catch((e: unknown) => { throw new Error(`${(e as Error).message}; the coordinators said: ${coordinators.stderr().slice(-3000)}`); });
    // The second kill as soon as the next leader coordinates the job.
    for (let kill = 0; kill < 2; kill++) {
      const killed = await coordinators.killLeader(jobId);
      takeovers.push(await takeoverSeconds(s.env, jobId, killed.pid, killed.at));
    }
    s.gate.open();
    const w = await s.run(['wait', jobId, '--json'], 170_000);
    expect(w.code, `${w.stderr}\n${coordinators.stderr()}`).toBe(0);
  } finally {
    workerKills = await killer.stop();
    await coordinators.stop();
    reclaims = coordinators.reclaims(jobId);
  }

  expect(await status(jobId)).toMatchObject({
    status: 'SUCCEEDED',
    tasks: { total: s.tasks, succeeded: s.tasks, failed: 0, cancelled: 0 },
    records: { total: s.records, processed: s.records },
  });
  const { lost, duplicated, foreign } = exactness(join(s.dir, 'out.jsonl'), s.records);
  const t = await s.run(['tasks', jobId, '--json']);
  const tasks = (JSON.parse(t.stdout) as { tasks: { status: string; attempts: number }[] }).tasks;
  const attempts = tasks.reduce((sum, x) => sum + x.attempts, 0);
  recordFigures({
    test: s.test, backend: s.backend, tasks: s.tasks, records: s.records,
    lost, duplicated, attempts, workerKills, reclaims, coordinatorKills: takeovers.length, takeoverSeconds: takeovers,
  });
  expect({ lost, duplicated, foreign }).toEqual({ lost: 0, duplicated: 0, foreign: 0 });
  expect(tasks).toHaveLength(s.tasks);
  expect(tasks.every((x) => x.status === 'SUCCEEDED' && x.attempts >= 1)).toBe(true);
  expect(takeovers).toHaveLength(2);
  expect(workerKills).toBeGreaterThan(0);
  if (s.rerunsExpected) expect(reclaims, 'no worker kill hit a task in hand (no "tasks reclaimed" warning)').toBeGreaterThan(0);
}
