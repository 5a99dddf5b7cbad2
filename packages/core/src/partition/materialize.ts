/**
 * Materialized batches (`input.materialize: true`), for workers that cannot
 * see the input: prepare copies each batch's bytes into the blob store and
 * records their sha256; a worker downloads the copy into its scratch
 * directory, checks the sha256, and reads the batch from there. Both sides
 * agree here on what the copy holds and how it is read back.
 *
 * The copy of a batch is raw bytes, as the batch reads them from the input
 * (bad records are handled by the worker, under the job's policy):
 * - jsonl, text, csv: the CSV header bytes [0, headerEnd) if any, then
 *   [start, end); read back as a file whose records start after the header;
 * - binary: [start, end), read back from offset 0 (records stay aligned);
 * - a compressed file: the whole file, decompressed by the worker.
 * - files: each file of the batch is its own copy; the handler gets the
 *   paths of the downloaded files (named as the originals).
 * Parquet is not materialized: its batches are read with ranged reads of
 * the file (put it on S3 or a shared filesystem).
 */
import type { BatchDescriptor } from '../model/batch.js';
import { readChunks } from './chunk-reader.js';
import type { ReadPlan } from './input-source.js';
import { batchPlan } from './line-batch.js';
import { checkUnchanged, openInput } from './open-input.js';
import type { ReadOptions } from './types.js';

/** The byte ranges of the input that make up the batch's copy, in order. */
export function copyPlan(batch: BatchDescriptor, opts: ReadOptions): ReadPlan {
  if (batch.compression !== undefined) return batch.end > 0 ? [[0, batch.end]] : [];
  if (opts.format === 'binary') return batch.end > batch.start ? [[batch.start, batch.end]] : [];
  return batchPlan(batch, opts);
}

/**
 * The bytes of the batch's copy (see copyPlan), read from the input file,
 * which must still be the one prepare saw. Each Buffer is the caller's.
 */
export async function* copyBytes(batch: BatchDescriptor, opts: ReadOptions): AsyncGenerator<Buffer> {
  const plan = copyPlan(batch, opts);
  const src = await openInput(batch.file, plan, batch.source);
  try {
    for (const [start, end] of plan) {
      let at = start;
      for await (const { view, base } of readChunks(src, start, end, 1 << 20)) {
        at = base + view.length;
        yield Buffer.from(view);
      }
      if (at < end) throw new Error(`${batch.file}: ended at byte ${at}, expected ${end}`);
    }
    await checkUnchanged(src, batch.source);
  } finally {
    await src.close();
  }
}

/**
 * The batch as read from its downloaded copy at `path` (a file of
 * `copied.bytes` bytes): same index, records and options, the copy's byte
 * range, no `materialized` (it is the copy) and no `source` (the copy was
 * checked by its sha256).
 */
export function batchOfCopy(batch: BatchDescriptor, path: string, opts: ReadOptions): BatchDescriptor {
  const { materialized: _copy, source: _source, ...rest } = batch;
  const bytes = copyPlan(batch, opts).reduce((n, [s, e]) => n + (e - s), 0);
  if (batch.compression !== undefined || opts.format === 'binary') return { ...rest, file: path, start: 0, end: bytes };
  const header = batch.headerEnd !== undefined && opts.format === 'csv' && opts.csv.header ? batch.headerEnd : 0;
  return { ...rest, file: path, start: header, end: bytes, ...(header > 0 ? { headerEnd: header } : {}) };
}
