/**
 * How people see a pipeline: its stages in graph order, each with its
 * progress (one line per stage; a points table for a sweep), what a waiting
 * stage waits for and why a skipped one was skipped; and the documented
 * `--json` shape (docs/cli.md, "djc status PIPELINE").
 */
import { TERMINAL_JOB } from '@djc/core/read';
import type { JobRecord, PipelineGraph } from '@djc/core';
import { isOrphaned, runsOf, stageStatus } from '@djc/coordinator/read';
import { elapsed, orphanWarning, table } from './format.js';

export { pipelineDocument, stageStatus, type PipelineStatusDocument, type PipelineStageDocument } from '@djc/coordinator/read';

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
