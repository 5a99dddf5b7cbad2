import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import type { BatchDescriptor } from '../model/batch.js';
import { binaryBytes } from './binary.js';
import { fileSetBytes } from './file-set.js';
import { badRecordError, badRecordPolicy, deadLetterOf, deadLetterRecords, type BadRecordSink } from './bad-record.js';
import { HeldBytes } from './held-bytes.js';
import { openLineBatch } from './line-batch.js';
import { isS3Url } from './input-source.js';
import { checkUnchanged } from './open-input.js';
import { checkReadOptions } from './options.js';
import { Bad, decodeRecord, utf8Problem } from './read-batch.js';
import { RecordCursor } from './record-cursor.js';
import { LF } from './record-scanner.js';
import type { ReadOptions } from './types.js';

/** What reading a batch's byte stream found; complete once the stream has ended. */
export interface BatchTally {
  /** Records in the stream (parquet: rows), bad ones not included. */
  records: number;
  /** Records left out of the stream (`skip`, `dead_letter`), each reported to the sink. */
  bad: number;
}

/**
 * The bytes a command handler gets for the batch, as a generator of Buffers
 * the caller may keep, and the tally it fills in as it is read:
 * - jsonl, text, csv: the batch's bytes as in the file (decompressed, for
 *   a compressed file); for CSV with a header, the header bytes first. Every record is checked
 *   on the way (jsonl: valid JSON; csv: the header's field count), so a bad
 *   record fails the stream under `fail` (INPUT_INVALID with file, line,
 *   offset and a snippet) and is left out under `skip`/`dead_letter`
 *   (reported to `sink`): a command sees exactly the records a module
 *   handler would, and the tally counts them.
 * - parquet: the batch's rows as JSON lines.
 * - binary: the batch's bytes, less a partial last record under skip/dead_letter.
 * - files: the paths of the batch's files, one per line.
 * A file that differs from the one prepare saw is INPUT_INVALID ("changed").
 */
export function batchBytes(batch: BatchDescriptor, opts: ReadOptions, sink?: BadRecordSink, how: BatchReadHow = {}): { chunks: AsyncGenerator<Buffer>; tally: BatchTally } {
  checkReadOptions(opts);
  const policy = badRecordPolicy(opts, sink);
  const tally: BatchTally = { records: 0, bad: 0 };
  const counted: BadRecordSink = (d) => {
    tally.bad += deadLetterRecords(d);
    sink?.(d);
  };
  const bad = policy === 'fail' ? undefined : counted;
  const chunks = opts.format === 'parquet' ? parquetBytes(batch, tally, bad)
    : opts.format === 'binary' ? binaryBytes(batch, opts, tally, bad)
    : opts.format === 'files' ? fileSetBytes(batch, tally)
      : lineBytes(batch, opts, tally, bad, how.blockingSmall === true && isSmallLocal(batch));
  return { chunks, tally };
}

/** Up to this many bytes, a local uncompressed batch may be read with blocking calls (BatchReadHow). */
export const SMALL_BATCH_BYTES = 64 * 1024;

export interface BatchReadHow {
  /**
   * A local, uncompressed jsonl/text/csv batch of at most SMALL_BATCH_BYTES
   * is read with blocking calls in this thread: its five file operations
   * (open, fstat, read, fstat, close) through the thread pool cost more
   * than the reads (0.28 vs 0.06 ms for a one-line batch). The price: a
   * hung file system blocks the caller's event loop for that open.
   */
  blockingSmall?: boolean;
}

function isSmallLocal(batch: BatchDescriptor): boolean {
  return batch.compression === undefined && !isS3Url(batch.file) && batch.end - batch.start <= SMALL_BATCH_BYTES;
}

/** `batchBytes` as a byte stream. */
export function openBatchStream(batch: BatchDescriptor, opts: ReadOptions, sink?: BadRecordSink): Readable {
  return Readable.from(batchBytes(batch, opts, sink).chunks, { objectMode: false });
}

/** Reads the whole batch stream and returns its tally (to count a batch whose stream a command did not read to the end). */
export async function tallyBatch(batch: BatchDescriptor, opts: ReadOptions, sink?: BadRecordSink): Promise<BatchTally> {
  const { chunks, tally } = batchBytes(batch, opts, sink);
  for await (const _ of chunks);
  return tally;
}

async function* parquetBytes(batch: BatchDescriptor, tally: BatchTally, sink: BadRecordSink | undefined): AsyncGenerator<Buffer> {
  const { parquetJsonLines } = await import('./parquet-read.js');
  yield* parquetJsonLines(batch, tally, sink);
}

const NO_SPAN = { from: 0, to: -1 };

/**
 * The whole lines of `view` (from just after its first LF to its last), if
 * they are valid UTF-8 as a whole (one fast check instead of one per line;
 * a line is valid when the whole is, as UTF-8 sequences never hold a LF).
 */
function validLines(view: Buffer): { from: number; to: number } {
  const from = view.indexOf(LF) + 1;
  const to = view.lastIndexOf(LF);
  return from > 0 && to >= from && isUtf8(view.subarray(from, to)) ? { from, to } : NO_SPAN;
}

/** jsonl, text, csv: the file's bytes, less bad records. */
async function* lineBytes(batch: BatchDescriptor, opts: ReadOptions, tally: BatchTally, sink: BadRecordSink | undefined, blocking: boolean): AsyncGenerator<Buffer> {
  const lb = await openLineBatch(batch, opts, { blocking });
  try {
    if (lb.header.length > 0) yield lb.header;
    // text: every line is a record, if it is UTF-8 (checked without decoding it).
    const text = opts.format === 'text';
    const cursor = new RecordCursor(lb.walk, opts);
    const held = new HeldBytes(lb.walk.start);
    /** text: the part of the current view checked as UTF-8 at once (whole lines); its records need no check of their own. */
    let valid = NO_SPAN;
    /** A record of the current view: counted, and if bad, cut out of the stream (or thrown). */
    const take = async (view: Buffer, base: number) => {
      tally.records++;
      const checked = cursor.buf === view && cursor.from >= valid.from && cursor.to <= valid.to;
      const value = text ? (checked ? null : utf8Problem(cursor)) : decodeRecord(cursor, lb.decode);
      if (!(value instanceof Bad)) return;
      tally.records--;
      if (sink === undefined) throw await badRecordError(lb.lines, value.record);
      held.cut(view, base, cursor.start, cursor.end);
      sink(deadLetterOf(value.record));
    };
    for await (const { view, base } of lb.chunks) {
      if (text) valid = validLines(view);
      cursor.feed(view, base);
      while (cursor.next()) await take(view, base);
      yield* held.endView(view, base, cursor.pendingStart);
    }
    const end = lb.end();
    const empty = Buffer.alloc(0);
    if (cursor.finish(end)) await take(empty, end);
    yield* held.endView(empty, end, end);
    await checkUnchanged(lb.fh, batch.source);
  } finally {
    await lb.close();
  }
}
