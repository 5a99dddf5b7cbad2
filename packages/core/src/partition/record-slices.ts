import type { FileHandle } from 'node:fs/promises';
import type { BatchDescriptor } from '../model/batch.js';
import { readChunks } from './chunk-reader.js';
import { createScanner } from './create-scanner.js';
import { fileChanged } from './open-input.js';
import { readBufferSize } from './options.js';
import { contentEnd } from './record-scanner.js';
import type { ReadOptions } from './types.js';

/** One record's bytes, without its line ending. Valid only until the next record is requested. */
export interface RecordSlice {
  bytes: Buffer;
  /** File offset of the record's first byte. */
  start: number;
  /** 0-based position in the batch. */
  index: number;
}

/**
 * The records of a batch as byte slices, found by the same scanner that
 * partitioned the file. A record that straddles reads is copied together;
 * others are views of the read buffer.
 */
export async function* recordSlices(
  fh: FileHandle,
  batch: BatchDescriptor,
  opts: ReadOptions,
): AsyncGenerator<RecordSlice> {
  const scanner = createScanner(opts, batch.file, batch.start);
  const carry = new Carry();
  let index = 0;
  for await (const { view, base } of readChunks(fh, batch.start, batch.end, readBufferSize(opts))) {
    let pos = 0;
    while (pos < view.length) {
      pos = scanner.scan(view, pos, base, 1);
      if (scanner.found === 0) break;
      const bytes = carry.take(view, base, scanner.lastStart, scanner.lastEnd);
      yield { bytes: bytes.subarray(0, contentEnd(bytes, 0, bytes.length)), start: scanner.lastStart, index: index++ };
    }
    carry.keep(view, base, scanner.recordStart);
  }
  if (scanner.finish(batch.end)) {
    const bytes = carry.takeRest(scanner.lastStart);
    yield { bytes: bytes.subarray(0, contentEnd(bytes, 0, bytes.length)), start: scanner.lastStart, index: index++ };
  }
  if (index !== batch.records) {
    throw fileChanged(batch.file, `batch ${batch.index} should hold ${batch.records} records, found ${index}`);
  }
}

/** Bytes of the record in progress, copied out of read buffers that are about to be reused. */
class Carry {
  private parts: Buffer[] = [];
  /** File offset of the first carried byte. */
  private from = 0;

  /** At the end of a chunk: keep its bytes from file offset `from` on. */
  keep(view: Buffer, base: number, from: number): void {
    if (from >= base + view.length) {
      this.parts = [];
    } else if (from >= base) {
      this.parts = [Buffer.from(view.subarray(from - base))];
      this.from = from;
    } else {
      this.parts.push(Buffer.from(view));
    }
  }

  /** Bytes [start, end) of the file, where `end` falls in `view`. */
  take(view: Buffer, base: number, start: number, end: number): Buffer {
    if (start >= base) {
      this.parts = [];
      return view.subarray(start - base, end - base);
    }
    this.parts.push(view.subarray(0, end - base));
    return this.takeRest(start);
  }

  /** All carried bytes from file offset `start` on. */
  takeRest(start: number): Buffer {
    const all = Buffer.concat(this.parts);
    this.parts = [];
    return all.subarray(start - this.from);
  }
}
