/** Hand-built PipelineSpec values for tests (the YAML loader makes them for users). */
import { testJobConfig } from './fixtures.js';
import type { Point, PipelineSpec, StageRunSpec, UpstreamPolicy } from '../pipeline/types.js';
import type { JobConfig } from '../config/schema.js';

export interface TestStage {
  name: string;
  needs?: string[];
  points?: Point[];
  onUpstreamFailure?: UpstreamPolicy;
  /** Feeds from these upstreams (default: its needs, aggregated); 'batch' for N to N. */
  each?: 'batch';
  config?: JobConfig;
}

/** A spec whose stages are given in a topological order. */
export function testPipelineSpec(name: string, stages: readonly TestStage[]): PipelineSpec {
  const runs = stages.flatMap((s) => (s.points ?? [null]).map((point): StageRunSpec => ({
    stage: s.name,
    point,
    displayName: point ? `${s.name}[${Object.entries(point).map(([k, v]) => `${k}=${String(v)}`).join(',')}]` : s.name,
    needs: s.needs ?? [],
    onUpstreamFailure: s.onUpstreamFailure ?? 'skip',
    config: s.config ?? testJobConfig(s.name),
    upstream: s.needs?.length ? { from: s.needs, each: s.each ?? null, format: null } : null,
    paramsUsed: {},
  })));
  const sweeps = stages.filter((s) => s.points).map((s) => ({
    stage: s.name, maxParallel: null, toleratedFailure: { count: 0 }, points: s.points!.length,
  }));
  return { v: 1, name, labels: {}, parameters: {}, order: stages.map((s) => s.name), runs, sweeps, sources: [] };
}
