import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBlobStoreContract } from '../../ports/blob-store.contract.js';
import { startFauxqsServer, s3Client, uniqueName, type FauxqsServer } from '../../testing/aws-fauxqs.js';
import { expectDjcError } from '../../testing/contract-harness.js';
import { rejectionOf } from '../../testing/fixtures.js';
import { countRequests } from './request-counter.js';
import { ensureBucket } from './s3-bucket.js';
import { createS3BlobStore } from './s3-blob-store.js';

let server: FauxqsServer;
let client: S3Client;
let shared: string;

beforeAll(async () => {
  server = await startFauxqsServer();
  client = s3Client(server.endpoint);
  shared = uniqueName('djc-shared');
  await ensureBucket(client, shared);
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

describeBlobStoreContract('S3 (own bucket)', async () => {
  const bucket = uniqueName('djc-blobs');
  await ensureBucket(client, bucket);
  const blobs = createS3BlobStore({ client, bucket });
  return { blobs, cleanup: () => blobs.close() };
});

describeBlobStoreContract('S3 (shared bucket, key prefix)', async () => {
  const blobs = createS3BlobStore({ client, bucket: shared, prefix: `${uniqueName('t')}/` });
  return { blobs, cleanup: () => blobs.close() };
});

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** `bytes` as a stream of 64 KiB chunks. */
function chunked(bytes: Buffer): Readable {
  return Readable.from((function* () {
    for (let i = 0; i < bytes.length; i += 64 * 1024) yield bytes.subarray(i, i + 64 * 1024);
  })());
}

describe('S3BlobStore', () => {
  it('streams 12 MiB through a multipart upload and reads back the same bytes', async () => {
    const own = s3Client(server.endpoint);
    const counts = countRequests(own);
    try {
      const blobs = createS3BlobStore({ client: own, bucket: shared, prefix: `${uniqueName('mp')}/` });
      const bytes = randomBytes(12 * 1024 * 1024);
      await blobs.put('big/random.bin', chunked(bytes));
      expect(counts.byOperation).toMatchObject({ CreateMultipartUpload: 1, UploadPart: 2, CompleteMultipartUpload: 1 });
      expect(await blobs.size('big/random.bin')).toBe(bytes.length);
      expect(sha256((await blobs.get('big/random.bin')) ?? Buffer.alloc(0))).toBe(sha256(bytes));
      const parts: Buffer[] = [];
      for await (const c of (await blobs.getStream('big/random.bin', { range: { start: 5_000_000, end: 9_000_000 } }))!) parts.push(c as Buffer);
      expect(sha256(Buffer.concat(parts))).toBe(sha256(bytes.subarray(5_000_000, 9_000_000)));
    } finally {
      counts.stop();
      own.destroy();
    }
  });

  it('a missing bucket is BACKEND_UNAVAILABLE naming the bucket, with the hint to run djc setup aws', async () => {
    const blobs = createS3BlobStore({ client, bucket: 'djc-no-such-bucket' });
    for (const call of [() => blobs.put('a/b', 'x'), () => blobs.get('a/b'), () => blobs.getStream('a/b'), () => blobs.list('a/')]) {
      const e = expectDjcError(await rejectionOf(call()), 'BACKEND_UNAVAILABLE');
      expect(e.message).toContain('S3 bucket "djc-no-such-bucket"');
      expect(e.hint).toContain('djc setup aws');
    }
    const streamed = expectDjcError(await rejectionOf(blobs.put('a/c', Readable.from([Buffer.from('x')]))), 'BACKEND_UNAVAILABLE');
    expect(streamed.message).toContain('djc-no-such-bucket');
  });

  it('ensureBucket creates a missing bucket once, then reports it exists', async () => {
    const bucket = uniqueName('djc-setup');
    expect(await ensureBucket(client, bucket)).toBe('created');
    expect(await ensureBucket(client, bucket)).toBe('exists');
    const blobs = createS3BlobStore({ client, bucket });
    await blobs.put('k', 'v');
    expect(await blobs.list('')).toEqual(['k']);
  });

  it('lists across pages of ListObjectsV2 and strips only the store prefix', async () => {
    const prefix = `${uniqueName('page')}/`;
    const blobs = createS3BlobStore({ client, bucket: shared, prefix });
    const keys = Array.from({ length: 1105 }, (_, i) => `jobs/j/outputs/${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => blobs.put(k, 'x')));
    const listed = await blobs.list('jobs/j/');
    expect(listed).toHaveLength(1105);
    expect(listed).toEqual(keys);
  });

  it('an aborted signal rejects a read with an AbortError, not a backend error', async () => {
    const blobs = createS3BlobStore({ client, bucket: shared, prefix: `${uniqueName('ab')}/` });
    const ac = new AbortController();
    ac.abort();
    const e = await rejectionOf(blobs.get('k', { signal: ac.signal }));
    expect((e as Error).name).toBe('AbortError');
  });
});
