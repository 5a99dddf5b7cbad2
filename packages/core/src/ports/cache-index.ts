/**
 * The cache index: which succeeded stage run computed what (issue 10,
 * "Resume with a cache"). Part of the StateStore, on both backends, so the
 * cache lives with the jobs, never in the current directory.
 *
 * Glossary
 * - cache key: sha256 over a stage run's cache components (pipeline/cache-key.ts).
 * - cache entry: key → the SUCCEEDED stage run that had it, its components
 *   (to explain a later miss) and a reference to its result.
 * - task key: the part of a key one task's output depends on (handler,
 *   input and handler settings, params, point); with a batch's content
 *   sha256 it names a re-usable task output (a task cache entry).
 */
import type { CacheComponents } from '../pipeline/cache-components.js';
import type { Point } from '../pipeline/types.js';
import type { OutputKind } from '../model/job.js';
import type { IoOptions } from './state-store.js';

/** Where a stage run's aggregated result is, and what it holds. */
export interface ResultRef {
  /** Blob key of the result (blobKeys.result of the run that wrote it). */
  blobKey: string;
  /** sha256 of the result's bytes: the "upstream output hash" in its dependents' keys. */
  sha256: string;
  bytes: number;
}

/** One succeeded stage run in the index. */
export interface CacheEntry {
  key: string;
  /** The stage run (job id) that computed it. */
  jobId: string;
  /** Pipeline name, and the run's display name ("train[lr=0.1]"): how `djc plan` finds the newest run of a stage. */
  pipeline: string;
  stage: string;
  point: Point | null;
  components: CacheComponents;
  result: ResultRef;
  /** ISO time the entry was written. */
  createdAt: string;
}

/** A task output that may be re-used by a later run with the same task key whose batch has the same content. */
export interface TaskCacheEntry {
  taskKey: string;
  /** sha256 of the batch's bytes, as the handler reads them. */
  batchSha256: string;
  /** The task that produced it. */
  jobId: string;
  taskId: number;
  /** Its committed output: a blob key, or the bytes inline (small outputs, as in the task record); both null for no output. */
  outputKey: string | null;
  inlineOutput: Uint8Array | null;
  outputKind: OutputKind | null;
  records: number | null;
  bad: number | null;
  createdAt: string;
}

/** Ids of one task cache entry. */
export interface TaskCacheRef {
  taskKey: string;
  batchSha256: string;
}

export interface CacheIndex {
  /**
   * Writes `entry` under its key, replacing an entry with the same key (the
   * newest run that computed a key is the one re-used). Also makes it the
   * newest entry of (pipeline, stage) unless that one is newer. Idempotent.
   */
  putCacheEntry(entry: CacheEntry, opts?: IoOptions): Promise<void>;
  /** The entry with this key, or null. */
  getCacheEntry(key: string, opts?: IoOptions): Promise<CacheEntry | null>;
  /**
   * The newest entry (by createdAt) written for this pipeline name and stage
   * display name, whatever its key: what `djc plan` explains a miss against.
   * A key lookup on both backends (no scan).
   */
  latestCacheEntry(pipeline: string, stage: string, opts?: IoOptions): Promise<CacheEntry | null>;
  /**
   * Removes the entry with this key if it still names `jobId` (its result
   * is gone, so it can no longer be re-used); an entry rewritten by another
   * run since is left alone. Returns whether it removed one.
   */
  deleteCacheEntry(key: string, jobId: string, opts?: IoOptions): Promise<boolean>;
  /** Writes task cache entries (any number), replacing those with the same ids. Idempotent. */
  putTaskCacheEntries(entries: readonly TaskCacheEntry[], opts?: IoOptions): Promise<void>;
  /** The entries found for these ids, in no order (missing ones are left out). Key lookups only: cost grows with `refs`, not with history. */
  getTaskCacheEntries(refs: readonly TaskCacheRef[], opts?: IoOptions): Promise<TaskCacheEntry[]>;
}
