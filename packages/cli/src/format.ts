import { formatDuration, formatSize, recordsTotal, TERMINAL_JOB } from '@djc/core/read';
import type { JobRecord, TaskDocument } from '@djc/core';
import { isOrphaned, lastCoordinated, type FailureReport } from '@djc/coordinator/read';
import { requestsLine } from './status-document.js';
import { groupDigits } from './group-digits.js';

const n = groupDigits;

/** The label of the reason line in `djc status`, by status (default "waiting"). */
const REASON_LABEL: Partial<Record<JobRecord['status'], string>> = { SKIPPED: 'skipped ', PAUSED: 'paused  ' };

export function taskSummary(t: JobRecord['tasks']): string {
  const parts = [`${n(t.succeeded)} succeeded`];
  if (t.running) parts.push(`${n(t.running)} running`);
  if (t.claimed) parts.push(`${n(t.claimed)} claimed (held by a worker, not started)`);
  if (t.retrying) parts.push(`${n(t.retrying)} retrying`);
  if (t.pending) parts.push(`${n(t.pending)} pending`);
  if (t.failed) parts.push(`${n(t.failed)} failed`);
  if (t.cancelled) parts.push(`${n(t.cancelled)} cancelled`);
  return `${n(t.total)} total: ${parts.join(', ')}`;
}

export function elapsed(job: JobRecord, now = Date.now()): string {
  if (!job.startedAt) return '-';
  const end = job.endedAt ? Date.parse(job.endedAt) : now;
  return formatDuration(end - Date.parse(job.startedAt));
}

/** `djc status` for a human; with `failures`, its top groups (one line each); `queueReason`: a QUEUED job's reason from the queue document. */
export function formatStatus(job: JobRecord, failures?: FailureReport, queueReason?: string): string {
  const r = job.records;
  const { total, known } = recordsTotal(job);
  const pct = total > 0 ? ` (${Math.floor((100 * (r.processed + r.bad)) / total)}%)` : '';
  const records = (known
    ? `${n(r.processed)} of ${n(total)} processed${pct}`
    : `${n(r.processed)} processed${job.status === 'SUBMITTED' || job.status === 'PREPARING' ? '' : ' (total not known yet: batches split by bytes are counted as their tasks run)'}`)
    + badRecords(job);
  const lines = [
    `job      ${job.jobId} (${job.name})`,
    `status   ${job.status}   backend ${job.backend}   elapsed ${elapsed(job)}`,
    `tasks    ${taskSummary(job.tasks)}`,
    `records  ${records}`,
  ];
  if (job.parentId) lines.push(`pipeline ${job.parentId}   stage ${job.stage?.name ?? '?'}`);
  const reason = queueReason ?? job.reason;
  if (reason) lines.push(`${REASON_LABEL[job.status] ?? 'waiting '} ${reason}`);
  if (job.workers) lines.push(`workers  ${job.workers.summary}`);
  if (job.speculation) lines.push(`copies   ${speculationLine(job.speculation)}`);
  const lastFailure = job.workers?.failures.at(-1);
  if (lastFailure && !TERMINAL_JOB.has(job.status)) lines.push(`         last worker failure: ${lastFailure.reason}`);
  if (job.outputPath) lines.push(`output   ${displayOutput(job.outputPath)}`);
  const requests = requestsLine(job);
  if (requests) lines.push(requests);
  if (job.error) lines.push(`error    ${job.error}`);
  if (failures) lines.push(...failureLines(failures));
  lines.push(...retryLines(job));
  if (!TERMINAL_JOB.has(job.status) && isOrphaned(job)) lines.push(orphanWarning(job));
  if (job.tasks.failed > 0) lines.push(`next     djc failures ${job.jobId}   (then: djc retry ${job.jobId})`);
  return lines.join('\n');
}

/** "2 speculative copies of stragglers, 1 won". */
function speculationLine(c: NonNullable<JobRecord['speculation']>): string {
  return `${n(c.copies)} speculative cop${c.copies === 1 ? 'y' : 'ies'} of stragglers, ${n(c.won)} won`;
}

/** The top failure groups, one line each: "12 × <error>  (tasks 3, 7, …)". */
function failureLines(r: FailureReport): string[] {
  const lines = r.groups.map((g, i) => {
    const tasks = `${g.tasks.slice(0, 5).join(', ')}${g.count > Math.min(5, g.tasks.length) ? ', …' : ''}`;
    return `${i === 0 ? 'failures' : '        '} ${n(g.count)} × ${oneLine(g.example, 120)}   (task${g.count === 1 ? '' : 's'} ${tasks})`;
  });
  const shown = r.groups.reduce((a, g) => a + g.count, 0);
  if (shown < r.failed) lines.push(`         … ${n(r.failed - shown)} more in other groups (djc failures ${r.jobId})`);
  return lines;
}

/** The latest retries (at most 3), one line each: when, how many tasks, what changed. */
function retryLines(job: JobRecord): string[] {
  const shown = job.retries.slice(-3);
  const skipped = job.retries.length - shown.length;
  return shown.map((r, i) => {
    const changes = r.changes.map((c) => `${c.key}=${formatSetting(c.to, c.unit)}`).join(', ');
    const picked = [r.selection.task ? `--task ${r.selection.task}` : '', r.selection.error ? `--error ${JSON.stringify(r.selection.error)}` : ''].filter(Boolean).join(' ');
    return `${i === 0 ? 'retries ' : '        '} #${skipped + i + 1} ${r.at}: ${n(r.taskCount)} task${r.taskCount === 1 ? '' : 's'}${r.tasks ? ` (${r.tasks})` : ''}`
      + `${picked ? ` chosen by ${picked}` : ''}${changes ? `; set ${changes}` : '; no settings changed'}`;
  });
}

/** The first line of `text`, cut to `max` characters. */
function oneLine(text: string, max: number): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** ", 3 bad (skipped)" and where dead letters are; "" when there are none. */
function badRecords(job: JobRecord): string {
  const bad = job.records.bad;
  if (bad === 0) return '';
  if (job.config.input.on_bad_record !== 'dead_letter') return `, ${n(bad)} bad (skipped)`;
  const where = TERMINAL_JOB.has(job.status) ? `djc results ${job.jobId} --bad-records` : 'gathered when the job ends';
  return `, ${n(bad)} bad (dead letters: ${where})`;
}

export function displayOutput(p: string): string {
  return p.startsWith('blob:') ? `${p.slice(5)} in the blob store (djc results prints it)` : p;
}

/** Fixed-width columns; the last column takes the rest of the line. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** What `djc list` shows of a job (an entry of its `--json` document, or a record). */
export type JobListRow = Pick<JobRecord, 'jobId' | 'status' | 'tasks' | 'createdAt'>;

/** Jobs, newest first; a pipeline's stage runs (`stages`, by pipeline id) folded under it, indented. */
export function formatJobList(jobs: readonly JobListRow[], stages: ReadonlyMap<string, readonly JobListRow[]> = new Map()): string {
  if (jobs.length === 0) return 'no jobs';
  const row = (j: JobListRow, indent: string) => [
    `${indent}${j.jobId}`, j.status, `${j.tasks.succeeded}/${j.tasks.total}${j.tasks.failed ? ` (${j.tasks.failed} failed)` : ''}`, j.createdAt,
  ];
  return table(
    ['JOB', 'STATUS', 'TASKS', 'CREATED'],
    jobs.flatMap((j) => [row(j, ''), ...(stages.get(j.jobId) ?? []).map((s) => row(s, '  '))]),
  );
}

/** `djc tasks`: from the task documents of `djc tasks --json` (the local path and the API alike). */
export function formatTasks(tasks: readonly TaskDocument[], now = Date.now()): string {
  if (tasks.length === 0) return 'no tasks';
  return table(
    ['TASK', 'STATUS', 'ATTEMPTS', 'RECORDS', 'DURATION', 'CPU', 'MEMORY', 'WORKER', 'EXIT', 'ERROR'],
    tasks.map((t) => [
      String(t.taskId), t.status, String(t.attempts), taskRecords(t), taskDuration(t, now),
      t.usage ? seconds(t.usage.cpuMs) : '-', t.usage ? measuredSize(t.usage.peakMemoryBytes) : '-', t.worker ?? '-',
      t.exitCode === null ? '-' : String(t.exitCode), t.error ?? reusedNote(t),
    ]),
  );
}

/** A task that took an earlier task's output (per-batch re-use): where from, in the ERROR column that it has no use for. */
function reusedNote(t: TaskDocument): string {
  return t.reusedFrom ? `REUSED from ${t.reusedFrom.jobId} task ${t.reusedFrom.taskId}` : '';
}

/**
 * The latest attempt's run time, from its handler's start: to its end, or
 * "so far" while it runs; "-" when it has not started (PENDING, CLAIMED).
 */
export function taskDuration(t: Pick<TaskDocument, 'status' | 'startedAt' | 'endedAt'>, now = Date.now()): string {
  if (t.startedAt === null || t.status === 'CLAIMED') return '-';
  const start = Date.parse(t.startedAt);
  if (t.status === 'RUNNING') return `${seconds(now - start)} so far`;
  return t.endedAt === null ? '-' : seconds(Date.parse(t.endedAt) - start);
}

/** A measured size, 3 significant digits: 812KiB, 3.4MiB, 196MiB, 1.25GiB. */
export function measuredSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toPrecision(3).replace(/\.?0+$/, '')}${units[i]}`;
}

/** 850ms, 2.1s, 59.9s, then 1m5s… */
function seconds(ms: number): string {
  const d = Math.max(0, ms);
  return d >= 1000 && d < 60_000 ? `${(d / 1000).toFixed(1)}s` : formatDuration(d);
}

/** What the task committed, else its batch's count from prepare; "-" until known (a batch split by bytes, before it ran). */
function taskRecords(t: TaskDocument): string {
  return t.records === null ? '-' : String(t.records);
}

/** A job nobody coordinates does not move: say so, and what to do. */
export function orphanWarning(job: JobRecord, now = Date.now()): string {
  const ago = formatDuration(now - lastCoordinated(job));
  const who = job.coordinator ? `its coordinator (${job.coordinator.owner}) was last seen ${ago} ago` : `no coordinator has picked it up in ${ago}`;
  return `warning  this job is not moving: ${who}. Start one with \`djc coordinator\` (it resumes the job), or \`djc cancel ${job.jobId}\``;
}

/** A config value as a person writes it: "30s" for a duration, "2GiB" for a size, "unset" for none, JSON otherwise. */
export function formatSetting(v: unknown, unit?: 'duration' | 'size'): string {
  if (v === null || v === undefined) return 'unset';
  if (typeof v === 'number' && unit === 'duration') return formatDuration(v);
  if (typeof v === 'number' && unit === 'size') return formatSize(v);
  return typeof v === 'string' ? v : JSON.stringify(v);
}
