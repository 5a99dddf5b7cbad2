/**
 * BlobStore on an S3 bucket: key "a/b" is the object `${prefix}a/b`. Keys are
 * checked as on every backend (util/blob-key.ts).
 *
 * - `put` of a string or bytes is one PutObject. A stream goes through
 *   lib-storage's Upload: one PutObject when it is shorter than a part,
 *   multipart otherwise (parts of `partSize` ≥ 5 MiB, 4 in flight, so at most
 *   4 × partSize bytes are buffered). S3 shows an object only once its
 *   PutObject / CompleteMultipartUpload succeeded, so a reader sees the whole
 *   old or the whole new object, and a stream that fails aborts the upload
 *   and leaves the old object in place.
 * - A missing key reads as null (GetObject NoSuchKey, HeadObject 404).
 *   HeadObject has no error body, so `size` reads a missing bucket as null
 *   too; every other call says the bucket is missing.
 * - Every SDK call goes through `aws('S3 bucket "<name>"', …)`: a missing
 *   bucket is BACKEND_UNAVAILABLE with the hint to run `djc setup aws`.
 * - `signal` aborts the request (and a multipart upload, which S3 then
 *   discards); the call rejects with the signal's reason.
 *
 * The client belongs to the caller: `close` does not destroy it.
 */
import { Readable, addAbortSignal } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { BlobRange, BlobStore } from '../../ports/blob-store.js';
import type { IoOptions } from '../../ports/state-store.js';
import { DjcError } from '../../errors.js';
import { assertBlobKey, assertBlobPrefix } from '../../util/blob-key.js';
import { isMissingObject, s3Call, s3ErrorName } from './s3-errors.js';

const MIB = 1024 * 1024;
/** S3's smallest part (all but the last). */
const MIN_PART_SIZE = 5 * MIB;
const DEFAULT_PART_SIZE = 8 * MIB;
const PARTS_IN_FLIGHT = 4;

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** Prepended to every key, e.g. "djc/" (default ""); `list` strips it. */
  prefix?: string;
  /** Part size of multipart uploads of streams (default 8 MiB, at least 5 MiB). */
  partSize?: number;
}

export class S3BlobStore implements BlobStore {
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly what: string;
  private readonly partSize: number;

  constructor(opts: S3BlobStoreOptions) {
    this.client = opts.client;
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ?? '';
    this.what = `S3 bucket "${opts.bucket}"`;
    this.partSize = Math.max(MIN_PART_SIZE, opts.partSize ?? DEFAULT_PART_SIZE);
  }

  /** `s3://bucket/prefix+key`. */
  locate(key: string): string {
    return `s3://${this.bucket}/${this.objectKey(key)}`;
  }

  private objectKey(key: string): string {
    assertBlobKey(key);
    return this.prefix + key;
  }

  /** Atomic: the object appears whole or not at all. */
  async put(key: string, body: string | Uint8Array | Readable, opts: IoOptions = {}): Promise<void> {
    const Key = this.objectKey(key);
    if (body instanceof Readable) return this.upload(Key, body, opts.signal);
    await s3Call(this.what, opts.signal, () =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: body }), { abortSignal: opts.signal }),
    );
  }

  /** Streams `body` (multipart above one part); rejects with the stream's own error if the source fails. */
  private async upload(Key: string, body: Readable, signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    let sourceError: unknown;
    body.once('error', (e) => {
      sourceError = e;
    });
    const abortController = new AbortController();
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: body },
      partSize: this.partSize,
      queueSize: PARTS_IN_FLIGHT,
      leavePartsOnError: false,
      abortController,
    });
    const onAbort = () => abortController.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await s3Call(this.what, signal, () => upload.done());
    } catch (e) {
      throw sourceError ?? e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The whole object, or null if there is no such key. */
  async get(key: string, opts: IoOptions = {}): Promise<Buffer | null> {
    const Key = this.objectKey(key);
    return s3Call(this.what, opts.signal, async () => {
      const out = await this.client
        .send(new GetObjectCommand({ Bucket: this.bucket, Key }), { abortSignal: opts.signal })
        .catch((e: unknown) => (isMissingObject(e) ? null : Promise.reject(e)));
      if (!out) return null;
      return Buffer.from((await out.Body?.transformToByteArray()) ?? []);
    });
  }

  /**
   * The object, or bytes [start, end) of it, as a stream; null if there is
   * no such key. A range past the end, or an empty one, gives an empty
   * stream. Sent as `Range: bytes=start-(end-1)`.
   */
  async getStream(key: string, opts: IoOptions & { range?: BlobRange } = {}): Promise<Readable | null> {
    const Key = this.objectKey(key);
    const range = opts.range;
    if (range && range.end !== undefined && range.end <= range.start) {
      return (await this.size(key, opts)) === null ? null : emptyStream();
    }
    const Range = range ? `bytes=${range.start}-${range.end === undefined ? '' : range.end - 1}` : undefined;
    return s3Call(this.what, opts.signal, async () => {
      try {
        const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key, Range }), { abortSignal: opts.signal });
        return withSignal(toReadable(out.Body, this.what), opts.signal);
      } catch (e) {
        if (isMissingObject(e)) return null;
        // 416: the object exists and the range starts at or past its end.
        if (s3ErrorName(e) === 'InvalidRange') return emptyStream();
        throw e;
      }
    });
  }

  /** Size in bytes via HeadObject, or null if absent (see the header about missing buckets). */
  async size(key: string, opts: IoOptions = {}): Promise<number | null> {
    const Key = this.objectKey(key);
    return s3Call(this.what, opts.signal, async () => {
      const out = await this.client
        .send(new HeadObjectCommand({ Bucket: this.bucket, Key }), { abortSignal: opts.signal })
        .catch((e: unknown) => (isMissingObject(e) ? null : Promise.reject(e)));
      return out ? (out.ContentLength ?? 0) : null;
    });
  }

  /** Deleting a missing key is not an error. */
  async delete(key: string, opts: IoOptions = {}): Promise<void> {
    const Key = this.objectKey(key);
    await s3Call(this.what, opts.signal, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }), { abortSignal: opts.signal }),
    );
  }

  /** Keys starting with `prefix` (without the store's prefix), sorted; pages through ListObjectsV2 (1,000 keys a request). */
  async list(prefix: string, opts: IoOptions = {}): Promise<string[]> {
    assertBlobPrefix(prefix);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3Call(this.what, opts.signal, () =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token }),
          { abortSignal: opts.signal },
        ),
      );
      for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key.slice(this.prefix.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  /** Nothing to release: the client belongs to the caller. */
  async close(): Promise<void> {}
}

function emptyStream(): Readable {
  return new Readable({
    read() {
      this.push(null);
    },
  });
}

/** GetObject's body on Node is a Readable (an IncomingMessage). */
function toReadable(body: unknown, what: string): Readable {
  if (body instanceof Readable) return body;
  throw new DjcError('INTERNAL', `${what}: GetObject returned a body that is not a Node stream`);
}

function withSignal(stream: Readable, signal: AbortSignal | undefined): Readable {
  return signal ? addAbortSignal(signal, stream) : stream;
}

/** A BlobStore on `bucket` (which must exist: see `ensureBucket`). */
export function createS3BlobStore(opts: S3BlobStoreOptions): S3BlobStore {
  return new S3BlobStore(opts);
}
