/**
 * Options and events of the partitioner and the batch readers.
 *
 * Vocabulary: a *record* is one unit of input handed to a handler (a JSON
 * value, a text line, a CSV row); a *batch* is a byte range of one input file
 * holding whole records, counted at prepare unless split by bytes (see
 * `BatchDescriptor`).
 */
import type { BatchDescriptor, InputFileInfo } from '../model/batch.js';
import type { BadRecordPolicy } from './bad-record.js';
import type { CompressionSetting } from './compression.js';

/** Formats split into byte ranges of whole lines (records found by scanning). */
export type LineFormat = 'jsonl' | 'csv' | 'text';
/**
 * Every format the partitioner and the batch readers take: parquet batches
 * are whole row groups, binary batches fixed-size byte ranges, files
 * batches runs of whole files (their paths are the records).
 */
export type InputFormat = LineFormat | 'parquet' | 'binary' | 'files';

export interface CsvOptions {
  /** Field delimiter: one character. */
  delimiter: string;
  /** The first record of each file is a header; it travels with every batch. */
  header: boolean;
  /** Quote character: one ASCII character. */
  quote: string;
  /**
   * Quoted fields may hold line breaks (default true). Matters when splitting
   * by bytes: true scans the whole file once (quote-aware) to find record
   * boundaries; false cuts at line breaks, reading only around each boundary,
   * and every reader then rejects a quoted field that spans a line break.
   */
  multiline?: boolean;
  /**
   * A quote inside an unquoted field is data (input.csv.relax_quotes, as
   * csv-parse's `relax_quotes`): only a quote that starts a field opens a
   * quoted field, for the scanners and the field parser alike. Default false:
   * such a quote is a bad record.
   */
  relaxQuotes?: boolean;
}

export interface ReadOptions {
  format: InputFormat;
  csv: CsvOptions;
  /**
   * What readers do with a record that cannot be decoded (input.on_bad_record,
   * default fail): fail throws INPUT_INVALID naming the file, line, offset
   * and a snippet; skip and dead_letter hand it to the reader's sink and go on.
   */
  onBadRecord?: BadRecordPolicy;
  /** binary: `recordSize` bytes per record (input.binary.record_size); without it a batch is one record. */
  binary?: { recordSize?: number };
  /**
   * input.compression (default auto: by file name, .gz/.gzip/.zst/.zstd).
   * A compressed file is one batch; readers take the compression from the batch.
   */
  compression?: CompressionSetting;
  /**
   * Size in bytes of the reused read buffers (default 4 MiB; 128 KiB when a
   * local file is split by records: split-local-file.ts). A tuning and
   * test hook: tiny values force records, quotes and UTF-8 sequences to
   * straddle reads.
   */
  readBufferSize?: number;
}

export interface PartitionOptions extends ReadOptions {
  /** Records per batch; the last batch of each file may hold fewer. */
  batchRecords: number;
  /**
   * Parquet: whole row groups per batch (`batch.row_groups`). Takes
   * precedence over `batchBytes` and `batchRecords` for parquet; ignored by
   * the line formats.
   */
  batchRowGroups?: number;
  /**
   * Target bytes per batch (`batch.bytes`); takes precedence over
   * `batchRecords`. jsonl, text, csv: byte ranges cut at the first record
   * that starts at or after each multiple of it (byte-split.ts); their record
   * counts are null until the tasks run. Parquet: whole row groups up to
   * this many bytes of column chunks, at least one row group per batch.
   */
  batchBytes?: number;
  /** format: files: files per batch (`batch.files`); takes precedence over batchBytes and batchRecords. */
  batchFiles?: number;
  signal?: AbortSignal;
  /**
   * Yield the batches cut from one read as one 'batches' event (in order)
   * instead of a 'batch' event each, where the splitter cuts many per read
   * (line formats split by records); other inputs still yield 'batch'
   * events, so a caller that sets this takes both. Prepare sets it: an event
   * per batch was most of the cost of splitting 1,000,000 small records.
   */
  groupBatches?: boolean;
}

export type PartitionEvent =
  | { type: 'batch'; batch: BatchDescriptor }
  | { type: 'batches'; batches: BatchDescriptor[] }
  | { type: 'file'; file: InputFileInfo };

/** Default size of a read buffer. */
export const DEFAULT_READ_BUFFER_SIZE = 4 << 20;
