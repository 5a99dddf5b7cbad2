import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDjcError } from '../errors.js';
import type { BatchDescriptor } from '../model/batch.js';
import { useBlockingLocalReads } from './blocking-local-source.js';
import { batchBytes, SMALL_BATCH_BYTES } from './batch-stream.js';
import { CSV_DEFAULTS, partitionAll, readAll, tempDir, type TempDir } from './testing.js';
import type { PartitionOptions } from './types.js';

let tmp: TempDir;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  useBlockingLocalReads(false);
  await tmp.remove();
});

const OPTS: PartitionOptions = { format: 'csv', csv: CSV_DEFAULTS, batchRecords: 3 };
const CSV = 'id,name\n1,"a\nb"\n2,c\n3,d\n4,e\n5,"f,g"\n6,h\n7,i\n';

async function bytesOf(batch: BatchDescriptor): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of batchBytes(batch, OPTS).chunks) parts.push(c);
  return Buffer.concat(parts).toString();
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => null, (e: unknown) => e);
}

describe('useBlockingLocalReads', () => {
  it('reads the same records and bytes as reads through the thread pool', async () => {
    const file = await tmp.file('in.csv', CSV);
    const { batches } = await partitionAll([file], OPTS);
    const pooled = await readAll(batches, OPTS);
    const pooledBytes = await Promise.all(batches.map(bytesOf));
    useBlockingLocalReads();
    expect(await readAll(batches, OPTS)).toEqual(pooled);
    expect(await Promise.all(batches.map(bytesOf))).toEqual(pooledBytes);
    expect(pooledBytes[0]).toBe('id,name\n1,"a\nb"\n2,c\n3,d\n');
    expect(pooled).toHaveLength(7);
  });

  it('fails the same way: a missing file, a directory, a file changed after prepare', async () => {
    const file = await tmp.file('in.csv', CSV);
    const { batches } = await partitionAll([file], OPTS);
    useBlockingLocalReads();
    const missing = await errorOf(readAll([{ ...(batches[0] as BatchDescriptor), file: `${file}.gone` }], OPTS));
    expect(isDjcError(missing, 'INPUT_INVALID') && missing.message).toBe(`${file}.gone: cannot open input: no such file`);
    const dir = await errorOf(readAll([{ ...(batches[0] as BatchDescriptor), file: tmp.dir }], OPTS));
    expect(isDjcError(dir, 'INPUT_INVALID') && dir.message).toBe(`${tmp.dir}: is a directory, not a regular file`);
    // A FIFO with no writer: refused at once, where a blocking open would wait for a writer for good.
    execFileSync('mkfifo', [`${tmp.dir}/pipe`]);
    for (const blocking of [true, false]) {
      useBlockingLocalReads(blocking);
      const fifo = await errorOf(readAll([{ ...(batches[0] as BatchDescriptor), file: `${tmp.dir}/pipe` }], OPTS));
      expect(isDjcError(fifo, 'INPUT_INVALID') && fifo.message).toBe(`${tmp.dir}/pipe: is a FIFO (named pipe), not a regular file`);
    }
    useBlockingLocalReads();
    await writeFile(file, `${CSV}8,j\n`);
    const changed = await errorOf(readAll(batches, OPTS));
    expect(isDjcError(changed, 'INPUT_INVALID') && changed.message).toMatch(/the input changed after the job was prepared/);
  });
});

describe('batchBytes with blockingSmall', () => {
  /** The batch's bytes, and whether the event loop turned while they were read (it does for every thread-pool operation). */
  async function firstChunk(batch: BatchDescriptor, blockingSmall: boolean): Promise<{ text: string; loopTurned: boolean }> {
    const { chunks } = batchBytes(batch, OPTS, undefined, { blockingSmall });
    let loopTurned = false;
    setImmediate(() => (loopTurned = true));
    const parts: Buffer[] = [];
    for await (const c of chunks) parts.push(c);
    return { text: Buffer.concat(parts).toString(), loopTurned };
  }

  it('reads a small local batch with blocking calls, a larger one (or without the option) through the thread pool, the same bytes', async () => {
    const file = await tmp.file('in.csv', CSV);
    const { batches } = await partitionAll([file], OPTS);
    const small = batches[0] as BatchDescriptor;
    expect(await firstChunk(small, true)).toEqual({ text: 'id,name\n1,"a\nb"\n2,c\n3,d\n', loopTurned: false });
    expect(await firstChunk(small, false)).toEqual({ text: 'id,name\n1,"a\nb"\n2,c\n3,d\n', loopTurned: true });
    const rows = Array.from({ length: 20_000 }, (_, i) => `${i},x\n`).join('');
    const big = await tmp.file('big.csv', `id,name\n${rows}`);
    const { batches: bigBatches } = await partitionAll([big], { ...OPTS, batchRecords: 20_000 });
    const whole = bigBatches[0] as BatchDescriptor;
    expect(whole.end - whole.start).toBeGreaterThan(SMALL_BATCH_BYTES);
    expect((await firstChunk(whole, true)).loopTurned).toBe(true);
  });
});
