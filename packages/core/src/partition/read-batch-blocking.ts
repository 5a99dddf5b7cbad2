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
 *
 * A read takes up to READ_AHEAD_BYTES past its batch and keeps them: the
 * batches of a file are consecutive byte ranges, and a worker claims them
 * in groups, so the next batches are most often in that span. A batch
 * found there costs a stat of the path (the file still as prepare saw it,
 * what the open and the fstats check), not an open, two fstats, a read and
 * a close.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { BatchDescriptor, FileStat } from '../model/batch.js';
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

/** How far past its batch a read goes (the file's next batches), at most. */
const READ_AHEAD_BYTES = 16 * 1024;

/** This thread's last read: bytes from `start` of `file`, read while it was as prepare saw it (`source`). */
let span: { file: string; source: FileStat; start: number; bytes: Buffer } | null = null;

/** Bytes [start, end) of the batch's file, read while the file is a regular file as prepare saw it; else null. */
function readRange(batch: BatchDescriptor, size: number): Buffer | null {
  const expect = batch.source;
  if (expect === undefined) return null;
  const held = span;
  if (held !== null && held.file === batch.file && sameFile(held.source, expect) && batch.start >= held.start && batch.start + size <= held.start + held.bytes.length) {
    if (unchanged(batch.file, expect)) return held.bytes.subarray(batch.start - held.start, batch.start - held.start + size);
    span = null;
    return null;
  }
  let fd: number;
  try {
    fd = openSync(batch.file, INPUT_OPEN_FLAGS);
  } catch {
    return null;
  }
  try {
    const before = fstatSync(fd);
    if (!before.isFile() || !sameFile(before, expect)) return null;
    const want = Math.max(size, Math.min(READ_AHEAD_BYTES, before.size - batch.start));
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const n = readSync(fd, buf, got, want - got, batch.start + got);
      if (n === 0) break;
      got += n;
    }
    if (got < size || !sameFile(fstatSync(fd), expect)) return null;
    span = { file: batch.file, source: expect, start: batch.start, bytes: buf.subarray(0, got) };
    return buf.subarray(0, size);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** The path is a regular file as prepare saw it. */
function unchanged(file: string, expect: FileStat): boolean {
  try {
    const now = statSync(file, { throwIfNoEntry: false });
    return now !== undefined && now.isFile() && sameFile(now, expect);
  } catch {
    return false;
  }
}
