/**
 * The documented `--json` shape of a pipeline (docs/cli.md, "djc status
 * PIPELINE"): shared by the CLI and the HTTP API.
 */
import { TERMINAL_JOB } from '@djc/core/read';
import type { JobRecord, JobStatusDocument, PipelineGraph, SweepSpec } from '@djc/core';
import { stageOutcome } from '../pipeline/stage-outcome.js';
import { statusDocument } from './status-document.js';

export interface PipelineStageDocument {
  name: string;
  needs: readonly string[];
  /** The stage's status: its outcome once every run ended (a sweep's tolerated failures included), else WAITING, SUBMITTED or RUNNING. */
  status: string;
  /** A sweep stage's settings (points at once, failed points tolerated, point count); null for other stages. */
  sweep: Omit<SweepSpec, 'stage'> | null;
  runs: JobStatusDocument[];
}

export interface PipelineStatusDocument extends JobStatusDocument {
  stages: PipelineStageDocument[];
}

/** The stage's runs, in run order. */
export function runsOf(runs: readonly JobRecord[], stage: string): JobRecord[] {
  return runs.filter((r) => r.stage?.name === stage);
}

export function stageStatus(graph: PipelineGraph, runs: readonly JobRecord[]): string {
  const stage = runs[0]?.stage?.name ?? '';
  const outcome = stageOutcome(runs.map((r) => ({ jobId: r.jobId, status: r.status, reason: r.reason, tasks: r.tasks, workers: r.config.compute.workers, active: false })), graph.sweeps.find((s) => s.stage === stage));
  if (outcome) return outcome;
  const underWay = runs.filter((r) => !TERMINAL_JOB.has(r.status) && r.status !== 'WAITING' && r.status !== 'SUBMITTED');
  // Every run under way paused (djc pause PIPELINE): the stage is PAUSED.
  if (underWay.length > 0 && underWay.every((r) => r.status === 'PAUSED')) return 'PAUSED';
  if (underWay.length > 0) return 'RUNNING';
  if (runs.some((r) => r.status === 'SUBMITTED')) return 'SUBMITTED';
  return runs.some((r) => TERMINAL_JOB.has(r.status)) ? 'RUNNING' : 'WAITING';
}

/**
 * A pipeline runs nothing itself: its `tasks` and `records` are the sums
 * over its stage runs (records.totalKnown only when every run's is).
 */
export function pipelineDocument(pipeline: JobRecord, runs: readonly JobRecord[]): PipelineStatusDocument {
  const graph = pipeline.pipeline!;
  const docs = runs.map(statusDocument);
  const own = statusDocument(pipeline);
  const tasks = { ...own.tasks };
  for (const key of Object.keys(tasks) as (keyof typeof tasks)[]) tasks[key] = docs.reduce((sum, d) => sum + d.tasks[key], 0);
  const records = {
    total: docs.reduce((sum, d) => sum + d.records.total, 0),
    processed: docs.reduce((sum, d) => sum + d.records.processed, 0),
    bad: docs.reduce((sum, d) => sum + d.records.bad, 0),
    totalKnown: docs.every((d) => d.records.totalKnown),
  };
  return {
    ...own,
    tasks,
    records,
    stages: graph.order.map((name) => {
      const mine = runsOf(runs, name);
      const { stage: _stage, ...sweep } = graph.sweeps.find((w) => w.stage === name) ?? { stage: null };
      return {
        name, needs: graph.runs.find((r) => r.stage === name)?.needs ?? [], status: stageStatus(graph, mine),
        sweep: 'points' in sweep ? sweep : null, runs: mine.map(statusDocument),
      };
    }),
  };
}
