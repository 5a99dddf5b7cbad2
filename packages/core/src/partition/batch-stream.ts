import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { DjcError } from '../errors.js';
import type { BatchDescriptor } from '../model/batch.js';
import { checkReadOptions, readBufferSize } from './options.js';
import type { ReadOptions } from './types.js';

/**
 * The batch's raw bytes as a byte stream (for command handlers): for CSV
 * with a header, the header bytes [0, headerEnd) first, then [start, end).
 * A file that cannot be read makes the stream fail with INPUT_INVALID.
 */
export function openBatchStream(batch: BatchDescriptor, opts: ReadOptions): Readable {
  checkReadOptions(opts);
  const ranges: Array<[number, number]> = [];
  if (opts.format === 'csv' && opts.csv.header && batch.headerEnd !== undefined && batch.headerEnd > 0) {
    ranges.push([0, batch.headerEnd]);
  }
  if (batch.end > batch.start) ranges.push([batch.start, batch.end]);
  const highWaterMark = Math.min(readBufferSize(opts), 1 << 20);
  async function* bytes(): AsyncGenerator<Buffer> {
    try {
      for (const [start, end] of ranges) {
        // createReadStream's `end` is inclusive.
        yield* createReadStream(batch.file, { start, end: end - 1, highWaterMark }) as AsyncIterable<Buffer>;
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Destroyed by the consumer (Node 24 says so with an error): not a read failure.
      if (code === undefined || code === 'ERR_STREAM_PREMATURE_CLOSE') throw e;
      throw new DjcError('INPUT_INVALID', `${batch.file}: cannot read batch ${batch.index}: ${(e as Error).message}`, { cause: e });
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}
