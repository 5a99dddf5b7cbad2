import { readFileSync } from 'node:fs';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countRequests, type RequestCounts } from '../backends/aws/request-counter.js';
import type { BatchDescriptor, InputFileInfo } from '../model/batch.js';
import { recordRanges, s3Client, startFauxqsServer, uniqueName, type FauxqsServer } from '../testing/aws-fauxqs.js';
import { writeSampleParquet } from '../testing/parquet-fixtures.js';
import { openBatchStream } from './batch-stream.js';
import { partitionInput } from './partition-input.js';
import { readBatchRecords } from './read-batch.js';
import { setS3ClientFactory } from './s3-client.js';
import { CSV_DEFAULTS, tempDir, type TempDir } from './testing.js';
import type { PartitionOptions } from './types.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const OPTS: PartitionOptions = { format: 'parquet', csv: CSV_DEFAULTS, batchRecords: 1000, batchRowGroups: 2 };
/** As in parquet-file.ts: the first read of a footer. */
const FOOTER_FETCH = 64 << 10;

let server: FauxqsServer;
let client: S3Client;
let tmp: TempDir;
let bucket: string;
let counts: RequestCounts;
/** The Range header of every GetObject sent. */
let ranges: Array<string | undefined> = [];
const objects: Record<string, { url: string; local: string; size: number; expected: Record<string, unknown>[] }> = {};

beforeAll(async () => {
  server = await startFauxqsServer();
  client = s3Client(server.endpoint);
  ranges = recordRanges(client);
  bucket = uniqueName('djc-parquet');
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  tmp = await tempDir();
  // "big": row groups far larger than the footer; "many": a footer larger than the first 64 KiB read.
  for (const [key, rows, rowGroupSize] of [['big.parquet', 6000, 1000], ['many.parquet', 1200, 3]] as const) {
    const local = `${tmp.dir}/${key}`;
    const expected = writeSampleParquet(local, { rows, rowGroupSize, codec: 'UNCOMPRESSED' });
    const body = readFileSync(local);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    objects[key] = { url: `s3://${bucket}/${key}`, local, size: body.length, expected };
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

async function partition(file: string): Promise<{ batches: BatchDescriptor[]; files: InputFileInfo[] }> {
  const out = { batches: [] as BatchDescriptor[], files: [] as InputFileInfo[] };
  for await (const ev of partitionInput([file], OPTS)) {
    if (ev.type === 'batch') out.batches.push(ev.batch);
    else out.files.push(ev.file);
  }
  return out;
}

/** Batches as the same bytes on disk would give them: the file renamed, without `source` (an S3 object's stat differs from a local file's). */
const relabel = (batches: BatchDescriptor[], file: string) => batches.map((b) => ({ ...b, file, source: undefined }));
const unsourced = (batches: BatchDescriptor[]) => batches.map((b) => ({ ...b, source: undefined }));

describe('parquet on s3://', () => {
  it('partitions from the footer alone (one ranged GET of the tail) into the same batches as on disk', async () => {
    const o = objects['big.parquet'] as (typeof objects)[string];
    expect(o.size).toBeGreaterThan(4 * FOOTER_FETCH);
    const s3 = await partition(o.url);
    expect(counts.byOperation).toEqual({ HeadObject: 2, GetObject: 1 });
    expect(ranges).toEqual([`bytes=${o.size - FOOTER_FETCH}-${o.size - 1}`]);
    const fs = await partition(o.local);
    expect(relabel(s3.batches, o.local)).toEqual(unsourced(fs.batches));
    expect(s3.batches).toHaveLength(3);
    expect(s3.files.map((f) => [f.path, f.size, f.records])).toEqual([[o.url, o.size, 6000]]);
  });

  it('reads each batch with one GET of the footer and one of its own byte range (no HeadObject: the batch knows the ETag)', async () => {
    const o = objects['big.parquet'] as (typeof objects)[string];
    const { batches } = await partition(o.url);
    const got: unknown[] = [];
    for (const b of batches) {
      counts.reset();
      ranges.length = 0;
      for await (const r of readBatchRecords(b, OPTS)) got.push(r);
      expect(counts.byOperation).toEqual({ GetObject: 2 });
      expect(ranges).toEqual([`bytes=${o.size - FOOTER_FETCH}-${o.size - 1}`, `bytes=${b.start}-${b.end - 1}`]);
    }
    expect(got).toEqual(o.expected);
    const text = (await buffer(openBatchStream(batches[1] as BatchDescriptor, OPTS))).toString('utf8');
    expect(text.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(o.expected.slice(2000, 4000));
  });

  it('reads a footer larger than the first read with one more GET', async () => {
    const o = objects['many.parquet'] as (typeof objects)[string];
    const s3 = await partition(o.url);
    expect(counts.byOperation).toEqual({ HeadObject: 2, GetObject: 2 });
    expect(s3.batches).toHaveLength(200);
    const fs = await partition(o.local);
    expect(relabel(s3.batches, o.local)).toEqual(unsourced(fs.batches));
    const last = s3.batches.at(-1) as BatchDescriptor;
    const rows: unknown[] = [];
    for await (const r of readBatchRecords(last, OPTS)) rows.push(r);
    expect(rows).toEqual(o.expected.slice(1194));
  });
});
