/**
 * `s3://bucket/key` inputs: HeadObject for size / mtime / ETag, ranged GETs
 * for reads (never a GET without a Range header, never the whole object in
 * memory), ListObjectsV2 for prefixes and globs.
 *
 * A read opens one ranged GET covering the rest of the planned range it
 * falls in (at most WINDOW bytes; outside every planned range, WINDOW bytes)
 * and streams it: the following sequential reads take their bytes from the
 * same response, so partitioning a file costs one GET per WINDOW bytes and
 * reading a batch one GET per WINDOW bytes of the batch (plus one for a CSV
 * header). Every GET carries If-Match with the ETag seen at open, so an
 * object replaced while djc reads it is INPUT_INVALID ("changed").
 *
 * Every call goes through `aws('S3 object s3://b/k', …)`; a missing key or
 * bucket is INPUT_INVALID naming the URL.
 */
import type { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { aws, translateAwsError } from '../backends/aws/errors.js';
import { isMissingObject, s3ErrorName } from '../backends/aws/s3-errors.js';
import { DjcError } from '../errors.js';
import { fileChanged } from './open-input.js';
import type { ListedFile } from './expand-paths.js';
import type { InputSource, InputStat, ReadPlan } from './input-source.js';
import { inputS3Client } from './s3-client.js';
import { isKeyGlob, keyMatcher, literalPrefix } from './s3-glob.js';

/** Most bytes one GET asks for. */
export const WINDOW = 8 << 20;
/** Bytes of a short read kept to serve a read that steps back into them. */
const REPLAY = 64;

export interface S3Location {
  bucket: string;
  key: string;
}

/** `s3://bucket/key` → { bucket, key } (key may be "" or end in "/"). */
export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/is.exec(url);
  if (m === null) {
    throw new DjcError('INPUT_INVALID', `${url}: not an S3 URL`, { hint: 'write s3://bucket/key or s3://bucket/prefix/' });
  }
  return { bucket: m[1] as string, key: m[2] ?? '' };
}

export function s3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** Runs an S3 call for input `url`: a missing object or bucket is INPUT_INVALID naming it. */
function s3Input<T>(url: string, call: () => Promise<T>): Promise<T> {
  return aws(`S3 object ${url}`, async () => {
    try {
      return await call();
    } catch (e) {
      throw inputError(url, e);
    }
  });
}

function inputError(url: string, e: unknown): unknown {
  const name = s3ErrorName(e);
  if (name === 'NoSuchBucket') {
    return new DjcError('INPUT_INVALID', `input ${url}: no such bucket`, { cause: e });
  }
  if (isMissingObject(e)) {
    return new DjcError('INPUT_INVALID', `input ${url}: no such object`, {
      cause: e, hint: 'to read every object under a prefix, end it with "/" (s3://bucket/prefix/) or use a glob',
    });
  }
  if (name === 'PreconditionFailed' || (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 412) {
    return fileChanged(url, 'its ETag changed');
  }
  return e;
}

/**
 * Opens an S3 object for reading: one HeadObject, or none when `known` (the
 * object as prepare saw it) has its ETag: every GET carries If-Match with
 * it, so an object that changed since fails its first read ("changed").
 */
export async function openS3Input(url: string, plan: ReadPlan = [], known?: InputStat): Promise<InputSource> {
  const loc = parseS3Url(url);
  if (loc.key === '' || loc.key.endsWith('/')) {
    throw new DjcError('INPUT_INVALID', `${url}: names a prefix, not an object`);
  }
  const client = await inputS3Client();
  const st = known?.version !== undefined ? known : await headObject(client, loc, url);
  return new S3Source(url, client, loc, st, plan);
}

async function headObject(client: S3Client, loc: S3Location, url: string): Promise<InputStat> {
  const out = await s3Input(url, () => client.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key })));
  return { size: out.ContentLength ?? 0, mtimeMs: out.LastModified?.getTime() ?? 0, version: out.ETag };
}

class S3Source implements InputSource {
  /** Every GET carries If-Match with the ETag seen at open. */
  readonly guarded = true;
  readonly size: number;
  readonly mtimeMs: number;
  readonly version: string | undefined;
  /** The response being read: its bytes from `pos` on (up to `end`), `rest` first. */
  private body: { stream: Readable; it: AsyncIterator<Uint8Array>; pos: number; end: number; rest: Buffer | null } | null = null;
  /** The last bytes (≤ REPLAY) taken from `body`, ending at `body.pos`: a read may step back into them. */
  private replay: Buffer = Buffer.alloc(0);
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly client: S3Client,
    private readonly loc: S3Location,
    st: InputStat,
    private readonly plan: ReadPlan,
  ) {
    this.size = st.size;
    this.mtimeMs = st.mtimeMs;
    this.version = st.version;
  }

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    // Sequential by contract; queued anyway so that overlapping calls cannot interleave a response.
    const next = this.queue.then(() => this.readNow(buffer, offset, length, position));
    this.queue = next.catch(() => undefined);
    return next;
  }

  async stat(): Promise<InputStat> {
    return headObject(this.client, this.loc, this.name);
  }

  async close(): Promise<void> {
    await this.queue;
    this.drop();
  }

  private async readNow(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    const want = Math.min(length, this.size - position);
    if (want <= 0) return { bytesRead: 0 };
    const back = this.body === null ? -1 : this.body.pos - position;
    if (this.body !== null && back > 0 && back <= this.replay.length) {
      // E.g. the partitioner's byte-order-mark probe of bytes [0, 3), then the content from 0.
      const again = this.replay.subarray(this.replay.length - back);
      this.body.rest = this.body.rest === null ? Buffer.from(again) : Buffer.concat([again, this.body.rest]);
      this.body.pos = position;
      this.replay = Buffer.alloc(0);
    } else if (this.body === null || back !== 0) {
      await this.open(position, want);
    }
    let body = this.body as NonNullable<S3Source['body']>;
    let n = 0;
    /** Bytes of this read taken from earlier responses (a read may run past the end of one GET's range). */
    let earlier = 0;
    try {
      while (n < want) {
        let chunk = body.rest;
        body.rest = null;
        if (chunk === null) {
          const r = await body.it.next();
          if (r.done) {
            // Ended where its range ends, before the object does: go on with the next range.
            if (body.pos + (n - earlier) !== body.end || body.end >= this.size) break;
            await this.open(position + n, want - n);
            body = this.body as NonNullable<S3Source['body']>;
            earlier = n;
            continue;
          }
          chunk = Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
        }
        const take = Math.min(chunk.length, want - n);
        chunk.copy(buffer, offset + n, 0, take);
        if (take < chunk.length) body.rest = chunk.subarray(take);
        n += take;
      }
    } catch (e) {
      this.drop();
      throw translateAwsError(e, `S3 object ${this.name}`);
    }
    body.pos += n - earlier;
    this.replay = n <= REPLAY ? Buffer.from(buffer.subarray(offset, offset + n)) : Buffer.alloc(0);
    if (n < want) {
      this.drop();
      throw fileChanged(this.name, `the object ended at ${position + n} bytes, expected ${this.size}`);
    }
    if (body.pos >= body.end) this.drop();
    return { bytesRead: n };
  }

  /** Starts a ranged GET at `position` for at least `want` bytes. */
  private async open(position: number, want: number): Promise<void> {
    this.drop();
    let end = Math.min(this.size, position + Math.max(want, WINDOW));
    const range = this.plan.find(([s, e]) => position >= s && position < e);
    if (range !== undefined) end = Math.min(end, Math.max(range[1], position + want));
    const out = await s3Input(this.name, () =>
      this.client.send(new GetObjectCommand({
        Bucket: this.loc.bucket,
        Key: this.loc.key,
        Range: `bytes=${position}-${end - 1}`,
        IfMatch: this.version,
      })),
    );
    const stream = out.Body as Readable;
    this.body = { stream, it: stream[Symbol.asyncIterator](), pos: position, end, rest: null };
  }

  private drop(): void {
    this.body?.stream.destroy();
    this.body = null;
    this.replay = Buffer.alloc(0);
  }
}

/**
 * The objects an `s3://` entry of input.path names: a key → that object (it
 * must exist); a prefix ending in "/" (or a bare bucket) → every object under
 * it; a key with glob characters → the objects under its literal prefix that
 * match. Sorted; folder markers (keys ending in "/") are skipped.
 */
export async function expandS3Entry(entry: string): Promise<ListedFile[]> {
  const loc = parseS3Url(entry);
  const client = await inputS3Client();
  if (loc.key !== '' && !loc.key.endsWith('/') && !isKeyGlob(loc.key)) {
    return [{ path: entry, stat: await headObject(client, loc, entry) }];
  }
  const glob = isKeyGlob(loc.key);
  const prefix = glob ? literalPrefix(loc.key) : loc.key;
  const matches = glob ? keyMatcher(loc.key) : () => true;
  const found: Array<{ key: string; stat: InputStat }> = [];
  let token: string | undefined;
  do {
    const out = await s3Input(entry, () =>
      client.send(new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: prefix || undefined, ContinuationToken: token })),
    );
    for (const o of out.Contents ?? []) {
      if (o.Key === undefined || o.Key.endsWith('/') || !matches(o.Key)) continue;
      found.push({ key: o.Key, stat: { size: o.Size ?? 0, mtimeMs: o.LastModified?.getTime() ?? 0, version: o.ETag } });
    }
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token !== undefined);
  if (found.length === 0) {
    throw new DjcError('INPUT_INVALID', `input.path ${entry}: ${glob ? 'the pattern matches no objects' : 'no objects under the prefix'}`);
  }
  found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return found.map((f) => ({ path: s3Url(loc.bucket, f.key), stat: f.stat }));
}

/** The stat of an S3 object (one HeadObject). */
export async function statS3Object(url: string): Promise<InputStat> {
  return headObject(await inputS3Client(), parseS3Url(url), url);
}
