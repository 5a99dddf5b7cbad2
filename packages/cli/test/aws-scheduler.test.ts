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
import { peakCpus, startOrder, statusOf, submit, waitAll, waitStatus, writeSleepJob } from './scheduler-helpers.js';

const t = useAwsBackend('djc-aws-sched-');
const run = (args: string[]) => t.run(args);

describe('the scheduler on the aws backend', () => {
  it('admits within the declared capacity, queues the rest with a reason, orders by priority, refuses a job that can never fit', async () => {
    const daemon = djcStart(['coordinator', '--cpus', '4'], { cwd: t.box.dir, home: t.box.home, env: t.env });
    try {
      // first holds the 4 cpus until cancelled, so low and high queue however slow the machine is.
      const first = await submit(run, t.box.dir, { name: 'first', workers: 2, cpus: 2, tasks: 2, sleep: 600 });
      await waitStatus(run, first, 'RUNNING');
      const low = await submit(run, t.box.dir, { name: 'low', workers: 2, cpus: 2, tasks: 2, sleep: 0.3 }, ['--priority', 'low']);
      const high = await submit(run, t.box.dir, { name: 'high', workers: 2, cpus: 2, tasks: 2, sleep: 0.3 }, ['--priority', 'high']);
      const queued = await waitStatus(run, low, 'QUEUED');
      expect(queued.reason).toMatch(/needs 2 cpus/);
      await waitFor('the queue document', async () => (await run(['queue', '--json'])).stdout.includes(high));
      const refused = await run(['submit', writeSleepJob(t.box.dir, { name: 'huge', cpus: 8 })]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('compute.resources.cpus 8 > 4 cpus of the running coordinator');
      expect((await run(['cancel', first])).code).toBe(0);
      const docs = await waitAll(run, [low, high]);
      expect(docs.map((d) => d.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      expect(startOrder(docs)).toEqual(['high', 'low']);
      const firstDoc = await waitFor('the end of every worker of first recorded', async () => {
        const d = await statusOf(run, first);
        const a = d.workers?.allocations ?? [];
        return a.length > 0 && a.every((x) => x.endedAt !== null) ? d : undefined;
      });
      expect(firstDoc.status).toBe('CANCELLED');
      expect(peakCpus([firstDoc, ...docs])).toBe(4);
    } finally {
      daemon.child.kill('SIGTERM');
      const r = await daemon.done;
      expect(r.code, r.stderr).toBe(0);
    }
  });
});
