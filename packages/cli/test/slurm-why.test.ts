/**
 * `djc tasks JOB --why` with dispatcher: slurm on the REAL local cluster
 * (scripts/slurm/up.sh): the worker array is submitted held (`--hold` in
 * compute.slurm.extra_args), so Slurm keeps it PENDING with the reason
 * JobHeldUser, a reason djc shows but does not act on; every task then
 * waits for a worker, and --why says so with Slurm's reason (read from the
 * job's workers record). `djc cancel` ends it and scancels the array.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { djc, djcStart, sandboxPerTest, waitFor } from './helpers.js';
import { assertSlurmUp, LIVE_STATES, liveSlurmJobsUnder, scancelQuietly, squeueTasks } from './slurm-helpers.js';
import type { WhyDoc } from './why-helpers.js';

const box = sandboxPerTest('djc-slurmwhy-');
const POLL = { DJC_SLURM_POLL_MS: '500' };
let runs: ReturnType<typeof djcStart>[] = [];

beforeAll(async () => {
  await assertSlurmUp();
});

afterEach(async () => {
  for (const r of runs.splice(0)) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  await scancelQuietly(await liveSlurmJobsUnder(box.dir));
});

describe('--why with Slurm workers pending', () => {
  it('names Slurm\'s pending reason for the tasks waiting for a worker; cancel scancels the array', async () => {
    writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: 6 }, (_, i) => `{"n":${i}}\n`).join(''));
    writeFileSync(join(box.dir, 'h.mjs'), 'export async function echo(records) { return records; }\n');
    writeFileSync(join(box.dir, 'job.yaml'), `name: slurmwhy
input: { path: in.jsonl, batch: { records: 2 } }
handler: { module: ./h.mjs#echo }
compute: { dispatcher: slurm, workers: 2, slurm: { partition: debug, time: "00:05:00", extra_args: ["--hold"] } }
output: { path: out.jsonl }
`);
    const run = djcStart(['run', 'job.yaml'], { cwd: box.dir, home: box.home, env: POLL });
    runs.push(run);
    const jobId = (await waitFor('the job id', async () => /djc: job (\S+) submitted/.exec(run.stderr()), 60_000))[1] as string;
    const why = (args: string[] = []) => djc(['tasks', jobId, '--why', ...args], { cwd: box.dir, home: box.home, env: POLL });
    const doc = await waitFor('the tasks waiting on Slurm\'s reason', async () => {
      const r = await why(['--json']);
      const d = r.code === 0 ? JSON.parse(r.stdout) as WhyDoc : null;
      // Slurm gives the reason a moment after the submit (None until then).
      return d && d.tasks.length === 3 && d.tasks.every((t) => t.code === 'workers_pending' && t.message.includes('JobHeldUser')) ? d : undefined;
    }, 60_000);
    expect(doc.job).toBeNull();
    expect(doc.tasks.map((t) => t.status)).toEqual(['PENDING', 'PENDING', 'PENDING']);
    expect(doc.tasks[0]?.message).toBe('waiting for a worker: the workers are pending in Slurm: 2 pending (JobHeldUser)');
    const text = await why();
    expect(text.stdout).toMatch(/\n0\s+PENDING\s+0\s+waiting for a worker: the workers are pending in Slurm: 2 pending \(JobHeldUser\)\n/);

    expect((await djc(['cancel', jobId], { cwd: box.dir, home: box.home, env: POLL })).code).toBe(0);
    expect((await run.done).code).toBe(1);
    const st = JSON.parse((await djc(['status', jobId, '--json'], { cwd: box.dir, home: box.home })).stdout) as { workers?: { slurmJobIds: string[] } };
    const ids = st.workers?.slurmJobIds ?? [];
    expect(ids).toHaveLength(1);
    await waitFor('the array gone', async () => (await squeueTasks(ids)).every((t) => !LIVE_STATES.has(t.state)), 30_000);
  }, 120_000);
});
