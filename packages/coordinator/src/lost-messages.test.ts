import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, loadJobFile, type Backend, type JobRecord } from '@djc/core';
import { lostMessageSweeper } from './lost-messages.js';
import { prepareJob } from './prepare.js';
import { submitJob } from './submit.js';
import { useLocalHomes } from './testing/local-home.js';

const log = createLogger({ name: 'test', level: 'silent' });
let dir: string;
let backend: Backend;
const openHome = useLocalHomes('djc-lost-');

/** A prepared job of `tasks` tasks (lease 10 s), every message queued. */
async function prepared(tasks: number): Promise<JobRecord> {
  ({ dir, backend } = openHome());
  writeFileSync(join(dir, 'in.jsonl'), Array.from({ length: tasks }, (_, i) => `{"i":${i}}\n`).join(''));
  writeFileSync(join(dir, 'job.yaml'), 'name: lost\ninput: { path: in.jsonl, batch: { records: 1 } }\nhandler: { command: cat }\ncompute: { lease: 10s }\n');
  return prepareJob(backend, await submitJob(backend, await loadJobFile(join(dir, 'job.yaml')), 'daemon'), log);
}

/** Takes every visible message; deletes those of `drop` (lost), releases the others at once. */
async function lose(drop: readonly number[]): Promise<void> {
  for (const m of await backend.queue.receive({ max: 1000, visibilityMs: 60_000 })) {
    if (drop.includes(m.message.taskId)) await backend.queue.delete(m.receipt);
    else await backend.queue.release(m.receipt, 0);
  }
}

describe('lostMessageSweeper', () => {
  it('re-sends only the tasks without a message, once they have been so for the stall time, and not again before another one', async () => {
    const job = await prepared(6);
    await lose([1, 4]);
    let now = 1_000_000;
    const sweeper = lostMessageSweeper(backend, log, { now: () => now });
    expect(await sweeper.maybeSweep(job)).toEqual([]); // first seen
    now += 5000;
    expect(await sweeper.maybeSweep(job)).toEqual([]); // missing for 5 s < the lease
    now += 5000;
    expect(await sweeper.maybeSweep(job)).toEqual([1, 4]);
    expect(await backend.queue.withoutMessage(job.jobId, [0, 1, 2, 3, 4, 5])).toEqual([]);
    expect((await backend.queue.depth(job.jobId)).visible).toBe(6);
    now += 10_000;
    expect(await sweeper.maybeSweep(job)).toEqual([]); // nothing missing any more
  });

  it('sends nothing while every task has its message, or before everyMs has passed', async () => {
    const job = await prepared(3);
    let now = 0;
    const sweeper = lostMessageSweeper(backend, log, { now: () => now, stallMs: 1000, everyMs: 1000 });
    for (let i = 0; i < 5; i++, now += 1000) expect(await sweeper.maybeSweep(job)).toEqual([]);
    await lose([2]);
    expect(await sweeper.maybeSweep(job)).toEqual([]);
    now += 500;
    expect(await sweeper.maybeSweep(job)).toEqual([]); // too soon to look again
    now += 500;
    expect(await sweeper.maybeSweep(job)).toEqual([2]);
  });

  it('a queue that cannot tell which task lost its message (SQS): re-sends only while nothing is visible, no more than are missing', async () => {
    const job = await prepared(6);
    await lose([1, 4]);
    // The SQS adapter's answer: no lookup by task.
    const blind = Object.assign(Object.create(backend.queue) as typeof backend.queue, { withoutMessage: async () => null });
    let now = 0;
    const sweeper = lostMessageSweeper({ ...backend, queue: blind }, log, { now: () => now, stallMs: 1000, everyMs: 1000 });
    for (let i = 0; i < 4; i++, now += 1000) expect(await sweeper.maybeSweep(job)).toEqual([]); // 4 messages visible
    // Workers took the 4 (in flight, not yet claimed): nothing visible, 2 missing.
    expect(await backend.queue.receive({ max: 10, visibilityMs: 60_000 })).toHaveLength(4);
    expect(await sweeper.maybeSweep(job)).toEqual([]); // first seen
    now += 1000;
    const sent = await sweeper.maybeSweep(job);
    expect(sent).toHaveLength(2);
    expect((await backend.queue.depth(job.jobId)).visible).toBe(2);
  });

  it('a RETRY_WAIT task whose message was lost is re-sent once its backoff is over (and a stall later), not before', async () => {
    const job = await prepared(2);
    const got = await backend.queue.receive({ max: 10, visibilityMs: 60_000 });
    const lease = { owner: 'w1', attempt: 1 };
    await backend.state.claimTask(job.jobId, 0, { owner: 'w1', leaseMs: 10_000, maxAttempts: 3 });
    const backoffEnds = Date.now() + 5000;
    await backend.state.completeTask(job.jobId, 0, lease, { status: 'RETRY_WAIT', error: 'boom', kind: 'error', notBefore: backoffEnds });
    // The worker died before releasing task 0's message with the backoff delay: it is lost.
    for (const m of got) await (m.message.taskId === 0 ? backend.queue.delete(m.receipt) : backend.queue.release(m.receipt, 0));
    let now = Date.now();
    const sweeper = lostMessageSweeper(backend, log, { now: () => now, stallMs: 2000, everyMs: 1000 });
    expect(await sweeper.maybeSweep(job)).toEqual([]);
    now = backoffEnds - 1000;
    expect(await sweeper.maybeSweep(job)).toEqual([]); // still in backoff: no message needed yet
    now = backoffEnds + 1000;
    expect(await sweeper.maybeSweep(job)).toEqual([]); // due: first seen without a message
    now += 2000;
    expect(await sweeper.maybeSweep(job)).toEqual([0]);
    expect(await backend.queue.withoutMessage(job.jobId, [0, 1])).toEqual([]);
  });

  it('a sweep that fails (the backend unreachable) is logged and does not reject: coordinating goes on', async () => {
    const job = await prepared(2);
    const broken = Object.assign(Object.create(backend.queue) as typeof backend.queue, {
      depth: async () => { throw new Error('queue unreachable'); },
    });
    const warned: unknown[] = [];
    const spy = Object.assign(Object.create(log) as typeof log, { warn: (o: unknown) => { warned.push(o); } });
    await backend.queue.receive({ max: 10, visibilityMs: 60_000 }).then((got) => Promise.all(got.map((m) => backend.queue.delete(m.receipt))));
    const sweeper = lostMessageSweeper({ ...backend, queue: broken }, spy, { now: () => 60_000 });
    await expect(sweeper.maybeSweep(job)).resolves.toEqual([]);
    expect(warned).toEqual([expect.objectContaining({ jobId: job.jobId, err: expect.objectContaining({ message: 'queue unreachable' }) })]);
  });
});
