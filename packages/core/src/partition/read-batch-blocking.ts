/**
 * A small batch of a local file read in one go with blocking calls: its
 * records for a thread that reads that way (blocking-local-source.ts: a
 * module handler's thread), its bytes for a command's stdin (smallBatchBytes:
 * the command runner, which asks for it). readBatchRecords streams any batch through async generators, a
 * chunk and a record at a time; for the one-record batches of short tasks
 * that machinery, not the file, was most of the read, and the read most of
 * a no-op attempt's time in its thread (issue 14, NOTES.md). Here: open,
 * fstat, one read of [start, end), fstat, close, and the records decoded by
 * the same cursor and decoders.
 *
 * Only where nothing can go wrong differently: a local, uncompressed
 * jsonl, text or header-less CSV batch no larger than one read buffer, the
 * file as prepare saw it before and after the read, every record valid.
 * Anything else (a file that cannot be opened or has changed, a short read,
 * a bad record, another format) returns null, and the caller reads the
 * batch with readBatchRecords (or batchBytes), which reports or handles it
 * as always.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { BatchDescriptor } from '../model/batch.js';
import { blockingReads } from './blocking-local-source.js';
import { isS3Url } from './input-source.js';
import { INPUT_OPEN_FLAGS } from './open-errors.js';
import { sameFile } from './open-input.js';
import { checkReadOptions, readBufferSize } from './options.js';
import { Bad, decodeRecord } from './read-batch.js';
import { RecordCursor } from './record-cursor.js';
import { headerlessDecoder } from './record-decoder.js';
import type { BatchTally } from './batch-stream.js';
import type { ReadOptions } from './types.js';

/** The batch's records as readBatchRecords would yield them, or null: read it with readBatchRecords. */
export function readSmallBatchBlocking(batch: BatchDescriptor, opts: ReadOptions): unknown[] | null {
  if (!blockingReads()) return null;
  return readSmall(batch, opts, readBufferSize(opts))?.records ?? null;
}

/**
 * The bytes batchBytes would yield for the batch, and their tally, if it is
 * a small plain batch (as above) of at most `maxBytes`; else null: read it
 * with batchBytes. Blocking calls in this thread, whatever
 * useBlockingLocalReads says (the caller asks: BatchReadHow.blockingSmall's
 * price), and no async generator: the whole read is synchronous.
 */
export function smallBatchBytes(batch: BatchDescriptor, opts: ReadOptions, maxBytes: number): { bytes: Buffer; tally: BatchTally } | null {
  const small = readSmall(batch, opts, maxBytes);
  return small && { bytes: small.bytes, tally: { records: small.records.length, bad: 0 } };
}

/** Bytes [start, end) of a small plain batch and its records, all valid; else null. */
function readSmall(batch: BatchDescriptor, opts: ReadOptions, maxBytes: number): { bytes: Buffer; records: unknown[] } | null {
  if (batch.compression !== undefined || batch.source === undefined || isS3Url(batch.file)) return null;
  checkReadOptions(opts);
  const decode = headerlessDecoder(opts);
  const size = batch.end - batch.start;
  if (decode === null || size <= 0 || size > maxBytes) return null;
  const bytes = readRange(batch, size);
  if (bytes === null) return null;
  const cursor = new RecordCursor(batch, opts);
  cursor.feed(bytes, batch.start);
  const records: unknown[] = [];
  while (cursor.next()) {
    const value = decodeRecord(cursor, decode);
    if (value instanceof Bad) return null;
    records.push(value);
  }
  if (cursor.finish(batch.end)) {
    const value = decodeRecord(cursor, decode);
    if (value instanceof Bad) return null;
    records.push(value);
  }
  return { bytes, records };
}

/** Bytes [start, end) of the batch's file, read whole while the file is a regular file as prepare saw it; else null. */
function readRange(batch: BatchDescriptor, size: number): Buffer | null {
  let fd: number;
  try {
    fd = openSync(batch.file, INPUT_OPEN_FLAGS);
  } catch {
    return null;
  }
  try {
    const expect = batch.source;
    const before = fstatSync(fd);
    if (!before.isFile() || expect === undefined || !sameFile(before, expect)) return null;
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, buf, got, size - got, batch.start + got);
      if (n === 0) return null;
      got += n;
    }
    return sameFile(fstatSync(fd), expect) ? buf : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
