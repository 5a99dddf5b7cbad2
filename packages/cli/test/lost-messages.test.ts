/**
 * A lost queue message (local backend): the message of a PENDING task (its task row's, task-row-messages.ts) is
 * deleted behind djc's back while `djc run` works through the job. Without
 * the coordinator's lost-message sweep that task would wait forever (the
 * worker stays while the job has pending tasks); with it, the task is
 * re-sent once it has had no message for a lease (2 s here) and the job
 * ends with every record exactly once.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../core/src/backends/local/db.js';
import { djc, djcStart, readJsonl, sandboxPerTest, waitFor } from './helpers.js';

const box = sandboxPerTest('djc-lost-');
const RECORDS = 40;

function writeJob(): void {
  writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: RECORDS }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(box.dir, 'h.mjs'), `export async function echo(records) {
  await new Promise((resolve) => setTimeout(resolve, 300));
  return records;
}\n`);
  writeFileSync(join(box.dir, 'job.yaml'), `name: lost
input: { path: in.jsonl, batch: { records: 4 } }
handler: { module: ./h.mjs#echo }
compute: { workers: 1, lease: 2s }
output: { path: out.jsonl }
`);
}

/** Deletes the queue message of the last task no worker has received yet; its task id. */
function dropLastMessage(home: string, jobId: string): number | undefined {
  const db = openDatabase(join(home, 'djc.sqlite'));
  try {
    db.pragma('busy_timeout = 5000');
    // A plain task message lives in its task row (core task-row-messages.ts): clearing q_at deletes it.
    const row = db.prepare(`UPDATE tasks SET q_at = NULL WHERE job_id = ? AND task_id = (SELECT max(task_id) FROM tasks
      WHERE job_id = ? AND q_at IS NOT NULL AND q_receipt IS NULL) RETURNING task_id`).get(jobId, jobId) as { task_id: number } | undefined;
    return row?.task_id;
  } finally {
    db.close();
  }
}

interface Task { taskId: number; status: string; attempts: number }

describe('lost queue messages (local)', () => {
  it('a PENDING task whose message was deleted is re-sent by the sweep; the job completes exactly once', async () => {
    writeJob();
    const run = djcStart(['run', 'job.yaml', '--json'], { cwd: box.dir, home: box.home, detached: true });
    const jobId = await waitFor('the job running', async () => {
      const r = await box.run(['list', '--json']);
      const job = r.code === 0 ? (JSON.parse(r.stdout) as { jobs: { jobId: string; status: string }[] }).jobs[0] : undefined;
      return job?.status === 'RUNNING' ? job.jobId : undefined;
    });
    const victim = dropLastMessage(box.home, jobId);
    expect(victim, 'a task was still waiting for a worker').toBe(RECORDS / 4 - 1);
    const end = await Promise.race([run.done, new Promise<null>((r) => setTimeout(() => r(null), 90_000).unref())]);
    // Hung (the lost task never ran): stop djc run and its worker (its own process group).
    if (end === null) process.kill(-(run.child.pid as number), 'SIGKILL');
    expect(end?.code, run.stderr()).toBe(0);
    expect(run.stderr()).toContain('queue messages lost: tasks re-sent');
    const out = readJsonl(join(box.dir, 'out.jsonl')) as { n: number }[];
    expect(out.map((r) => r.n).sort((a, b) => a - b)).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
    const tasks = JSON.parse((await djc(['tasks', jobId, '--json'], { cwd: box.dir, home: box.home })).stdout) as { tasks: Task[] };
    // It ran once, after the re-send: the lost message cost no attempt.
    expect(tasks.tasks.find((t) => t.taskId === victim)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  }, 120_000);
});
