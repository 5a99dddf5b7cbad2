/**
 * Chaos on the AWS backend (DynamoDB Local + fauxqs for S3 and SQS): the
 * local chaos test, smaller: 100 tasks (500 records) through a coordinator
 * daemon while a random worker is SIGKILLed every 3 s (an AWS worker takes
 * seconds to start on a loaded machine: killed every 2 s, most died before
 * their first task) and the leading coordinator is SIGKILLed twice with a
 * standby waiting. Every record once, counters exact; figures to
 * .test-results/chaos.jsonl.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAwsBackend } from '../aws-backend.js';
import { waitFor } from '../helpers.js';
import { exactness, keepCoordinators, killWorkersEvery, recordFigures, takeoverSeconds, writeGatedHandler } from './harness.js';

const t = useAwsBackend('djc-chaos-aws-');
/** 500 records in batches of 5. */
const RECORDS = 500;
const TASKS = RECORDS / 5;
/** Milliseconds a task takes. */
const MS = 50;

interface Status { status: string; tasks: { total: number; succeeded: number; failed: number; cancelled: number }; records: { total: number; processed: number } }

async function status(jobId: string): Promise<Status> {
  const r = await t.run(['status', jobId, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Status;
}

describe('chaos: aws backend', () => {
  it('100 tasks, a worker SIGKILLed every 3 s, the leader SIGKILLed twice: every record once, counters exact', async () => {
    writeFileSync(join(t.box.dir, 'in.jsonl'), Array.from({ length: RECORDS }, (_, i) => `{"n":${i}}\n`).join(''));
    // Batches from record 150 (task 30) on wait for the gate, opened after the second takeover.
    const gate = writeGatedHandler(t.box.dir, { ms: MS, from: 150 });
    writeFileSync(join(t.box.dir, 'job.yaml'), `name: chaosaws
input: { path: in.jsonl, batch: { records: 5 } }
handler: { module: ./gated.mjs#echo }
compute: { workers: 6, lease: 3s }
retry: { max_attempts: 20, backoff: { initial: 200ms, max: 1s } }
output: { path: out.jsonl }
`);
    const env = { ...t.env, DJC_HOME: t.box.home, DJC_COORDINATOR_STALE_SECONDS: '2' };
    const coordinators = keepCoordinators(['--cpus', '8'], { cwd: t.box.dir, home: t.box.home, env, count: 2 });
    const killer = killWorkersEvery(t.box.home, 3000, 3);
    const takeovers: number[] = [];
    let workerKills = 0;
    let jobId = '';
    try {
      const s = await t.run(['submit', 'job.yaml', '--json'], env);
      expect(s.code, s.stderr).toBe(0);
      jobId = (JSON.parse(s.stdout) as { jobId: string }).jobId;
      await waitFor('10 tasks done', async () => (await status(jobId)).tasks.succeeded >= 10, 120_000)
        .catch((e: unknown) => { throw new Error(`${(e as Error).message}; the coordinators said: ${coordinators.stderr().slice(-3000)}`); });
      for (let kill = 0; kill < 2; kill++) {
        const killed = await coordinators.killLeader(jobId);
        takeovers.push(await takeoverSeconds(env, jobId, killed.pid, killed.at));
      }
      gate.open();
      const w = await t.run(['wait', jobId, '--json']);
      expect(w.code, `${w.stderr}\n${coordinators.stderr()}`).toBe(0);
    } finally {
      workerKills = await killer.stop();
      await coordinators.stop();
    }

    const end = await status(jobId);
    expect(end).toMatchObject({
      status: 'SUCCEEDED',
      tasks: { total: TASKS, succeeded: TASKS, failed: 0, cancelled: 0 },
      records: { total: RECORDS, processed: RECORDS },
    });
    const { lost, duplicated, foreign } = exactness(join(t.box.dir, 'out.jsonl'), RECORDS);
    const r = await t.run(['tasks', jobId, '--json']);
    const tasks = (JSON.parse(r.stdout) as { tasks: { status: string; attempts: number }[] }).tasks;
    const attempts = tasks.reduce((sum, x) => sum + x.attempts, 0);
    recordFigures({
      test: 'aws: 100 tasks, worker kill / 3 s, 2 leader kills', backend: 'aws', tasks: TASKS, records: RECORDS,
      lost, duplicated, attempts, workerKills, coordinatorKills: takeovers.length, takeoverSeconds: takeovers,
    });
    expect({ lost, duplicated, foreign }).toEqual({ lost: 0, duplicated: 0, foreign: 0 });
    expect(tasks).toHaveLength(TASKS);
    expect(tasks.every((x) => x.status === 'SUCCEEDED' && x.attempts >= 1)).toBe(true);
    expect(takeovers).toHaveLength(2);
    expect(workerKills).toBeGreaterThan(0);
  }, 300_000);
});
