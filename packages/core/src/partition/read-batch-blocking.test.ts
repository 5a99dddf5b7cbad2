import { rm, utimes, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchDescriptor } from '../model/batch.js';
import { useBlockingLocalReads } from './blocking-local-source.js';
import { batchBytes } from './batch-stream.js';
import { readSmallBatchBlocking, smallBatchBytes } from './read-batch-blocking.js';
import { CSV_DEFAULTS, partitionAll, readAll, tempDir, type TempDir } from './testing.js';
import type { PartitionOptions } from './types.js';

let tmp: TempDir;
beforeEach(async () => {
  tmp = await tempDir();
  useBlockingLocalReads();
});
afterEach(async () => {
  useBlockingLocalReads(false);
  await tmp.remove();
});

/** Every batch of `content` read both ways: the one-read records (null where it declines) and readBatchRecords'. */
async function bothWays(name: string, content: string, opts: PartitionOptions) {
  const file = await tmp.file(name, content);
  const { batches } = await partitionAll([file], opts);
  const small = batches.map((b) => readSmallBatchBlocking(b, opts));
  const streamed = await Promise.all(batches.map((b) => readAll([b], opts)));
  return { file, batches, small, streamed };
}

describe('readSmallBatchBlocking', () => {
  it('reads jsonl, text and header-less CSV batches as readBatchRecords does (a byte order mark, CRLF, quoted newlines, no final newline)', async () => {
    const cases: Array<[string, string, PartitionOptions]> = [
      ['a.jsonl', '\uFEFF{"i":1}\r\n{"i":2}\n\n{"s":"é"}\n{"i":4}', { format: 'jsonl', batchRecords: 2 }],
      ['a.txt', 'one\ntwo\r\n\nfour', { format: 'text', batchRecords: 1 }],
      ['a.csv', '1,"a\nb"\n2,c\n3,"d,e"', { format: 'csv', csv: { ...CSV_DEFAULTS, header: false }, batchRecords: 2 }],
    ];
    for (const [name, content, opts] of cases) {
      const { small, streamed } = await bothWays(name, content, opts);
      expect(small, name).toEqual(streamed);
      expect(small.every((r) => r !== null), name).toBe(true);
    }
  });

  it('declines what readBatchRecords must report or handle: a bad record, a changed or missing file, a CSV header, blocking reads off', async () => {
    const opts: PartitionOptions = { format: 'jsonl', batchRecords: 1 };
    const badFile = await tmp.file('bad.jsonl', '{"i":1}\n{oops\n');
    const bad = (await partitionAll([badFile], opts)).batches;
    expect(bad.map((b) => readSmallBatchBlocking(b, opts))).toEqual([[{ i: 1 }], null]);
    await expect(readAll(bad, opts)).rejects.toThrow(/invalid JSON/);
    const { file, batches } = await bothWays('c.jsonl', '{"i":1}\n{"i":2}\n', opts);
    const first = batches[0] as BatchDescriptor;
    expect(readSmallBatchBlocking(first, opts)).toEqual([{ i: 1 }]);
    await writeFile(file, '{"i":1}\n{"i":22}\n');
    expect(readSmallBatchBlocking(first, opts)).toBeNull();
    expect(readSmallBatchBlocking({ ...first, file: `${file}.gone` }, opts)).toBeNull();
    const csv = await bothWays('h.csv', 'id\n1\n', { format: 'csv', csv: CSV_DEFAULTS, batchRecords: 1 });
    expect(csv.small).toEqual([null]);
    expect(csv.streamed).toEqual([[{ id: '1' }]]);
    useBlockingLocalReads(false);
    const off = await bothWays('d.jsonl', '{"i":1}\n', opts);
    expect(off.small).toEqual([null]);
  });
});

/** What batchBytes streams for a batch: its bytes and tally. */
async function streamedBytes(batch: BatchDescriptor, opts: PartitionOptions) {
  const { chunks, tally } = batchBytes(batch, opts);
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(c);
  return { bytes: Buffer.concat(parts), tally };
}

describe('smallBatchBytes', () => {
  it('gives the bytes and tally batchBytes streams, for jsonl, text and header-less CSV, with blocking reads off', async () => {
    useBlockingLocalReads(false);
    const cases: Array<[string, string, PartitionOptions]> = [
      ['b.jsonl', '\uFEFF{"i":1}\r\n{"i":2}\n\n{"s":"é"}\n{"i":4}', { format: 'jsonl', batchRecords: 2 }],
      ['b.txt', 'one\ntwo\r\n\nfour', { format: 'text', batchRecords: 1 }],
      ['b.csv', '1,"a\nb"\n2,c\n3,"d,e"', { format: 'csv', csv: { ...CSV_DEFAULTS, header: false }, batchRecords: 2 }],
    ];
    for (const [name, content, opts] of cases) {
      const file = await tmp.file(name, content);
      const { batches } = await partitionAll([file], opts);
      for (const b of batches) expect(smallBatchBytes(b, opts, 4096), name).toEqual(await streamedBytes(b, opts));
    }
  });

  it('declines what batchBytes must report or handle, and a batch over the size asked for', async () => {
    const opts: PartitionOptions = { format: 'jsonl', batchRecords: 1 };
    const file = await tmp.file('e.jsonl', '{"i":1}\n{oops\n{"s":"' + 'x'.repeat(100) + '"}\n');
    const [ok, bad, long] = (await partitionAll([file], opts)).batches as [BatchDescriptor, BatchDescriptor, BatchDescriptor];
    expect(smallBatchBytes(ok, opts, 4096)).toEqual({ bytes: Buffer.from('{"i":1}\n'), tally: { records: 1, bad: 0 } });
    expect(smallBatchBytes(bad, opts, 4096)).toBeNull();
    expect(smallBatchBytes(long, opts, 200)?.tally).toEqual({ records: 1, bad: 0 });
    expect(smallBatchBytes(long, opts, 100)).toBeNull();
    const text = await tmp.file('e.txt', '');
    await writeFile(text, Buffer.from([0x61, 0x0a, 0xff, 0x0a]));
    const textOpts: PartitionOptions = { format: 'text', batchRecords: 1 };
    const tb = (await partitionAll([text], textOpts)).batches;
    expect(tb.map((b) => smallBatchBytes(b, textOpts, 4096)?.bytes.toString() ?? null)).toEqual(['a\n', null]);
    await writeFile(file, '{"i":2}\n');
    expect(smallBatchBytes(ok, opts, 4096)).toBeNull();
    const csv = await tmp.file('h2.csv', 'id\n1\n');
    const csvOpts: PartitionOptions = { format: 'csv', csv: CSV_DEFAULTS, batchRecords: 1 };
    expect((await partitionAll([csv], csvOpts)).batches.map((b) => smallBatchBytes(b, csvOpts, 4096))).toEqual([null]);
  });

  it('reads the batches after one from what was read with it while the file is as prepare saw it, and declines them once it is not', async () => {
    const opts: PartitionOptions = { format: 'jsonl', batchRecords: 1 };
    const lines = Array.from({ length: 40 }, (_, i) => `{"i":${i}}\n`);
    const file = await tmp.file('f.jsonl', lines.join(''));
    const batches = (await partitionAll([file], opts)).batches;
    // In order, out of order, and again: each batch's own bytes.
    for (const i of [0, 1, 2, 39, 5, 4, 38, 0]) expect(smallBatchBytes(batches[i] as BatchDescriptor, opts, 4096)?.bytes.toString()).toBe(lines[i]);
    // Rewritten: another size, then the same size with another mtime, then gone.
    await writeFile(file, lines.join('') + '{"i":40}\n');
    expect(smallBatchBytes(batches[1] as BatchDescriptor, opts, 4096)).toBeNull();
    await writeFile(file, lines.join(''));
    const mtime = new Date(Date.parse('2020-01-01T00:00:00Z'));
    await utimes(file, mtime, mtime);
    expect(smallBatchBytes(batches[2] as BatchDescriptor, opts, 4096)).toBeNull();
    expect(smallBatchBytes(batches[3] as BatchDescriptor, opts, 4096)).toBeNull();
    await rm(file);
    expect(smallBatchBytes(batches[0] as BatchDescriptor, opts, 4096)).toBeNull();
  });
});
