import type { BatchDescriptor } from '../model/batch.js';
import type { ListedFile } from './expand-paths.js';
import { compressionOf, type Compression } from './compression.js';
import { drainBatches } from './drain-batches.js';
import { countRecords, FileSplitter, type BatchCounters } from './file-splitter.js';
import { isS3Url, type PositionalReader } from './input-source.js';
import { fileChanged, fileStat, openInput, sameFile } from './open-input.js';
import { checkPartitionOptions, readBufferSize } from './options.js';
import { bomLength } from './record-scanner.js';
import { splitLocalFile } from './split-local-file.js';
import type { PartitionEvent, PartitionOptions } from './types.js';

/**
 * Streams batches of whole records over the files in order. Batch `index`
 * and `firstRecord` run on across files; batches never span files. After
 * each file's batches comes one 'file' event with its size, mtimeMs and
 * record count. An empty file yields no batch, only its 'file' event.
 *
 * Memory: one read buffer (a local file: split-local-file.ts) or two (S3),
 * whatever the input size. JSON is not parsed here.
 * With `batchBytes`, batches are byte ranges cut at record starts, read
 * only around each boundary (csv with quoted newlines: one scan), and their
 * record counts are null (byte-split.ts).
 * Parquet files are cut into whole row groups from their footers instead
 * (parquet-partition.ts), binary files into fixed-size ranges from their
 * sizes alone (binary.ts); a set of files into runs of whole files
 * (file-set.ts: the one format whose batches span files).
 */
export async function* partitionInput(
  input: ReadonlyArray<string | ListedFile>,
  opts: PartitionOptions,
): AsyncGenerator<PartitionEvent> {
  checkPartitionOptions(opts);
  if (opts.format === 'files') {
    const { partitionFileSet } = await import('./file-set.js');
    yield* partitionFileSet(input.map((f) => (typeof f === 'string' ? { path: f, stat: null } : f)), opts);
    return;
  }
  const files = input.map((f) => (typeof f === 'string' ? f : f.path));
  if (opts.format === 'parquet') {
    const { partitionParquet } = await import('./parquet-partition.js');
    yield* partitionParquet(files, opts);
    return;
  }
  const counters: BatchCounters = { index: 0, record: 0 };
  const { batchBytes } = opts;
  // Each way of splitting but the common one (a local file by records) is imported when used:
  // a short process (a prepare, `djc run`) loads ~6 fewer modules.
  const binary = opts.format === 'binary' ? await import('./binary.js') : null;
  binary?.binaryBatchBytes(opts); // a config error before any file is opened
  const byBytes = batchBytes !== undefined && binary === null ? await import('./byte-split.js') : null;
  for (const file of files) {
    opts.signal?.throwIfAborted();
    const compression = compressionOf(file, opts.compression);
    if (compression !== null) yield* wholeFile(file, compression, counters);
    else if (binary !== null) yield* binary.partitionBinaryFile(file, opts, counters);
    else if (byBytes !== null && batchBytes !== undefined) yield* byBytes.partitionFileByBytes(file, { ...opts, batchBytes }, counters);
    else if (isS3Url(file)) yield* partitionFile(file, opts, counters);
    else yield* splitLocalFile(file, opts, counters);
  }
}

async function* partitionFile(
  file: string,
  opts: PartitionOptions,
  counters: BatchCounters,
): AsyncGenerator<PartitionEvent> {
  const { readChunks } = await import('./chunk-reader.js');
  const fh = await openInput(file);
  const stat = fileStat(fh);
  try {
    const start = await contentStart(fh);
    const splitter = new FileSplitter(file, opts, counters, start, stat);
    let size = start;
    // Buffers no bigger than the file: two 4 MiB buffers for a one-line input
    // were a daemon's biggest allocation per job (held until a major GC).
    const bufferSize = Math.min(readBufferSize(opts), Math.max(64 << 10, stat.size - start + 1));
    for await (const { view, base } of readChunks(fh, start, undefined, bufferSize)) {
      opts.signal?.throwIfAborted();
      splitter.push(view, base);
      size = base + view.length;
      yield* drainBatches(splitter.out, opts.groupBatches);
    }
    splitter.end(size);
    yield* drainBatches(splitter.out, opts.groupBatches);
    const after = await fh.stat();
    if (after.size !== size || !sameFile(after, stat)) {
      throw fileChanged(file, `size ${stat.size} → ${after.size}, read ${size} bytes`);
    }
    yield { type: 'file', file: { path: file, size, mtimeMs: stat.mtimeMs, records: splitter.records } };
  } finally {
    await fh.close();
  }
}

/** A compressed file: one batch, the whole file, counted when its task runs (decompress.ts). */
async function* wholeFile(file: string, compression: Compression, counters: BatchCounters): AsyncGenerator<PartitionEvent> {
  const src = await openInput(file, []);
  const source = fileStat(src);
  await src.close();
  if (source.size > 0) {
    yield { type: 'batch', batch: { index: counters.index++, file, start: 0, end: source.size, firstRecord: counters.record, records: null, compression, source } };
    countRecords(counters, null);
  }
  yield { type: 'file', file: { path: file, size: source.size, mtimeMs: source.mtimeMs, records: source.size > 0 ? null : 0 } };
}

/** Offset where content begins: 3 after a UTF-8 byte order mark, else 0. */
async function contentStart(fh: PositionalReader): Promise<number> {
  const head = Buffer.alloc(3);
  const { bytesRead } = await fh.read(head, 0, 3, 0);
  return bomLength(head.subarray(0, bytesRead));
}
