/**
 * Test support for the partition unit tests (not exported from the package):
 * temp files, a driver that partitions and reads everything back, and tiny
 * whole-file reference parsers written independently of the scanners.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BatchDescriptor, InputFileInfo } from '../model/batch.js';
import { partitionInput } from './partition-input.js';
import { readBatchRecords } from './read-batch.js';
import type { CsvOptions, PartitionOptions, ReadOptions } from './types.js';

export const CSV_DEFAULTS: CsvOptions = { delimiter: ',', header: true, quote: '"' };

export interface TempDir {
  dir: string;
  /** Writes `content` to `name` in the dir and returns its absolute path. */
  file(name: string, content: string | Buffer): Promise<string>;
  remove(): Promise<void>;
}

export async function tempDir(): Promise<TempDir> {
  const dir = await mkdtemp(path.join(tmpdir(), 'djc-partition-'));
  return {
    dir,
    async file(name, content) {
      const p = path.join(dir, name);
      await writeFile(p, content);
      return p;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface Partitioned {
  batches: BatchDescriptor[];
  files: InputFileInfo[];
}

export async function partitionAll(files: readonly string[], opts: PartitionOptions): Promise<Partitioned> {
  const out: Partitioned = { batches: [], files: [] };
  for await (const ev of partitionInput(files, opts)) {
    if (ev.type === 'batch') out.batches.push(ev.batch);
    else out.files.push(ev.file);
  }
  return out;
}

export async function readAll(batches: readonly BatchDescriptor[], opts: ReadOptions): Promise<unknown[]> {
  const records: unknown[] = [];
  for (const b of batches) {
    for await (const r of readBatchRecords(b, opts)) records.push(r);
  }
  return records;
}

/** Partitions and reads back every record, in order. */
export async function roundTrip(files: readonly string[], opts: PartitionOptions): Promise<unknown[]> {
  return readAll((await partitionAll(files, opts)).batches, opts);
}

function stripBom(s: string): string {
  return s.startsWith('\uFEFF') ? s.slice(1) : s;
}

/** Lines of a file: split on LF, CR dropped before LF, no empty line after a final LF. */
function lines(content: string): string[] {
  const parts = stripBom(content).split('\n');
  const last = parts.pop() as string;
  const out = parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (last !== '') out.push(last);
  return out;
}

export function refText(content: string): string[] {
  return lines(content);
}

export function refJsonl(content: string): unknown[] {
  return lines(content)
    .filter((l) => !/^[ \t\r]*$/.test(l))
    .map((l) => JSON.parse(l) as unknown);
}

/** A plain character-by-character RFC 4180 parser over the whole text. */
export function refCsvRows(content: string, opts: Pick<CsvOptions, 'delimiter' | 'quote'>): string[][] {
  const { delimiter: d, quote: q } = opts;
  const s = stripBom(content);
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false; // the current field was quoted
  let inQuotes = false;
  const endRow = () => {
    const blank = row.length === 0 && !quoted && [...field].every((c) => c !== d && ' \t\r'.includes(c));
    if (!blank) rows.push([...row, field]);
    row = [];
    field = '';
    quoted = false;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (inQuotes) {
      if (c !== q) field += c;
      else if (s[i + 1] === q) (field += q), i++;
      else inQuotes = false;
    } else if (c === q) (inQuotes = true), (quoted = true);
    else if (c === d) row.push(field), (field = ''), (quoted = false);
    else if (c === '\r' && s[i + 1] === '\n') continue;
    else if (c === '\n') endRow();
    else field += c;
  }
  if (inQuotes) throw new Error('reference parser: unterminated quote');
  if (row.length > 0 || field !== '' || quoted) endRow();
  return rows;
}

export function refCsv(content: string, opts: CsvOptions): unknown[] {
  const rows = refCsvRows(content, opts);
  if (!opts.header) return rows;
  const [names, ...data] = rows;
  if (names === undefined) return [];
  return data.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i]])));
}

export type Rand = () => number;
/** A whole number in [lo, hi]. */
export const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
export const chance = (r: Rand, p: number): boolean => r() < p;

/** Seeded PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
