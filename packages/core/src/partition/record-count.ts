/**
 * Counting a batch's records without decoding them, for command handlers,
 * which get raw bytes: a batch split by bytes has no count until it runs,
 * and the worker must commit the exact count. The same scanners as the
 * readers, started at the batch's start, so the count is exactly the number
 * of records `readBatchRecords` yields for the batch (jsonl: non-blank
 * lines; text: lines; csv: rows, quote-aware, the header not counted).
 */
import { Transform } from 'node:stream';
import type { BatchDescriptor } from '../model/batch.js';
import { readChunks } from './chunk-reader.js';
import { createScanner } from './create-scanner.js';
import { fileChanged, openInput } from './open-input.js';
import { checkReadOptions, readBufferSize } from './options.js';
import { batchPlan } from './read-batch.js';
import type { RecordScanner } from './record-scanner.js';
import type { ReadOptions } from './types.js';

/**
 * Counts records in the byte stream of a batch as `openBatchStream` yields
 * it (for CSV with a header, the header bytes come first and are skipped).
 * Never throws while fed: a scanner error (an unterminated quote; a quoted
 * line break with `csv.multiline: false`) is kept and thrown by `finish`.
 */
export class BatchRecordCounter {
  private readonly scanner: RecordScanner;
  /** Stream bytes still to skip before the batch's own range (the CSV header). */
  private skip: number;
  /** File offset of the next byte of the batch's range. */
  private at: number;
  private count = 0;
  private error: unknown = undefined;

  constructor(
    private readonly batch: BatchDescriptor,
    opts: ReadOptions,
  ) {
    checkReadOptions(opts);
    const streamed = batchPlan(batch, opts).reduce((n, [s, e]) => n + (e - s), 0);
    this.skip = streamed - Math.max(0, batch.end - batch.start);
    this.at = batch.start;
    this.scanner = createScanner(opts, batch.file, batch.start);
  }

  /** Feeds the next bytes of the stream. */
  push(chunk: Buffer): void {
    let view = chunk;
    if (this.skip > 0) {
      const n = Math.min(this.skip, view.length);
      this.skip -= n;
      view = view.subarray(n);
    }
    view = view.subarray(0, Math.max(0, this.batch.end - this.at));
    if (view.length === 0) return;
    if (this.error === undefined) {
      try {
        const s = this.scanner;
        for (let pos = 0; pos < view.length; ) {
          pos = s.scan(view, pos, this.at, Infinity);
          this.count += s.found;
        }
      } catch (e) {
        this.error = e;
      }
    }
    this.at += view.length;
  }

  /** True once every byte of the batch has been fed. */
  get complete(): boolean {
    return this.skip === 0 && this.at >= this.batch.end;
  }

  /** The batch's record count; throws what the scanner found wrong. Call once, when `complete`. */
  finish(): number {
    if (this.error !== undefined) throw this.error;
    if (!this.complete) throw new Error(`batch ${this.batch.index}: counted ${this.at - this.batch.start} of ${this.batch.end - this.batch.start} bytes`);
    if (this.scanner.finish(this.batch.end)) this.count++;
    return this.count;
  }

  /** A pass-through stream that feeds this counter. */
  stream(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.push(chunk);
        callback(null, chunk);
      },
    });
  }
}

/** Reads the batch's range and counts its records (when its stream was not read to the end). */
export async function countBatchRecords(batch: BatchDescriptor, opts: ReadOptions): Promise<number> {
  checkReadOptions(opts);
  const fh = await openInput(batch.file, [[batch.start, batch.end]]);
  try {
    const s = createScanner(opts, batch.file, batch.start);
    let count = 0;
    let read = batch.start;
    for await (const { view, base } of readChunks(fh, batch.start, batch.end, readBufferSize(opts))) {
      for (let pos = 0; pos < view.length; ) {
        pos = s.scan(view, pos, base, Infinity);
        count += s.found;
      }
      read = base + view.length;
    }
    if (read < batch.end) throw fileChanged(batch.file, `batch ${batch.index} ends at byte ${batch.end}, the file at ${read}`);
    return s.finish(batch.end) ? count + 1 : count;
  } finally {
    await fh.close();
  }
}
