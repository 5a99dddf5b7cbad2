/**
 * Splits Parquet files into batches of whole row groups, reading only each
 * file's footer (its tail: a ranged read on S3). Batches never span files;
 * a row group is never split.
 *
 * How many row groups a batch takes (the first rule set wins):
 * - `batchRowGroups` N: N row groups (not counting empty ones);
 * - `batchBytes` B: row groups while their column chunks add up to at most B
 *   bytes (compressed, as stored), and at least one;
 * - `batchRecords` N: row groups until the batch holds at least N rows.
 * The last batch of a file may be smaller. Row groups without rows travel
 * with the batch around them; a file without rows yields no batch, only its
 * 'file' event.
 */
import type { FileMetaData } from 'hyparquet';
import type { BatchDescriptor, FileStat } from '../model/batch.js';
import { countRecords, type BatchCounters } from './file-splitter.js';
import { fileChanged, fileStat, openInput, sameFile } from './open-input.js';
import { readParquetFooter, rowGroupRange } from './parquet-file.js';
import type { PartitionEvent, PartitionOptions } from './types.js';

type Limit = { by: 'rowGroups' | 'bytes' | 'records'; n: number };

export async function* partitionParquet(
  files: readonly string[],
  opts: PartitionOptions,
): AsyncGenerator<PartitionEvent> {
  const limit = batchLimit(opts);
  const counters: BatchCounters = { index: 0, record: 0 };
  for (const file of files) {
    opts.signal?.throwIfAborted();
    const src = await openInput(file);
    let metadata: FileMetaData;
    try {
      metadata = await readParquetFooter(src);
      const after = await src.stat();
      if (!sameFile(after, src)) {
        throw fileChanged(file, `size ${src.size} → ${after.size}`);
      }
    } finally {
      await src.close();
    }
    const batches = cutFile(file, metadata, limit, counters, fileStat(src));
    for (const batch of batches) yield { type: 'batch', batch };
    const records = batches.reduce((n, b) => n + (b.records ?? 0), 0);
    yield { type: 'file', file: { path: file, size: src.size, mtimeMs: src.mtimeMs, records } };
  }
}

function batchLimit(opts: PartitionOptions): Limit {
  if (opts.batchRowGroups !== undefined) return { by: 'rowGroups', n: opts.batchRowGroups };
  if (opts.batchBytes !== undefined) return { by: 'bytes', n: opts.batchBytes };
  return { by: 'records', n: opts.batchRecords };
}

/** The file's batches: the footer is small, so they are cut in one go. */
function cutFile(file: string, metadata: FileMetaData, limit: Limit, counters: BatchCounters, source: FileStat): BatchDescriptor[] {
  const out: BatchDescriptor[] = [];
  /** The batch in progress: row groups [first, next), `taken` of them with rows. */
  let cur: { first: number; next: number; taken: number; rows: number; bytes: number; start: number; end: number } | null = null;
  const emit = () => {
    if (cur === null) return;
    out.push({
      index: counters.index++,
      file,
      start: cur.start,
      end: cur.end,
      firstRecord: counters.record,
      records: cur.rows,
      rowGroups: { first: cur.first, count: cur.next - cur.first },
      source,
    });
    countRecords(counters, cur.rows);
    cur = null;
  };
  for (const [i, rg] of metadata.row_groups.entries()) {
    const rows = Number(rg.num_rows);
    const [start, end] = rowGroupRange(rg);
    if (rows === 0) {
      // Empty: part of the batch in progress (its bytes included), else skipped.
      if (cur !== null) {
        cur.next = i + 1;
        if (end > start) {
          cur.start = Math.min(cur.start, start);
          cur.end = Math.max(cur.end, end);
        }
      }
      continue;
    }
    if (cur !== null && limit.by === 'bytes' && cur.bytes + (end - start) > limit.n) emit();
    cur ??= { first: i, next: i, taken: 0, rows: 0, bytes: 0, start, end };
    cur.next = i + 1;
    cur.taken++;
    cur.rows += rows;
    cur.bytes += end - start;
    cur.start = Math.min(cur.start, start);
    cur.end = Math.max(cur.end, end);
    if (full(cur, limit)) emit();
  }
  emit();
  return out;
}

function full(cur: { taken: number; rows: number; bytes: number }, limit: Limit): boolean {
  if (limit.by === 'rowGroups') return cur.taken >= limit.n;
  if (limit.by === 'records') return cur.rows >= limit.n;
  return cur.bytes >= limit.n;
}
