import { blobKeys, type Backend, type JobRecord, type Logger, type Manifest } from '@djc/core';

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
 */
export async function completeManifest(backend: Backend, job: JobRecord, log: Logger): Promise<number | null> {
  const key = blobKeys.manifest(job.jobId);
  const raw = await backend.blobs.get(key);
  if (!raw) {
    log.warn({ jobId: job.jobId }, 'no manifest to complete');
    return null;
  }
  const manifest = JSON.parse(raw.toString('utf8')) as Manifest;
  const counts = new Map<number, number>();
  for (let after = -1; ;) {
    const page = await backend.state.listTasks(job.jobId, { status: 'SUCCEEDED', after, limit: 1000 });
    if (page.length === 0) break;
    for (const t of page) if (t.records !== null) counts.set(t.taskId, t.records + (t.bad ?? 0));
    after = page[page.length - 1]!.taskId;
  }
  const byFile = new Map<string, Array<number | null>>();
  let next: number | null = 0;
  for (const b of manifest.batches) {
    b.records = counts.get(b.index) ?? null;
    b.firstRecord = next;
    next = next === null || b.records === null ? null : next + b.records;
    const list = byFile.get(b.file) ?? [];
    list.push(b.records);
    byFile.set(b.file, list);
  }
  // A file without batches (empty, blank, or a CSV header only) holds no records.
  for (const f of manifest.files) f.records = sumKnown(byFile.get(f.path) ?? []);
  manifest.totals.records = sumKnown(manifest.files.map((f) => f.records));
  await backend.blobs.put(key, JSON.stringify(manifest));
  return manifest.totals.records;
}
