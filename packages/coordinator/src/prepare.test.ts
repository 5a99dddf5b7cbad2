import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blobKeys, createLogger, loadJobFile, partitionInput, type Backend, type BatchDescriptor } from '@djc/core';
import { prepareJob } from './prepare.js';
import { submitJob } from './submit.js';
import { useLocalHomes } from './testing/local-home.js';

const log = createLogger({ name: 'test', level: 'silent' });
let dir: string;
let backend: Backend;
const openHome = useLocalHomes('djc-prepare-');

async function setup(records: number, batch: number) {
  ({ dir, backend } = openHome());
  writeFileSync(join(dir, 'in.jsonl'), Array.from({ length: records }, (_, i) => `{"i":${i}}\n`).join(''));
  writeFileSync(join(dir, 'job.yaml'), `name: prep\ninput: { path: in.jsonl, batch: { records: ${batch} } }\nhandler: { command: cat }\n`);
  const loaded = await loadJobFile(join(dir, 'job.yaml'));
  return submitJob(backend, loaded, 'daemon');
}

async function allMessages(): Promise<number[]> {
  const got = await backend.queue.receive({ max: 100_000, visibilityMs: 60_000 });
  return got.map((m) => m.message.taskId).sort((a, b) => a - b);
}

describe('prepareJob', () => {
  it('splits the input into PENDING tasks, enqueues each once, writes the manifest and starts the job', async () => {
    const job = await setup(1050, 100);
    const ready = await prepareJob(backend, job, log);
    expect(ready.status).toBe('RUNNING');
    expect(ready.tasks).toMatchObject({ total: 11, pending: 11 });
    expect(ready.records.total).toBe(1050);
    expect(await allMessages()).toEqual([...Array(11).keys()]);
    const manifest = JSON.parse((await backend.blobs.get(blobKeys.manifest(job.jobId)))!.toString()) as {
      totals: { records: number; batches: number }; files: { records: number; size: number }[]; batches: BatchDescriptor[];
    };
    expect(manifest.totals).toMatchObject({ records: 1050, batches: 11 });
    expect(manifest.files[0]).toMatchObject({ records: 1050 });
    expect(manifest.batches.map((b) => b.records)).toEqual([...Array(10).fill(100), 50]);
  });

  it('writes tasks and messages as separate calls on a backend without joint writes (AWS): each task once, each message once', async () => {
    const job = await setup(2500, 1);
    const separate: Backend = { ...backend, joint: undefined };
    const ready = await prepareJob(separate, job, log);
    expect(ready.tasks).toMatchObject({ total: 2500, pending: 2500 });
    expect(await allMessages()).toEqual([...Array(2500).keys()]);
  });

  it('resumes after a crash mid-prepare: no task twice, exact counters, every pending task enqueued', async () => {
    const job = await setup(1000, 100);
    // The first coordinator got as far as writing 4 tasks (one already claimed) and died.
    await backend.state.transitionJob(job.jobId, ['SUBMITTED'], 'PREPARING');
    const first: BatchDescriptor[] = [];
    for await (const ev of partitionInput([join(dir, 'in.jsonl')], { format: 'jsonl', csv: { delimiter: ',', header: true, quote: '"' }, batchRecords: 100 })) {
      if (ev.type === 'batch' && first.length < 4) first.push(ev.batch);
    }
    await backend.state.putTasks(job.jobId, first);
    await backend.state.claimTask(job.jobId, 2, { owner: 'w1', leaseMs: 60_000, maxAttempts: 3 });

    const resumed = await prepareJob(backend, (await backend.state.getJob(job.jobId))!, log);
    expect(resumed.status).toBe('RUNNING');
    expect(resumed.tasks).toMatchObject({ total: 10, pending: 9, running: 1 });
    expect((await backend.state.getTask(job.jobId, 2))?.status).toBe('RUNNING');
    // Every PENDING task has a message; the running one keeps its own delivery.
    expect(await allMessages()).toEqual([0, 1, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a resumed prepare sends no second message for a task the dead coordinator had enqueued', async () => {
    const job = await setup(1000, 100);
    await backend.state.transitionJob(job.jobId, ['SUBMITTED'], 'PREPARING');
    const first: BatchDescriptor[] = [];
    for await (const ev of partitionInput([join(dir, 'in.jsonl')], { format: 'jsonl', csv: { delimiter: ',', header: true, quote: '"' }, batchRecords: 100 })) {
      if (ev.type === 'batch' && first.length < 6) first.push(ev.batch);
    }
    // It wrote 6 tasks and sent the messages of the first 4 (its last chunk's send never happened).
    await backend.state.putTasks(job.jobId, first);
    await backend.queue.send([0, 1, 2, 3].map((taskId) => ({ v: 1 as const, jobId: job.jobId, taskId })));

    const resumed = await prepareJob(backend, (await backend.state.getJob(job.jobId))!, log);
    expect(resumed.tasks).toMatchObject({ total: 10, pending: 10 });
    expect(await allMessages()).toEqual([...Array(10).keys()]);
  });
});
