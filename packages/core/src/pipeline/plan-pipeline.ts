/**
 * `djc plan`: before anything runs, what each stage run of a pipeline will
 * do: re-use an earlier run (its key matches a succeeded run whose result
 * still exists) or run, and why (explainMiss against the newest earlier
 * run of the same stage of the same pipeline name on this backend); how
 * many batches it will have; the sweep points. Reads only: the index, the
 * result blobs' sizes, the handler and input files.
 */
import type { BlobStore } from '../ports/blob-store.js';
import type { StateStore } from '../ports/state-store.js';
import { explainMiss, type MissReason } from './cache-explain.js';
import { cacheComponents, cacheKey, combinedResult } from './cache-key.js';
import { findReusable } from './cache-lookup.js';
import { BatchCounter, type BatchCount } from './plan-batches.js';
import type { PipelineSpec, Point, StageRunSpec, SweepSpec } from './types.js';

export interface RunPlan {
  stage: string;
  /** The run's display name ("train[lr=0.1]"). */
  run: string;
  point: Point | null;
  action: 'run' | 'reuse';
  /** The stage run re-used (action reuse), else null. */
  reusedFrom: string | null;
  /** The cache key; null while an upstream that will run has not produced its output. */
  key: string | null;
  /** Why it must run (empty for reuse). */
  reasons: MissReason[];
  batches: BatchCount;
  /** What the key cannot see (a command without handler.files, a computed import). */
  warnings: string[];
}

export interface SweepPlan extends SweepSpec {
  runs: string[];
}

export interface PipelinePlan {
  pipeline: string;
  /** `--fresh`: the cache is ignored, every run runs. */
  fresh: boolean;
  runs: RunPlan[];
  sweeps: SweepPlan[];
  summary: { runs: number; reuse: number; run: number };
}

export interface PlanOptions {
  /** Paths under it are shown relative to it in reasons (the pipeline file's directory). */
  baseDir?: string;
  fresh?: boolean;
  signal?: AbortSignal;
}

/** Plans every run of `spec`, stages in topological order, runs of a stage in spec order. */
export async function planPipeline(deps: { state: StateStore; blobs: BlobStore }, spec: PipelineSpec, opts: PlanOptions = {}): Promise<PipelinePlan> {
  const results = new Map<string, string | null>();
  const counts = new Map<string, number | null>();
  const counter = new BatchCounter();
  const plans: RunPlan[] = [];
  for (const stage of spec.order) {
    const runs = spec.runs.filter((r) => r.stage === stage);
    const planned: RunPlan[] = [];
    const shas: Array<string | null> = [];
    for (const run of runs) {
      const { plan, resultSha256 } = await planRun(deps, spec.name, run, (s) => results.get(s) ?? null, (s) => counts.get(s) ?? null, counter, opts);
      planned.push(plan);
      shas.push(resultSha256);
    }
    results.set(stage, runs.length === 0 ? null : combinedResult(shas));
    counts.set(stage, runs.length === 1 && planned[0]?.batches.kind === 'counted' ? planned[0].batches.batches : null);
    plans.push(...planned);
  }
  const sweeps = spec.sweeps.map((s) => ({ ...s, runs: spec.runs.filter((r) => r.stage === s.stage).map((r) => r.displayName) }));
  const reuse = plans.filter((p) => p.action === 'reuse').length;
  return { pipeline: spec.name, fresh: opts.fresh === true, runs: plans, sweeps, summary: { runs: plans.length, reuse, run: plans.length - reuse } };
}

async function planRun(
  deps: { state: StateStore; blobs: BlobStore },
  pipeline: string,
  run: StageRunSpec,
  upstreamResult: (stage: string) => string | null,
  upstreamBatches: (stage: string) => number | null,
  counter: BatchCounter,
  opts: PlanOptions,
): Promise<{ plan: RunPlan; resultSha256: string | null }> {
  const [{ components, warnings }, batches] = await Promise.all([
    cacheComponents(run, upstreamResult),
    counter.count(run, upstreamBatches),
  ]);
  const key = cacheKey(components);
  const base = { stage: run.stage, run: run.displayName, point: run.point, key, batches, warnings };
  let gone = null;
  if (key !== null && opts.fresh !== true) {
    const found = await findReusable(deps, key, { signal: opts.signal });
    if (found.reusable) {
      const plan: RunPlan = { ...base, action: 'reuse', reusedFrom: found.entry.jobId, reasons: [] };
      return { plan, resultSha256: found.entry.result.sha256 };
    }
    gone = found.gone;
  }
  const reasons = await whyRun(deps.state, pipeline, run, components, opts, gone?.jobId ?? null);
  return { plan: { ...base, action: 'run', reusedFrom: null, reasons }, resultSha256: null };
}

async function whyRun(
  state: StateStore,
  pipeline: string,
  run: StageRunSpec,
  components: Awaited<ReturnType<typeof cacheComponents>>['components'],
  opts: PlanOptions,
  goneJobId: string | null,
): Promise<MissReason[]> {
  if (opts.fresh === true) return [{ kind: 'none', text: '--fresh: the cache is ignored' }];
  if (goneJobId !== null) return [{ kind: 'none', text: `the result of the matching run ${goneJobId} is gone (deleted or expired)` }];
  const latest = await state.latestCacheEntry(pipeline, run.displayName, { signal: opts.signal });
  const reasons = explainMiss(latest?.components ?? null, components, { baseDir: opts.baseDir });
  // Equal components, yet no entry under the key: cannot happen unless the entry vanished between the two reads.
  return reasons.length > 0 ? reasons : [{ kind: 'none', text: 'no re-usable run under this key' }];
}
