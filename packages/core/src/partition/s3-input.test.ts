import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countRequests, type RequestCounts } from '../backends/aws/request-counter.js';
import { isDjcError } from '../errors.js';
import type { BatchDescriptor } from '../model/batch.js';
import { recordRanges, s3Client, startFauxqsServer, uniqueName, type FauxqsServer } from '../testing/aws-fauxqs.js';
import { openBatchStream } from './batch-stream.js';
import { expandInputFiles, expandInputPaths } from './expand-paths.js';
import { readBatchRecords } from './read-batch.js';
import { setS3ClientFactory } from './s3-client.js';
import { keyMatcher } from './s3-glob.js';
import { SNAP_WINDOW } from './byte-split.js';
import { WINDOW } from './s3-source.js';
import { CSV_DEFAULTS, partitionAll, prng, readAll, refCsv, refJsonl, tempDir, type TempDir } from './testing.js';
import type { PartitionOptions } from './types.js';

// The SDK's Node-version warning (see backends/aws/index.ts) is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let server: FauxqsServer;
let client: S3Client;
let tmp: TempDir;
let bucket: string;
/** The Range header of every GetObject sent (undefined: none). */
let ranges: Array<string | undefined> = [];
let counts: RequestCounts;

const JSONL_RECORDS = 50_000;
const jsonl = (() => {
  const rnd = prng(7);
  const lines: string[] = [];
  for (let i = 0; i < JSONL_RECORDS; i++) {
    lines.push(JSON.stringify({ i, word: 'ü'.repeat(Math.floor(rnd() * 20)), pad: 'x'.repeat(Math.floor(rnd() * 300)) }));
  }
  return lines.join('\n') + '\n';
})();
const csv = (() => {
  const rows = ['id,name,"note, quoted"'];
  for (let i = 0; i < 500; i++) {
    rows.push(`${i},"name ${i}","line one\nline ""two""${i % 3 === 0 ? '\r\n,three' : ''}"`);
    if (i % 50 === 0) rows.push('');
  }
  return '\uFEFF' + rows.join('\r\n') + '\r\n';
})();

const files: Record<string, { s3: string; local: string }> = {};

beforeAll(async () => {
  server = await startFauxqsServer();
  client = s3Client(server.endpoint);
  ranges = recordRanges(client);
  bucket = uniqueName('djc-input');
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  tmp = await tempDir();
  const objects: Record<string, string> = {
    'data/big.jsonl': jsonl,
    'bom/big.jsonl': `\uFEFF${jsonl}`,
    'data/rows.csv': csv,
    'data/sub/c.jsonl': '{"c":1}\n',
    'data/a.jsonl': '{"a":1}\n{"a":2}',
    'data/empty.jsonl': '',
    'data/dir/': '',
    'other/z.jsonl': '{"z":1}\n',
  };
  for (const [key, body] of Object.entries(objects)) {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(body) }));
    if (!key.endsWith('/')) {
      files[key] = { s3: `s3://${bucket}/${key}`, local: await tmp.file(key.replaceAll('/', '_'), body) };
    }
  }
  setS3ClientFactory(() => client);
  counts = countRequests(client);
}, 60_000);

afterAll(async () => {
  setS3ClientFactory(undefined);
  client?.destroy();
  await tmp?.remove();
  await server?.stop();
});

beforeEach(() => {
  ranges.length = 0;
  counts.reset();
});

const url = (key: string) => (files[key] as { s3: string }).s3;
const local = (key: string) => (files[key] as { local: string }).local;
const JSONL: PartitionOptions = { format: 'jsonl', csv: CSV_DEFAULTS, batchRecords: 3_000 };
const CSV: PartitionOptions = { format: 'csv', csv: CSV_DEFAULTS, batchRecords: 37, readBufferSize: 100 };

/** The batches with `file` swapped, to compare S3 and local partitioning. */
/** Batches as the same bytes on disk would give them: the file renamed, without `source` (an S3 object's stat differs from a local file's). */
const relabel = (batches: BatchDescriptor[], file: string) => batches.map((b) => ({ ...b, file, source: undefined }));
const unsourced = (batches: BatchDescriptor[]) => batches.map((b) => ({ ...b, source: undefined }));

async function streamBytes(batches: BatchDescriptor[], opts: PartitionOptions): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const b of batches) out.push(await buffer(openBatchStream(b, opts)));
  return out;
}

describe('s3:// inputs', () => {
  it('partitions an S3 object into the same batches as the same bytes on disk, with ranged GETs only', async () => {
    const s3 = await partitionAll([url('data/big.jsonl')], JSONL);
    const requests = { ...counts.byOperation };
    const gets = [...ranges];
    const fs = await partitionAll([local('data/big.jsonl')], JSONL);
    expect(s3.batches.length).toBe(Math.ceil(JSONL_RECORDS / 3_000));
    expect(relabel(s3.batches, local('data/big.jsonl'))).toEqual(unsourced(fs.batches));
    expect(s3.files).toHaveLength(1);
    expect(s3.files[0]).toMatchObject({ path: url('data/big.jsonl'), size: Buffer.byteLength(jsonl), records: JSONL_RECORDS });
    expect(s3.files[0]?.mtimeMs).toBeGreaterThan(Date.now() - 600_000);
    // Each batch carries the object's ETag, for workers to read it with If-Match.
    for (const b of s3.batches) expect(b.source?.version).toMatch(/^".+"$/);

    // One HeadObject to open, one to check for changes; one GET per WINDOW bytes, each with a Range.
    const size = Buffer.byteLength(jsonl);
    expect(size).toBeGreaterThan(WINDOW); // more than one window
    expect(requests).toEqual({ HeadObject: 2, GetObject: Math.ceil(size / WINDOW) });
    expect(gets).toHaveLength(Math.ceil(size / WINDOW));
    for (const r of gets) expect(r).toMatch(/^bytes=\d+-\d+$/);
  });

  it('reads back every JSONL record and batch byte exactly as from the local file', async () => {
    const s3 = await partitionAll([url('data/big.jsonl')], JSONL);
    counts.reset();
    ranges.length = 0;
    const records = await readAll(s3.batches, JSONL);
    expect(records).toEqual(refJsonl(jsonl));
    // Per batch: one GET of exactly [start, end), with If-Match (the batch knows the ETag: no HeadObject).
    expect(counts.byOperation).toEqual({ GetObject: s3.batches.length });
    expect(ranges).toEqual(s3.batches.map((b) => `bytes=${b.start}-${b.end - 1}`));
    const fs = await partitionAll([local('data/big.jsonl')], JSONL);
    const s3Bytes = Buffer.concat(await streamBytes(s3.batches, JSONL));
    expect(s3Bytes.equals(Buffer.concat(await streamBytes(fs.batches, JSONL)))).toBe(true);
    expect(s3Bytes.toString()).toBe(jsonl);
  });

  it('CSV with a BOM, quoted multi-line fields and a header: same batches, records and bytes as local', async () => {
    const s3 = await partitionAll([url('data/rows.csv')], CSV);
    // The byte-order-mark probe and the content share one GET, even with 100-byte reads.
    expect(counts.byOperation).toEqual({ HeadObject: 2, GetObject: 1 });
    const fs = await partitionAll([local('data/rows.csv')], CSV);
    expect(relabel(s3.batches, local('data/rows.csv'))).toEqual(unsourced(fs.batches));
    expect(s3.batches.every((b) => b.headerEnd !== undefined && b.headerEnd > 0)).toBe(true);
    expect(await readAll(s3.batches, CSV)).toEqual(refCsv(csv, CSV_DEFAULTS));
    expect(await readAll(s3.batches, CSV)).toEqual(await readAll(fs.batches, CSV));
    const s3Bytes = await streamBytes(s3.batches, CSV);
    expect(s3Bytes).toEqual(await streamBytes(fs.batches, CSV));
    expect(s3Bytes[1]?.toString('utf8').startsWith('\uFEFFid,name')).toBe(true);
    for (const r of ranges) expect(r).toMatch(/^bytes=\d+-\d+$/);
  });

  it('a read that runs past the end of one GET goes on with the next (a byte order mark shifts reads off the windows)', async () => {
    for (const opts of [JSONL, { ...JSONL, batchBytes: 1 << 20 }, { ...CSV, format: 'text' as const, readBufferSize: 1 << 20, batchBytes: 1 << 20 }]) {
      const s3 = await partitionAll([url('bom/big.jsonl')], opts);
      const fs = await partitionAll([local('bom/big.jsonl')], opts);
      expect(relabel(s3.batches, local('bom/big.jsonl'))).toEqual(unsourced(fs.batches));
      expect(s3.batches[0]?.start).toBe(3);
    }
    const s3 = await partitionAll([url('bom/big.jsonl')], JSONL);
    expect(await readAll(s3.batches.slice(-3), JSONL)).toEqual(refJsonl(jsonl).slice(-(JSONL_RECORDS - (s3.batches.at(-3)?.firstRecord ?? 0))));
  });

  it('split by bytes: the same batches as on disk, from a small ranged GET at each cut', async () => {
    const B = 1 << 20;
    const opts: PartitionOptions = { ...JSONL, batchBytes: B };
    const s3 = await partitionAll([url('data/big.jsonl')], opts);
    const requests = { ...counts.byOperation };
    const gets = [...ranges];
    const fs = await partitionAll([local('data/big.jsonl')], opts);
    expect(relabel(s3.batches, local('data/big.jsonl'))).toEqual(unsourced(fs.batches));
    const size = Buffer.byteLength(jsonl);
    expect(s3.batches.length).toBeGreaterThanOrEqual(Math.ceil(size / B) - 1);
    expect(s3.files[0]).toMatchObject({ size, records: null });
    // The byte-order-mark probe's GET serves the first batch's start; then one window per cut.
    expect(requests.HeadObject).toBe(2);
    expect(requests.GetObject).toBeLessThanOrEqual(s3.batches.length + 1);
    const fetched = gets.reduce((n, r) => {
      const [from, to] = (r ?? '').replace('bytes=', '').split('-').map(Number) as [number, number];
      return n + (to - from + 1);
    }, 0);
    expect(fetched).toBeLessThanOrEqual((s3.batches.length + 1) * SNAP_WINDOW);
    expect(fetched).toBeLessThan(size / 8);
    expect(await readAll(s3.batches, opts)).toEqual(refJsonl(jsonl));
  });

  it('split by bytes, CSV with quoted newlines: one quote-aware pass, the same batches and rows as local', async () => {
    const opts: PartitionOptions = { ...CSV, batchBytes: 2_000 };
    const s3 = await partitionAll([url('data/rows.csv')], opts);
    const fs = await partitionAll([local('data/rows.csv')], opts);
    expect(relabel(s3.batches, local('data/rows.csv'))).toEqual(unsourced(fs.batches));
    expect(s3.batches.length).toBeGreaterThan(10);
    expect(await readAll(s3.batches, opts)).toEqual(refCsv(csv, CSV_DEFAULTS));
    for (const r of ranges) expect(r).toMatch(/^bytes=\d+-\d+$/);
  });

  it('an empty object yields only its file event, without a GET', async () => {
    const s3 = await partitionAll([url('data/empty.jsonl')], JSONL);
    expect(s3.batches).toEqual([]);
    expect(s3.files).toEqual([expect.objectContaining({ path: url('data/empty.jsonl'), size: 0, records: 0 })]);
    expect(counts.byOperation.GetObject).toBeUndefined();
  });

  it('expands a key, a prefix and globs to sorted object lists', async () => {
    const s = (k: string) => `s3://${bucket}/${k}`;
    expect(await expandInputPaths([s('data/a.jsonl')])).toEqual([s('data/a.jsonl')]);
    expect(await expandInputPaths([s('data/')])).toEqual(
      ['data/a.jsonl', 'data/big.jsonl', 'data/empty.jsonl', 'data/rows.csv', 'data/sub/c.jsonl'].map(s),
    );
    expect(await expandInputPaths([s('data/*.jsonl')])).toEqual(['data/a.jsonl', 'data/big.jsonl', 'data/empty.jsonl'].map(s));
    expect(await expandInputPaths([s('**/?.jsonl')])).toEqual(['data/a.jsonl', 'data/sub/c.jsonl', 'other/z.jsonl'].map(s));
    expect(await expandInputPaths([s('data/*.csv'), s('data/a.jsonl'), s('data/*.csv')])).toEqual(['data/rows.csv', 'data/a.jsonl'].map(s));
    // Mixed with local paths.
    expect(await expandInputPaths([local('data/a.jsonl'), s('data/a.jsonl')])).toEqual([local('data/a.jsonl'), s('data/a.jsonl')]);
  });

  it('a missing key, prefix, bucket or an unmatched glob is INPUT_INVALID naming the URL', async () => {
    for (const entry of [
      `s3://${bucket}/data/nope.jsonl`,
      `s3://${bucket}/nope/`,
      `s3://${bucket}/data/*.parquet`,
      `s3://${uniqueName('no-bucket')}/x.jsonl`,
      `s3://${uniqueName('no-bucket')}/x/`,
    ]) {
      const err = await expandInputPaths([entry]).catch((e: unknown) => e);
      expect(isDjcError(err, 'INPUT_INVALID'), String(err)).toBe(true);
      expect((err as Error).message).toContain(entry);
    }
    const missing = `s3://${bucket}/data/gone.jsonl`;
    const batch: BatchDescriptor = { index: 0, file: missing, start: 0, end: 10, firstRecord: 0, records: 1 };
    const err = await readBatchRecords(batch, JSONL).next().catch((e: unknown) => e);
    expect(isDjcError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toContain(missing);
    const err2 = await partitionAll([missing], JSONL).catch((e: unknown) => e);
    expect(isDjcError(err2, 'INPUT_INVALID')).toBe(true);
  });

  it('an object that shrank after partitioning is INPUT_INVALID when its batches are read', async () => {
    const key = 'data/changing.jsonl';
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{"a":1}\n{"a":2}\n' }));
    const s3 = await partitionAll([`s3://${bucket}/${key}`], { ...JSONL, batchRecords: 1 });
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{"a":1}\n' }));
    const err = await readAll(s3.batches, JSONL).catch((e: unknown) => e);
    expect(isDjcError(err, 'INPUT_INVALID'), String(err)).toBe(true);
  });

  it('an object replaced by one of the same size and layout after partitioning is INPUT_INVALID (its ETag), for both readers', async () => {
    const key = 'data/replaced.jsonl';
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{"a":1}\n{"a":2}\n' }));
    const s3 = await partitionAll([`s3://${bucket}/${key}`], { ...JSONL, batchRecords: 1 });
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{"a":3}\n{"a":4}\n' }));
    const err = await readAll(s3.batches, JSONL).catch((e: unknown) => e);
    expect(isDjcError(err, 'INPUT_INVALID'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/changed/);
    const err2 = await buffer(openBatchStream(s3.batches[1] as BatchDescriptor, JSONL)).catch((e: unknown) => e);
    expect(isDjcError(err2, 'INPUT_INVALID'), String(err2)).toBe(true);
  });
});

describe('format: files on s3://', () => {
  it('a prefix lists its objects with their sizes and ETags (ListObjectsV2 only); handlers get the URLs', async () => {
    const keys = ['set/a.bin', 'set/b.bin', 'set/c.bin', 'set/d/e.bin', 'set/f.bin'];
    for (const [i, key] of keys.entries()) await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x'.repeat(i + 1) }));
    counts.reset();
    const listed = await expandInputFiles([`s3://${bucket}/set/`], { directories: true });
    const { batches } = await partitionAll(listed, { format: 'files', csv: CSV_DEFAULTS, batchRecords: 1, batchFiles: 2 });
    expect(Object.keys(counts.byOperation)).toEqual(['ListObjectsV2']);
    const urls = keys.map((k) => `s3://${bucket}/${k}`);
    expect(batches.map((b) => b.files?.map((f) => f.path))).toEqual([urls.slice(0, 2), urls.slice(2, 4), urls.slice(4)]);
    for (const b of batches) for (const f of b.files ?? []) expect(f.version).toMatch(/^".+"$/);
    expect(batches.map((b) => b.files?.map((f) => f.size))).toEqual([[1, 2], [3, 4], [5]]);
    const got: unknown[] = [];
    for await (const r of readBatchRecords(batches[0] as BatchDescriptor, { format: 'files', csv: CSV_DEFAULTS })) got.push(r);
    expect(got).toEqual(urls.slice(0, 2));
  });
});

describe('keyMatcher', () => {
  it('matches *, ?, ** and classes', () => {
    expect(keyMatcher('a/*.jsonl')('a/x.jsonl')).toBe(true);
    expect(keyMatcher('a/*.jsonl')('a/b/x.jsonl')).toBe(false);
    expect(keyMatcher('a/**/*.jsonl')('a/x.jsonl')).toBe(true);
    expect(keyMatcher('a/**/*.jsonl')('a/b/c/x.jsonl')).toBe(true);
    expect(keyMatcher('a/?.csv')('a/1.csv')).toBe(true);
    expect(keyMatcher('a/?.csv')('a/12.csv')).toBe(false);
    expect(keyMatcher('part-[0-4].csv')('part-3.csv')).toBe(true);
    expect(keyMatcher('part-[!0-4].csv')('part-3.csv')).toBe(false);
    expect(keyMatcher('a.b+(c)/*')('a.b+(c)/x')).toBe(true);
    expect(keyMatcher('a.b/*')('axb/x')).toBe(false);
  });
});
