/**
 * A validated pipeline as `djc validate` shows it: one row per stage (runs,
 * needs, input, handler), and the JSON shape of `djc validate --json`.
 */
import type { PipelineSpec, StageRunSpec, SweepSpec, SourceFile } from '@djc/core';
import { relative } from 'node:path';
import type { Cli } from '../context.js';
import { displayOutput, table } from '../format.js';

export interface StageSummary {
  name: string;
  needs: readonly string[];
  runs: number;
  /** Display names of the matrix points ("train[lr=0.1]"), or null for a stage without a matrix. */
  points: string[] | null;
  input: { path: string[] } | { from: readonly string[]; each: 'batch' | null };
  handler: 'module' | 'command';
  onUpstreamFailure: StageRunSpec['onUpstreamFailure'];
}

export interface PipelineSummary {
  name: string;
  order: readonly string[];
  stages: StageSummary[];
  sweeps: readonly SweepSpec[];
  sources: readonly SourceFile[];
}

export function pipelineSummary(spec: PipelineSpec): PipelineSummary {
  const stages = spec.order.map((name): StageSummary => {
    const runs = spec.runs.filter((r) => r.stage === name);
    const first = runs[0] as StageRunSpec;
    const path = first.config.input.path;
    return {
      name,
      needs: first.needs,
      runs: runs.length,
      points: first.point === null ? null : runs.map((r) => r.displayName),
      input: first.upstream ? { from: first.upstream.from, each: first.upstream.each } : { path: Array.isArray(path) ? path : [path] },
      handler: first.config.handler.module === undefined ? 'command' : 'module',
      onUpstreamFailure: first.onUpstreamFailure,
    };
  });
  return { name: spec.name, order: spec.order, stages, sweeps: spec.sweeps, sources: spec.sources };
}

/** The stage table on stdout. */
export function printPipelineSummary(cli: Cli, spec: PipelineSpec): void {
  const summary = pipelineSummary(spec);
  const rows = summary.stages.map((s) => {
    const sweep = spec.sweeps.find((w) => w.stage === s.name);
    const runs = sweep ? `${s.runs} (matrix${sweep.maxParallel === null ? '' : `, ${sweep.maxParallel} at once`})` : String(s.runs);
    const input = 'from' in s.input
      ? `from ${s.input.from.join(', ')}${s.input.each === 'batch' ? ' (each batch)' : ''}`
      : s.input.path.map((p) => displayOutput(shortPath(p))).join(', ');
    return [s.name, runs, s.needs.join(', ') || '-', input, s.handler];
  });
  cli.out(table(['STAGE', 'RUNS', 'NEEDS', 'INPUT', 'HANDLER'], rows));
}

/** A path relative to the current directory when that is shorter. */
function shortPath(p: string): string {
  if (!p.startsWith('/')) return p;
  const rel = relative(process.cwd(), p);
  return rel !== '' && rel.length < p.length ? rel : p;
}
