/**
 * Whether a stage run can be re-used: an entry under its key whose result
 * blob still exists. One function for `djc plan` and the runner, so what
 * plan promises is what a run does.
 */
import type { BlobStore } from '../ports/blob-store.js';
import type { CacheEntry } from '../ports/cache-index.js';
import type { StateStore } from '../ports/state-store.js';

export type Reusable =
  | { reusable: true; entry: CacheEntry }
  /** No entry under the key, or its result is gone (`gone`: the entry, kept for the explanation). */
  | { reusable: false; gone: CacheEntry | null };

/**
 * The entry under `key` if its result still exists. An entry whose result
 * blob is gone (deleted, or expired with its job's retention) is removed
 * from the index when `prune` (the runner does; plan only reads).
 */
export async function findReusable(
  deps: { state: StateStore; blobs: BlobStore },
  key: string,
  opts: { prune?: boolean; signal?: AbortSignal } = {},
): Promise<Reusable> {
  const entry = await deps.state.getCacheEntry(key, { signal: opts.signal });
  if (entry === null) return { reusable: false, gone: null };
  const size = await deps.blobs.size(entry.result.blobKey, { signal: opts.signal });
  if (size !== null && size === entry.result.bytes) return { reusable: true, entry };
  if (opts.prune) await deps.state.deleteCacheEntry(key, entry.jobId, { signal: opts.signal });
  return { reusable: false, gone: entry };
}

/**
 * Whether a run of `stage` feeds a downstream stage batch by batch (`each:
 * batch`): that downstream reads the run's own task outputs, so a re-used
 * run of it takes the earlier run's tasks too, not only its result.
 */
export function streamedFrom(runs: readonly { upstream: { from: readonly string[]; each: 'batch' | null } | null }[], stage: string): boolean {
  return runs.some((r) => r.upstream?.each === 'batch' && r.upstream.from.includes(stage));
}

