import { readFile } from 'node:fs/promises';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDjcError } from '../errors.js';
import type { BatchDescriptor } from '../model/batch.js';
import { batchBytes, openBatchStream, tallyBatch } from './batch-stream.js';
import { readBatchRecords } from './read-batch.js';
import { CSV_DEFAULTS, partitionAll, readAll, refCsv, refJsonl, refText, tempDir, type TempDir } from './testing.js';
import type { CsvOptions, InputFormat, PartitionOptions } from './types.js';

let tmp: TempDir;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.remove();
});

const opts = (format: InputFormat, batchBytes: number, more: Partial<PartitionOptions> = {}): PartitionOptions & { batchBytes: number } => ({
  format, csv: CSV_DEFAULTS, batchRecords: 1, batchBytes, ...more,
});
const ranges = (batches: readonly BatchDescriptor[]) => batches.map((b) => [b.start, b.end]);

/** Partitions by bytes, checks the batches tile the file from its first record, and reads every batch back. */
async function split(file: string, o: PartitionOptions): Promise<{ batches: BatchDescriptor[]; perBatch: unknown[][] }> {
  const { batches, files } = await partitionAll([file], o);
  expect(files.map((f) => f.records)).toEqual([null]);
  for (const [i, b] of batches.entries()) {
    expect(b).toMatchObject({ index: i, records: null, firstRecord: null });
    if (i > 0) expect(b.start).toBe(batches[i - 1]?.end);
  }
  if (batches.length > 0) expect(batches.at(-1)?.end).toBe(files[0]?.size);
  const perBatch: unknown[][] = [];
  for (const b of batches) {
    const records: unknown[] = [];
    for await (const r of readBatchRecords(b, o)) records.push(r);
    expect(records.length, `batch ${b.index} is not empty`).toBeGreaterThan(0);
    expect(await tallyBatch(b, o)).toEqual({ records: records.length, bad: 0 });
    perBatch.push(records);
  }
  return { batches, perBatch };
}

describe('splitting by bytes: boundaries snap to the next record start', () => {
  const text = 'abcd\n'.repeat(6); // records start at 0, 5, 10, …, 25; 30 bytes

  it('a boundary exactly at a record start cuts there', async () => {
    const file = await tmp.file('a.txt', text);
    const { batches } = await split(file, opts('text', 5));
    expect(ranges(batches)).toEqual([[0, 5], [5, 10], [10, 15], [15, 20], [20, 25], [25, 30]]);
  });

  it('a boundary exactly on a line ending cuts after it; one inside a record cuts after that record', async () => {
    const file = await tmp.file('a.txt', text);
    // 4 is the LF of the first line → 5; the next boundary after 5 is 8 → 10; …
    expect(ranges((await split(file, opts('text', 4))).batches)).toEqual([[0, 5], [5, 10], [10, 15], [15, 20], [20, 25], [25, 30]]);
    // 7 → 10; 14 → 15; 21 → 25; 28 → the end.
    expect(ranges((await split(file, opts('text', 7))).batches)).toEqual([[0, 10], [10, 15], [15, 25], [25, 30]]);
    expect(ranges((await split(file, opts('text', 1000))).batches)).toEqual([[0, 30]]);
    expect(await readAll((await split(file, opts('text', 7))).batches, opts('text', 7))).toEqual(Array(6).fill('abcd'));
  });

  it('respects CRLF: a boundary between CR and LF cuts after the LF', async () => {
    const file = await tmp.file('crlf.txt', 'ab\r\ncd\r\nef\r\n');
    for (const b of [2, 3]) {
      const { batches, perBatch } = await split(file, opts('text', b));
      expect(ranges(batches)).toEqual([[0, 4], [4, 8], [8, 12]]);
      expect(perBatch).toEqual([['ab'], ['cd'], ['ef']]);
    }
  });

  it('starts after a UTF-8 byte order mark', async () => {
    const file = await tmp.file('bom.jsonl', '\uFEFF{"a":1}\n{"a":2}\n');
    const { batches, perBatch } = await split(file, opts('jsonl', 1));
    expect(ranges(batches)).toEqual([[3, 11], [11, 19]]);
    expect(perBatch).toEqual([[{ a: 1 }], [{ a: 2 }]]);
  });

  it('handles a file without a final newline', async () => {
    const file = await tmp.file('a.txt', 'aa\nbb');
    expect((await split(file, opts('text', 1))).perBatch).toEqual([['aa'], ['bb']]);
    const json = await tmp.file('a.jsonl', '{"a":1}\n{"a":2}');
    expect((await split(json, opts('jsonl', 8))).perBatch).toEqual([[{ a: 1 }], [{ a: 2 }]]);
    // The second record starts at 8, before the boundary at 9: it stays in the first batch.
    expect((await split(json, opts('jsonl', 9))).perBatch).toEqual([[{ a: 1 }, { a: 2 }]]);
  });

  it('a record longer than B makes one larger batch, never an empty one; boundaries inside it collapse', async () => {
    const long = 'y'.repeat(100);
    const file = await tmp.file('a.txt', `x\n${long}\nz\n`);
    for (const readBufferSize of [undefined, 4, 33]) {
      const { batches, perBatch } = await split(file, opts('text', 10, readBufferSize ? { readBufferSize } : {}));
      expect(ranges(batches)).toEqual([[0, 103], [103, 105]]);
      expect(perBatch).toEqual([['x', long], ['z']]);
    }
    // The long record at the very start.
    const first = await tmp.file('b.txt', `${long}\nz\n`);
    expect((await split(first, opts('text', 10))).perBatch).toEqual([[long], ['z']]);
  });

  it('never cuts inside a multi-byte UTF-8 character', async () => {
    const line = '日本語🎉';
    const content = `${line}\n`.repeat(5);
    const file = await tmp.file('a.txt', content);
    for (const b of [1, 2, 4, 5, 13, 14, 15]) {
      const { perBatch } = await split(file, opts('text', b));
      expect(perBatch.flat()).toEqual(Array(5).fill(line));
    }
  });

  it('jsonl and csv: a batch starts at a record, not at the blank lines before it; text keeps empty lines as records', async () => {
    const file = await tmp.file('a.jsonl', '{"a":1}\n\n\n   \n\r\n{"a":2}\n\n');
    const { batches, perBatch } = await split(file, opts('jsonl', 9));
    expect(perBatch).toEqual([[{ a: 1 }], [{ a: 2 }]]);
    expect(batches[1]?.start).toBe(Buffer.byteLength('{"a":1}\n\n\n   \n\r\n'));
    // Only blank lines after the boundary: no second batch.
    const tail = await tmp.file('b.jsonl', '{"a":1}\n\n\n   \n\n');
    expect((await split(tail, opts('jsonl', 9))).perBatch).toEqual([[{ a: 1 }]]);
    // Nothing but blank lines: no batch at all.
    expect((await partitionAll([await tmp.file('c.jsonl', '\n \n\t\n')], opts('jsonl', 1))).batches).toEqual([]);
    const txt = await tmp.file('a.txt', 'a\n\n\nb\n');
    expect((await split(txt, opts('text', 2))).perBatch).toEqual([['a'], ['', ''], ['b']]);
  });

  it('several files: batches never span files, index runs on, every file reports records: null', async () => {
    const a = await tmp.file('a.jsonl', Array.from({ length: 5 }, (_, i) => JSON.stringify({ i })).join('\n') + '\n');
    const empty = await tmp.file('b.jsonl', '');
    const c = await tmp.file('c.jsonl', '{"i":5}\n{"i":6}');
    const o = opts('jsonl', 16);
    const { batches, files } = await partitionAll([a, empty, c], o);
    expect(batches.map((b) => b.index)).toEqual(batches.map((_, i) => i));
    expect(files.map((f) => [f.path, f.size, f.records])).toEqual([[a, 40, null], [empty, 0, null], [c, 15, null]]);
    expect(batches.map((b) => [b.file, b.start, b.end])).toEqual([[a, 0, 16], [a, 16, 32], [a, 32, 40], [c, 0, 15]]);
    expect(await readAll(batches, o)).toEqual(Array.from({ length: 7 }, (_, i) => ({ i })));
  });

  it('rejects a batch size that is not a positive integer', async () => {
    const file = await tmp.file('a.txt', 'a\n');
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      const err = await partitionAll([file], opts('text', bad)).catch((e: unknown) => e);
      expect(isDjcError(err, 'CONFIG_INVALID'), String(err)).toBe(true);
      expect((err as Error).message).toContain('input.batch.bytes');
    }
  });
});

describe('splitting CSV by bytes', () => {
  const rows = ['id,note', '1,plain', '2,"with, comma"', '3,"doubled ""quote"""', '', '4,last'];
  const content = rows.join('\r\n') + '\r\n';
  const csv = (multiline: boolean, header = true): CsvOptions => ({ ...CSV_DEFAULTS, header, multiline });

  it('the header travels with every batch; multiline true and false cut the same places when no field spans lines', async () => {
    const file = await tmp.file('a.csv', content);
    const headerEnd = Buffer.byteLength('id,note\r\n');
    for (const b of [1, 7, 12, 20, 1000]) {
      const scan = await split(file, opts('csv', b, { csv: csv(true) }));
      const snap = await split(file, opts('csv', b, { csv: csv(false) }));
      expect(ranges(snap.batches), `B=${b}`).toEqual(ranges(scan.batches));
      expect(scan.batches.every((x) => x.headerEnd === headerEnd)).toBe(true);
      expect(scan.batches[0]?.start).toBe(headerEnd);
      expect(scan.perBatch.flat()).toEqual(refCsv(content, CSV_DEFAULTS));
      expect(snap.perBatch.flat()).toEqual(refCsv(content, CSV_DEFAULTS));
    }
    const noHeader = await split(file, opts('csv', 10, { csv: csv(false, false) }));
    expect(noHeader.batches[0]?.headerEnd).toBeUndefined();
    expect(noHeader.perBatch.flat()).toEqual(refCsv(content, { ...CSV_DEFAULTS, header: false }));
  });

  it('a header-only file has no batch', async () => {
    for (const multiline of [true, false]) {
      const file = await tmp.file('h.csv', 'id,note\n');
      expect((await partitionAll([file], opts('csv', 1, { csv: csv(multiline) }))).batches).toEqual([]);
    }
  });

  // 'id,note\n' is bytes 0-7; the record '1,"a\nb"\n' is 8-15 with its quoted LF at 12; '2,c\n' is 16-19.
  const quoted = 'id,note\n1,"a\nb"\n2,c\n';

  it('multiline true: a quoted newline exactly on a boundary is not a cut', async () => {
    const file = await tmp.file('q.csv', quoted);
    for (const b of [12, 13]) {
      for (const readBufferSize of [undefined, 1, 5]) {
        const { batches, perBatch } = await split(file, opts('csv', b, { csv: csv(true), ...(readBufferSize ? { readBufferSize } : {}) }));
        expect(ranges(batches), `B=${b}`).toEqual([[8, 16], [16, 20]]);
        expect(perBatch).toEqual([[{ id: '1', note: 'a\nb' }], [{ id: '2', note: 'c' }]]);
      }
    }
  });

  it('multiline false: a quoted newline fails loudly with its byte offset, in the reader and in the record counter', async () => {
    const file = await tmp.file('q.csv', quoted);
    const o = opts('csv', 13, { csv: csv(false) });
    const { batches } = await partitionAll([file], o);
    // Cut at the line break inside quotes, as documented.
    expect(ranges(batches)).toEqual([[8, 13], [13, 20]]);
    for (const b of [...batches, { ...batches[0]!, end: 20 }]) {
      const err = await readAll([b], o).catch((e: unknown) => e);
      expect(isDjcError(err, 'INPUT_INVALID'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(/q\.csv: a quoted field holds a line break .* at byte offset (12|15)\), but input\.csv\.multiline is false/);
      const counted = await tallyBatch(b, o).catch((e: unknown) => e);
      expect(isDjcError(counted, 'INPUT_INVALID'), String(counted)).toBe(true);
      expect((counted as Error).message).toMatch(/multiline is false/);
    }
    // The same file split by records with multiline false fails at prepare.
    const err = await partitionAll([file], { ...o, batchBytes: undefined }).catch((e: unknown) => e);
    expect(isDjcError(err, 'INPUT_INVALID'), String(err)).toBe(true);
  });

  it('multiline true: an unterminated quote fails the prepare scan', async () => {
    const file = await tmp.file('bad.csv', 'id,note\n1,"open\n2,x\n');
    const err = await partitionAll([file], opts('csv', 4, { csv: csv(true) })).catch((e: unknown) => e);
    expect(isDjcError(err, 'INPUT_INVALID'), String(err)).toBe(true);
    expect((err as Error).message).toContain('unterminated quoted field');
  });
});

describe('counting the records of a batch (command handlers)', () => {
  it('the byte stream counts what the reader yields and streams the batch bytes as they are, the CSV header excluded from the count', async () => {
    const cases: Array<[InputFormat, string, Partial<PartitionOptions>]> = [
      ['jsonl', '{"a":1}\n\n  \n{"a":2}\r\n{"a":3}', {}],
      ['text', 'a\n\nb\r\n\n', {}],
      ['csv', 'h1,h2\n1,"x\ny"\n\n2,z\n3,"q"""', {}],
      ['csv', '1,"x\ny"\n\n2,z\n', { csv: { ...CSV_DEFAULTS, header: false } }],
    ];
    for (const [format, content, more] of cases) {
      const file = await tmp.file(`c.${format}`, content);
      for (const bytes of [1, 5, 1000]) {
        const o = opts(format, bytes, more);
        const { batches } = await partitionAll([file], o);
        let total = 0;
        const bytesOf = await readFile(file);
        for (const b of batches) {
          const { chunks, tally } = batchBytes(b, { ...o, readBufferSize: 3 });
          const parts: Buffer[] = [];
          for await (const c of chunks) parts.push(c);
          const stream = Buffer.concat(parts);
          const head = format === 'csv' && o.csv.header ? bytesOf.subarray(0, b.headerEnd) : Buffer.alloc(0);
          expect(stream.equals(Buffer.concat([head, bytesOf.subarray(b.start, b.end)]))).toBe(true);
          const n = (await readAll([b], o)).length;
          expect(tally).toEqual({ records: n, bad: 0 });
          total += n;
        }
        const ref = format === 'jsonl' ? refJsonl(content) : format === 'text' ? refText(content) : refCsv(content, o.csv);
        expect(total, `${format} B=${bytes}`).toBe(ref.length);
      }
    }
  });
});
