/**
 * `format: binary`: fixed-size byte ranges. Splitting reads nothing but
 * each file's size: batch k is bytes [k·B, (k+1)·B) of the file, the last
 * one shorter. With `binary.record_size` R, B is a multiple of R
 * (`batch.records` N gives B = N·R; `batch.bytes` is rounded down to a
 * multiple of R, at least R) and each record is R bytes; a file whose size
 * is not a multiple of R ends in a partial record, which is a bad record
 * (input.on_bad_record). Without R, a batch is one record: its bytes.
 *
 * Module handlers get Buffers (views of one buffer holding the batch);
 * command handlers get the bytes on stdin.
 */
import type { BatchDescriptor } from '../model/batch.js';
import { DjcError } from '../errors.js';
import { recordPlace, type BadRecordSink, type DeadLetter } from './bad-record.js';
import { readChunks } from './chunk-reader.js';
import { countRecords, type BatchCounters } from './file-splitter.js';
import { checkUnchanged, fileStat, openInput } from './open-input.js';
import { readBufferSize } from './options.js';
import type { ReadPlan } from './input-source.js';
import type { PartitionEvent, PartitionOptions, ReadOptions } from './types.js';

/** Bytes per batch for `opts` (a multiple of the record size, when there is one). */
export function binaryBatchBytes(opts: PartitionOptions): number {
  const record = opts.binary?.recordSize;
  if (record === undefined) {
    if (opts.batchBytes === undefined) {
      throw new DjcError('CONFIG_INVALID', 'input.batch: binary input without input.binary.record_size is split by bytes', {
        hint: 'set input.batch.bytes (e.g. 64MiB), or input.binary.record_size to split by records',
      });
    }
    return opts.batchBytes;
  }
  if (opts.batchBytes !== undefined) return Math.max(record, opts.batchBytes - (opts.batchBytes % record));
  return opts.batchRecords * record;
}

/** The batches of one binary file, then its 'file' event. Only the file's size is read. */
export async function* partitionBinaryFile(file: string, opts: PartitionOptions, counters: BatchCounters): AsyncGenerator<PartitionEvent> {
  const bytes = binaryBatchBytes(opts);
  const record = opts.binary?.recordSize;
  const src = await openInput(file, []);
  const source = fileStat(src);
  await src.close();
  let records = 0;
  for (let start = 0; start < source.size; start += bytes) {
    opts.signal?.throwIfAborted();
    const end = Math.min(source.size, start + bytes);
    const n = record === undefined ? 1 : Math.ceil((end - start) / record);
    yield { type: 'batch', batch: { index: counters.index++, file, start, end, firstRecord: counters.record, records: n, source } };
    countRecords(counters, n);
    records += n;
  }
  yield { type: 'file', file: { path: file, size: source.size, mtimeMs: source.mtimeMs, records } };
}

/**
 * The batch's records as Buffers: R bytes each (views of one buffer holding
 * the batch), or the whole range as one when there is no record size. A
 * partial last record is INPUT_INVALID, or goes to `sink` (its bytes in base64).
 */
export async function readBinaryRecords(batch: BatchDescriptor, opts: ReadOptions, sink: BadRecordSink | undefined): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  for await (const { view } of binaryRange(batch, opts)) parts.push(Buffer.from(view));
  const all = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  const n = all.length;
  const record = opts.binary?.recordSize;
  if (record === undefined) return [all];
  const whole = n - (n % record);
  const out: Buffer[] = [];
  for (let at = 0; at < whole; at += record) out.push(all.subarray(at, at + record));
  if (whole < n) partialRecord(batch, record, all.subarray(whole, n), out.length, sink, batch.start + whole);
  return out;
}

/** The batch's bytes for a command handler, less a partial last record when `sink` takes it; records counted in `tally`. */
export async function* binaryBytes(
  batch: BatchDescriptor, opts: ReadOptions, tally: { records: number }, sink: BadRecordSink | undefined,
): AsyncGenerator<Buffer> {
  const record = opts.binary?.recordSize ?? Infinity;
  /** Bytes of an unfinished record, held until it is whole (or the stream ends: a partial record). */
  let tail: Buffer[] = [];
  let tailBytes = 0;
  let sent = 0;
  for await (const { view } of binaryRange(batch, opts)) {
    if (record === Infinity) {
      yield Buffer.from(view);
      continue;
    }
    // Send whole records only: the held tail and this view up to the last record boundary.
    const total = tailBytes + view.length;
    const keep = total - (total % record);
    if (keep === 0) {
      tail.push(Buffer.from(view));
      tailBytes = total;
      continue;
    }
    const fromView = keep - tailBytes;
    yield Buffer.concat([...tail, view.subarray(0, fromView)]);
    sent += keep;
    tail = fromView < view.length ? [Buffer.from(view.subarray(fromView))] : [];
    tailBytes = total - keep;
  }
  if (record === Infinity) {
    tally.records += 1;
    return;
  }
  tally.records += sent / record;
  if (tailBytes > 0) partialRecord(batch, record, Buffer.concat(tail), sent / record, sink, batch.start + sent);
}

/** Reads the batch's bytes ([start, end) of its file, or the decompressed file), checking that it is the file prepare saw. */
async function* binaryRange(batch: BatchDescriptor, opts: ReadOptions): AsyncGenerator<{ view: Buffer; base: number }> {
  const plan: ReadPlan = batch.end > batch.start ? [[batch.start, batch.end]] : [];
  const src = await openInput(batch.file, plan, batch.source);
  try {
    if (batch.compression !== undefined) {
      const { DecompressedReader } = await import('./decompress.js'); // zlib, fzstd: only for compressed input
      const stream = new DecompressedReader(src, batch.compression, readBufferSize(opts));
      try {
        yield* readChunks(stream, 0, undefined, readBufferSize(opts));
      } finally {
        await stream.close();
      }
      await checkUnchanged(src, batch.source);
      return;
    }
    let got = batch.start;
    for await (const chunk of readChunks(src, batch.start, batch.end, readBufferSize(opts))) {
      got = chunk.base + chunk.view.length;
      yield chunk;
    }
    if (got < batch.end) {
      throw new DjcError('INPUT_INVALID', `${batch.file}: the file ends at byte ${got}, batch ${batch.index} at ${batch.end}`, {
        hint: 'do not modify input files while a job runs; submit the job again',
      });
    }
    await checkUnchanged(src, batch.source);
  } finally {
    await src.close();
  }
}

/** A partial last record of `bytes` at `offset` (in the decompressed stream, for a compressed file). */
function partialRecord(batch: BatchDescriptor, record: number, bytes: Buffer, index: number, sink: BadRecordSink | undefined, offset: number): void {
  const problem = `incomplete record: ${bytes.length} of ${record} bytes (input.binary.record_size) at the end of the file`;
  if (sink === undefined) {
    throw new DjcError('INPUT_INVALID', `${batch.file}: ${problem} (${recordPlace(batch.index, index)}, byte offset ${offset})`, {
      taskId: batch.index,
      hint: 'check input.binary.record_size, or set input.on_bad_record to skip or dead_letter to go on without it',
      details: { file: batch.file, offset, batch: batch.index, record: index },
    });
  }
  const letter: DeadLetter = { file: batch.file, offset, batch: batch.index, record: index, problem, base64: bytes.toString('base64') };
  sink(letter);
}
