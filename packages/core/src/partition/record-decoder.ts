import type { BatchDescriptor } from '../model/batch.js';
import { DjcError } from '../errors.js';
import { badRecordError } from './bad-record.js';
import { createScanner } from './create-scanner.js';
import { BadRecordError, parseCsvFields } from './csv-fields.js';
import type { PositionalReader } from './input-source.js';
import { fileChanged } from './open-input.js';
import { bomLength, contentEnd } from './record-scanner.js';
import type { ReadOptions } from './types.js';

/** Turns one record's text into the value handed to handlers; throws BadRecordError. */
export type RecordDecoder = (text: string) => unknown;

const NO_HEADER = Buffer.alloc(0);

/**
 * The decoder for a batch. For CSV with a header, reads the file's header
 * first: `header` is its bytes [0, headerEnd) (a byte order mark included),
 * which travel with every batch; empty otherwise.
 */
export async function createDecoder(
  fh: PositionalReader,
  batch: BatchDescriptor,
  opts: ReadOptions,
): Promise<{ decode: RecordDecoder; header: Buffer }> {
  const plain = headerlessDecoder(opts);
  if (plain !== null) return { decode: plain, header: NO_HEADER };
  if (opts.format !== 'csv') throw new Error(`internal: ${opts.format} records are not decoded from lines`);
  const { decode, bytes } = await readHeader(fh, batch, opts);
  return { decode, header: bytes };
}

/** The decoder of a format whose records need no header from the file (jsonl, text, CSV without a header); null for the others. */
export function headerlessDecoder(opts: ReadOptions): RecordDecoder | null {
  switch (opts.format) {
    case 'text':
      return (text) => text;
    case 'jsonl':
      return decodeJson;
    case 'csv': {
      const { delimiter, quote, header, relaxQuotes } = opts.csv;
      return header ? null : (text) => parseCsvFields(text, delimiter, quote, relaxQuotes);
    }
    default:
      return null;
  }
}

function decodeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BadRecordError(`invalid JSON (${(e as Error).message})`);
  }
}

function csvObject(names: readonly string[], fields: readonly string[]): Record<string, string> {
  if (fields.length !== names.length) {
    throw new BadRecordError(`expected ${names.length} fields (as in the header), found ${fields.length}`);
  }
  if (names.includes('__proto__')) {
    // fromEntries defines own properties, so a column named __proto__ stays data.
    return Object.fromEntries(names.map((name, i) => [name, fields[i] as string]));
  }
  const row: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) row[names[i] as string] = fields[i] as string;
  return row;
}

/**
 * The decoder of CSV records with the header `text` (its record text): rows
 * become objects keyed by its column names. Throws BadRecordError for a
 * header that does not parse or names a column twice.
 */
export function csvHeaderDecoder(text: string, opts: ReadOptions): RecordDecoder {
  const { delimiter, quote, relaxQuotes } = opts.csv;
  const names = checkNames(parseCsvFields(text, delimiter, quote, relaxQuotes));
  return (record) => csvObject(names, parseCsvFields(record, delimiter, quote, relaxQuotes));
}

/** The decoder for the header in bytes [0, headerEnd) of the batch's file, and those bytes. */
async function readHeader(fh: PositionalReader, batch: BatchDescriptor, opts: ReadOptions): Promise<{ decode: RecordDecoder; bytes: Buffer }> {
  const end = batch.headerEnd;
  if (end === undefined) {
    throw new DjcError('INTERNAL', `batch ${batch.index} of ${batch.file} has no headerEnd, but input.csv.header is true`, {
      hint: 'partition the input again with the same csv options',
    });
  }
  const bytes = Buffer.allocUnsafe(end);
  const { bytesRead } = await fh.read(bytes, 0, end, 0);
  const start = bomLength(bytes.subarray(0, bytesRead));
  const scanner = createScanner(opts, batch.file, start);
  scanner.scan(bytes.subarray(0, bytesRead), start, 0, 1);
  const found = scanner.found > 0 || scanner.finish(end);
  if (bytesRead !== end || !found || scanner.lastEnd !== end) {
    throw fileChanged(batch.file, 'the CSV header is no longer where it was');
  }
  const text = bytes.toString('utf8', scanner.lastStart, contentEnd(bytes, scanner.lastStart, scanner.lastEnd));
  try {
    return { decode: csvHeaderDecoder(text, opts), bytes };
  } catch (e) {
    if (!(e instanceof BadRecordError)) throw e;
    throw await badRecordError(fh, { batch, offset: scanner.lastStart, record: null, problem: e.message, text });
  }
}

function checkNames(names: string[]): string[] {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new BadRecordError(`duplicate column name ${JSON.stringify(name)}`);
    seen.add(name);
  }
  return names;
}
