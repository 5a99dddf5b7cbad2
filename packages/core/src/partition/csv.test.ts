import { readFile, stat } from 'node:fs/promises';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDjcError, type DjcError } from '../errors.js';
import { openBatchStream } from './batch-stream.js';
import {
  CSV_DEFAULTS, partitionAll, readAll, refCsv, refCsvRows, roundTrip, tempDir, type TempDir,
} from './testing.js';
import type { CsvOptions, PartitionOptions } from './types.js';

let tmp: TempDir;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.remove();
});

const csv = (batchRecords: number, readBufferSize?: number, csvOpts: Partial<CsvOptions> = {}): PartitionOptions => ({
  format: 'csv',
  csv: { ...CSV_DEFAULTS, ...csvOpts },
  batchRecords,
  ...(readBufferSize ? { readBufferSize } : {}),
});

// Quoted fields holding delimiters, doubled quotes, LF and CRLF; blank lines;
// an empty quoted field; multi-byte characters; CRLF record endings.
const TRICKY = [
  'id,name,note',
  '1,plain,"comma, inside"',
  '2,"quote ""inside""","line one\nline two"',
  '',
  '3,"crlf\r\ninside","ends with quote"""',
  '   ',
  '4,ünïcödé 🎉,""',
  '5,"""","a,""b"",\nc"',
  '6,last,"no final newline, 日本"',
].join('\r\n');

describe('csv', () => {
  it.each([1, 2, 5, 1000])('batches of %i: header objects read back equal a whole-file parse, for every read buffer size', async (n) => {
    const file = await tmp.file('t.csv', TRICKY);
    const expected = refCsv(TRICKY, CSV_DEFAULTS);
    expect(expected).toHaveLength(6);
    expect(expected[1]).toEqual({ id: '2', name: 'quote "inside"', note: 'line one\nline two' });
    for (const size of [1, 2, 3, 7, 64, undefined]) {
      expect(await roundTrip([file], csv(n, size))).toEqual(expected);
    }
  });

  it('without a header, records are arrays of fields and the first line is data', async () => {
    const file = await tmp.file('t.csv', TRICKY);
    const expected = refCsvRows(TRICKY, CSV_DEFAULTS);
    expect(expected[0]).toEqual(['id', 'name', 'note']);
    expect(await roundTrip([file], csv(3, 4, { header: false }))).toEqual(expected);
  });

  it('a quoted newline at every read-buffer boundary is never a record boundary', async () => {
    const content = 'a,b\n"x\ny",1\n"\r\n",2\n"p""\nq",3\n';
    const file = await tmp.file('q.csv', content);
    const expected = [{ a: 'x\ny', b: '1' }, { a: '\r\n', b: '2' }, { a: 'p"\nq', b: '3' }];
    // Every size from 1 up to the file length puts a chunk edge at every byte.
    for (let size = 1; size <= content.length; size++) {
      const { batches, files } = await partitionAll([file], csv(1, size));
      expect(files[0]?.records).toBe(3);
      expect(batches.map((b) => b.records)).toEqual([1, 1, 1]);
      expect(await readAll(batches, csv(1, size))).toEqual(expected);
    }
  });

  it('every batch carries the header: its stream is the header bytes, then its range', async () => {
    const content = 'h1,h2\r\n"a\nb",1\r\nc,2\r\nd,3\r\n';
    const file = await tmp.file('h.csv', content);
    const { batches } = await partitionAll([file], csv(2));
    const headerEnd = 'h1,h2\r\n'.length;
    const source = { size: content.length, mtimeMs: (await stat(file)).mtimeMs };
    expect(batches).toEqual([
      { index: 0, file, start: headerEnd, end: content.indexOf('d,3'), firstRecord: 0, records: 2, headerEnd, source },
      { index: 1, file, start: content.indexOf('d,3'), end: content.length, firstRecord: 2, records: 1, headerEnd, source },
    ]);
    const bytes = await readFile(file);
    for (const b of batches) {
      const streamed = await buffer(openBatchStream(b, csv(2)));
      expect(streamed).toEqual(Buffer.concat([bytes.subarray(0, headerEnd), bytes.subarray(b.start, b.end)]));
    }
  });

  it('a header-only or empty file has no records', async () => {
    for (const content of ['', 'a,b\n', 'a,b', '\n\na,b\r\n\n']) {
      const file = await tmp.file('h.csv', content);
      const { batches, files } = await partitionAll([file], csv(2));
      expect(batches).toEqual([]);
      expect(files[0]?.records).toBe(0);
    }
  });

  it('blank lines before the header belong to the header bytes', async () => {
    const content = '\n \r\nk,v\n\n1,2\n';
    const file = await tmp.file('b.csv', content);
    const { batches } = await partitionAll([file], csv(5));
    expect(batches).toMatchObject([{ headerEnd: 8, start: 9, end: content.length, records: 1 }]);
    expect(await readAll(batches, csv(5))).toEqual([{ k: '1', v: '2' }]);
  });

  it('a row whose field count differs from the header fails with INPUT_INVALID naming file, record and counts', async () => {
    const content = 'a,b,c\n1,2,3\n4,"5,5"\n6,7,8\n';
    const file = await tmp.file('w.csv', content);
    const { batches } = await partitionAll([file], csv(10));
    const err = await readAll(batches, csv(10)).catch((e: unknown) => e);
    expect(isDjcError(err, 'INPUT_INVALID')).toBe(true);
    const message = (err as Error).message;
    expect(message).toContain(`${file}:3:`);
    expect(message).toContain('batch 0, record 1 counting from 0');
    expect(message).toMatch(/expected 3 fields .*found 2/);
  });

  it('an unterminated quote fails partitioning with INPUT_INVALID naming the file and offset', async () => {
    const file = await tmp.file('u.csv', 'a,b\n1,"open\n2,3\n');
    const err = await partitionAll([file], csv(10)).catch((e: unknown) => e);
    expect(isDjcError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toContain('byte offset 6');
  });

  it('a quote inside an unquoted field, or text after a closing quote, is INPUT_INVALID when read', async () => {
    for (const row of ['1,ab"c"d', '1,"ab"c']) {
      const file = await tmp.file('q.csv', `a,b\n${row}\n`);
      const { batches } = await partitionAll([file], csv(10));
      const err = await readAll(batches, csv(10)).catch((e: unknown) => e);
      expect(isDjcError(err, 'INPUT_INVALID')).toBe(true);
      expect((err as Error).message).toContain(`${file}:2:`);
    }
  });

  it('a stray quote says that input.csv.relax_quotes exists, whether the row fails to parse or leaves a quote open', async () => {
    const file = await tmp.file('s.csv', 'a,b\n1,5"10" wide\n');
    const { batches } = await partitionAll([file], csv(10));
    const err = await readAll(batches, csv(10)).catch((e: unknown) => e);
    expect((err as Error).message).toContain('quote inside unquoted field 2');
    expect((err as Error).message).toContain('set input.csv.relax_quotes: true');
    const open = await tmp.file('o.csv', 'a,b\n1,5"10\n2,3\n');
    const e2 = await partitionAll([open], csv(10)).catch((e: unknown) => e);
    expect(isDjcError(e2, 'INPUT_INVALID')).toBe(true);
    expect((e2 as DjcError).message).toContain('unterminated quoted field: the quote at byte offset 7');
    expect((e2 as DjcError).hint).toContain('set input.csv.relax_quotes: true');
  });

  describe('relax_quotes', () => {
    // What Python's csv module and csv-parse (relax_quotes) read: a quote inside an unquoted field is data.
    const RELAXED = [
      'id,size,note',
      '1,5"10,"a, b"',
      '2,x"y"z,"say ""hi"""',
      '3,"q",plain"',
      '4,"multi\nline",ok',
      '5,,"""x"""',
      '6,"a""b",c"d',
    ].join('\n') + '\n';
    const EXPECTED = [
      { id: '1', size: '5"10', note: 'a, b' },
      { id: '2', size: 'x"y"z', note: 'say "hi"' },
      { id: '3', size: 'q', note: 'plain"' },
      { id: '4', size: 'multi\nline', note: 'ok' },
      { id: '5', size: '', note: '"x"' },
      { id: '6', size: 'a"b', note: 'c"d' },
    ];

    it('reads quotes inside unquoted fields as data, with a chunk edge at every byte, in both readers', async () => {
      const file = await tmp.file('r.csv', RELAXED);
      for (let size = 1; size <= 12; size++) {
        const opts = csv(2, size, { relaxQuotes: true });
        const { batches, files } = await partitionAll([file], opts);
        expect(files[0]?.records).toBe(6);
        expect(batches.map((b) => b.records)).toEqual([2, 2, 2]);
        expect(await readAll(batches, opts)).toEqual(EXPECTED);
        for (const b of batches) {
          expect((await buffer(openBatchStream(b, opts))).toString()).toBe(`id,size,note\n${RELAXED.slice(b.start, b.end)}`);
        }
      }
    });

    it('splits by bytes at the same record boundaries', async () => {
      const file = await tmp.file('rb.csv', RELAXED);
      for (const bytes of [1, 7, 20, 1000]) {
        const opts = { ...csv(1, 5, { relaxQuotes: true }), batchBytes: bytes };
        const { batches } = await partitionAll([file], opts);
        expect(await readAll(batches, opts)).toEqual(EXPECTED);
      }
    });

    it('a non-ASCII delimiter before a quote is found across chunk edges', async () => {
      const content = 'a§b§c\n1§"x§y"§5"\n2§q"§"z"\n';
      const file = await tmp.file('nr.csv', content);
      for (let size = 1; size <= 8; size++) {
        const opts = csv(1, size, { delimiter: '§', relaxQuotes: true });
        expect(await roundTrip([file], opts)).toEqual([{ a: '1', b: 'x§y', c: '5"' }, { a: '2', b: 'q"', c: 'z' }]);
      }
    });

    it('text after a closing quote is still a bad record', async () => {
      const file = await tmp.file('rq.csv', 'a,b\n1,"ab"c\n');
      const opts = csv(10, undefined, { relaxQuotes: true });
      const { batches } = await partitionAll([file], opts);
      const err = await readAll(batches, opts).catch((e: unknown) => e);
      expect((err as Error).message).toContain('unexpected "c" after the closing quote of field 2');
    });
  });

  it('a duplicate column name is INPUT_INVALID', async () => {
    const file = await tmp.file('d.csv', 'a,b,a\n1,2,3\n');
    const { batches } = await partitionAll([file], csv(10));
    const err = await readAll(batches, csv(10)).catch((e: unknown) => e);
    expect(isDjcError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toContain('duplicate column name "a"');
    expect((err as Error).message).toContain(`${file}:1: `);
    expect((err as Error).message).toContain('CSV header');
  });

  it('honours another delimiter and quote; a tab delimiter makes tab-only lines records', async () => {
    const content = "x\ty\n'a\tb'\t'it''s'\n\t\n";
    const file = await tmp.file('t.tsv', content);
    const opts = csv(1, 3, { delimiter: '\t', quote: "'" });
    expect(await roundTrip([file], opts)).toEqual([{ x: 'a\tb', y: "it's" }, { x: '', y: '' }]);
    expect(refCsv(content, opts.csv)).toEqual([{ x: 'a\tb', y: "it's" }, { x: '', y: '' }]);
  });

  it('a non-ASCII delimiter works; a column named __proto__ stays a plain field', async () => {
    const file = await tmp.file('p.csv', '__proto__§b\n1§"x§y"\n');
    const [row] = await roundTrip([file], csv(10, 2, { delimiter: '§' }));
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.entries(row as object)).toEqual([['__proto__', '1'], ['b', 'x§y']]);
  });

  it('rejects a non-ASCII quote with CONFIG_INVALID', async () => {
    const file = await tmp.file('x.csv', 'a\n1\n');
    const err = await partitionAll([file], csv(1, undefined, { quote: '«' })).catch((e: unknown) => e);
    expect(isDjcError(err, 'CONFIG_INVALID')).toBe(true);
  });

  it('the header keeps multi-byte names and drops a byte order mark', async () => {
    const file = await tmp.file('m.csv', '\uFEFFnäme,🎉\nä,b\n');
    for (let size = 1; size < 8; size++) {
      expect(await roundTrip([file], csv(1, size))).toEqual([{ 'näme': 'ä', '🎉': 'b' }]);
    }
  });
});
