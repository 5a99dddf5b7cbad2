/**
 * An input file as the partitioner and the batch readers see it: a local
 * path or an `s3://bucket/key` URL, with its size, mtime and positional
 * reads. Local files read through a FileHandle; S3 objects through ranged
 * GETs (s3-source.ts, loaded only when an s3:// input is opened).
 *
 * Reads are sequential: a caller awaits one `read` before it starts the next
 * (readChunks does). The record scanners see only the Buffers.
 */

import type { FileStat } from '../model/batch.js';

/** What `stat` reports, to detect an input that changed while djc read it. */
export type InputStat = FileStat;

export interface InputSource extends InputStat {
  /** The path or URL, as in `BatchDescriptor.file`. */
  readonly name: string;
  /** Reads up to `length` bytes at file offset `position` into `buffer[offset…]`; 0 bytes at the end. */
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  /** The input's size, mtime and version now. */
  stat(): Promise<InputStat>;
  /**
   * True when every read is already checked against the version seen at
   * open (S3: If-Match on each GET), so a change during reading fails the
   * read itself and no `stat` after reading is needed.
   */
  readonly guarded: boolean;
  close(): Promise<void>;
}

/** What a source may read with `read`: positional reads only (readChunks, countNewlines). */
export type PositionalReader = Pick<InputSource, 'read'>;

/**
 * Byte ranges `[start, end)` the caller is about to read, in order. A remote
 * source sizes its requests to them, so reading a batch fetches that batch's
 * bytes and no more. Reads outside every range still work.
 */
export type ReadPlan = ReadonlyArray<readonly [number, number]>;

/** True for `s3://…`. */
export function isS3Url(file: string): boolean {
  return /^s3:\/\//i.test(file);
}
