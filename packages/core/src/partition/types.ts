/**
 * Options and events of the partitioner and the batch readers.
 *
 * Vocabulary: a *record* is one unit of input handed to a handler (a JSON
 * value, a text line, a CSV row); a *batch* is a byte range of one input file
 * holding a known number of whole records (see `BatchDescriptor`).
 */
import type { BatchDescriptor, InputFileInfo } from '../model/batch.js';

export type InputFormat = 'jsonl' | 'csv' | 'text';

export interface CsvOptions {
  /** Field delimiter: one character. */
  delimiter: string;
  /** The first record of each file is a header; it travels with every batch. */
  header: boolean;
  /** Quote character: one ASCII character. */
  quote: string;
}

export interface ReadOptions {
  format: InputFormat;
  csv: CsvOptions;
  /**
   * Size in bytes of the reused read buffers (default 1 MiB). A tuning and
   * test hook: tiny values force records, quotes and UTF-8 sequences to
   * straddle reads.
   */
  readBufferSize?: number;
}

export interface PartitionOptions extends ReadOptions {
  /** Records per batch; the last batch of each file may hold fewer. */
  batchRecords: number;
  signal?: AbortSignal;
}

export type PartitionEvent =
  | { type: 'batch'; batch: BatchDescriptor }
  | { type: 'file'; file: InputFileInfo };

/** Default size of a read buffer. */
export const DEFAULT_READ_BUFFER_SIZE = 1 << 20;
