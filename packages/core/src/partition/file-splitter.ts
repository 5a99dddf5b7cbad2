import type { BatchDescriptor, FileStat } from '../model/batch.js';
import { createScanner } from './create-scanner.js';
import type { RecordScanner } from './record-scanner.js';
import type { PartitionOptions } from './types.js';

/**
 * Job-wide counters that run on across files. `record` is the index of the
 * next batch's first record, or null once a batch before it was not counted
 * (a compressed file): `firstRecord` is then unknown for the rest.
 */
export interface BatchCounters {
  index: number;
  record: number | null;
}

/** Moves `counters.record` past a batch of `records` records (null: not counted). */
export function countRecords(counters: BatchCounters, records: number | null): void {
  counters.record = counters.record === null || records === null ? null : counters.record + records;
}

/**
 * Cuts one file into batches of `batchRecords` records as its chunks arrive.
 * Finished batches collect in `out` for the caller to drain after each push.
 */
export class FileSplitter {
  readonly out: BatchDescriptor[] = [];
  /** Records in the file so far. */
  records = 0;
  private readonly scanner: RecordScanner;
  private needHeader: boolean;
  private headerEnd: number | undefined;
  /** Start of the batch in progress; -1 until the file's first record is found. */
  private start = -1;
  private count = 0;

  /**
   * `start`: where the file's content begins (after a byte order mark); `source`: the file's stat, carried by each batch;
   * `scanner`: one for `opts.format` starting at `start`, if not createScanner's.
   */
  constructor(
    private readonly file: string,
    private readonly opts: PartitionOptions,
    private readonly counters: BatchCounters,
    start: number,
    private readonly source: FileStat,
    scanner?: RecordScanner,
  ) {
    this.needHeader = opts.format === 'csv' && opts.csv.header;
    this.scanner = scanner ?? createScanner(opts, file, start);
  }

  push(view: Buffer, base: number): void {
    const s = this.scanner;
    let pos = 0;
    while (pos < view.length) {
      if (this.needHeader) {
        pos = s.scan(view, pos, base, 1);
        if (s.found > 0) this.takeHeader(s.lastEnd);
        continue;
      }
      pos = s.scan(view, pos, base, this.start < 0 ? 1 : this.opts.batchRecords - this.count);
      if (s.found > 0) this.took(s, s.found);
    }
  }

  /** Ends the file at `size` bytes, emitting the last short batch. */
  end(size: number): void {
    const s = this.scanner;
    if (s.finish(size)) {
      if (this.needHeader) this.takeHeader(size);
      else this.took(s, 1);
    }
    if (this.count > 0) this.emit(s.lastEnd);
  }

  private takeHeader(end: number): void {
    this.needHeader = false;
    this.headerEnd = end;
  }

  private took(s: RecordScanner, n: number): void {
    if (this.start < 0) this.start = s.lastStart;
    this.count += n;
    if (this.count === this.opts.batchRecords) this.emit(s.lastEnd);
  }

  private emit(end: number): void {
    const batch: BatchDescriptor = {
      index: this.counters.index++,
      file: this.file,
      start: this.start,
      end,
      firstRecord: this.counters.record,
      records: this.count,
      source: this.source,
    };
    if (this.headerEnd !== undefined) batch.headerEnd = this.headerEnd;
    this.out.push(batch);
    countRecords(this.counters, this.count);
    this.records += this.count;
    this.count = 0;
    this.start = end;
  }
}
