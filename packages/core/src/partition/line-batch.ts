/**
 * A jsonl, text or csv batch opened for reading, the same way for both
 * readers (values for module handlers, bytes for command handlers): its
 * chunks from the first record on, the CSV header, the record decoder.
 *
 * A plain batch is bytes [start, end) of the file, its CSV header bytes
 * [0, headerEnd). A compressed batch (decompress.ts) is the whole
 * decompressed stream: its CSV header is its first record, found by reading
 * the stream's first chunks.
 */
import type { BatchDescriptor } from '../model/batch.js';
import { badRecordError } from './bad-record.js';
import { readChunks, type Chunk } from './chunk-reader.js';
import { createScanner } from './create-scanner.js';
import { BadRecordError } from './csv-fields.js';
import type { DecompressedReader } from './decompress.js';
import type { InputSource, PositionalReader, ReadPlan } from './input-source.js';
import { openInput, type OpenHow } from './open-input.js';
import { readBufferSize } from './options.js';
import { createDecoder, csvHeaderDecoder, type RecordDecoder } from './record-decoder.js';
import { contentEnd } from './record-scanner.js';
import type { ReadOptions } from './types.js';

export interface LineBatch {
  /** The input file (`checkUnchanged` it after reading). */
  fh: InputSource;
  /** Closes the file (and stops decompressing). */
  close(): Promise<void>;
  /** What bad-record errors count lines in: the file, or null for a compressed batch (its offsets are in the decompressed stream). */
  lines: PositionalReader | null;
  /** The batch as the record cursor walks it: `start` is where its first record starts; `end` is unknown (MAX_SAFE_INTEGER) when compressed. */
  walk: BatchDescriptor;
  /** Chunks from `walk.start` on. */
  chunks: AsyncGenerator<Chunk>;
  /** Bytes that go before the records in a byte stream (the CSV header; empty otherwise). */
  header: Buffer;
  decode: RecordDecoder;
  /** Where the bytes ended: call once `chunks` is done. */
  end(): number;
}

export async function openLineBatch(batch: BatchDescriptor, opts: ReadOptions, how: OpenHow = {}): Promise<LineBatch> {
  if (batch.compression === undefined) {
    const fh = await openInput(batch.file, batchPlan(batch, opts), batch.source, how);
    try {
      const { decode, header } = await createDecoder(fh, batch, opts);
      const chunks = readChunks(fh, batch.start, batch.end, readBufferSize(opts));
      return { fh, close: () => fh.close(), lines: fh, walk: batch, chunks, header, decode, end: () => batch.end };
    } catch (e) {
      await fh.close();
      throw e;
    }
  }
  const fh = await openInput(batch.file, [[0, batch.end]], batch.source);
  try {
    const { DecompressedReader } = await import('./decompress.js'); // zlib, fzstd: only for compressed input
    const stream = new DecompressedReader(fh, batch.compression, readBufferSize(opts));
    return await compressedBatch(fh, stream, batch, opts);
  } catch (e) {
    await fh.close();
    throw e;
  }
}

async function compressedBatch(fh: InputSource, stream: DecompressedReader, batch: BatchDescriptor, opts: ReadOptions): Promise<LineBatch> {
  let ended = 0;
  const all = (async function* (): AsyncGenerator<Chunk> {
    for await (const chunk of readChunks(stream, 0, undefined, readBufferSize(opts))) {
      ended = chunk.base + chunk.view.length;
      yield chunk;
    }
  })();
  const walk: BatchDescriptor = { ...batch, start: 0, end: Number.MAX_SAFE_INTEGER, records: null };
  const close = async () => {
    await all.return(undefined);
    await stream.close();
    await fh.close();
  };
  const base = { fh, close, lines: null, end: () => ended };
  if (opts.format !== 'csv' || !opts.csv.header) {
    const { decode } = await createDecoder(fh, walk, opts);
    return { ...base, walk, chunks: all, header: Buffer.alloc(0), decode };
  }
  const head = await readHeaderRecord(all, batch, opts);
  let decode: RecordDecoder;
  try {
    decode = csvHeaderDecoder(head.text, opts);
  } catch (e) {
    if (!(e instanceof BadRecordError)) throw e;
    throw await badRecordError(null, { batch, offset: 0, record: null, problem: e.message, text: head.text });
  }
  const rest = head.rest;
  const chunks = (async function* (): AsyncGenerator<Chunk> {
    if (rest !== null) yield rest;
    yield* all;
  })();
  return { ...base, walk: { ...walk, start: head.bytes.length }, chunks, header: head.bytes, decode };
}

/** Reads the stream's first record (the CSV header): its bytes, its text, and what of the last chunk read follows it. */
async function readHeaderRecord(
  chunks: AsyncGenerator<Chunk>, batch: BatchDescriptor, opts: ReadOptions,
): Promise<{ bytes: Buffer; text: string; rest: Chunk | null }> {
  const scanner = createScanner(opts, batch.file, 0);
  const parts: Buffer[] = [];
  // next() by hand: leaving a for-await loop would end the generator the records come from.
  for (let r = await chunks.next(); !r.done; r = await chunks.next()) {
    const { view, base } = r.value;
    scanner.scan(view, 0, base, 1);
    if (scanner.found > 0) {
      const end = scanner.lastEnd;
      parts.push(Buffer.from(view.subarray(0, end - base)));
      const bytes = Buffer.concat(parts);
      const rest = end < base + view.length ? { view: view.subarray(end - base), base: end } : null;
      return { bytes, text: bytes.toString('utf8', scanner.lastStart, contentEnd(bytes, scanner.lastStart, bytes.length)), rest };
    }
    parts.push(Buffer.from(view));
  }
  const bytes = Buffer.concat(parts);
  const start = scanner.finish(bytes.length) ? scanner.lastStart : bytes.length;
  return { bytes, text: bytes.toString('utf8', start, contentEnd(bytes, start, bytes.length)), rest: null };
}

/** The byte ranges reading the batch takes: the CSV header, then [start, end). */
export function batchPlan(batch: BatchDescriptor, opts: ReadOptions): ReadPlan {
  const plan: Array<[number, number]> = [];
  if (opts.format === 'csv' && opts.csv.header && batch.headerEnd !== undefined && batch.headerEnd > 0) {
    plan.push([0, batch.headerEnd]);
  }
  if (batch.end > batch.start) plan.push([batch.start, batch.end]);
  return plan;
}
