import { stat } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDjcError } from '../errors.js';
import {
  CSV_DEFAULTS, partitionAll, readAll, refJsonl, refText, roundTrip, tempDir, type TempDir,
} from './testing.js';
import { readBatchRecords } from './read-batch.js';
import type { PartitionOptions } from './types.js';

let tmp: TempDir;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.remove();
});

const jsonl = (batchRecords: number, readBufferSize?: number): PartitionOptions => ({
  format: 'jsonl', csv: CSV_DEFAULTS, batchRecords, ...(readBufferSize ? { readBufferSize } : {}),
});
const text = (batchRecords: number, readBufferSize?: number): PartitionOptions => ({
  ...jsonl(batchRecords, readBufferSize), format: 'text',
});

// Blank and whitespace-only lines, CRLF and LF mixed, leading blanks,
// multi-byte characters (2, 3 and 4 bytes), no final newline.
const MIXED = [
  '',
  '  ',
  '{"id":1,"name":"Zoë"}',
  '\t{"id":2,"tags":["日本語","ok"]}  ',
  '',
  '"just a string 🎉🎉"\r',
  ' \r',
  '[1,2,3]\r',
  '42',
  '{"id":3,"text":"line\\nbreak, \\"quoted\\" ünïcödé"}',
  'null',
].join('\n');

const BATCH_SIZES = [1, 2, 3, 7, 1000];
const BUFFER_SIZES = [1, 2, 3, 5, 16, undefined];

describe('jsonl', () => {
  it.each(BATCH_SIZES)('batches of %i: records read back equal a whole-file parse, for every read buffer size', async (n) => {
    const file = await tmp.file('mixed.jsonl', MIXED);
    const expected = refJsonl(MIXED);
    expect(expected).toHaveLength(7);
    for (const size of BUFFER_SIZES) {
      expect(await roundTrip([file], jsonl(n, size))).toEqual(expected);
    }
  });

  it('cuts batches of whole records that tile the file after leading blank lines', async () => {
    const content = '\n  \n{"a":1}\n\n{"a":2}\r\n{"a":3}\n \n{"a":4}';
    const file = await tmp.file('a.jsonl', content);
    const { batches, files } = await partitionAll([file], jsonl(2));
    const size = Buffer.byteLength(content);
    const source = { size, mtimeMs: (await stat(file)).mtimeMs };
    expect(batches).toEqual([
      { index: 0, file, start: 4, end: content.indexOf('{"a":3}'), firstRecord: 0, records: 2, source },
      { index: 1, file, start: content.indexOf('{"a":3}'), end: size, firstRecord: 2, records: 2, source },
    ]);
    expect(files).toEqual([{ path: file, size, mtimeMs: expect.any(Number), records: 4 }]);
  });

  it('ends the last batch at the last record, leaving trailing blank lines out', async () => {
    const content = '1\n2\n3\n\n  \n';
    const file = await tmp.file('t.jsonl', content);
    const { batches } = await partitionAll([file], jsonl(2));
    expect(batches.map((b) => [b.start, b.end, b.records])).toEqual([[0, 4, 2], [4, 6, 1]]);
  });

  it('an empty file, or one of blank lines only, gives no batch but a file event with 0 records', async () => {
    for (const content of ['', '\n\n', ' \r\n\t\n  ']) {
      const file = await tmp.file('e.jsonl', content);
      const { batches, files } = await partitionAll([file], jsonl(3));
      expect(batches).toEqual([]);
      expect(files).toEqual([{ path: file, size: Buffer.byteLength(content), mtimeMs: expect.any(Number), records: 0 }]);
    }
  });

  it('handles a file without a final newline: the last batch ends at the file size', async () => {
    const file = await tmp.file('n.jsonl', '{"a":1}\n{"a":2}');
    const { batches } = await partitionAll([file], jsonl(10));
    expect(batches).toMatchObject([{ start: 0, end: 15, records: 2 }]);
    expect(await readAll(batches, jsonl(10))).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('skips a UTF-8 byte order mark', async () => {
    const file = await tmp.file('bom.jsonl', '\uFEFF{"a":1}\n{"a":2}\n');
    const { batches } = await partitionAll([file], jsonl(10));
    expect(batches[0]?.start).toBe(3);
    expect(await readAll(batches, jsonl(10))).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('decodes multi-byte characters split across every possible read boundary', async () => {
    const records = Array.from({ length: 20 }, (_, i) => ({ i, s: 'é日🎉'.repeat(i % 5) + 'ß' }));
    const content = records.map((r) => JSON.stringify(r)).join('\r\n');
    const file = await tmp.file('u.jsonl', content);
    for (let size = 1; size <= 12; size++) {
      expect(await roundTrip([file], jsonl(3, size))).toEqual(records);
    }
  });

  it('an invalid JSON line fails reading with INPUT_INVALID naming the file, line, record and a snippet', async () => {
    const bad = '{"id": 3, oops this is not json' + 'x'.repeat(200);
    const content = ['{"id":1}', '', '{"id":2}', bad, '{"id":4}'].join('\n') + '\n';
    const file = await tmp.file('bad.jsonl', content);
    const { batches } = await partitionAll([file], jsonl(2));
    expect(batches).toHaveLength(2); // partitioning does not parse JSON
    const second = batches[1];
    if (second === undefined) throw new Error('no second batch');
    const err = await readAll([second], jsonl(2)).catch((e: unknown) => e);
    expect(isDjcError(err, 'INPUT_INVALID')).toBe(true);
    const message = (err as Error).message;
    expect(message).toContain(`${file}:4:`);
    expect(message).toContain('invalid JSON');
    expect(message).toContain('batch 1, record 0 counting from 0');
    expect(message).toContain(`byte offset ${content.indexOf(bad)}`);
    expect(message).toContain('oops this is not json');
    expect(message).not.toContain('x'.repeat(100)); // a snippet, not the whole line
  });

  it('yields the valid records before the bad one, then throws', async () => {
    const file = await tmp.file('bad2.jsonl', '1\n2\n{\n4\n');
    const { batches } = await partitionAll([file], jsonl(10));
    const got: unknown[] = [];
    const err = await (async () => {
      for await (const r of readBatchRecords(batches[0] as never, jsonl(10))) got.push(r);
    })().catch((e: unknown) => e);
    expect(got).toEqual([1, 2]);
    expect((err as Error).message).toContain(`${file}:3:`);
  });
});

describe('text', () => {
  const TEXT = 'first\n\nthird has  spaces \r\n\r\n   \n🎉 emoji ünï\nlast line';

  it.each(BATCH_SIZES)('batches of %i: every line is a record, blank ones included', async (n) => {
    const file = await tmp.file('t.txt', TEXT);
    const expected = refText(TEXT);
    expect(expected).toEqual(['first', '', 'third has  spaces ', '', '   ', '🎉 emoji ünï', 'last line']);
    for (const size of BUFFER_SIZES) {
      expect(await roundTrip([file], text(n, size))).toEqual(expected);
    }
  });

  it('a final newline does not add an empty record, but an empty last line does', async () => {
    const a = await tmp.file('a.txt', 'x\ny\n');
    const b = await tmp.file('b.txt', 'x\ny\n\n');
    expect(await roundTrip([a], text(5))).toEqual(['x', 'y']);
    expect(await roundTrip([b], text(5))).toEqual(['x', 'y', '']);
    const { batches } = await partitionAll([b], text(2));
    expect(batches.map((x) => [x.start, x.end, x.records])).toEqual([[0, 4, 2], [4, 5, 1]]);
  });

  it('an empty file gives no batch; a lone newline is one empty record', async () => {
    const empty = await tmp.file('e.txt', '');
    const nl = await tmp.file('nl.txt', '\n');
    expect((await partitionAll([empty], text(5))).batches).toEqual([]);
    expect(await roundTrip([nl], text(5))).toEqual(['']);
  });

  it('strips CR only before LF', async () => {
    const file = await tmp.file('cr.txt', 'a\r\nb\rc\r\nd\r');
    expect(await roundTrip([file], text(2, 2))).toEqual(['a', 'b\rc', 'd\r']);
  });
});
