/**
 * BlobStore on a directory: key "a/b/c" is the file <root>/a/b/c. `put`
 * writes a temp file next to the target and renames it over the target, so
 * a reader sees the whole old or the whole new content. No fsync: a power
 * cut may lose recent blobs, never tear one. A key cannot be both an object
 * and a "directory" of other keys (unlike S3), and the store refuses keys
 * that could escape the root (see util/blob-key.ts).
 *
 * Small objects (up to SMALL bytes: task outputs, logs, manifests) are
 * written and read with synchronous calls: a few syscalls of microseconds
 * each beat as many thread-pool round trips, and `put` runs for every task
 * while `get`/`getStream` run for every task when a job's outputs are
 * gathered.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { closeSync, createWriteStream, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable, addAbortSignal } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobRange, BlobStore } from '../../ports/blob-store.js';
import type { IoOptions } from '../../ports/state-store.js';
import { assertBlobKey, assertBlobPrefix, TMP_PREFIX } from '../../util/blob-key.js';
import { asDiskFull } from '../../errors.js';

/** Largest object written or read synchronously. */
const SMALL = 256 * 1024;

const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

function isAbsent(e: unknown): boolean {
  return ABSENT.has((e as NodeJS.ErrnoException).code ?? '');
}

export interface FsBlobStoreOptions {
  /** The blob directory (created on first write). */
  root: string;
  /** Mode of the directories it creates (default 0o700; home-modes.ts). */
  dirMode?: number;
  /** Mode of the files it creates (default 0o600). */
  fileMode?: number;
  /** Set for a read-only home: put and delete throw its error. */
  readOnly?: () => Error;
}

interface Modes {
  dir: number;
  file: number;
}

export class FsBlobStore implements BlobStore {
  readonly root: string;
  private readonly modes: Modes;
  private readonly readOnly: (() => Error) | undefined;

  constructor(opts: FsBlobStoreOptions) {
    this.root = resolve(opts.root);
    this.readOnly = opts.readOnly;
    this.modes = { dir: opts.dirMode ?? 0o700, file: opts.fileMode ?? 0o600 };
  }

  /** The file that holds the object. */
  locate(key: string): string {
    return this.pathOf(key);
  }

  private pathOf(key: string): string {
    assertBlobKey(key);
    return join(this.root, ...key.split('/'));
  }

  /** Atomic: temp file in the same directory, then rename. */
  async put(key: string, body: string | Uint8Array | Readable, opts: IoOptions = {}): Promise<void> {
    if (this.readOnly) throw this.readOnly();
    const file = this.pathOf(key);
    const tmp = join(dirname(file), `${TMP_PREFIX}${randomBytes(6).toString('hex')}`);
    if (!(body instanceof Readable) && byteLength(body) <= SMALL) {
      opts.signal?.throwIfAborted();
      try {
        putSync(tmp, file, body, this.modes);
      } catch (e) {
        throw asDiskFull(e, `of the blob store (${this.root})`);
      }
      return;
    }
    try {
      await writeTemp(tmp, body, this.modes, opts.signal);
      await rename(tmp, file);
    } catch (e) {
      await rm(tmp, { force: true });
      throw asDiskFull(e, `of the blob store (${this.root})`);
    }
  }

  async get(key: string, opts: IoOptions = {}): Promise<Buffer | null> {
    const file = this.pathOf(key);
    const small = readSmall(file, 0, undefined);
    if (small !== 'large') return small;
    try {
      return await readFile(file, { signal: opts.signal });
    } catch (e) {
      if (isAbsent(e)) return null;
      throw e;
    }
  }

  /** `range.end` is exclusive; an empty range gives an empty stream. */
  async getStream(key: string, opts: IoOptions & { range?: BlobRange } = {}): Promise<Readable | null> {
    const file = this.pathOf(key);
    const start = opts.range?.start ?? 0;
    const end = opts.range?.end;
    const small = readSmall(file, start, end);
    if (small === null) return null;
    if (small !== 'large') return bufferStream(small);
    const handle = await open(file, 'r').catch((e: unknown) => (isAbsent(e) ? null : Promise.reject(e)));
    if (!handle) return null;
    const stream = handle.createReadStream({ start, end: end === undefined ? undefined : end - 1 });
    return opts.signal ? addAbortSignal(opts.signal, stream) : stream;
  }

  async size(key: string): Promise<number | null> {
    try {
      const s = await stat(this.pathOf(key));
      return s.isFile() ? s.size : null;
    } catch (e) {
      if (isAbsent(e)) return null;
      throw e;
    }
  }

  /** Deleting a missing key is not an error. */
  async delete(key: string): Promise<void> {
    if (this.readOnly) throw this.readOnly();
    try {
      await unlink(this.pathOf(key));
    } catch (e) {
      if (!isAbsent(e)) throw e;
    }
  }

  /** Keys starting with `prefix`, sorted; walks only the directories that can hold them. */
  async list(prefix: string): Promise<string[]> {
    assertBlobPrefix(prefix);
    const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const keys: string[] = [];
    await walk(join(this.root, ...base.split('/')), base, prefix, keys);
    return keys.sort();
  }

  async close(): Promise<void> {}
}

/**
 * Bytes [start, end) of a file if that span is at most SMALL bytes; null if
 * there is no such object; 'large' if the caller should stream it instead.
 */
function readSmall(file: string, start: number, end: number | undefined): Buffer | null | 'large' {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if (isAbsent(e)) return null;
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return null;
    const stop = Math.min(end ?? st.size, st.size);
    const length = Math.max(0, stop - start);
    if (length > SMALL) return 'large';
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, start + got);
      if (n === 0) break;
      got += n;
    }
    return got === length ? buf : buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** A byte stream of one buffer (empty buffer: an empty stream). */
function bufferStream(buf: Buffer): Readable {
  return new Readable({
    read() {
      if (buf.length > 0) this.push(buf);
      this.push(null);
    },
  });
}

function byteLength(body: string | Uint8Array): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}

function putSync(tmp: string, file: string, body: string | Uint8Array, modes: Modes): void {
  try {
    // The directory usually exists: try first, create it only when missing.
    try {
      writeFileSync(tmp, body, { mode: modes.file });
    } catch (e) {
      if (!isAbsent(e)) throw e;
      mkdirSync(dirname(tmp), { recursive: true, mode: modes.dir });
      writeFileSync(tmp, body, { mode: modes.file });
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

async function writeTemp(tmp: string, body: string | Uint8Array | Readable, modes: Modes, signal?: AbortSignal): Promise<void> {
  await mkdir(dirname(tmp), { recursive: true, mode: modes.dir });
  if (body instanceof Readable) {
    await pipeline(body, createWriteStream(tmp, { mode: modes.file }), { signal });
    return;
  }
  await writeFile(tmp, body, { signal, mode: modes.file });
}

/** Collects file keys under `dir` (whose key prefix is `rel`, "" or ending in "/") that start with `prefix`. */
async function walk(dir: string, rel: string, prefix: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (isAbsent(e)) return;
    throw e;
  }
  for (const entry of entries) {
    if (entry.name.startsWith(TMP_PREFIX)) continue;
    const key = rel + entry.name;
    if (entry.isDirectory()) {
      const sub = `${key}/`;
      if (sub.startsWith(prefix) || prefix.startsWith(sub)) await walk(dir + sep + entry.name, sub, prefix, out);
    } else if (entry.isFile() && key.startsWith(prefix)) {
      out.push(key);
    }
  }
}

export function createFsBlobStore(opts: FsBlobStoreOptions): FsBlobStore {
  return new FsBlobStore(opts);
}
