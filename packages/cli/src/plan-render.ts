/**
 * `djc plan` for people: one line per stage run (what it will do, how many
 * batches), the reasons a run must run under it, then the sweeps and a
 * summary. The data is the PipelinePlan that `--json` prints as is.
 */
import type { BatchCount, PipelinePlan, RunPlan } from '@djc/core';
import { groupDigits } from './group-digits.js';

const n = groupDigits;

export function renderPlan(plan: PipelinePlan): string {
  const rows = plan.runs.map((r) => [r.run, action(r), batches(r.batches)]);
  const header = ['RUN', 'ACTION', 'BATCHES'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  const out = [line(header)];
  plan.runs.forEach((r, i) => {
    out.push(line(rows[i] as string[]));
    for (const reason of r.reasons) out.push(`  why: ${reason.text}`);
    for (const w of r.warnings) out.push(`  note: ${w}`);
  });
  for (const s of plan.sweeps) out.push('', sweep(s));
  const { runs, reuse, run } = plan.summary;
  out.push('', `${plan.pipeline}: ${n(runs)} run${runs === 1 ? '' : 's'}, ${n(reuse)} re-used, ${n(run)} to run${plan.fresh ? ' (--fresh: the cache is ignored)' : ''}`);
  return out.join('\n');
}

function action(r: RunPlan): string {
  return r.action === 'reuse' ? `reuse ${r.reusedFrom ?? ''}` : 'run';
}

function batches(b: BatchCount): string {
  switch (b.kind) {
    case 'counted':
      return `${n(b.batches)} (${n(b.files)} file${b.files === 1 ? '' : 's'}, ${size(b.bytes)})`;
    case 'from-upstream':
      return `from the output of ${b.upstreams.join(', ')}`;
    case 'per-upstream-task':
      return `one per ${b.upstream} task${b.batches === null ? '' : ` (${n(b.batches)})`}`;
    case 'error':
      return `? (${b.message})`;
  }
}

function sweep(s: PipelinePlan['sweeps'][number]): string {
  const limits = [
    s.maxParallel === null ? 'all at once' : `at most ${n(s.maxParallel)} at once`,
    'count' in s.toleratedFailure ? `${n(s.toleratedFailure.count)} failed tolerated` : `${s.toleratedFailure.percent}% failed tolerated`,
  ];
  const points = s.runs.map((r) => /\[(.*)\]$/.exec(r)?.[1] ?? r);
  const shown = points.length > 20 ? [...points.slice(0, 20), `… and ${n(points.length - 20)} more`] : points;
  return `sweep ${s.stage}: ${n(s.points)} point${s.points === 1 ? '' : 's'} (${limits.join(', ')}): ${shown.join(' · ')}`;
}

/** 2,399 bytes, 3.0 MiB: for people, rounded. */
function size(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (bytes < 1024) return `${n(bytes)} byte${bytes === 1 ? '' : 's'}`;
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
