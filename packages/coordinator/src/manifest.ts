import { blobKeys, type Backend, type JobRecord, type BatchDescriptor, type Logger, type TaskRecord } from '@djc/core';
import { ManifestWriter, readManifest } from './manifest-stream.js';

/** The sum of the values, or null if any is null (0 for none). */
export function sumKnown(values: Iterable<number | null>): number | null {
  let sum = 0;
  for (const v of values) {
    if (v === null) return null;
    sum += v;
  }
  return sum;
}

/**
 * For a job whose batches were not counted at prepare (jsonl, text or csv
 * split by bytes), called at finalize: rewrites the manifest with each
 * batch's record count as its task committed it (null for a batch whose
 * task did not succeed), `firstRecord` where every batch before it is
 * counted, each file's count and the totals. Returns the total record count,
 * or null while some batch is not counted (a failed or cancelled task).
 * Streams: the manifest is read batch by batch beside the job's tasks (both
 * in batch order) and written back the same way (manifest-stream.ts).
 */
export async function completeManifest(backend: Backend, job: JobRecord, log: Logger): Promise<number | null> {
  const key = blobKeys.manifest(job.jobId);
  const body = await backend.blobs.getStream(key);
  if (!body) {
    log.warn({ jobId: job.jobId }, 'no manifest to complete');
    return null;
  }
  const counts = taskCounts(backend, job.jobId);
  const byFile = new Map<string, number | null>();
  let next: number | null = 0;
  let out: ManifestWriter | null = null;
  let total: number | null = null;
  let pending: BatchDescriptor[] = [];
  try {
    for await (const part of readManifest(body)) {
      if (part.type === 'head') {
        out = new ManifestWriter(backend, key, part.head);
      } else if (part.type === 'batch') {
        const b = part.batch;
        b.records = await counts.of(b.index);
        b.firstRecord = next;
        next = next === null || b.records === null ? null : next + b.records;
        const sum = byFile.get(b.file);
        byFile.set(b.file, sum === undefined ? b.records : sum === null || b.records === null ? null : sum + b.records);
        pending.push(b);
        if (pending.length >= 1000) {
          await out!.add(pending);
          pending = [];
        }
      } else {
        await out!.add(pending);
        // A file without batches (empty, blank, or a CSV header only) holds no records.
        const files = part.tail.files.map((f) => ({ ...f, records: byFile.has(f.path) ? byFile.get(f.path)! : 0 }));
        total = sumKnown(files.map((f) => f.records));
        await out!.close({ files, totals: { ...part.tail.totals, records: total } });
        out = null;
      }
    }
  } catch (e) {
    await out?.abort(e);
    body.destroy();
    throw e;
  }
  return total;
}

/**
 * The record count (records + bad) each task committed, asked for in
 * increasing task id: the tasks are read a page at a time, in the same order.
 * Null for a task that did not succeed (or has no count).
 */
function taskCounts(backend: Backend, jobId: string): { of(taskId: number): Promise<number | null> } {
  let page: TaskRecord[] = [];
  let at = 0;
  let after = -1;
  let ended = false;
  return {
    async of(taskId) {
      for (;;) {
        while (at < page.length && page[at]!.taskId < taskId) at += 1;
        if (at < page.length) {
          const t = page[at]!;
          return t.taskId === taskId && t.status === 'SUCCEEDED' && t.records !== null ? t.records + (t.bad ?? 0) : null;
        }
        if (ended) return null;
        page = await backend.state.listTasks(jobId, { after, limit: 1000 });
        at = 0;
        if (page.length === 0) ended = true;
        else after = page[page.length - 1]!.taskId;
      }
    },
  };
}
