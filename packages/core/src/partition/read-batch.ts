import type { BatchDescriptor } from '../model/batch.js';
import { badRecordError, type BadRecord } from './bad-record.js';
import { readChunks } from './chunk-reader.js';
import { BadRecordError } from './csv-fields.js';
import { openInput } from './open-input.js';
import { checkReadOptions, readBufferSize } from './options.js';
import { createDecoder } from './record-decoder.js';
import { RecordCursor } from './record-cursor.js';
import type { ReadOptions } from './types.js';
import type { ReadPlan } from './input-source.js';

/**
 * The batch's records, parsed: jsonl → the JSON value of each non-blank
 * line; text → each line as a string (no line ending); csv → with a header,
 * an object keyed by the header's column names, without, the string[] of
 * fields; parquet → one object per row of the batch's row groups
 * (parquet-values.ts says how values are converted). A record that cannot be
 * parsed throws INPUT_INVALID naming the file, line, record and a snippet (for
 * parquet: the file and row group).
 */
export async function* readBatchRecords(batch: BatchDescriptor, opts: ReadOptions): AsyncGenerator<unknown> {
  checkReadOptions(opts);
  if (opts.format === 'parquet') {
    const { readParquetRecords } = await import('./parquet-read.js');
    yield* readParquetRecords(batch);
    return;
  }
  const fh = await openInput(batch.file, batchPlan(batch, opts));
  try {
    const decode = await createDecoder(fh, batch, opts);
    const cursor = new RecordCursor(batch, opts);
    const read = (): unknown => {
      const text = cursor.buf.toString('utf8', cursor.from, cursor.to);
      try {
        return decode(text);
      } catch (e) {
        if (!(e instanceof BadRecordError)) throw e;
        return new Bad({ batch, offset: cursor.start, record: cursor.index, problem: e.message, text });
      }
    };
    for await (const { view, base } of readChunks(fh, batch.start, batch.end, readBufferSize(opts))) {
      cursor.feed(view, base);
      while (cursor.next()) {
        const value = read();
        if (value instanceof Bad) throw await badRecordError(fh, value.record);
        yield value;
      }
    }
    if (cursor.finish()) {
      const value = read();
      if (value instanceof Bad) throw await badRecordError(fh, value.record);
      yield value;
    }
  } finally {
    await fh.close();
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
class Bad {
  constructor(readonly record: BadRecord) {}
}
