/**
 * BlobStore holds manifests, task outputs, task logs and results, by key
 * ("jobs/<jobId>/outputs/<taskId>/<attempt>"). Keys are '/'-separated.
 * `put` is atomic: a reader sees the whole old object or the whole new one.
 * A missing key reads as null, never as an error.
 */
import type { Readable } from 'node:stream';
import type { IoOptions } from './state-store.js';

export interface BlobRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, exclusive. */
  end?: number;
}

export interface BlobStore {
  put(key: string, body: string | Uint8Array | Readable, opts?: IoOptions): Promise<void>;
  get(key: string, opts?: IoOptions): Promise<Buffer | null>;
  getStream(key: string, opts?: IoOptions & { range?: BlobRange }): Promise<Readable | null>;
  /** Size in bytes, or null if absent. */
  size(key: string, opts?: IoOptions): Promise<number | null>;
  delete(key: string, opts?: IoOptions): Promise<void>;
  /** Keys under a prefix, in lexical order. */
  list(prefix: string, opts?: IoOptions): Promise<string[]>;
  /**
   * Where the object `key` is, as a location the input partitioner and
   * command handlers read: a file path (absolute) for a local store, an
   * `s3://bucket/key` URL for S3. No request is made; the object need not
   * exist yet. Pipelines hand stage results downstream this way.
   */
  locate(key: string): string;
  close(): Promise<void>;
}
