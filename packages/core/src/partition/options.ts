import type { JobConfig } from '../config/schema.js';
import { DjcError } from '../errors.js';
import type { BadRecordPolicy } from './bad-record.js';
import { DEFAULT_READ_BUFFER_SIZE, type InputFormat, type PartitionOptions, type ReadOptions } from './types.js';

/** How workers read a job's batches: its input.format, csv options and bad-record policy. */
export function readOptions(config: JobConfig): ReadOptions & { onBadRecord: BadRecordPolicy } {
  const input = config.input;
  const recordSize = input.binary?.record_size;
  const { delimiter, header, quote, multiline, relax_quotes: relaxQuotes } = input.csv;
  return {
    format: input.format as InputFormat,
    csv: { delimiter, header, quote, multiline, relaxQuotes },
    onBadRecord: input.on_bad_record,
    compression: input.compression,
    ...(recordSize === undefined ? {} : { binary: { recordSize } }),
  };
}

/** How prepare splits a job's input (input.batch). */
export function partitionOptions(config: JobConfig): PartitionOptions {
  const { batch } = config.input;
  return {
    ...readOptions(config),
    batchRecords: batch.records ?? 1000,
    batchRowGroups: batch.row_groups,
    batchBytes: batch.bytes,
    batchFiles: batch.files,
  };
}

const FORMATS = new Set(['jsonl', 'csv', 'text', 'parquet', 'binary', 'files']);

function invalid(path: string, message: string): DjcError {
  return new DjcError('CONFIG_INVALID', `input.${path}: ${message}`);
}

/** Checks what the byte-level scanners rely on; the zod schema checks the rest. */
export function checkReadOptions(opts: ReadOptions): void {
  if (!FORMATS.has(opts.format)) {
    throw invalid('format', `"${String(opts.format)}" cannot be split into batches (use jsonl, csv, text, parquet, binary or files)`);
  }
  const record = opts.binary?.recordSize;
  if (record !== undefined && !(Number.isSafeInteger(record) && record >= 1)) {
    throw invalid('binary.record_size', `must be a positive integer (got ${String(record)})`);
  }
  const size = opts.readBufferSize;
  if (size !== undefined && !(Number.isSafeInteger(size) && size >= 1)) {
    throw invalid('readBufferSize', `must be a positive integer (got ${String(size)})`);
  }
  if (opts.format !== 'csv') return;
  const { delimiter, quote } = opts.csv;
  if (quote.length !== 1 || quote.charCodeAt(0) > 0x7f) {
    throw invalid('csv.quote', `must be one ASCII character (got ${JSON.stringify(quote)})`);
  }
  if (delimiter.length !== 1) {
    throw invalid('csv.delimiter', `must be one character (got ${JSON.stringify(delimiter)})`);
  }
  for (const [key, ch] of [['delimiter', delimiter], ['quote', quote]] as const) {
    if (ch === '\n' || ch === '\r') throw invalid(`csv.${key}`, 'cannot be a line ending');
  }
  if (delimiter === quote) throw invalid('csv', 'delimiter and quote must differ');
}

export function checkPartitionOptions(opts: PartitionOptions): void {
  checkReadOptions(opts);
  if (!(Number.isSafeInteger(opts.batchRecords) && opts.batchRecords >= 1)) {
    throw invalid('batch.records', `must be a positive integer (got ${String(opts.batchRecords)})`);
  }
  if (opts.batchRowGroups !== undefined && !(Number.isSafeInteger(opts.batchRowGroups) && opts.batchRowGroups >= 1)) {
    throw invalid('batch.row_groups', `must be a positive integer (got ${String(opts.batchRowGroups)})`);
  }
  if (opts.batchRowGroups !== undefined && opts.format !== 'parquet') {
    throw invalid('batch.row_groups', `splits parquet input only (input.format is ${opts.format})`);
  }
  if (opts.batchBytes !== undefined && !(Number.isSafeInteger(opts.batchBytes) && opts.batchBytes >= 1)) {
    throw invalid('batch.bytes', `must be a positive integer (got ${String(opts.batchBytes)})`);
  }
  if (opts.batchFiles !== undefined && !(Number.isSafeInteger(opts.batchFiles) && opts.batchFiles >= 1)) {
    throw invalid('batch.files', `must be a positive integer (got ${String(opts.batchFiles)})`);
  }
  if (opts.batchFiles !== undefined && opts.format !== 'files') {
    throw invalid('batch.files', `splits format: files only (input.format is ${opts.format})`);
  }
}

export function readBufferSize(opts: ReadOptions): number {
  return opts.readBufferSize ?? DEFAULT_READ_BUFFER_SIZE;
}
