/**
 * `djc tasks JOB --why` and `djc status JOB --why` on the local backend
 * (the scenario is in why-helpers.ts): backoff until a time, running on a
 * worker with its lease, waiting in the queue, a lost queue message, and
 * the job's own reason once it is paused.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../core/src/backends/local/db.js';
import { djcStart, sandboxPerTest, waitFor } from './helpers.js';
import { submit, waitStatus } from './scheduler-helpers.js';
import { expectRunningReasons, startWhyScenario, stopScenariosAfterEach, whyJson } from './why-helpers.js';

const box = sandboxPerTest('djc-why-');
stopScenariosAfterEach();

/** Deletes the queue message of one task (a lost message). */
function dropMessage(jobId: string, taskId: number): number {
  const db = openDatabase(join(box.home, 'djc.sqlite'));
  try {
    // A plain task message lives in its task row (core task-row-messages.ts): clearing q_at deletes it.
    return Number(db.prepare('UPDATE tasks SET q_at = NULL WHERE job_id = ? AND task_id = ? AND q_at IS NOT NULL AND q_receipt IS NULL').run(jobId, taskId).changes);
  } finally {
    db.close();
  }
}

describe('--why (local)', () => {
  it('says why each unfinished task is not running: backoff, running, queued, message lost, job paused', async () => {
    const startedAt = Date.now();
    const { jobId, run } = await startWhyScenario({ dir: box.dir, home: box.home, run: box.run });
    expectRunningReasons(await whyJson(box, jobId), startedAt);

    const text = await box.run(['tasks', jobId, '--why']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^TASK\s+STATUS\s+ATTEMPTS\s+WHY$/);
    expect(text.stdout).toMatch(/\n0\s+RETRY_WAIT\s+1\s+backoff until /);
    expect(text.stdout).toMatch(/\n2\s+PENDING\s+0\s+queued, waiting for a free worker/);

    const two = await box.run(['tasks', jobId, '--why', '--limit', '2']);
    expect(two.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(['TASK', '0', '1']);
    expect(two.stderr).toBe('djc: listed the first 2 unfinished tasks; --limit N lists more\n');
    expect(JSON.parse((await box.run(['tasks', jobId, '--why', '--limit', '2', '--json'])).stdout)).toMatchObject({ truncated: true, unfinished: { pending: 2, retrying: 1, running: 1 } });

    // Task 3's message lost (the sweep would re-send it after a lease, 30 s): --why says so.
    expect(dropMessage(jobId, 3)).toBe(1);
    const lost = await whyJson(box, jobId);
    expect(lost.tasks.find((x) => x.taskId === 3)).toMatchObject({ code: 'message_lost' });
    expect(lost.tasks.find((x) => x.taskId === 2)).toMatchObject({ code: 'waiting_for_worker' });

    const status = await box.run(['status', jobId, '--why']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('Why not running (4 unfinished tasks):');
    expect(status.stdout).toMatch(/\n {2}1 task \(0\) backoff: backoff until /);
    expect(status.stdout).toMatch(/\n {2}1 task \(2\) waiting_for_worker: queued, waiting for a free worker/);
    expect(status.stdout).toMatch(/\n {2}1 task \(3\) message_lost: its queue message is missing/);
    const sj = await box.run(['status', jobId, '--why', '--json']);
    const sdoc = JSON.parse(sj.stdout) as { jobId: string; status: string; why: { tasks: unknown[]; job: unknown } };
    expect(sdoc).toMatchObject({ jobId, status: 'RUNNING', why: { job: null } });
    expect(sdoc.why.tasks).toHaveLength(4);

    // Paused: the job's reason comes first for the tasks that wait (the running one finishes its attempt).
    expect((await box.run(['pause', jobId])).code).toBe(0);
    const paused = await whyJson(box, jobId);
    expect(paused.job).toEqual({ code: 'job_paused', message: `the job is paused: no task starts (djc resume ${jobId})` });
    expect(paused.tasks.find((x) => x.taskId === 2)).toMatchObject({ status: 'PENDING', code: 'job_paused' });
    expect(paused.tasks.find((x) => x.taskId === 0)).toMatchObject({ code: 'backoff' });
    const pausedText = await box.run(['tasks', jobId, '--why', '--status', 'pending']);
    expect(pausedText.stdout.split('\n')[0]).toBe(`job ${jobId}: the job is paused: no task starts (djc resume ${jobId})`);
    expect(pausedText.stdout).not.toMatch(/\n[01]\s/);

    writeFileSync(join(box.dir, 'go'), '');
    expect((await box.run(['cancel', jobId])).code).toBe(0);
    expect((await run.done).code).toBe(1);
    const done = await box.run(['tasks', jobId, '--why']);
    expect(done.code).toBe(0);
    expect(done.stdout).toBe('');
    expect(done.stderr).toBe(`no unfinished tasks in ${jobId} (it is CANCELLED)\n`);
  }, 150_000);

  it('a QUEUED job: the scheduler\'s reason from the queue document, as the job-level reason', async () => {
    const daemon = djcStart(['coordinator', '--cpus', '2'], { cwd: box.dir, home: box.home });
    try {
      // The blocker holds the cpus until cancelled, so the queued job stays queued however slow the machine.
      const blocker = await submit(box.run, box.dir, { name: 'blocker', cpus: 2, sleep: 600 });
      await waitStatus(box.run, blocker, 'RUNNING');
      const queued = await submit(box.run, box.dir, { name: 'queued', cpus: 2 });
      const doc = await waitFor('the queue reason', async () => {
        const d = await whyJson(box, queued);
        return d.job?.code === 'job_queued' && d.job.message.includes('needs 2 cpus') ? d : undefined;
      });
      expect(doc).toMatchObject({ status: 'QUEUED', tasks: [] });
      expect(doc.job?.message).toMatch(/^the job waits in the scheduler's queue: needs 2 cpus, 0 free; 0 jobs ahead/);
      const text = await box.run(['tasks', queued, '--why']);
      expect([text.code, text.stdout]).toEqual([0, '']);
      expect(text.stderr).toMatch(new RegExp(`^no unfinished tasks in ${queued} \\(it is QUEUED\\); the job waits in the scheduler's queue: needs 2 cpus`));
      const status = await box.run(['status', queued, '--why']);
      expect(status.stdout).toContain('\n\nWhy not running: the job waits in the scheduler\'s queue: needs 2 cpus, 0 free');
      for (const id of [queued, blocker]) expect((await box.run(['cancel', id])).code).toBe(0);
    } finally {
      daemon.child.kill('SIGTERM');
      expect((await daemon.done).code).toBe(0);
    }
  }, 120_000);

  it('--why of a pipeline is a usage error naming what to ask instead (exit 2)', async () => {
    writeFileSync(join(box.dir, 'p.jsonl'), '{"n":1}\n');
    writeFileSync(join(box.dir, 'pl.yaml'), 'name: pl\nstages:\n  a: { input: { path: p.jsonl }, handler: { command: cat } }\n');
    const sub = await box.run(['submit', 'pl.yaml']);
    expect(sub.code, sub.stderr).toBe(0);
    const id = sub.stdout.trim();
    for (const args of [['tasks', id, '--why'], ['status', id, '--why']]) {
      const r = await box.run(args);
      expect([r.code, r.stdout], r.stderr).toEqual([2, '']);
      expect(r.stderr).toContain(`--why explains the tasks of one job; ${id} is a pipeline`);
      expect(r.stderr).toContain(`name one of its stage runs (djc status ${id} lists them)`);
    }
  });

  it('--why with --watch is a usage error (exit 2)', async () => {
    const r = await box.run(['status', '--why', '--watch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--why and --watch do not go together');
  });
});
