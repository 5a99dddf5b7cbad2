import { DjcError } from '../errors.js';
import type { BatchDescriptor } from '../model/batch.js';
import { readChunks } from './chunk-reader.js';
import type { PositionalReader } from './input-source.js';
import { LF } from './record-scanner.js';

const SNIPPET_CHARS = 80;

/** What went wrong with one record; `record` is its 0-based position in the batch, or null for the CSV header. */
export interface BadRecord {
  batch: BatchDescriptor;
  offset: number;
  record: number | null;
  problem: string;
  text: string;
}

/**
 * INPUT_INVALID naming the file, the 1-based line where the record starts
 * (found by counting newlines before it: this runs only on the error path),
 * the record's place in the batch, its byte offset and a snippet.
 */
export async function badRecordError(fh: PositionalReader, bad: BadRecord): Promise<DjcError> {
  const line = 1 + (await countNewlines(fh, bad.offset));
  const { batch } = bad;
  const where = bad.record === null
    ? 'CSV header'
    : `record ${bad.record + 1} of batch ${batch.index}`;
  const message =
    `${batch.file}:${line}: ${bad.problem} (${where}, byte offset ${bad.offset}): ${snippet(bad.text)}`;
  return new DjcError('INPUT_INVALID', message, {
    taskId: batch.index,
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
