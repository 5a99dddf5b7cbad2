import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDjcError } from '../errors.js';
import type { BatchDescriptor } from '../model/batch.js';
import { batchBytes as batchStream, openBatchStream } from './batch-stream.js';
import {
  chance, CSV_DEFAULTS, int, partitionAll, pick, prng, readAll, refCsv, refJsonl, refText, tempDir, type Rand, type TempDir,
} from './testing.js';
import type { CsvOptions, LineFormat as InputFormat, PartitionOptions } from './types.js';

// Randomized round trips: generate records, write them with random line
// endings, blank lines, quoting, final newline and byte order mark;
// partition by records or by bytes and read back with random batch and
// read-buffer sizes; the records must come back exactly, and agree with a
// whole-file reference parse. By bytes, counting each batch's streamed
// bytes must give the number of records read from it.

const CASES_PER_FORMAT = 70;

let tmp: TempDir;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.remove();
});


const CHARS = ['a', 'b', 'Z', '0', ' ', '\t', 'é', 'ß', '日', '本', '🎉', '"', "'", ',', ';', '|', '\\', '\r', '\n'];

function randomString(r: Rand, max: number, alphabet: readonly string[] = CHARS): string {
  let s = '';
  for (let n = int(r, 0, max); n > 0; n--) s += pick(r, alphabet);
  return s;
}

interface Generated {
  content: string;
  expected: unknown[];
  csv: CsvOptions;
}

/** Joins lines with random endings (LF, CRLF or mixed) and an optional final newline. */
function joinLines(r: Rand, lines: readonly string[], finalNewline: boolean): string {
  const style = pick(r, ['lf', 'crlf', 'mixed'] as const);
  const eol = () => (style === 'lf' ? '\n' : style === 'crlf' ? '\r\n' : pick(r, ['\n', '\r\n']));
  return lines.map((l, i) => l + (i < lines.length - 1 || finalNewline ? eol() : '')).join('');
}

function randomJson(r: Rand, depth = 0): unknown {
  switch (int(r, 0, depth > 1 ? 3 : 5)) {
    case 0: return int(r, -1e6, 1e6) / pick(r, [1, 7, 1000]);
    case 1: return randomString(r, 30);
    case 2: return pick(r, [null, true, false]);
    case 3: return randomString(r, 3);
    case 4: return Array.from({ length: int(r, 0, 4) }, () => randomJson(r, depth + 1));
    default: return Object.fromEntries(Array.from({ length: int(r, 0, 4) }, () => [randomString(r, 6), randomJson(r, depth + 1)]));
  }
}

function genJsonl(r: Rand): Generated {
  const expected = Array.from({ length: int(r, 0, 40) }, () => randomJson(r));
  const lines: string[] = [];
  const blank = () => pick(r, ['', ' ', '\t', '  \t ', ' \r']);
  for (const v of expected) {
    while (chance(r, 0.2)) lines.push(blank());
    lines.push(pick(r, ['', ' ', '\t']) + JSON.stringify(v) + pick(r, ['', ' ', '\t ']));
  }
  while (chance(r, 0.2)) lines.push(blank());
  return { content: joinLines(r, lines, chance(r, 0.5)), expected, csv: CSV_DEFAULTS };
}

function genText(r: Rand): Generated {
  const alphabet = CHARS.filter((c) => c !== '\n');
  const expected = Array.from({ length: int(r, 0, 40) }, () => randomString(r, pick(r, [0, 3, 40]), alphabet).replace(/\r+$/, ''));
  const finalNewline = expected.at(-1) === '' || chance(r, 0.5);
  return { content: joinLines(r, expected, finalNewline), expected, csv: CSV_DEFAULTS };
}

function genCsv(r: Rand): Generated {
  const csv: CsvOptions = { delimiter: pick(r, [',', ';', '\t', '|']), quote: pick(r, ['"', "'"]), header: chance(r, 0.6) };
  const cols = int(r, 1, 5);
  const names = Array.from({ length: cols }, (_, i) => `c${i}${pick(r, ['', 'é', ' x'])}`);
  const rows = Array.from({ length: int(r, 0, 30) }, () =>
    Array.from({ length: cols }, () => randomString(r, pick(r, [0, 4, 25]))),
  );
  const encode = (v: string) => {
    const special = v.includes(csv.delimiter) || v.includes(csv.quote) || /[\r\n]/.test(v);
    const blankRow = cols === 1 && /^[ \t]*$/.test(v);
    return special || blankRow || chance(r, 0.15) ? csv.quote + v.replaceAll(csv.quote, csv.quote + csv.quote) + csv.quote : v;
  };
  const blank = () => pick(r, ['', ' ', csv.delimiter === '\t' ? '' : '\t']);
  const lines: string[] = [];
  for (const row of csv.header ? [names, ...rows] : rows) {
    while (chance(r, 0.15)) lines.push(blank());
    lines.push(row.map(encode).join(csv.delimiter));
  }
  const expected = csv.header ? rows.map((row) => Object.fromEntries(names.map((n, i) => [n, row[i]]))) : rows;
  return { content: joinLines(r, lines, chance(r, 0.5)), expected, csv };
}

const GENERATORS: Record<InputFormat, (r: Rand) => Generated> = { jsonl: genJsonl, text: genText, csv: genCsv };
const REFERENCE: Record<InputFormat, (g: Generated) => unknown[]> = {
  jsonl: (g) => refJsonl(g.content),
  text: (g) => refText(g.content),
  csv: (g) => refCsv(g.content, g.csv),
};

function randomBufferSize(r: Rand): number | undefined {
  return pick(r, [int(r, 1, 8), int(r, 9, 300), undefined]);
}

function checkTiling(batches: readonly BatchDescriptor[], batchRecords: number, size: number, note: string): void {
  let next = batches[0]?.start ?? 0;
  let record = 0;
  batches.forEach((b, i) => {
    expect(b.index, note).toBe(i);
    expect(b.start, note).toBe(next);
    expect(b.firstRecord, note).toBe(record);
    expect(b.end, note).toBeGreaterThan(b.start);
    if (i < batches.length - 1) expect(b.records, note).toBe(batchRecords);
    else expect(b.records, note).toBeGreaterThanOrEqual(1);
    expect(b.start, note).toBeGreaterThanOrEqual(b.headerEnd ?? 0);
    next = b.end;
    record += b.records;
  });
  expect(next, note).toBeLessThanOrEqual(size);
}

/**
 * Batches start at the first record and (split by records) end at the last
 * one: outside them lie only the byte order mark, the header and blank lines.
 * Split by bytes, the last batch runs to the end of the file.
 */
function checkEdges(g: Generated, format: InputFormat, batches: readonly BatchDescriptor[], note: string, byBytes = false): void {
  const bytes = Buffer.from(g.content);
  const bom = g.content.startsWith('\uFEFF') ? 3 : 0;
  const first = batches[0];
  const last = batches.at(-1);
  const blankChars = format === 'text' ? '' : ' \t\r\n'.replace(format === 'csv' ? g.csv.delimiter : '', '');
  const isBlank = (b: Buffer) => [...b.toString()].every((c) => blankChars.includes(c));
  if (first === undefined || last === undefined) {
    if (!(format === 'csv' && g.csv.header)) expect(isBlank(bytes.subarray(bom)), note).toBe(true);
    return;
  }
  expect(isBlank(bytes.subarray(Math.max(bom, first.headerEnd ?? 0), first.start)), `before the first batch, ${note}`).toBe(true);
  expect(isBlank(bytes.subarray(last.end)), `after the last batch, ${note}`).toBe(true);
  if (byBytes) {
    expect(last.end, note).toBe(bytes.length);
    return;
  }
  if (format === 'text') return;
  const range = bytes.subarray(last.start, last.end).toString().replace(/\r?\n$/, '');
  expect(isBlank(Buffer.from(range.slice(range.lastIndexOf('\n') + 1))), `last line of the last batch, ${note}`).toBe(false);
}

async function runCase(format: InputFormat, seed: number): Promise<void> {
  const r = prng(seed);
  const g = GENERATORS[format](r);
  if (chance(r, 0.15)) g.content = `\uFEFF${g.content}`;
  const file = await tmp.file(`case-${format}-${seed}.${format}`, g.content);
  const total = g.expected.length;
  if (chance(r, 0.5)) {
    await runBytesCase(format, seed, r, g, file);
    return;
  }
  const batchRecords = pick(r, [1, 2, 3, 7, 13, int(r, 1, 50), total + 5]);
  const opts: PartitionOptions = { format, csv: g.csv, batchRecords };
  const partitionBuffer = randomBufferSize(r);
  const readBuffer = randomBufferSize(r);
  const note = `seed ${seed}, ${format}, batch ${batchRecords}, buffers ${partitionBuffer}/${readBuffer}, csv ${JSON.stringify(g.csv)}, content ${JSON.stringify(g.content)}`;

  expect(REFERENCE[format](g), `reference parser, ${note}`).toEqual(g.expected);
  const { batches, files } = await partitionAll([file], { ...opts, ...(partitionBuffer ? { readBufferSize: partitionBuffer } : {}) });
  expect(files[0]?.records, note).toBe(total);
  expect(batches.reduce((n, b) => n + b.records, 0), note).toBe(total);
  checkTiling(batches, batchRecords, Buffer.byteLength(g.content), note);
  checkEdges(g, format, batches, note);
  expect(await readAll(batches, { ...opts, ...(readBuffer ? { readBufferSize: readBuffer } : {}) }), note).toEqual(g.expected);

  const bytes = await readFile(file);
  for (const b of batches) {
    const head = format === 'csv' && g.csv.header ? bytes.subarray(0, b.headerEnd) : Buffer.alloc(0);
    const streamed = await buffer(openBatchStream(b, opts));
    expect(streamed.equals(Buffer.concat([head, bytes.subarray(b.start, b.end)])), note).toBe(true);
  }
}

const withBuffer = (opts: PartitionOptions, size: number | undefined): PartitionOptions => (size ? { ...opts, readBufferSize: size } : opts);

/** Split by bytes: contiguous batches from the first record to the end of the file, uncounted at prepare, none empty. */
function checkByteTiling(batches: readonly BatchDescriptor[], note: string): void {
  batches.forEach((b, i) => {
    expect(b.index, note).toBe(i);
    expect(b.records, note).toBeNull();
    expect(b.firstRecord, note).toBeNull();
    expect(b.end, note).toBeGreaterThan(b.start);
    expect(b.start, note).toBeGreaterThanOrEqual(b.headerEnd ?? 0);
    if (i > 0) expect(b.start, note).toBe(batches[i - 1]?.end);
  });
}

async function runBytesCase(format: InputFormat, seed: number, r: Rand, g: Generated, file: string): Promise<void> {
  const size = Buffer.byteLength(g.content);
  const batchBytes = pick(r, [1, 2, 3, 7, 16, int(r, 1, 200), size + 5]);
  const quotedLineBreak = format === 'csv' && g.expected.some((row) => Object.values(row as object).some((v) => String(v).includes('\n')));
  // multiline: false only where it holds (no field spans lines); the other case is checked to fail below.
  const csv: CsvOptions = { ...g.csv, multiline: quotedLineBreak || chance(r, 0.5) };
  const opts: PartitionOptions = { format, csv, batchRecords: 1, batchBytes };
  const partitionBuffer = randomBufferSize(r);
  const readBuffer = randomBufferSize(r);
  const chunk = int(r, 1, 64);
  const note = `seed ${seed}, ${format}, by bytes ${batchBytes}, buffers ${partitionBuffer}/${readBuffer}, csv ${JSON.stringify(csv)}, content ${JSON.stringify(g.content)}`;

  expect(REFERENCE[format](g), `reference parser, ${note}`).toEqual(g.expected);
  const { batches, files } = await partitionAll([file], withBuffer(opts, partitionBuffer));
  expect(files[0]?.records, note).toBeNull();
  checkByteTiling(batches, note);
  checkEdges(g, format, batches, note, true);
  const bytes = await readFile(file);
  const records: unknown[] = [];
  for (const b of batches) {
    const got = await readAll([b], withBuffer(opts, readBuffer));
    expect(got.length, `batch ${b.index} holds a record, ${note}`).toBeGreaterThan(0);
    records.push(...got);
    const head = format === 'csv' && g.csv.header ? bytes.subarray(0, b.headerEnd) : Buffer.alloc(0);
    const { chunks, tally } = batchStream(b, withBuffer(opts, chunk));
    const streamed = await buffer(Readable.from(chunks));
    expect(streamed.equals(Buffer.concat([head, bytes.subarray(b.start, b.end)])), note).toBe(true);
    expect(tally, `count of batch ${b.index}, ${note}`).toEqual({ records: got.length, bad: 0 });
  }
  expect(records, note).toEqual(g.expected);

  if (quotedLineBreak) {
    // Declared to have no multi-line fields, the file must fail loudly, never yield rows cut in two.
    const strict: PartitionOptions = { ...opts, csv: { ...csv, multiline: false } };
    const err = await partitionAll([file], strict).then((p) => readAll(p.batches, strict)).catch((e: unknown) => e);
    expect(isDjcError(err, 'INPUT_INVALID'), `${String(err)}, ${note}`).toBe(true);
    expect((err as Error).message, note).toContain('input.csv.multiline is false');
  }
}

describe('randomized round trips (seeded)', () => {
  it.each(['jsonl', 'text', 'csv'] as const)('%s: records come back exactly for random files, batch and buffer sizes', async (format) => {
    const base = { jsonl: 1000, text: 2000, csv: 3000 }[format];
    for (let i = 0; i < CASES_PER_FORMAT; i++) await runCase(format, base + i);
  });
});
