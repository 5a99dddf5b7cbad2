/**
 * Job ids of a pipeline's stage runs, derived from the pipeline's id and its
 * graph: `<pipeline>.<stage>[.<point>]-<the pipeline id's stamp and hex>`,
 * e.g. `reviews.clean-20261202161000-a1b2c3` and `reviews.train.0-…` for the
 * first point of a sweep. Deterministic, so a submit written again creates
 * the same runs (idempotent), and a backend lists a pipeline's runs by key;
 * and a stage run's job name is `reviews.clean`, so resolveJob finds the
 * newest run of a stage by that name.
 */
import type { PipelineGraph } from './types.js';

const SUFFIX_RE = /-\d{14}-[0-9a-f]{6}$/;

/** The ids of `graph.runs`, in order. */
export function stageRunIds(pipelineId: string, graph: Pick<PipelineGraph, 'name' | 'runs'>): string[] {
  const suffix = SUFFIX_RE.exec(pipelineId)?.[0] ?? `-${pipelineId}`;
  const seen = new Map<string, number>();
  return graph.runs.map((run) => {
    const k = seen.get(run.stage) ?? 0;
    seen.set(run.stage, k + 1);
    return `${stageRunName(graph.name, run.stage)}${run.point === null ? '' : `.${k}`}${suffix}`;
  });
}

/** The job name of a stage's runs: `<pipeline>.<stage>`. */
export function stageRunName(pipeline: string, stage: string): string {
  return `${pipeline}.${stage}`;
}
