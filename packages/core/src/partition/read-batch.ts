import type { BatchDescriptor } from '../model/batch.js';
import { badRecordError } from './bad-record.js';
import { BadRecordError } from './csv-fields.js';
import { openInput } from './open-input.js';
import { checkReadOptions } from './options.js';
import { createDecoder } from './record-decoder.js';
import { recordSlices } from './record-slices.js';
import type { ReadOptions } from './types.js';

/**
 * The batch's records, parsed: jsonl → the JSON value of each non-blank
 * line; text → each line as a string (no line ending); csv → with a header,
 * an object keyed by the header's column names, without, the string[] of
 * fields. A record that cannot be parsed throws INPUT_INVALID naming the
 * file, line, record and a snippet.
 */
export async function* readBatchRecords(batch: BatchDescriptor, opts: ReadOptions): AsyncGenerator<unknown> {
  checkReadOptions(opts);
  const { fh } = await openInput(batch.file);
  try {
    const decode = await createDecoder(fh, batch, opts);
    for await (const { bytes, start, index } of recordSlices(fh, batch, opts)) {
      const text = bytes.toString('utf8');
      let value: unknown;
      try {
        value = decode(text);
      } catch (e) {
        if (!(e instanceof BadRecordError)) throw e;
        throw await badRecordError(fh, { batch, offset: start, record: index, problem: e.message, text });
      }
      yield value;
    }
  } finally {
    await fh.close();
  }
}
