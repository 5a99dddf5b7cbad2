import { mkdir, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDjcError } from '../errors.js';
import type { BatchDescriptor } from '../model/batch.js';
import { batchBytes } from './batch-stream.js';
import { expandInputFiles } from './expand-paths.js';
import { MAX_FILE_LIST_BYTES } from './file-set.js';
import { readBatchRecords } from './read-batch.js';
import { CSV_DEFAULTS, partitionAll, tempDir, type TempDir } from './testing.js';
import type { PartitionOptions } from './types.js';

let tmp: TempDir;
let files: string[];
beforeAll(async () => {
  tmp = await tempDir();
  // A tree: sizes 1..7 bytes, in a directory with a subdirectory and a hidden file.
  await mkdir(path.join(tmp.dir, 'tree/sub'), { recursive: true });
  const names = ['tree/a.txt', 'tree/b.txt', 'tree/sub/c.txt', 'tree/sub/d.txt', 'tree/e.txt', 'tree/f.txt', 'tree/g.txt'];
  files = [];
  for (const [i, name] of names.entries()) files.push(await tmp.file(name, 'x'.repeat(i + 1)));
  await tmp.file('tree/.hidden', 'h');
});
afterAll(async () => {
  await tmp.remove();
});

const opts = (o: Partial<PartitionOptions>): PartitionOptions => ({ format: 'files', csv: CSV_DEFAULTS, batchRecords: 1000, ...o });

async function split(o: PartitionOptions) {
  const listed = await expandInputFiles([path.join(tmp.dir, 'tree')], { directories: true });
  return partitionAll(listed.map((f) => f.path), o);
}

async function paths(b: BatchDescriptor): Promise<string[]> {
  const out: string[] = [];
  for await (const p of readBatchRecords(b, opts({}))) out.push(p as string);
  return out;
}

describe('format: files', () => {
  it('a directory stands for every file under it, sorted, hidden ones left out', async () => {
    const listed = await expandInputFiles([path.join(tmp.dir, 'tree')], { directories: true });
    const sorted = [...files].sort();
    expect(listed.map((f) => f.path)).toEqual(sorted);
    const err = await expandInputFiles([path.join(tmp.dir, 'tree')]).catch((e: unknown) => e);
    expect(isDjcError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/is a directory/);
  });

  it('batch.files N: runs of N files that span directories; each file is a record with its stat', async () => {
    const { batches, files: events } = await split(opts({ batchFiles: 3 }));
    const sorted = [...files].sort();
    expect(batches.map((b) => b.files?.map((f) => f.path))).toEqual([sorted.slice(0, 3), sorted.slice(3, 6), sorted.slice(6)]);
    expect(batches.map((b) => [b.index, b.firstRecord, b.records])).toEqual([[0, 0, 3], [1, 3, 3], [2, 6, 1]]);
    const first = batches[0] as BatchDescriptor;
    const st = await stat(sorted[0] as string);
    expect(first.files?.[0]).toEqual({ path: sorted[0], size: st.size, mtimeMs: st.mtimeMs });
    expect(first.file).toBe(sorted[0]);
    expect(first.end).toBe(first.files?.reduce((n, f) => n + f.size, 0));
    expect(events.map((e) => [e.path, e.records])).toEqual(sorted.map((p) => [p, 1]));
  });

  it('batch.bytes B: files while their sizes add up to at most B, at least one each; batch.records N as files', async () => {
    const sizes = async (o: PartitionOptions) => (await split(o)).batches.map((b) => b.files?.map((f) => f.size));
    // Sorted: a(1) b(2) e(5) f(6) g(7) sub/c(3) sub/d(4).
    expect(await sizes(opts({ batchBytes: 8 }))).toEqual([[1, 2, 5], [6], [7], [3, 4]]);
    expect(await sizes(opts({ batchBytes: 1 }))).toEqual([[1], [2], [5], [6], [7], [3], [4]]);
    expect(await sizes(opts({ batchRecords: 4 }))).toEqual([[1, 2, 5, 6], [7, 3, 4]]);
  });

  it('module handlers get the paths; command handlers get them on stdin, one per line', async () => {
    const { batches } = await split(opts({ batchFiles: 4 }));
    const b = batches[1] as BatchDescriptor;
    const expected = (b.files ?? []).map((f) => f.path);
    expect(await paths(b)).toEqual(expected);
    const { chunks, tally } = batchBytes(b, opts({}));
    expect((await buffer(Readable.from(chunks))).toString()).toBe(expected.map((p) => `${p}\n`).join(''));
    expect(tally).toEqual({ records: expected.length, bad: 0 });
  });

  it('a file changed or removed after prepare fails the batch, naming it', async () => {
    const dir = path.join(tmp.dir, 'moving');
    await mkdir(dir);
    const a = await tmp.file('moving/a', 'aaa');
    const b = await tmp.file('moving/b', 'bbb');
    const { batches } = await partitionAll([a, b], opts({ batchFiles: 2 }));
    const batch = batches[0] as BatchDescriptor;
    await writeFile(b, 'BBB');
    await utimes(b, new Date(), new Date(Date.now() + 10_000));
    const err = await paths(batch).catch((e: unknown) => e);
    expect(isDjcError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(new RegExp(`^${b}: the input changed after the job was prepared`));
    const { rm } = await import('node:fs/promises');
    await rm(a);
    const gone = await buffer(Readable.from(batchBytes(batch, opts({})).chunks)).catch((e: unknown) => e);
    expect((gone as Error).message).toBe(`${a}: cannot read input: no such file`);
  });

  it('refuses a file name with a line break, and a batch whose file list would not fit a task', async () => {
    const odd = await tmp.file('odd\nname', 'x');
    const err = await partitionAll([odd], opts({})).catch((e: unknown) => e);
    expect(isDjcError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toContain('holds a line break');
    const long = path.join(tmp.dir, 'l'.repeat(200));
    await writeFile(long, '');
    const many = Array.from({ length: Math.ceil(MAX_FILE_LIST_BYTES / 200) + 10 }, () => long);
    const big = await partitionAll(many.map((p) => ({ path: p, stat: { size: 0, mtimeMs: 0 } })), opts({ batchRecords: 1e6 })).catch((e: unknown) => e);
    expect(isDjcError(big, 'CONFIG_INVALID'), String(big)).toBe(true);
    expect((big as { hint?: string }).hint).toMatch(/smaller input\.batch\.files/);
  });
});
