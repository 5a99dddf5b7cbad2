/**
 * How people see a pipeline: its stages in graph order, each with its
 * progress (one line per stage; a points table for a sweep), what a waiting
 * stage waits for and why a skipped one was skipped; and the documented
 * `--json` shape (docs/cli.md, "djc status PIPELINE").
 */
import { TERMINAL_JOB, type JobRecord, type JobStatusDocument, type PipelineGraph } from '@djc/core';
import { isOrphaned, stageOutcome } from '@djc/coordinator';
import { statusDocument } from './status-document.js';
import { elapsed, orphanWarning, table } from './format.js';

export interface PipelineStageDocument {
  name: string;
  needs: readonly string[];
  /** The stage's status: its outcome once every run ended (a sweep's tolerated failures included), else WAITING, SUBMITTED or RUNNING. */
  status: string;
  runs: JobStatusDocument[];
}

export interface PipelineStatusDocument extends JobStatusDocument {
  stages: PipelineStageDocument[];
}

/** The stage's runs, in run order. */
function runsOf(runs: readonly JobRecord[], stage: string): JobRecord[] {
  return runs.filter((r) => r.stage?.name === stage);
}

export function stageStatus(graph: PipelineGraph, runs: readonly JobRecord[]): string {
  const stage = runs[0]?.stage?.name ?? '';
  const outcome = stageOutcome(runs.map((r) => ({ jobId: r.jobId, status: r.status, reason: r.reason, tasks: r.tasks, workers: r.config.compute.workers, active: false })), graph.sweeps.find((s) => s.stage === stage));
  if (outcome) return outcome;
  if (runs.some((r) => !TERMINAL_JOB.has(r.status) && r.status !== 'WAITING' && r.status !== 'SUBMITTED')) return 'RUNNING';
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
      return { name, needs: graph.runs.find((r) => r.stage === name)?.needs ?? [], status: stageStatus(graph, mine), runs: mine.map(statusDocument) };
    }),
  };
}

/** `djc status PIPELINE` for a human. */
export function formatPipelineStatus(pipeline: JobRecord, runs: readonly JobRecord[]): string {
  const graph = pipeline.pipeline!;
  const lines = [
    `pipeline ${pipeline.jobId} (${pipeline.name})`,
    `status   ${pipeline.status}   backend ${pipeline.backend}   elapsed ${elapsed(pipeline)}`,
  ];
  if (pipeline.error) lines.push(`error    ${pipeline.error}`);
  if (!TERMINAL_JOB.has(pipeline.status) && isOrphaned(pipeline)) lines.push(orphanWarning(pipeline).replace('this job', 'this pipeline'));
  const rows = graph.order.map((name) => {
    const mine = runsOf(runs, name);
    const needs = graph.runs.find((r) => r.stage === name)?.needs ?? [];
    return [name, stageStatus(graph, mine), progressOf(mine), needs.length ? needs.join(', ') : '-', detailOf(mine)];
  });
  lines.push('', table(['STAGE', 'STATUS', 'PROGRESS', 'NEEDS', 'DETAIL'], rows));
  for (const sweep of graph.sweeps) {
    const mine = runsOf(runs, sweep.stage);
    lines.push('', `points of ${sweep.stage} (${mine.length}${sweep.maxParallel ? `, at most ${sweep.maxParallel} at once` : ''}):`);
    lines.push(table(['POINT', 'STATUS', 'TASKS', 'JOB'], mine.map((r) => [pointText(r), r.status, `${r.tasks.succeeded}/${r.tasks.total}`, r.jobId])));
  }
  return lines.join('\n');
}

/** "3/4 tasks" for one run; "2/3 points" for a sweep. */
function progressOf(runs: readonly JobRecord[]): string {
  if (runs.length === 1) {
    const t = runs[0]!.tasks;
    return `${t.succeeded}/${t.total} tasks${t.failed ? `, ${t.failed} failed` : ''}`;
  }
  return `${runs.filter((r) => r.status === 'SUCCEEDED').length}/${runs.length} points`;
}

/** Why it waits or was skipped, or where its result is, or its error. */
function detailOf(runs: readonly JobRecord[]): string {
  const r = runs.find((x) => x.reason) ?? runs.find((x) => x.error) ?? (runs.length === 1 ? runs[0] : undefined);
  if (!r) return '';
  if (r.reason) return r.reason;
  if (r.error) {
    const line = r.error.split('\n')[0] ?? '';
    return `${line.length > 100 ? `${line.slice(0, 99)}…` : line}  (djc failures ${r.jobId})`;
  }
  return r.jobId;
}

function pointText(r: JobRecord): string {
  const p = r.stage?.point;
  return p ? Object.entries(p).map(([k, v]) => `${k}=${String(v)}`).join(',') : '-';
}
