import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDjcError } from '../errors.js';
import type { BatchDescriptor } from '../model/batch.js';
import { CAN_WRITE_ZSTD, compress } from '../testing/compress.js';
import type { DeadLetter } from './bad-record.js';
import { batchBytes } from './batch-stream.js';
import { compressionOf } from './decompress.js';
import { readBatchRecords } from './read-batch.js';
import { CSV_DEFAULTS, partitionAll, prng, readAll, refCsv, refJsonl, refText, tempDir, type TempDir } from './testing.js';
import type { CsvOptions, PartitionOptions } from './types.js';

// Compressed inputs: one batch per file, decompressed by the reader, with
// the same records, bytes and counts as the plain file.

let tmp: TempDir;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.remove();
});

const CODECS = ['gzip', 'zstd'] as const;
const EXT = { gzip: 'gz', zstd: 'zst' } as const;

async function streamed(b: BatchDescriptor, o: PartitionOptions) {
  const { chunks, tally } = batchBytes(b, o, () => undefined);
  return { bytes: await buffer(Readable.from(chunks)), tally };
}

describe('compressed inputs', () => {
  it('this machine can write zstd test files (scripts/test.sh installs the zstd tool)', () => {
    expect(CAN_WRITE_ZSTD).toBe(true);
  });

  it('compression is told by the file name, or set', () => {
    expect(compressionOf('/d/a.jsonl.gz')).toBe('gzip');
    expect(compressionOf('s3://b/x.CSV.GZIP')).toBe('gzip');
    expect(compressionOf('/d/a.zst')).toBe('zstd');
    expect(compressionOf('/d/a.jsonl.zstd')).toBe('zstd');
    expect(compressionOf('/d/a.jsonl')).toBeNull();
    expect(compressionOf('/d/a.jsonl.gz', 'none')).toBeNull();
    expect(compressionOf('/d/a.data', 'zstd')).toBe('zstd');
  });

  it.each(CODECS)('%s: each file is one batch, whatever the batch size; counts unknown until read; plain files around it are split', async (codec) => {
    const plain = await tmp.file(`p-${codec}.jsonl`, '{"a":1}\n{"a":2}\n{"a":3}\n');
    const packed = await tmp.file(`c.jsonl.${EXT[codec]}`, compress(codec, Buffer.from('{"b":1}\n{"b":2}\n{"b":3}\n')));
    const after = await tmp.file(`q-${codec}.jsonl`, '{"c":1}\n');
    const o: PartitionOptions = { format: 'jsonl', csv: CSV_DEFAULTS, batchRecords: 2 };
    const { batches, files } = await partitionAll([plain, packed, after], o);
    // After a batch that is not counted, the first record of the next ones is not known either.
    expect(batches.map((b) => [b.file, b.compression, b.firstRecord, b.records])).toEqual([
      [plain, undefined, 0, 2], [plain, undefined, 2, 1], [packed, codec, 3, null], [after, undefined, null, 1],
    ]);
    expect(files.map((f) => f.records)).toEqual([3, null, 1]);
    expect(await readAll(batches, o)).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }, { b: 1 }, { b: 2 }, { b: 3 }, { c: 1 }]);
    const s = await streamed(batches[2] as BatchDescriptor, o);
    expect(s.bytes.toString()).toBe('{"b":1}\n{"b":2}\n{"b":3}\n');
    expect(s.tally).toEqual({ records: 3, bad: 0 });
  });

  it.each(CODECS)('%s round trips (seeded): jsonl, text, csv with a header and quoted newlines, and binary records', async (codec) => {
    for (let seed = 0; seed < 12; seed++) {
      const r = prng(8000 + seed);
      const n = Math.floor(r() * 3000);
      const bom = r() < 0.3 ? '\uFEFF' : '';
      const eol = r() < 0.5 ? '\n' : '\r\n';
      const rows = Array.from({ length: n }, (_, i) => ({ i, s: ['x', 'ü\n"q"', '日本', ''][i % 4] as string }));
      const texts = {
        jsonl: bom + rows.map((x) => JSON.stringify(x)).join(eol) + (r() < 0.5 ? eol : ''),
        text: bom + rows.map((x) => `line ${x.i} ${x.s.replace(/\n/g, ' ')}`).join(eol) + eol,
        csv: bom + ['i,s', ...rows.map((x) => `${x.i},"${x.s.replace(/"/g, '""')}"`)].join(eol) + eol,
      };
      const csv: CsvOptions = { ...CSV_DEFAULTS };
      const refs = { jsonl: refJsonl(texts.jsonl), text: refText(texts.text), csv: refCsv(texts.csv, csv) };
      for (const format of ['jsonl', 'text', 'csv'] as const) {
        const file = await tmp.file(`rt-${seed}.${format}.${EXT[codec]}`, compress(codec, Buffer.from(texts[format])));
        const o: PartitionOptions = { format, csv, batchRecords: 10, readBufferSize: [7, 100, 1 << 16][seed % 3] };
        const note = `${codec} ${format} seed ${seed}`;
        const { batches } = await partitionAll([file], o);
        expect(batches, note).toHaveLength(1);
        expect(await readAll(batches, o), note).toEqual(refs[format]);
        const s = await streamed(batches[0] as BatchDescriptor, o);
        expect(s.bytes.toString(), note).toBe(texts[format].replace(/^\uFEFF/, ''));
        expect(s.tally, note).toEqual({ records: refs[format].length, bad: 0 });
      }
      const bytes = randomBytes(Math.floor(r() * 5000));
      const file = await tmp.file(`rt-${seed}.bin.${EXT[codec]}`, compress(codec, bytes));
      const o: PartitionOptions = { format: 'binary', csv, batchRecords: 1, binary: { recordSize: 16 }, onBadRecord: 'skip' };
      const { batches } = await partitionAll([file], o);
      const got: Buffer[] = [];
      for await (const x of readBatchRecords(batches[0] as BatchDescriptor, o, () => undefined)) got.push(x as Buffer);
      const whole = bytes.length - (bytes.length % 16);
      expect(Buffer.concat(got).equals(bytes.subarray(0, whole)), `binary seed ${seed}`).toBe(true);
      const s = await streamed(batches[0] as BatchDescriptor, o);
      expect(s.bytes.equals(bytes.subarray(0, whole))).toBe(true);
      expect(s.tally).toEqual({ records: whole / 16, bad: whole < bytes.length ? 1 : 0 });
    }
  });

  it('concatenated gzip members read as one stream', async () => {
    const file = await tmp.file('multi.jsonl.gz', Buffer.concat([compress('gzip', Buffer.from('1\n2\n')), compress('gzip', Buffer.from('3\n'))]));
    const o: PartitionOptions = { format: 'jsonl', csv: CSV_DEFAULTS, batchRecords: 1 };
    expect(await readAll((await partitionAll([file], o)).batches, o)).toEqual([1, 2, 3]);
  });

  it('bad records: offsets in the decompressed stream; fail names the file without a line number', async () => {
    const text = '{"a":1}\nnope\n{"a":2}\n';
    const file = await tmp.file('bad.jsonl.gz', compress('gzip', Buffer.from(text)));
    const o: PartitionOptions = { format: 'jsonl', csv: CSV_DEFAULTS, batchRecords: 1 };
    const { batches } = await partitionAll([file], o);
    const err = await readAll(batches, o).catch((e: unknown) => e);
    expect(isDjcError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(new RegExp(`^${file.replace(/\./g, '\\.')}: invalid JSON .*\\(batch 0, record 1 counting from 0, byte offset 8\\): "nope"`));
    const letters: DeadLetter[] = [];
    const values: unknown[] = [];
    for await (const v of readBatchRecords(batches[0] as BatchDescriptor, { ...o, onBadRecord: 'dead_letter' }, (d) => letters.push(d))) values.push(v);
    expect(values).toEqual([{ a: 1 }, { a: 2 }]);
    expect(letters).toEqual([expect.objectContaining({ offset: 8, record: 1, text: 'nope' })]);
  });

  it('a file that does not decompress is INPUT_INVALID naming it and the codec', async () => {
    const whole = compress('gzip', Buffer.from('{"a":1}\n'.repeat(1000)));
    const file = await tmp.file('cut.jsonl.gz', whole.subarray(0, whole.length - 20));
    const junk = await tmp.file('junk.jsonl.zst', Buffer.from('not zstd at all'));
    const o: PartitionOptions = { format: 'jsonl', csv: CSV_DEFAULTS, batchRecords: 1 };
    for (const [f, codec] of [[file, 'gzip'], [junk, 'zstd']] as const) {
      const { batches } = await partitionAll([f], o);
      const err = await readAll(batches, o).catch((e: unknown) => e);
      expect(isDjcError(err, 'INPUT_INVALID'), String(err)).toBe(true);
      expect((err as Error).message).toContain(`${f}: cannot decompress (${codec})`);
      const err2 = await streamed(batches[0] as BatchDescriptor, o).catch((e: unknown) => e);
      expect((err2 as Error).message).toContain('cannot decompress');
    }
  });
});
