import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDjcError } from '../errors.js';
import type { BatchDescriptor } from '../model/batch.js';
import type { DeadLetter } from './bad-record.js';
import { batchBytes } from './batch-stream.js';
import { readBatchRecords } from './read-batch.js';
import { CSV_DEFAULTS, partitionAll, prng, tempDir, type TempDir } from './testing.js';
import type { PartitionOptions } from './types.js';

let tmp: TempDir;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.remove();
});

const opts = (o: Partial<PartitionOptions>): PartitionOptions => ({ format: 'binary', csv: CSV_DEFAULTS, batchRecords: 1, ...o });

async function records(b: BatchDescriptor, o: PartitionOptions, sink?: (d: DeadLetter) => void): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const r of readBatchRecords(b, o, sink)) out.push(r as Buffer);
  return out;
}

describe('binary: fixed-size byte ranges', () => {
  it('cuts each file into ranges of batch.bytes from its size alone; a batch is one record', async () => {
    const a = await tmp.file('a.bin', randomBytes(25));
    const b = await tmp.file('b.bin', randomBytes(10));
    const e = await tmp.file('e.bin', Buffer.alloc(0));
    const o = opts({ batchBytes: 10 });
    const { batches, files } = await partitionAll([a, e, b], o);
    const src = async (f: string) => ({ size: (await stat(f)).size, mtimeMs: (await stat(f)).mtimeMs });
    expect(batches).toEqual([
      { index: 0, file: a, start: 0, end: 10, firstRecord: 0, records: 1, source: await src(a) },
      { index: 1, file: a, start: 10, end: 20, firstRecord: 1, records: 1, source: await src(a) },
      { index: 2, file: a, start: 20, end: 25, firstRecord: 2, records: 1, source: await src(a) },
      { index: 3, file: b, start: 0, end: 10, firstRecord: 3, records: 1, source: await src(b) },
    ]);
    expect(files.map((f) => [f.path, f.size, f.records])).toEqual([[a, 25, 3], [e, 0, 0], [b, 10, 1]]);
  });

  it('with record_size, batches hold whole records (batch.bytes rounded down, at least one record; or batch.records × size)', async () => {
    const file = await tmp.file('r.bin', randomBytes(100));
    const ranges = async (o: PartitionOptions) => (await partitionAll([file], o)).batches.map((b) => [b.start, b.end, b.records]);
    expect(await ranges(opts({ batchBytes: 35, binary: { recordSize: 16 } }))).toEqual([[0, 32, 2], [32, 64, 2], [64, 96, 2], [96, 100, 1]]);
    expect(await ranges(opts({ batchBytes: 5, binary: { recordSize: 16 } }))).toHaveLength(7);
    expect(await ranges(opts({ batchRecords: 3, binary: { recordSize: 25 } }))).toEqual([[0, 75, 3], [75, 100, 1]]);
  });

  it('without record_size or batch.bytes is a config error naming the fix', async () => {
    const file = await tmp.file('x.bin', randomBytes(4));
    const err = await partitionAll([file], opts({})).catch((e: unknown) => e);
    expect(isDjcError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as { hint?: string }).hint).toMatch(/input\.batch\.bytes/);
  });

  it('a partial last record: fail names the file, offset and size; skip and dead_letter leave it out (its bytes in base64)', async () => {
    const bytes = randomBytes(40);
    const file = await tmp.file('p.bin', bytes);
    const o = opts({ batchRecords: 2, binary: { recordSize: 16 } });
    const { batches } = await partitionAll([file], o);
    const last = batches[1] as BatchDescriptor;
    expect([last.start, last.end, last.records]).toEqual([32, 40, 1]);
    const err = await records(last, o).catch((e: unknown) => e);
    expect(isDjcError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toBe(`${file}: incomplete record: 8 of 16 bytes (input.binary.record_size) at the end of the file (batch 1, record 0 counting from 0, byte offset 32)`);
    const streamErr = await buffer(Readable.from(batchBytes(last, o).chunks)).catch((e: unknown) => e);
    expect((streamErr as Error).message).toBe((err as Error).message);
    for (const onBadRecord of ['skip', 'dead_letter'] as const) {
      const letters: DeadLetter[] = [];
      expect(await records(last, { ...o, onBadRecord }, (d) => letters.push(d))).toEqual([]);
      expect(letters).toEqual([{ file, offset: 32, batch: 1, record: 0, problem: expect.stringMatching(/^incomplete record/), base64: bytes.subarray(32).toString('base64') }]);
      const { chunks, tally } = batchBytes(batches[0] as BatchDescriptor, { ...o, onBadRecord }, () => undefined);
      expect((await buffer(Readable.from(chunks))).equals(bytes.subarray(0, 32))).toBe(true);
      expect(tally).toEqual({ records: 2, bad: 0 });
      const tail = batchBytes(last, { ...o, onBadRecord }, () => undefined);
      expect(await buffer(Readable.from(tail.chunks))).toHaveLength(0);
      expect(tail.tally).toEqual({ records: 0, bad: 1 });
    }
  });

  it('round trip (seeded): records and streams concatenate to the file, for random sizes and read buffers', async () => {
    for (let seed = 0; seed < 80; seed++) {
      const r = prng(7000 + seed);
      const size = Math.floor(r() * 300);
      const bytes = randomBytes(size);
      const file = await tmp.file(`rt-${seed}.bin`, bytes);
      const recordSize = r() < 0.3 ? undefined : 1 + Math.floor(r() * 40);
      const o = opts({
        batchBytes: 1 + Math.floor(r() * 120),
        readBufferSize: [1, 3, 7, 64, 1 << 20][Math.floor(r() * 5)],
        onBadRecord: 'skip',
        ...(recordSize ? { binary: { recordSize } } : {}),
      });
      const note = `seed ${seed}: size ${size}, ${JSON.stringify({ ...o, csv: undefined })}`;
      const { batches } = await partitionAll([file], o);
      const whole = recordSize ? size - (size % recordSize) : size;
      const got: Buffer[] = [];
      const streamed: Buffer[] = [];
      let bad = 0;
      for (const b of batches) {
        const rs = await records(b, o, () => bad++);
        if (recordSize) for (const x of rs) expect(x.length, note).toBe(recordSize);
        got.push(...rs);
        streamed.push(await buffer(Readable.from(batchBytes(b, o, () => undefined).chunks)));
      }
      expect(Buffer.concat(got).equals(bytes.subarray(0, whole)), note).toBe(true);
      expect(Buffer.concat(streamed).equals(bytes.subarray(0, whole)), note).toBe(true);
      expect(bad, note).toBe(whole < size ? 1 : 0);
      expect(batches.reduce((n, b) => n + (b.records ?? 0), 0), note).toBe(got.length + bad);
    }
  });
});
