import { readFileSync } from 'node:fs';
import { buffer } from 'node:stream/consumers';
import { parquetMetadata, type FileMetaData } from 'hyparquet';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDjcError } from '../errors.js';
import type { BatchDescriptor, InputFileInfo } from '../model/batch.js';
import { CAN_WRITE_ZSTD, corruptRowGroup, writeSampleParquet, type TestCodec } from '../testing/parquet-fixtures.js';
import { openBatchStream } from './batch-stream.js';
import { partitionInput } from './partition-input.js';
import { rowGroupRange } from './parquet-file.js';
import { readBatchRecords } from './read-batch.js';
import { CSV_DEFAULTS, tempDir, type TempDir } from './testing.js';
import type { PartitionOptions, ReadOptions } from './types.js';

const READ: ReadOptions = { format: 'parquet', csv: CSV_DEFAULTS };
const byRowGroups = (n: number): PartitionOptions => ({ ...READ, batchRecords: 1000, batchRowGroups: n });

let tmp: TempDir;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.remove();
});

async function partition(files: string[], opts: PartitionOptions): Promise<{ batches: BatchDescriptor[]; files: InputFileInfo[] }> {
  const out = { batches: [] as BatchDescriptor[], files: [] as InputFileInfo[] };
  for await (const ev of partitionInput(files, opts)) {
    if (ev.type === 'batch') out.batches.push(ev.batch);
    else out.files.push(ev.file);
  }
  return out;
}

async function records(batch: BatchDescriptor): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const r of readBatchRecords(batch, READ)) out.push(r);
  return out;
}

async function jsonLines(batch: BatchDescriptor): Promise<string> {
  return (await buffer(openBatchStream(batch, READ))).toString('utf8');
}

function footer(file: string): FileMetaData {
  return parquetMetadata(readFileSync(file));
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(() => null, (err: unknown) => err);
  if (!(e instanceof Error)) throw new Error('expected a failure');
  return e;
}

const CODECS: TestCodec[] = ['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'BROTLI', 'ZSTD'];

describe('parquet: partition and read back', () => {
  for (const codec of CODECS) {
    it(`reads every row back exactly (${codec}, nulls, nested columns)`, async () => {
      // Never skipped: scripts/test.sh installs the zstd tool where Node cannot write zstd (Node < 22.15).
      if (codec === 'ZSTD' && !CAN_WRITE_ZSTD) throw new Error('cannot write a zstd test file: install the zstd tool (apt-get install zstd) or use Node >= 22.15');
      const file = `${tmp.dir}/rows-${codec}.parquet`;
      const expected = writeSampleParquet(file, { rows: 23, rowGroupSize: 5, codec });
      const meta = footer(file);
      expect(meta.row_groups).toHaveLength(5);
      expect(new Set(meta.row_groups.flatMap((rg) => rg.columns.map((c) => c.meta_data?.codec)))).toEqual(new Set([codec]));

      const { batches, files } = await partition([file], byRowGroups(2));
      expect(batches.map((b) => [b.rowGroups, b.records, b.firstRecord])).toEqual([
        [{ first: 0, count: 2 }, 10, 0],
        [{ first: 2, count: 2 }, 10, 10],
        [{ first: 4, count: 1 }, 3, 20],
      ]);
      expect(files).toEqual([{ path: file, size: readFileSync(file).length, mtimeMs: expect.any(Number), records: 23 }]);
      // Byte ranges: the row groups' column chunks, in order, inside the file before its footer.
      expect(batches[0]?.start).toBe(4);
      for (const [i, b] of batches.entries()) {
        expect(b.end).toBeGreaterThan(b.start);
        if (i > 0) expect(b.start).toBe(batches[i - 1]?.end);
      }
      expect(batches.at(-1)?.end).toBe(rowGroupRange(meta.row_groups[4] as never)[1]);

      const got: unknown[] = [];
      for (const b of batches) got.push(...(await records(b)));
      expect(got).toEqual(expected);

      let text = '';
      for (const b of batches) text += await jsonLines(b);
      expect(text.endsWith('\n')).toBe(true);
      expect(text.slice(0, -1).split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(expected);
    });
  }

  it('runs batch index and firstRecord on across files; batches never span files', async () => {
    const a = `${tmp.dir}/a.parquet`;
    const b = `${tmp.dir}/b.parquet`;
    const ea = writeSampleParquet(a, { rows: 7, rowGroupSize: 3 });
    const eb = writeSampleParquet(b, { rows: 4, rowGroupSize: 3, from: 100 });
    const { batches, files } = await partition([a, b], byRowGroups(2));
    expect(batches.map((x) => [x.index, x.file, x.rowGroups, x.records, x.firstRecord])).toEqual([
      [0, a, { first: 0, count: 2 }, 6, 0],
      [1, a, { first: 2, count: 1 }, 1, 6],
      [2, b, { first: 0, count: 2 }, 4, 7],
    ]);
    expect(files.map((f) => [f.path, f.records])).toEqual([[a, 7], [b, 4]]);
    const got: unknown[] = [];
    for (const x of batches) got.push(...(await records(x)));
    expect(got).toEqual([...ea, ...eb]);
  });

  it('by records: whole row groups until the batch holds at least that many rows', async () => {
    const file = `${tmp.dir}/r.parquet`;
    const expected = writeSampleParquet(file, { rows: 23, rowGroupSize: 5 });
    const { batches } = await partition([file], { ...READ, batchRecords: 7 });
    expect(batches.map((b) => [b.rowGroups, b.records])).toEqual([
      [{ first: 0, count: 2 }, 10],
      [{ first: 2, count: 2 }, 10],
      [{ first: 4, count: 1 }, 3],
    ]);
    const one = await partition([file], { ...READ, batchRecords: 5 });
    expect(one.batches.map((b) => b.records)).toEqual([5, 5, 5, 5, 3]);
    const got: unknown[] = [];
    for (const b of one.batches) got.push(...(await records(b)));
    expect(got).toEqual(expected);
  });

  it('by bytes: whole row groups up to the target, at least one per batch', async () => {
    const file = `${tmp.dir}/b.parquet`;
    const expected = writeSampleParquet(file, { rows: 40, rowGroupSize: [3, 9, 5, 12, 2, 9] });
    const sizes = footer(file).row_groups.map((rg) => {
      const [s, e] = rowGroupRange(rg);
      return e - s;
    });
    expect(sizes).toHaveLength(6);

    const tiny = await partition([file], { ...READ, batchRecords: 1000, batchBytes: 1 });
    expect(tiny.batches.map((b) => b.rowGroups?.count)).toEqual([1, 1, 1, 1, 1, 1]);
    const huge = await partition([file], { ...READ, batchRecords: 1000, batchBytes: 1 << 30 });
    expect(huge.batches.map((b) => [b.rowGroups, b.records])).toEqual([[{ first: 0, count: 6 }, 40]]);

    const target = (sizes[0] as number) + (sizes[1] as number) + 1;
    const mid = await partition([file], { ...READ, batchRecords: 1000, batchBytes: target });
    expect(mid.batches.length).toBeGreaterThan(1);
    let next = 0;
    const got: unknown[] = [];
    for (const b of mid.batches) {
      const { first, count } = b.rowGroups as { first: number; count: number };
      expect(first).toBe(next);
      next = first + count;
      const bytes = sizes.slice(first, next).reduce((n, s) => n + s, 0);
      if (count > 1) expect(bytes).toBeLessThanOrEqual(target);
      // Greedy: the next row group did not fit.
      if (next < sizes.length) expect(bytes + (sizes[next] as number)).toBeGreaterThan(target);
      expect(b.end - b.start).toBe(bytes);
      got.push(...(await records(b)));
    }
    expect(next).toBe(6);
    expect(mid.batches.reduce((n, b) => n + (b.records ?? 0), 0)).toBe(40);
    expect(got).toEqual(expected);
  });

  it('yields no batch for a file without rows, only its file event', async () => {
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const file = await tmp.file('empty.parquet', Buffer.from(parquetWriteBuffer({
      columnData: [{ name: 'a', data: [] }],
      schema: [{ name: 'root', num_children: 1 }, { name: 'a', type: 'INT32', repetition_type: 'OPTIONAL' }],
    })));
    const { batches, files } = await partition([file], byRowGroups(1));
    expect(batches).toEqual([]);
    expect(files.map((f) => f.records)).toEqual([0]);
  });
});

describe('parquet: bad input', () => {
  it('a file that is not Parquet is INPUT_INVALID naming the file', async () => {
    const jsonl = await tmp.file('really.jsonl', '{"a":1}\n{"a":2}\n{"a":3}\n');
    const short = await tmp.file('short.parquet', 'PAR1');
    for (const [file, why] of [[jsonl, 'no PAR1 footer'], [short, '4 bytes, too short']] as const) {
      const e = await failure(partition([file], byRowGroups(1)));
      expect(isDjcError(e, 'INPUT_INVALID')).toBe(true);
      expect(e.message).toBe(`${file}: not a Parquet file (${why})`);
    }
  });

  it('an undecodable row group fails its batch with the file, the row group and the cause; the others read', async () => {
    const file = `${tmp.dir}/corrupt.parquet`;
    const expected = writeSampleParquet(file, { rows: 30, rowGroupSize: 10 });
    corruptRowGroup(file, 1, 2); // the "name" column's data page in row group 1
    const { batches } = await partition([file], byRowGroups(1));
    expect(batches).toHaveLength(3);
    const [b0, b1, b2] = batches as [BatchDescriptor, BatchDescriptor, BatchDescriptor];
    expect(await records(b0)).toEqual(expected.slice(0, 10));
    expect(await records(b2)).toEqual(expected.slice(20));
    const prefix = `${file}: Parquet row group 1 cannot be decoded (rows 10-19 of the file, batch 1): `;
    const e = await failure(records(b1));
    expect(isDjcError(e, 'INPUT_INVALID')).toBe(true);
    expect(e.message.startsWith(prefix)).toBe(true);
    expect(e.message.length).toBeGreaterThan(prefix.length);
    const s = await failure(jsonLines(b1));
    expect(isDjcError(s, 'INPUT_INVALID')).toBe(true);
    expect(s.message).toBe(e.message);
  });

  it('a file rewritten with other row groups after prepare is INPUT_INVALID (changed)', async () => {
    const file = `${tmp.dir}/moving.parquet`;
    writeSampleParquet(file, { rows: 20, rowGroupSize: 5 });
    const { batches } = await partition([file], byRowGroups(1));
    writeSampleParquet(file, { rows: 20, rowGroupSize: 4 });
    const e = await failure(records(batches[1] as BatchDescriptor));
    expect(isDjcError(e, 'INPUT_INVALID')).toBe(true);
    expect(e.message).toMatch(/the input changed after the job was prepared/);
    // A batch without the file's stat (prepared by an older djc) is still checked against the footer.
    const old = await failure(records({ ...(batches[1] as BatchDescriptor), source: undefined }));
    expect(old.message).toMatch(/the file changed while djc was reading it \(row groups 1-1 are not those of batch 1\)/);
  });

  it('a batch without row groups cannot be read as parquet', async () => {
    const file = `${tmp.dir}/x.parquet`;
    writeSampleParquet(file, { rows: 3, rowGroupSize: 3 });
    const e = await failure(records({ index: 0, file, start: 4, end: 10, firstRecord: 0, records: 3 }));
    expect(e.message).toBe(`${file}: batch 0 names no Parquet row groups`);
  });

  it('rejects batch.row_groups for a line format', async () => {
    const file = await tmp.file('a.jsonl', '{}\n');
    const e = await failure(partition([file], { format: 'jsonl', csv: CSV_DEFAULTS, batchRecords: 1, batchRowGroups: 2 }));
    expect(e.message).toBe('input.batch.row_groups: splits parquet input only (input.format is jsonl)');
  });
});
