import type { BatchDescriptor } from '../model/batch.js';
import { readBinaryRecords } from './binary.js';
import { fileSetPaths } from './file-set.js';
import { badRecordError, badRecordPolicy, deadLetterOf, type BadRecord, type BadRecordSink } from './bad-record.js';
import { BadRecordError } from './csv-fields.js';
import { openLineBatch } from './line-batch.js';
import { checkUnchanged } from './open-input.js';
import { checkReadOptions } from './options.js';
import { RecordCursor } from './record-cursor.js';
import type { RecordDecoder } from './record-decoder.js';
import type { ReadOptions } from './types.js';
import { invalidUtf8At, invalidUtf8Problem } from './utf8-check.js';

/**
 * The batch's records, parsed: jsonl → the JSON value of each non-blank
 * line; text → each line as a string (no line ending); csv → with a header,
 * an object keyed by the header's column names, without, the string[] of
 * fields; parquet → one object per row of the batch's row groups
 * (parquet-values.ts says how values are converted); binary → Buffers of
 * input.binary.record_size bytes, or the batch's bytes as one; files → the
 * paths of the batch's files.
 *
 * A compressed batch is decompressed as it is read (decompress.ts).
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
  const lb = await openLineBatch(batch, opts);
  try {
    const cursor = new RecordCursor(lb.walk, opts);
    const bad = async (value: Bad) => {
      if (policy === 'fail') throw await badRecordError(lb.lines, value.record);
      sink?.(deadLetterOf(value.record));
    };
    for await (const { view, base } of lb.chunks) {
      cursor.feed(view, base);
      while (cursor.next()) {
        const value = decodeRecord(cursor, lb.decode);
        if (value instanceof Bad) await bad(value);
        else yield value;
      }
    }
    if (cursor.finish(lb.end())) {
      const value = decodeRecord(cursor, lb.decode);
      if (value instanceof Bad) await bad(value);
      else yield value;
    }
    await checkUnchanged(lb.fh, batch.source);
  } finally {
    await lb.close();
  }
}

/** The current record of `cursor`, decoded, or a Bad describing why it cannot be (invalid UTF-8 included). */
export function decodeRecord(cursor: RecordCursor, decode: RecordDecoder): unknown {
  const text = cursor.buf.toString('utf8', cursor.from, cursor.to);
  // Decoding replaced invalid bytes with U+FFFD; the (rare) character itself is checked against the bytes.
  if (text.includes('\uFFFD')) {
    const bad = utf8Problem(cursor, text);
    if (bad !== null) return bad;
  }
  try {
    return decode(text);
  } catch (e) {
    if (!(e instanceof BadRecordError)) throw e;
    return new Bad({ batch: cursor.batch, offset: cursor.start, record: cursor.index, problem: e.message, text });
  }
}

/** A Bad for the current record of `cursor` if it is not valid UTF-8, else null. `text`: its decoded text, if already at hand. */
export function utf8Problem(cursor: RecordCursor, text?: string): Bad | null {
  const { buf, from, to } = cursor;
  const at = invalidUtf8At(buf, from, to);
  if (at < 0) return null;
  return new Bad({
    batch: cursor.batch, offset: cursor.start, record: cursor.index, problem: invalidUtf8Problem(buf, at, from, cursor.start),
    text: text ?? buf.toString('utf8', from, to), bytes: Buffer.from(buf.subarray(from, to)),
  });
}

/** A record that failed to decode (describing it needs I/O, so it is built outside the hot path). */
export class Bad {
  constructor(readonly record: BadRecord & { record: number }) {}
}
