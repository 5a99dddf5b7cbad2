/**
 * The progress line of a job, as a pure function of its record: a bar
 * fitted to a terminal's width, or a plain line for logs. Rate and ETA come
 * from the work done since the display started (`ProgressBase`), so a
 * `djc retry` or a `status --watch` joining late does not count tasks that
 * finished before it.
 */
import { formatDuration, recordsTotal, TERMINAL_JOB, type JobRecord, type TaskCounts } from '@djc/core';
import { taskSummary } from './format.js';
import { groupDigits } from './group-digits.js';

const n = groupDigits;
const BAR_WIDTHS = [24, 16, 10];

/** The job's counts when the display first saw it, and when. */
export interface ProgressBase {
  at: number;
  finished: number;
  processed: number;
}

export function progressBase(job: JobRecord, at: number): ProgressBase {
  return { at, finished: finishedTasks(job.tasks), processed: job.records.processed };
}

/** Tasks that ran to an end (succeeded or failed); cancelled ones did not, so a cancelled job never reads 100%. */
export function finishedTasks(t: TaskCounts): number {
  return t.succeeded + t.failed;
}

export interface LineOptions {
  now: number;
  /** Columns the line may take: a bar fitted to them. Unset: a plain line for logs (job id, status, every count). */
  width?: number;
}

export function progressLine(job: JobRecord, base: ProgressBase, o: LineOptions): string {
  const t = job.tasks;
  if (job.status === 'SUBMITTED' || job.status === 'PREPARING') {
    const line = `${job.jobId}: ${job.status.toLowerCase()} (${n(t.total)} tasks so far)`;
    return o.width === undefined ? line : clip(line, o.width);
  }
  const done = finishedTasks(t);
  const frac = t.total > 0 ? done / t.total : 0;
  const head = `${Math.floor(frac * 100)}% ${n(done)}/${n(t.total)} tasks`;
  const m = measures(job, base, o.now);
  if (o.width === undefined) {
    return `${job.jobId}: ${job.status.toLowerCase()} ${head} · ${m.records} records${m.bad} · ${taskSummary(t)} · ${m.rate} rec/s · ETA ${m.eta}`;
  }
  const segments: Segment[] = [
    { text: head, keep: 0 },
    { text: `${m.records} records${m.bad}`, keep: 5 },
    { text: `${m.rate} rec/s`, keep: 6 },
    { text: job.status === 'RUNNING' ? `ETA ${m.eta}` : '', keep: 2 },
    ...activeSegments(t),
    { text: t.failed ? `${n(t.failed)} failed` : '', keep: 1 },
    { text: t.retrying ? `${n(t.retrying)} retrying` : '', keep: 3 },
  ];
  if (job.status !== 'RUNNING') segments.unshift({ text: job.status.toLowerCase(), keep: 0 });
  return fit(segments.filter((s) => s.text !== ''), frac, o.width);
}

/** Tasks at work now: running, and claimed (held by a worker ahead of a free slot, not started) apart. */
function activeSegments(t: TaskCounts): Segment[] {
  return [
    { text: t.running ? `${n(t.running)} running` : '', keep: 4 },
    { text: t.claimed ? `${n(t.claimed)} claimed` : '', keep: 4 },
  ];
}

/** Records, rate and ETA of this display's run. */
function measures(job: JobRecord, base: ProgressBase, now: number): { records: string; bad: string; rate: string; eta: string } {
  const t = job.tasks;
  const r = job.records;
  const elapsed = now - base.at;
  const ranHere = finishedTasks(t) - base.finished;
  const remaining = t.total - finishedTasks(t) - t.cancelled;
  const rate = elapsed > 0 ? Math.max(0, ((r.processed - base.processed) * 1000) / elapsed) : 0;
  const eta = !TERMINAL_JOB.has(job.status) && ranHere > 0 && remaining > 0 ? formatDuration((elapsed * remaining) / ranHere) : '-';
  // Split by bytes, the record total is known only once every task has run.
  const total = recordsTotal(job);
  return {
    records: total.known ? `${n(r.processed)}/${n(total.total)}` : n(r.processed),
    bad: r.bad ? ` (${n(r.bad)} bad)` : '',
    rate: n(Math.round(rate)),
    eta,
  };
}

/** A part of the bar line; `keep`: the lower, the longer it stays when the line must shrink. */
interface Segment {
  text: string;
  keep: number;
}

/**
 * The widest line that fits `width`: a narrower bar first, then segments
 * dropped from the least wanted, then no bar; as a last resort, cut.
 */
function fit(segments: Segment[], frac: number, width: number): string {
  let kept = segments;
  for (;;) {
    const text = kept.map((s) => s.text).join(' · ');
    for (const w of BAR_WIDTHS) {
      const line = `${bar(frac, w)} ${text}`;
      if (line.length <= width) return line;
    }
    const least = Math.max(...kept.map((s) => s.keep));
    if (least === 0) return clip(text, width);
    const drop = kept.findLastIndex((s) => s.keep === least);
    kept = kept.filter((_, i) => i !== drop);
  }
}

function bar(frac: number, width: number): string {
  const full = Math.round(frac * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}]`;
}

function clip(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 1 ? text.slice(0, Math.max(0, width)) : `${text.slice(0, width - 1)}…`;
}
