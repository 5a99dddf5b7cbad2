import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { DjcError, isDjcError } from '../errors.js';
import type { BatchDescriptor } from '../model/batch.js';
import { isS3Url } from './input-source.js';
import { checkReadOptions, readBufferSize } from './options.js';
import { batchPlan } from './read-batch.js';
import type { ReadOptions } from './types.js';

/**
 * The batch's raw bytes as a byte stream (for command handlers): for CSV
 * with a header, the header bytes [0, headerEnd) first, then [start, end).
 * A file that cannot be read makes the stream fail with INPUT_INVALID. An
 * s3:// file is read with one ranged GET per range (per 8 MiB of it).
 * Parquet is not sent raw: the stream is the batch's rows as JSON lines.
 */
export function openBatchStream(batch: BatchDescriptor, opts: ReadOptions): Readable {
  checkReadOptions(opts);
  if (opts.format === 'parquet') return Readable.from(parquetLines(batch), { objectMode: false });
  const ranges = batchPlan(batch, opts);
  const highWaterMark = Math.min(readBufferSize(opts), 1 << 20);
  async function* bytes(): AsyncGenerator<Buffer> {
    try {
      if (isS3Url(batch.file)) {
        const { s3RangeBytes } = await import('./s3-source.js');
        yield* s3RangeBytes(batch.file, ranges);
        return;
      }
      for (const [start, end] of ranges) {
        // createReadStream's `end` is inclusive.
        yield* createReadStream(batch.file, { start, end: end - 1, highWaterMark }) as AsyncIterable<Buffer>;
      }
    } catch (e) {
      if (isDjcError(e)) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      // Destroyed by the consumer (Node 24 says so with an error): not a read failure.
      if (code === undefined || code === 'ERR_STREAM_PREMATURE_CLOSE') throw e;
      throw new DjcError('INPUT_INVALID', `${batch.file}: cannot read batch ${batch.index}: ${(e as Error).message}`, { cause: e });
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}

/** Parquet: one JSON line per row of the batch's row groups (see readBatchRecords). */
async function* parquetLines(batch: BatchDescriptor): AsyncGenerator<Buffer> {
  const { parquetJsonLines } = await import('./parquet-read.js');
  yield* parquetJsonLines(batch);
}
