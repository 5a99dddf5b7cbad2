/**
 * A lost queue message on the AWS backend (DynamoDB Local + fauxqs): while
 * `djc run` works through the job, the test receives one waiting message of
 * the job from SQS and deletes it (what a redrive to the DLQ or a lost send
 * leaves behind: a PENDING task with no message). SQS cannot look messages
 * up by task, so the sweep re-sends once nothing is visible in the queue and
 * fewer messages exist than tasks need; the job ends with every record once.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dropOneMessage } from '../../core/src/testing/sqs-drop-message.js';
import { useAwsBackend } from './aws-backend.js';
import { djcStart, readJsonl, waitFor } from './helpers.js';

const t = useAwsBackend('djc-awslost-');
const RECORDS = 40;

function writeJob(): void {
  writeFileSync(join(t.box.dir, 'in.jsonl'), Array.from({ length: RECORDS }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(t.box.dir, 'h.mjs'), `export async function echo(records) {
  await new Promise((resolve) => setTimeout(resolve, 300));
  return records;
}\n`);
  writeFileSync(join(t.box.dir, 'job.yaml'), `name: awslost
input: { path: in.jsonl, batch: { records: 2 } }
handler: { module: ./h.mjs#echo }
compute: { workers: 1, lease: 2s }
output: { path: out.jsonl }
`);
}

interface Task { taskId: number; status: string; attempts: number }

describe('lost queue messages (aws)', () => {
  it('a PENDING task whose SQS message was deleted is re-sent by the sweep; the job completes exactly once', async () => {
    writeJob();
    const run = djcStart(['run', 'job.yaml', '--json'], { cwd: t.box.dir, home: t.box.home, env: t.env, detached: true });
    const jobId = (await waitFor('the job id', async () => /djc: job (\S+) submitted/.exec(run.stderr()), 60_000))[1] as string;
    await waitFor('the job running', async () => {
      const r = await t.run(['status', jobId, '--json']);
      return r.code === 0 && (JSON.parse(r.stdout) as { status: string }).status === 'RUNNING';
    }, 60_000);
    const dropped = await waitFor('a waiting message of the job', () => dropOneMessage(t.fauxqs.endpoint, t.env.DJC_QUEUE as string), 30_000);
    expect(dropped.jobId).toBe(jobId);
    const victim = dropped.taskId;
    const end = await Promise.race([run.done, new Promise<null>((r) => setTimeout(() => r(null), 120_000).unref())]);
    // Hung (the lost task never ran): stop djc run and its worker (its own process group).
    if (end === null) process.kill(-(run.child.pid as number), 'SIGKILL');
    expect(end?.code, run.stderr()).toBe(0);
    expect(run.stderr()).toContain('queue messages lost: tasks re-sent');
    const out = readJsonl(join(t.box.dir, 'out.jsonl')) as { n: number }[];
    expect(out.map((r) => r.n).sort((a, b) => a - b)).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
    const r = await t.run(['tasks', jobId, '--json']);
    const task = (JSON.parse(r.stdout) as { tasks: Task[] }).tasks.find((x) => x.taskId === victim);
    expect(task).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  }, 180_000);
});
