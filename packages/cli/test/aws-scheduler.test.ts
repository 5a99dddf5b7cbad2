/**
 * The same admission on the AWS backend (DynamoDB Local + fauxqs): a daemon
 * with a declared capacity of 4 cpus queues what does not fit (QUEUED with
 * its reason, on the job item), never holds more than 4 cpus (from the
 * recorded allocations), orders by priority, and refuses a job that can
 * never fit (exit 2) from its queue document in S3.
 */
import { describe, expect, it } from 'vitest';
import { useAwsBackend } from './aws-backend.js';
import { djcStart, waitFor } from './helpers.js';
import { peakCpus, startOrder, submit, waitAll, waitStatus, writeSleepJob } from './scheduler-helpers.js';

const t = useAwsBackend('djc-aws-sched-');
const run = (args: string[]) => t.run(args);

describe('the scheduler on the aws backend', () => {
  it('admits within the declared capacity, queues the rest with a reason, orders by priority, refuses a job that can never fit', async () => {
    const daemon = djcStart(['coordinator', '--cpus', '4'], { cwd: t.box.dir, home: t.box.home, env: t.env });
    try {
      const first = await submit(run, t.box.dir, { name: 'first', workers: 2, cpus: 2, tasks: 4, sleep: 1 });
      await waitStatus(run, first, 'RUNNING');
      const low = await submit(run, t.box.dir, { name: 'low', workers: 2, cpus: 2, tasks: 2, sleep: 0.3 }, ['--priority', 'low']);
      const high = await submit(run, t.box.dir, { name: 'high', workers: 2, cpus: 2, tasks: 2, sleep: 0.3 }, ['--priority', 'high']);
      const queued = await waitStatus(run, low, 'QUEUED');
      expect(queued.reason).toMatch(/needs 2 cpus/);
      await waitFor('the queue document', async () => (await run(['queue', '--json'])).stdout.includes(high));
      const refused = await run(['submit', writeSleepJob(t.box.dir, { name: 'huge', cpus: 8 })]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('compute.resources.cpus 8 > 4 cpus of the running coordinator');
      const docs = await waitAll(run, [first, low, high]);
      expect(docs.map((d) => d.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
      expect(peakCpus(docs)).toBe(4);
      expect(startOrder(docs)).toEqual(['first', 'high', 'low']);
    } finally {
      daemon.child.kill('SIGTERM');
      const r = await daemon.done;
      expect(r.code, r.stderr).toBe(0);
    }
  });
});
