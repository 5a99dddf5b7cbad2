/**
 * The job records one pipeline submit writes: every stage run (WAITING for
 * its needs with the reason, or SUBMITTED: ready), then the pipeline itself,
 * LAST, so that StateStore.createJobs, which writes in order, never shows a
 * pipeline without all its runs (on DynamoDB, which writes in chunks, a
 * submit cut short leaves only runs without a pipeline, which nothing lists
 * or runs). Ids derive from the pipeline's id (run-ids.ts): writing the same
 * list again is a no-op.
 */
import type { BackendName, CoordinationMode, NewJob } from '../model/job.js';
import { stageRunIds } from './run-ids.js';
import { graphOf, type PipelineSpec } from './types.js';

export interface PipelineJobsOptions {
  pipelineId: string;
  backend: BackendName;
  configPath: string;
  mode: CoordinationMode;
  /** `--fresh`: stored in the graph (PipelineGraph.fresh). */
  fresh?: boolean;
  /** Who submits it: the pipeline and every run carry it (JobRecord.owner). */
  owner?: string;
}

/** N to N from a stage of exactly one run: that run's id (a sweep upstream is handed off whole instead). */
function streamOf(spec: PipelineSpec, ids: readonly string[], run: PipelineSpec['runs'][number]): { streamFrom?: string } {
  const from = run.upstream?.each === 'batch' && run.upstream.from.length === 1 ? run.upstream.from[0] : undefined;
  if (from === undefined) return {};
  const ups = spec.runs.flatMap((r, i) => (r.stage === from ? [i] : []));
  return ups.length === 1 ? { streamFrom: ids[ups[0]!]! } : {};
}

/** The runs' records in run order, then the pipeline's. */
export function pipelineJobs(spec: PipelineSpec, o: PipelineJobsOptions): NewJob[] {
  const first = spec.runs[0];
  if (!first) throw new Error(`pipeline ${spec.name} has no stage runs`);
  const graph = { ...graphOf(spec), ...(o.fresh === true ? { fresh: true as const } : {}) };
  const ids = stageRunIds(o.pipelineId, graph);
  const owner = o.owner ?? '';
  const common = { backend: o.backend, configPath: o.configPath, mode: o.mode, parentId: o.pipelineId, kind: 'stage' as const, owner };
  const runs = spec.runs.map((run, index): NewJob => ({
    ...common,
    jobId: ids[index]!,
    name: `${spec.name}.${run.displayName}`,
    config: run.config,
    status: run.needs.length > 0 ? 'WAITING' : 'SUBMITTED',
    reason: run.needs.length > 0 ? `waiting for ${run.needs.join(', ')}` : null,
    stage: { name: run.stage, point: run.point, needs: run.needs, index, ...streamOf(spec, ids, run) },
  }));
  const pipeline: NewJob = {
    jobId: o.pipelineId, name: spec.name, backend: o.backend, configPath: o.configPath, mode: o.mode,
    config: first.config, kind: 'pipeline', pipeline: graph, owner,
  };
  return [...runs, pipeline];
}
