/**
 * Test support: Parquet files written with hyparquet-writer in the test, and
 * the records a handler should see for them, computed independently of the
 * reader (see partition/parquet-values.ts for the conversions).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import zlib from 'node:zlib';
import { CAN_WRITE_ZSTD, zstdCompress } from './compress.js';
import { parquetMetadata, type CompressionCodec, type SchemaElement } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';

/** Codecs the tests write; ZSTD only where this machine can compress it (Node ≥ 22.15, or the zstd tool). */
export type TestCodec = 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP' | 'BROTLI' | 'ZSTD';

type Compress = (input: Uint8Array) => Uint8Array;
const ZSTD = zstdCompress;
export { CAN_WRITE_ZSTD };

const COMPRESSORS: Partial<Record<CompressionCodec, Compress>> = {
  GZIP: (b) => new Uint8Array(zlib.gzipSync(b)),
  BROTLI: (b) => new Uint8Array(zlib.brotliCompressSync(b)),
  ...(ZSTD ? { ZSTD } : {}),
};

/** Every kind of column the reader converts: nulls, INT64 past 2^53, timestamps, structs, lists, lists of structs. */
const SCHEMA: SchemaElement[] = [
  { name: 'root', num_children: 13 },
  { name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
  { name: 'big', type: 'INT64', repetition_type: 'OPTIONAL' },
  { name: 'name', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  { name: 'score', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
  { name: 'flag', type: 'BOOLEAN', repetition_type: 'REQUIRED' },
  { name: 'ts', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type: 'OPTIONAL' },
  { name: 'ts_us', type: 'INT64', converted_type: 'TIMESTAMP_MICROS', repetition_type: 'OPTIONAL' },
  { name: 'day', type: 'INT32', converted_type: 'DATE', repetition_type: 'OPTIONAL' },
  { name: 'point', repetition_type: 'OPTIONAL', num_children: 2 },
  { name: 'x', type: 'INT32', repetition_type: 'REQUIRED' },
  { name: 'y', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
  { name: 'tags', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  { name: 'items', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
  { name: 'sku', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  { name: 'qty', type: 'INT32', repetition_type: 'OPTIONAL' },
  { name: 'blob', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 2, repetition_type: 'OPTIONAL' },
  { name: 'ratio', type: 'FLOAT', repetition_type: 'OPTIONAL' },
];

const BASE_MS = Date.UTC(2024, 4, 1, 12, 0, 0);
const TWO_53 = 2n ** 53n;

/** The rows as written (hyparquet-writer's input) and as a handler should see them. */
export function sampleRows(n: number, from = 0): { columns: Record<string, unknown[]>; expected: Record<string, unknown>[] } {
  const columns: Record<string, unknown[]> = {};
  const expected: Record<string, unknown>[] = [];
  const put = (name: string, written: unknown) => (columns[name] ??= []).push(written);
  for (let k = 0; k < n; k++) {
    const i = from + k;
    const name = i % 4 === 1 ? null : i % 7 === 3 ? `quote " and\nnewline ${i}` : `név-${i} ✓`;
    const big = i % 5 === 0 ? null : i % 2 === 0 ? TWO_53 + BigInt(i) : -BigInt(i) * 1000n;
    const ts = i % 6 === 2 ? null : BASE_MS + i * 1001;
    const tsUs = i % 6 === 4 ? null : BigInt(BASE_MS) * 1000n + BigInt(i) * 1_000_001n + 7n;
    const day = i % 8 === 5 ? null : 19_000 + i;
    const point = i % 3 === 2 ? null : { x: i, y: i % 2 === 0 ? null : i / 4 };
    const tags = i % 5 === 3 ? null : Array.from({ length: i % 4 }, (_, j) => (j === 1 ? null : `t${i}.${j}`));
    const items = i % 9 === 8 ? null : Array.from({ length: i % 3 }, (_, j) => ({ sku: `s${i}-${j}`, qty: j === 0 ? null : i * j }));
    const blob = i % 10 === 7 ? null : new Uint8Array([i & 0xff, 0xfe]);
    const ratio = i % 11 === 4 ? null : i + 0.5;
    put('id', BigInt(i));
    put('big', big);
    put('name', name);
    put('score', i % 4 === 2 ? null : i * 1.25);
    put('flag', i % 2 === 0);
    put('ts', ts === null ? null : new Date(ts));
    put('ts_us', tsUs);
    put('day', day);
    put('point', point);
    put('tags', tags);
    put('items', items);
    put('blob', blob);
    put('ratio', ratio);
    expected.push({
      id: i,
      big: big === null ? null : big >= -TWO_53 + 1n && big <= TWO_53 - 1n ? Number(big) : big.toString(),
      name,
      score: i % 4 === 2 ? null : i * 1.25,
      flag: i % 2 === 0,
      ts: ts === null ? null : new Date(ts).toISOString(),
      ts_us: tsUs === null ? null : microsIso(tsUs),
      day: day === null ? null : new Date(day * 86_400_000).toISOString().slice(0, 10),
      point,
      tags,
      items,
      blob: blob === null ? null : Buffer.from(blob).toString('base64'),
      ratio,
    });
  }
  return { columns, expected };
}

function microsIso(us: bigint): string {
  const ms = us / 1000n;
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, -1)}${(us % 1000n).toString().padStart(3, '0')}Z`;
}

export interface WriteOptions {
  rows: number;
  /** Rows per row group (a list: sizes in turn, the last repeating). */
  rowGroupSize: number | number[];
  codec?: TestCodec;
  /** Index of the first row's values (to write distinct files). */
  from?: number;
}

/** Writes a sample Parquet file; returns the records a handler should see, in order. */
export function writeSampleParquet(path: string, opts: WriteOptions): Record<string, unknown>[] {
  const { columns, expected } = sampleRows(opts.rows, opts.from);
  // Top-level columns, in schema order (sampleRows fills them in that order).
  const columnData = Object.entries(columns).map(([name, data]) => ({ name, data }));
  const buf = parquetWriteBuffer({
    columnData,
    schema: SCHEMA,
    codec: opts.codec ?? 'SNAPPY',
    compressors: COMPRESSORS,
    rowGroupSize: opts.rowGroupSize,
    statistics: false,
  });
  writeFileSync(path, new Uint8Array(buf));
  return expected;
}

/** A tiny file of flat rows `{ n, word }` for end-to-end tests. */
export function writeWordsParquet(path: string, words: readonly string[], rowGroupSize: number): void {
  const buf = parquetWriteBuffer({
    columnData: [
      { name: 'n', data: words.map((_, i) => BigInt(i)), type: 'INT64', nullable: false },
      { name: 'word', data: [...words], type: 'STRING' },
    ],
    rowGroupSize,
  });
  writeFileSync(path, new Uint8Array(buf));
}

/**
 * Flips the bytes of the second half of one column chunk of a row group (its
 * data pages), so that decoding that row group fails.
 */
export function corruptRowGroup(path: string, rowGroup: number, column: number): void {
  const bytes = readFileSync(path);
  const chunk = parquetMetadata(bytes).row_groups[rowGroup]?.columns[column]?.meta_data;
  if (!chunk) throw new Error(`no column chunk ${column} in row group ${rowGroup}`);
  const start = Number(chunk.dictionary_page_offset || chunk.data_page_offset);
  const len = Number(chunk.total_compressed_size);
  for (let i = start + Math.floor(len / 2); i < start + len; i++) bytes[i] = (bytes[i] as number) ^ 0x5a;
  writeFileSync(path, bytes);
}
