import { DjcError } from '../errors.js';
import type { BatchDescriptor } from '../model/batch.js';
import { readChunks } from './chunk-reader.js';
import type { PositionalReader } from './input-source.js';
import { LF } from './record-scanner.js';
import type { ReadOptions } from './types.js';

const SNIPPET_CHARS = 80;
/** Longest record text a dead letter keeps (characters); longer ones are cut and marked `truncated`. */
export const DEAD_LETTER_MAX_CHARS = 1 << 20;

/** What to do with a record that cannot be decoded (`input.on_bad_record`). */
export type BadRecordPolicy = 'fail' | 'skip' | 'dead_letter';

/** What went wrong with one record; `record` is its 0-based position in the batch, or null for the CSV header. */
export interface BadRecord {
  batch: BatchDescriptor;
  offset: number;
  record: number | null;
  problem: string;
  text: string;
  /** The record's bytes when `text` cannot stand for them (invalid UTF-8): the dead letter keeps them in base64. */
  bytes?: Buffer;
}

/**
 * A bad record as a reader reports it under `skip` or `dead_letter`: one
 * line of the job's dead-letter file. Everything needed to find the record
 * again: the file, its byte offset, its place in the batch.
 */
export interface DeadLetter {
  file: string;
  /** Byte offset where the record starts (parquet: where the row group's data starts; compressed: in the decompressed stream). */
  offset: number;
  batch: number;
  /** 0-based position of the record in the batch (parquet: of the row group's first row). */
  record: number;
  problem: string;
  /** The record's text without its line ending (jsonl, csv, text), cut at DEAD_LETTER_MAX_CHARS; invalid UTF-8 shows as U+FFFD. */
  text?: string;
  /** The text (or base64) was cut. */
  truncated?: boolean;
  /** binary, and a record that is not valid UTF-8: the record's bytes (without its line ending), base64, cut at DEAD_LETTER_MAX_CHARS bytes. */
  base64?: string;
  /** parquet: the row group that cannot be decoded, and its row count (each row counts as a bad record). */
  rowGroup?: number;
  rows?: number;
}

/**
 * Receives the bad records of a batch read under `skip` or `dead_letter`
 * (the reader goes on without them). A dead letter stands for `rows ?? 1`
 * records.
 */
export type BadRecordSink = (bad: DeadLetter) => void;

/** The policy of `opts`; a policy other than fail needs a sink, or bad records would vanish. */
export function badRecordPolicy(opts: ReadOptions, sink: BadRecordSink | undefined): BadRecordPolicy {
  const policy = opts.onBadRecord ?? 'fail';
  if (policy !== 'fail' && sink === undefined) throw new Error(`internal: on_bad_record ${policy} needs a sink for the bad records`);
  return policy;
}

/** Records a dead letter stands for. */
export function deadLetterRecords(d: DeadLetter): number {
  return d.rows ?? 1;
}

/** The dead letter of a record read from text. */
export function deadLetterOf(bad: BadRecord & { record: number }): DeadLetter {
  const cut = bad.text.length > DEAD_LETTER_MAX_CHARS || (bad.bytes?.length ?? 0) > DEAD_LETTER_MAX_CHARS;
  return {
    file: bad.batch.file,
    offset: bad.offset,
    batch: bad.batch.index,
    record: bad.record,
    problem: bad.problem,
    text: cut ? bad.text.slice(0, DEAD_LETTER_MAX_CHARS) : bad.text,
    ...(bad.bytes === undefined ? {} : { base64: bad.bytes.subarray(0, DEAD_LETTER_MAX_CHARS).toString('base64') }),
    ...(cut ? { truncated: true } : {}),
  };
}

/**
 * Where a bad record is in its batch, worded as its dead letter numbers it
 * (`batch` and `record`, both counted from 0, as task ids are), so a fail
 * message and `djc results --bad-records` name a record the same way.
 */
export function recordPlace(batch: number, record: number): string {
  return `batch ${batch}, record ${record} counting from 0`;
}

/**
 * INPUT_INVALID naming the file, the 1-based line where the record starts
 * (found by counting newlines before it: this runs only on the error path),
 * the record's place in the batch, its byte offset and a snippet.
 * `fh` null: no line number (a compressed input, whose offsets are in the
 * decompressed stream).
 */
export async function badRecordError(fh: PositionalReader | null, bad: BadRecord): Promise<DjcError> {
  const line = fh === null ? null : 1 + (await countNewlines(fh, bad.offset));
  const { batch } = bad;
  const where = bad.record === null ? 'CSV header' : recordPlace(batch.index, bad.record);
  const at = line === null ? batch.file : `${batch.file}:${line}`;
  const message =
    `${at}: ${bad.problem} (${where}, byte offset ${bad.offset}): ${snippet(bad.text)}`;
  return new DjcError('INPUT_INVALID', message, {
    taskId: batch.index,
    hint: bad.record === null ? undefined : 'fix the record, or set input.on_bad_record to skip or dead_letter to go on without it',
    details: { file: batch.file, line, offset: bad.offset, batch: batch.index, record: bad.record },
  });
}

function snippet(text: string): string {
  const chars = Array.from(text.slice(0, SNIPPET_CHARS * 2)); // whole code points
  const cut = chars.length > SNIPPET_CHARS ? chars.slice(0, SNIPPET_CHARS).join('') + '…' : chars.join('');
  return JSON.stringify(cut);
}

/** Newlines in bytes [0, end) of the file. */
export async function countNewlines(fh: PositionalReader, end: number): Promise<number> {
  let n = 0;
  for await (const { view } of readChunks(fh, 0, end, 1 << 20)) {
    for (let i = view.indexOf(LF); i >= 0; i = view.indexOf(LF, i + 1)) n++;
  }
  return n;
}
