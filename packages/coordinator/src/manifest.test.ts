import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  blobKeys, tallyBatch, createLogger, jobStatusDocument, loadJobFile, recordsTotal, type Backend, type JobRecord, type Manifest,
} from '@djc/core';
import { finalizeJob } from './finalize.js';
import { prepareJob } from './prepare.js';
import { submitJob } from './submit.js';
import { useLocalHomes } from './testing/local-home.js';

const log = createLogger({ name: 'test', level: 'silent' });
let dir: string;
let backend: Backend;
const openHome = useLocalHomes('djc-bytes-');

const RECORDS = 1050;

async function setup(): Promise<JobRecord> {
  ({ dir, backend } = openHome());
  writeFileSync(join(dir, 'a.jsonl'), Array.from({ length: 700 }, (_, i) => `{"i":${i}}\n`).join(''));
  writeFileSync(join(dir, 'b.jsonl'), Array.from({ length: RECORDS - 700 }, (_, i) => `{"i":${700 + i}}\n\n`).join(''));
  writeFileSync(join(dir, 'job.yaml'), 'name: bytes\ninput: { path: "*.jsonl", batch: { bytes: 1KiB } }\nhandler: { command: cat }\n');
  return submitJob(backend, await loadJobFile(join(dir, 'job.yaml')), 'daemon');
}

const manifestOf = async (jobId: string) => JSON.parse((await backend.blobs.get(blobKeys.manifest(jobId)))!.toString()) as Manifest;

/** Runs every task the way a worker does, committing the count of its batch; `fail` tasks fail instead. */
async function runTasks(job: JobRecord, fail: ReadonlySet<number> = new Set()): Promise<number[]> {
  const counts: number[] = [];
  for (const t of await backend.state.listTasks(job.jobId)) {
    const lease = { owner: 'w', attempt: (await backend.state.claimTask(job.jobId, t.taskId, { owner: 'w', leaseMs: 60_000, maxAttempts: 1 })).attempts };
    if (fail.has(t.taskId)) {
      await backend.state.completeTask(job.jobId, t.taskId, lease, { status: 'FAILED', error: 'boom', kind: 'exit_code', exitCode: 1 });
      continue;
    }
    const records = (await tallyBatch(t.batch, { format: 'jsonl', csv: job.config.input.csv })).records;
    counts.push(records);
    const key = blobKeys.output(job.jobId, t.taskId, lease.attempt);
    await backend.blobs.put(key, `${records}\n`);
    await backend.state.completeTask(job.jobId, t.taskId, lease, { status: 'SUCCEEDED', outputKey: key, outputKind: 'raw', records });
  }
  return counts;
}

describe('a job split by bytes', () => {
  it('is uncounted at prepare; finalize writes each batch count, the files, the totals and the exact job total', async () => {
    const job = await setup();
    const ready = await prepareJob(backend, job, log);
    expect(ready.status).toBe('RUNNING');
    expect(ready.records).toEqual({ total: 0, processed: 0, bad: 0 });
    expect(recordsTotal(ready)).toEqual({ total: 0, known: false });
    expect(jobStatusDocument(ready).records).toEqual({ total: 0, processed: 0, bad: 0, totalKnown: false });
    const prepared = await manifestOf(job.jobId);
    expect(prepared.totals.records).toBeNull();
    expect(prepared.files.map((f) => f.records)).toEqual([null, null]);
    expect(prepared.batches.every((b) => b.records === null && b.firstRecord === null)).toBe(true);
    expect(prepared.batches.length).toBeGreaterThan(10);
    const tasks = await backend.state.listTasks(job.jobId);
    expect(tasks.every((t) => t.records === null && t.batch.records === null)).toBe(true);

    const counts = await runTasks(job);
    const running = (await backend.state.getJob(job.jobId))!;
    // Every task has run: the total is the processed count, even before finalize stores it.
    expect(recordsTotal(running)).toEqual({ total: RECORDS, known: true });
    const ended = await finalizeJob(backend, job.jobId, log);
    expect(ended.status).toBe('SUCCEEDED');
    expect(ended.records).toEqual({ total: RECORDS, processed: RECORDS, bad: 0 });
    const m = await manifestOf(job.jobId);
    expect(m.totals).toMatchObject({ records: RECORDS, batches: counts.length });
    expect(m.batches.map((b) => b.records)).toEqual(counts);
    expect(m.batches.map((b) => b.firstRecord)).toEqual(counts.map((_, i) => counts.slice(0, i).reduce((a, b) => a + b, 0)));
    expect(m.files.map((f) => f.records)).toEqual([700, RECORDS - 700]);
    expect((await backend.state.listTasks(job.jobId)).map((t) => t.records)).toEqual(counts);
  });

  it('with a failed task, the total stays unknown and the manifest says which batches are counted', async () => {
    const job = await setup();
    await prepareJob(backend, job, log);
    await runTasks(job, new Set([3]));
    const ended = await finalizeJob(backend, job.jobId, log);
    expect(ended.status).toBe('FAILED');
    expect(recordsTotal(ended).known).toBe(false);
    expect(ended.records.total).toBe(0);
    const m = await manifestOf(job.jobId);
    expect(m.totals.records).toBeNull();
    expect(m.batches[3]?.records).toBeNull();
    expect(m.batches[2]?.records).toBeGreaterThan(0);
    expect(m.batches[2]?.firstRecord).not.toBeNull();
    expect(m.batches[4]?.firstRecord).toBeNull();
    expect(m.files.map((f) => f.records)).toEqual([null, RECORDS - 700]);
  });
});
