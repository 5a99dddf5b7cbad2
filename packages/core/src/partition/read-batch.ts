import type { BatchDescriptor } from '../model/batch.js';
import { readBinaryRecords } from './binary.js';
import { fileSetPaths } from './file-set.js';
import { badRecordError, badRecordPolicy, deadLetterOf, type BadRecord, type BadRecordSink } from './bad-record.js';
import { readChunks } from './chunk-reader.js';
import { BadRecordError } from './csv-fields.js';
import type { ReadPlan } from './input-source.js';
import { checkUnchanged, openInput } from './open-input.js';
import { checkReadOptions, readBufferSize } from './options.js';
import { RecordCursor } from './record-cursor.js';
import { createDecoder, type RecordDecoder } from './record-decoder.js';
import type { ReadOptions } from './types.js';

/**
 * The batch's records, parsed: jsonl → the JSON value of each non-blank
 * line; text → each line as a string (no line ending); csv → with a header,
 * an object keyed by the header's column names, without, the string[] of
 * fields; parquet → one object per row of the batch's row groups
 * (parquet-values.ts says how values are converted); binary → Buffers of
 * input.binary.record_size bytes, or the batch's bytes as one; files → the
 * paths of the batch's files.
 *
 * A record that cannot be parsed: under `opts.onBadRecord` fail (the
 * default) INPUT_INVALID naming the file, line, record and a snippet (for
 * parquet: the file and row group); under skip or dead_letter it goes to
 * `sink` and reading goes on. A file that is not the one prepare saw
 * (`batch.source`) is INPUT_INVALID ("changed").
 */
export async function* readBatchRecords(batch: BatchDescriptor, opts: ReadOptions, sink?: BadRecordSink): AsyncGenerator<unknown> {
  checkReadOptions(opts);
  const policy = badRecordPolicy(opts, sink);
  if (opts.format === 'parquet') {
    const { readParquetRecords } = await import('./parquet-read.js');
    yield* readParquetRecords(batch, policy === 'fail' ? undefined : sink);
    return;
  }
  if (opts.format === 'files') {
    yield* await fileSetPaths(batch);
    return;
  }
  if (opts.format === 'binary') {
    yield* await readBinaryRecords(batch, opts, policy === 'fail' ? undefined : sink);
    return;
  }
  const fh = await openInput(batch.file, batchPlan(batch, opts), batch.source);
  try {
    const { decode } = await createDecoder(fh, batch, opts);
    const cursor = new RecordCursor(batch, opts);
    for await (const { view, base } of readChunks(fh, batch.start, batch.end, readBufferSize(opts))) {
      cursor.feed(view, base);
      while (cursor.next()) {
        const value = decodeRecord(cursor, decode);
        if (value instanceof Bad) {
          if (policy === 'fail') throw await badRecordError(fh, value.record);
          sink?.(deadLetterOf(value.record));
        } else {
          yield value;
        }
      }
    }
    if (cursor.finish()) {
      const value = decodeRecord(cursor, decode);
      if (value instanceof Bad) {
        if (policy === 'fail') throw await badRecordError(fh, value.record);
        sink?.(deadLetterOf(value.record));
      } else {
        yield value;
      }
    }
    await checkUnchanged(fh, batch.source);
  } finally {
    await fh.close();
  }
}

/** The current record of `cursor`, decoded, or a Bad describing why it cannot be. */
export function decodeRecord(cursor: RecordCursor, decode: RecordDecoder): unknown {
  const text = cursor.buf.toString('utf8', cursor.from, cursor.to);
  try {
    return decode(text);
  } catch (e) {
    if (!(e instanceof BadRecordError)) throw e;
    return new Bad({ batch: cursor.batch, offset: cursor.start, record: cursor.index, problem: e.message, text });
  }
}

/** The byte ranges reading the batch takes: the CSV header, then [start, end). */
export function batchPlan(batch: BatchDescriptor, opts: ReadOptions): ReadPlan {
  const plan: Array<[number, number]> = [];
  if (opts.format === 'csv' && opts.csv.header && batch.headerEnd !== undefined && batch.headerEnd > 0) {
    plan.push([0, batch.headerEnd]);
  }
  if (batch.end > batch.start) plan.push([batch.start, batch.end]);
  return plan;
}

/** A record that failed to decode (describing it needs I/O, so it is built outside the hot path). */
export class Bad {
  constructor(readonly record: BadRecord & { record: number }) {}
}
