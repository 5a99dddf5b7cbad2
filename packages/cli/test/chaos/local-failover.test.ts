/**
 * Chaos on the local backend: 10,000 tasks through a coordinator daemon
 * while a random worker is SIGKILLed every 2 s and the leading coordinator
 * is SIGKILLed twice with a standby waiting. The result must hold every
 * record exactly once and the counters must be exact; the figures (lost,
 * duplicated, attempts, takeover seconds) go to .test-results/chaos.jsonl.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { djc, sandboxPerTest, waitFor } from '../helpers.js';
import { exactness, keepCoordinators, killWorkersEvery, recordFigures, takeoverSeconds, writeGatedHandler } from './harness.js';

const box = sandboxPerTest('djc-chaos-');
const TASKS = 10_000;
/** Milliseconds a task takes. */
const MS = 5;

interface Status { status: string; tasks: { total: number; succeeded: number; failed: number; cancelled: number }; records: { total: number; processed: number } }

async function status(jobId: string): Promise<Status> {
  const r = await djc(['status', jobId, '--json'], { cwd: box.dir, home: box.home });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Status;
}

describe('chaos: local backend', () => {
  it('10,000 tasks, a worker SIGKILLed every 2 s, the leader SIGKILLed twice: every record once, counters exact', async () => {
    writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: TASKS }, (_, i) => `{"n":${i}}\n`).join(''));
    // Batches from record 2_000 on wait for the gate, opened after the second takeover.
    const gate = writeGatedHandler(box.dir, { ms: MS, from: 2_000 });
    writeFileSync(join(box.dir, 'job.yaml'), `name: chaos
input: { path: in.jsonl, batch: { records: 1 } }
handler: { module: ./gated.mjs#echo }
compute: { workers: 6, lease: 3s }
retry: { max_attempts: 20, backoff: { initial: 100ms, max: 1s } }
output: { path: out.jsonl }
`);
    // A job whose coordinator stopped marking it 2 s ago is adopted by the next leader.
    const env = { DJC_HOME: box.home, DJC_COORDINATOR_STALE_SECONDS: '2' };
    const coordinators = keepCoordinators(['--cpus', '8'], { cwd: box.dir, home: box.home, env, count: 2 });
    const killer = killWorkersEvery(box.home, 2000, 2);
    const takeovers: number[] = [];
    let workerKills = 0;
    let jobId = '';
    try {
      const s = await djc(['submit', 'job.yaml', '--json'], { cwd: box.dir, home: box.home });
      expect(s.code, s.stderr).toBe(0);
      jobId = (JSON.parse(s.stdout) as { jobId: string }).jobId;
      // The first kill once 1,000 tasks are done, the second as soon as the next leader coordinates.
      await waitFor('1,000 tasks done', async () => (await status(jobId)).tasks.succeeded >= 1_000, 120_000);
      for (let kill = 0; kill < 2; kill++) {
        const killed = await coordinators.killLeader(jobId);
        takeovers.push(await takeoverSeconds(env, jobId, killed.pid, killed.at));
      }
      gate.open();
      const w = await djc(['wait', jobId, '--json'], { cwd: box.dir, home: box.home, timeoutMs: 170_000 });
      expect(w.code, `${w.stderr}\n${coordinators.stderr()}`).toBe(0);
    } finally {
      workerKills = await killer.stop();
      await coordinators.stop();
    }

    const end = await status(jobId);
    expect(end).toMatchObject({
      status: 'SUCCEEDED',
      tasks: { total: TASKS, succeeded: TASKS, failed: 0, cancelled: 0 },
      records: { total: TASKS, processed: TASKS },
    });
    const { lost, duplicated, foreign } = exactness(join(box.dir, 'out.jsonl'), TASKS);
    const t = await djc(['tasks', jobId, '--json'], { cwd: box.dir, home: box.home });
    const tasks = (JSON.parse(t.stdout) as { tasks: { status: string; attempts: number }[] }).tasks;
    const attempts = tasks.reduce((sum, x) => sum + x.attempts, 0);
    recordFigures({
      test: 'local: 10k tasks, worker kill / 2 s, 2 leader kills', backend: 'local', tasks: TASKS, records: TASKS,
      lost, duplicated, attempts, workerKills, coordinatorKills: takeovers.length, takeoverSeconds: takeovers,
    });
    expect({ lost, duplicated, foreign }).toEqual({ lost: 0, duplicated: 0, foreign: 0 });
    expect(tasks).toHaveLength(TASKS);
    expect(tasks.every((x) => x.status === 'SUCCEEDED' && x.attempts >= 1)).toBe(true);
    expect(takeovers).toHaveLength(2);
    expect(workerKills).toBeGreaterThan(0);
    // Killed workers died mid-task at least once: some task was re-run.
    expect(attempts).toBeGreaterThan(TASKS);
  });
});
