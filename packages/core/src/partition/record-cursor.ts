import type { BatchDescriptor } from '../model/batch.js';
import { createScanner } from './create-scanner.js';
import { fileChanged } from './open-input.js';
import { contentEnd, type RecordScanner } from './record-scanner.js';
import type { ReadOptions } from './types.js';

const EMPTY = Buffer.alloc(0);

/**
 * Walks the records of one batch as its chunks arrive, using the same
 * scanner that partitioned the file. A cursor, so that reading allocates
 * nothing per record but the decoded value:
 *
 *     cursor.feed(view, base);
 *     while (cursor.next()) use(cursor.buf, cursor.from, cursor.to);
 *     ...
 *     if (cursor.finish()) use(...);
 *
 * The current record is `buf[from, to)` (its line ending excluded), valid
 * until the next call. A record that straddles chunks is copied together.
 */
export class RecordCursor {
  buf: Buffer = EMPTY;
  from = 0;
  to = 0;
  /** File offset of the current record. */
  start = 0;
  /** File offset just past the current record (its line ending included). */
  end = 0;
  /** 0-based position of the current record in the batch. */
  index = -1;
  private readonly scanner: RecordScanner;
  private readonly carry = new Carry();
  private view: Buffer | null = null;
  private base = 0;
  private pos = 0;

  constructor(
    readonly batch: BatchDescriptor,
    opts: ReadOptions,
  ) {
    this.scanner = createScanner(opts, batch.file, batch.start);
  }

  /** Hands over the next chunk; `view[0]` is at file offset `base`. */
  feed(view: Buffer, base: number): void {
    this.view = view;
    this.base = base;
    this.pos = 0;
  }

  /** Moves to the next record that ends in the current chunk; false once the chunk is used up. */
  next(): boolean {
    const { view, scanner: s } = this;
    if (view === null) return false;
    if (this.pos < view.length) {
      this.pos = s.scan(view, this.pos, this.base, 1);
      if (s.found > 0) {
        this.set(this.carry.take(view, this.base, s.lastStart, s.lastEnd), s.lastStart, s.lastEnd);
        return true;
      }
    }
    this.carry.keep(view, this.base, s.recordStart);
    this.view = null;
    return false;
  }

  /** Start of the record (or blank line) in progress: bytes from here on are not part of a finished record yet. */
  get pendingStart(): number {
    return this.scanner.recordStart;
  }

  /**
   * At the end of the batch (`end`: where its bytes ended, the batch's end
   * unless it is a decompressed stream): moves to an unterminated final
   * record if there is one, and checks the record count (when the batch has
   * one: a batch split by bytes is counted here, not checked).
   */
  finish(end = this.batch.end): boolean {
    const s = this.scanner;
    const last = s.finish(end);
    if (last) this.set(this.carry.take(EMPTY, end, s.lastStart, s.lastEnd), s.lastStart, s.lastEnd);
    const count = this.index + 1;
    if (this.batch.records !== null && count !== this.batch.records) {
      throw fileChanged(this.batch.file, `batch ${this.batch.index} should hold ${this.batch.records} records, found ${count}`);
    }
    return last;
  }

  private set(buf: Buffer, start: number, end: number): void {
    this.buf = buf;
    this.from = start - this.carry.bufBase;
    this.to = contentEnd(buf, this.from, end - this.carry.bufBase);
    this.start = start;
    this.end = end;
    this.index++;
  }
}

/** Bytes of the record in progress, copied out of read buffers that are about to be reused. */
class Carry {
  /** File offset of `buf[0]` for the buffer that `take` returned last. */
  bufBase = 0;
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

  /** A buffer holding file bytes [start, end), where `end` falls in `view` (at offset `base`). */
  take(view: Buffer, base: number, start: number, end: number): Buffer {
    if (start >= base) {
      this.parts = [];
      this.bufBase = base;
      return view;
    }
    if (end > base) this.parts.push(view.subarray(0, end - base));
    const all = Buffer.concat(this.parts);
    this.parts = [];
    this.bufBase = this.from;
    return all;
  }
}
