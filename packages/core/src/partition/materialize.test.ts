import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchDescriptor } from '../model/batch.js';
import { compress } from '../testing/compress.js';
import { batchBytes } from './batch-stream.js';
import { batchOfCopy, copyBytes } from './materialize.js';
import { CSV_DEFAULTS, partitionAll, readAll, tempDir, type TempDir } from './testing.js';
import type { PartitionOptions } from './types.js';

// A batch read from its copy gives the same records and the same command
// bytes as read from the input, for every format that can be copied.

let tmp: TempDir;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.remove();
});

async function viaCopy(batches: BatchDescriptor[], o: PartitionOptions, tag: string): Promise<void> {
  for (const b of batches) {
    const copy = Buffer.concat(await collect(copyBytes(b, o)));
    const path = `${tmp.dir}/${tag}-${b.index}.copy`;
    await writeFile(path, copy);
    const local = batchOfCopy(b, path, o);
    expect(local.materialized, tag).toBeUndefined();
    expect(await readAll([local], o), `${tag} batch ${b.index}`).toEqual(await readAll([b], o));
    const bytes = async (x: BatchDescriptor) => buffer(Readable.from(batchBytes(x, o).chunks));
    expect((await bytes(local)).equals(await bytes(b)), `${tag} bytes of batch ${b.index}`).toBe(true);
  }
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

describe('batch copies (input.materialize)', () => {
  it('csv with a byte order mark, a header and quoted newlines, by records and by bytes', async () => {
    const content = `\uFEFFid,note\r\n${Array.from({ length: 40 }, (_, i) => `${i},"a\nb ${i}"`).join('\r\n')}\r\n`;
    const file = await tmp.file('m.csv', content);
    for (const o of [
      { format: 'csv', csv: CSV_DEFAULTS, batchRecords: 7 },
      { format: 'csv', csv: CSV_DEFAULTS, batchRecords: 1, batchBytes: 90 },
    ] as PartitionOptions[]) {
      const { batches } = await partitionAll([file], o);
      expect(batches.length).toBeGreaterThan(3);
      await viaCopy(batches, o, `csv-${o.batchBytes ?? 'r'}`);
    }
  });

  it('jsonl and text split by bytes, binary records, and a compressed file', async () => {
    const jsonl = await tmp.file('m.jsonl', Array.from({ length: 50 }, (_, i) => `{"i":${i}}\n\n`).join(''));
    await viaCopy((await partitionAll([jsonl], { format: 'jsonl', csv: CSV_DEFAULTS, batchRecords: 1, batchBytes: 64 })).batches,
      { format: 'jsonl', csv: CSV_DEFAULTS, batchRecords: 1 }, 'jsonl');
    const text = await tmp.file('m.txt', 'a\nbb\n\nccc\n');
    await viaCopy((await partitionAll([text], { format: 'text', csv: CSV_DEFAULTS, batchRecords: 2 })).batches,
      { format: 'text', csv: CSV_DEFAULTS, batchRecords: 2 }, 'text');
    const bin = await tmp.file('m.bin', randomBytes(100));
    const ob: PartitionOptions = { format: 'binary', csv: CSV_DEFAULTS, batchRecords: 3, binary: { recordSize: 8 }, onBadRecord: 'fail' };
    const { batches } = await partitionAll([bin], ob);
    // The last batch ends in a partial record: reading it fails the same way from the copy.
    await viaCopy(batches.slice(0, -1), ob, 'bin');
    const gz = await tmp.file('m.jsonl.gz', compress('gzip', Buffer.from('{"z":1}\n{"z":2}\n')));
    await viaCopy((await partitionAll([gz], { format: 'jsonl', csv: CSV_DEFAULTS, batchRecords: 1 })).batches,
      { format: 'jsonl', csv: CSV_DEFAULTS, batchRecords: 1 }, 'gz');
  });
});
