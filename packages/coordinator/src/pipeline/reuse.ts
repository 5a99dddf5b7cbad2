/**
 * Re-use from the cache, for the pipeline runner (issue 10, "Resume with a
 * cache"). When a stage run becomes ready, `decideReuse` computes its cache
 * key (its upstreams by the sha256 of their results) and looks it up: a
 * SUCCEEDED earlier run whose result still exists stands for it. When a run
 * succeeds, `indexSucceededRun` writes its entry under the key computed when
 * it became ready (so an input edited while it ran is not attributed to it).
 * `adoptResult` gives a re-used run the earlier result, so its dependents'
 * hand-off reads it like any other.
 *
 * Wiring (coordinate-pipeline.ts): at the 'ready' action, call decideReuse
 * (unless the pipeline was submitted with --fresh, still computing the key);
 * on { reuse }, adoptResult and end the run SUCCEEDED with reusedFrom; on
 * 'run', keep { key, components } with the run and, once it SUCCEEDED with
 * no failed task, call indexSucceededRun.
 */
import { createHash } from 'node:crypto';
import {
  blobKeys, cacheComponents, cacheKey, combinedResult, findReusable,
  type Backend, type CacheComponents, type CacheEntry, type StageRunSpec,
} from '@djc/core';

/** 'run', or the job id of the earlier stage run whose result stands for this one (the runner's RunDecision). */
export type ReuseDecision = 'run' | { reuse: string };

/** Upstream stage name → the job ids of its runs, in the spec's order (one, or one per sweep point). */
export type UpstreamRuns = ReadonlyMap<string, readonly string[]>;

export interface ReuseVerdict {
  decision: ReuseDecision;
  /** The run's cache key; null when an upstream has no result to hash (aggregate: none, or not run). */
  key: string | null;
  components: CacheComponents;
  /** What the key cannot see (for the run's log). */
  warnings: string[];
}

export interface ReuseOptions {
  /** --fresh: never re-use (the key is still computed, so the run is indexed when it succeeds). */
  fresh?: boolean;
  signal?: AbortSignal;
  /** Shared across calls of one pipeline, so each upstream result is hashed once. */
  digests?: ResultDigests;
}

/** Whether `run` of pipeline `pipeline` must run, or which earlier run stands for it. */
export async function decideReuse(backend: Backend, run: StageRunSpec, upstream: UpstreamRuns, opts: ReuseOptions = {}): Promise<ReuseVerdict> {
  const digests = opts.digests ?? new ResultDigests(backend);
  const shas = new Map<string, string | null>();
  for (const stage of run.upstream?.from ?? []) shas.set(stage, await digests.stage(upstream.get(stage) ?? [], opts.signal));
  const { components, warnings } = await cacheComponents(run, (s) => shas.get(s) ?? null);
  const key = cacheKey(components);
  if (key === null || opts.fresh === true) return { decision: 'run', key, components, warnings };
  const found = await findReusable(backend, key, { prune: true, signal: opts.signal });
  return { decision: found.reusable ? { reuse: found.entry.jobId } : 'run', key, components, warnings };
}

/**
 * Indexes a stage run that SUCCEEDED (with no failed task: a run that
 * tolerated failures has a partial result, which must not stand for a full
 * one) under the key `decideReuse` gave it. Returns the entry, or null when
 * there is nothing to index (no key, or no result blob: aggregate: none).
 */
export async function indexSucceededRun(
  backend: Backend,
  at: { pipeline: string; run: StageRunSpec; jobId: string; key: string | null; components: CacheComponents },
  opts: { signal?: AbortSignal; digests?: ResultDigests } = {},
): Promise<CacheEntry | null> {
  if (at.key === null) return null;
  const digest = await (opts.digests ?? new ResultDigests(backend)).of(at.jobId, opts.signal);
  if (digest === null) return null;
  const entry: CacheEntry = {
    key: at.key, jobId: at.jobId, pipeline: at.pipeline, stage: at.run.displayName, point: at.run.point, components: at.components,
    result: { blobKey: blobKeys.result(at.jobId), sha256: digest.sha256, bytes: digest.bytes }, createdAt: new Date().toISOString(),
  };
  await backend.state.putCacheEntry(entry, { signal: opts.signal });
  return entry;
}

/** Copies the result of the re-used run `from` to the result of `to` (so hand-off and `djc results` read it as `to`'s). */
export async function adoptResult(backend: Backend, from: string, to: string, signal?: AbortSignal): Promise<boolean> {
  const body = await backend.blobs.getStream(blobKeys.result(from), { signal });
  if (body === null) return false;
  await backend.blobs.put(blobKeys.result(to), body, { signal });
  return true;
}

/** sha256 and size of stage runs' results, each read once (streamed). */
export class ResultDigests {
  private readonly memo = new Map<string, Promise<{ sha256: string; bytes: number } | null>>();

  constructor(private readonly backend: Backend) {}

  /** The run's result digest, or null when it has no result blob (yet). Results are immutable once written, so each is read once. */
  of(jobId: string, signal?: AbortSignal): Promise<{ sha256: string; bytes: number } | null> {
    let d = this.memo.get(jobId);
    if (d === undefined) {
      d = digestBlob(this.backend, blobKeys.result(jobId), signal);
      this.memo.set(jobId, d);
      // A result not written yet (a streaming upstream still running) may exist later: forget the miss.
      void d.then((v) => { if (v === null) this.memo.delete(jobId); }, () => this.memo.delete(jobId));
    }
    return d;
  }

  /** An upstream stage's output hash: its runs' result hashes in order (combinedResult); null if one has no result. */
  async stage(jobIds: readonly string[], signal?: AbortSignal): Promise<string | null> {
    if (jobIds.length === 0) return null;
    const digests = await Promise.all(jobIds.map((id) => this.of(id, signal)));
    return combinedResult(digests.map((d) => d?.sha256 ?? null));
  }
}

async function digestBlob(backend: Backend, key: string, signal?: AbortSignal): Promise<{ sha256: string; bytes: number } | null> {
  const stream = await backend.blobs.getStream(key, { signal });
  if (stream === null) return null;
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}
