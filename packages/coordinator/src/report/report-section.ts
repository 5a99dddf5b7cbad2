/**
 * One section of the run report: a job's counters, and figures from a
 * bounded read of its tasks (REPORT_LIMITS): attempts, the timeline, the
 * duration, queue-wait, CPU and memory histograms, the slowest tasks and
 * the top users of CPU and memory, and its failures grouped by error.
 *
 * Each task record holds its latest attempt, so the figures are of latest
 * attempts. Duration: the handler's start to its end. Queue wait: the job's
 * start (its tasks are queued then) to the latest attempt's claim; for a
 * retried task it includes the earlier attempts and their backoff.
 */
import type { Backend, JobRecord, TaskRecord } from '@djc/core';
import { failureReport } from '../failure-report.js';
import { histogram } from './histogram.js';
import type { ReportLimits } from './report-limits.js';
import type { ReportSection, ReportTask, TimelineBar } from './report-types.js';
import { TopN } from './top-n.js';

const PAGE = 1000;

export async function reportSection(backend: Backend, job: JobRecord, now: number, limits: ReportLimits): Promise<ReportSection> {
  const acc = new SectionAccumulator(job, limits);
  let after = -1;
  while (acc.read < limits.tasksRead) {
    const page = await backend.state.listTasks(job.jobId, { after, limit: Math.min(PAGE, limits.tasksRead - acc.read) });
    if (page.length === 0) break;
    for (const t of page) acc.add(t);
    after = (page[page.length - 1] as TaskRecord).taskId;
  }
  const failures = await failureReport(backend, job, { maxTasks: limits.failedRead, maxGroups: limits.failureGroups });
  return acc.section(failures, now);
}

const ms = (iso: string | null) => (iso === null ? null : Date.parse(iso));

/** Folds tasks, one at a time, into bounded figures. */
class SectionAccumulator {
  read = 0;
  private attempts = 0;
  private readonly durations: number[] = [];
  private readonly waits: number[] = [];
  private readonly cpu: number[] = [];
  private readonly memory: number[] = [];
  private readonly ended: TaskRecord[] = [];
  private readonly slowest: TopN<ReportTask>;
  private readonly topCpu: TopN<ReportTask>;
  private readonly topMemory: TopN<ReportTask>;
  private readonly jobStart: number | null;

  constructor(private readonly job: JobRecord, private readonly limits: ReportLimits) {
    this.jobStart = ms(job.startedAt);
    this.slowest = new TopN(limits.slowest);
    this.topCpu = new TopN(limits.topUsage);
    this.topMemory = new TopN(limits.topUsage);
  }

  add(t: TaskRecord): void {
    this.read++;
    this.attempts += t.attempts;
    const row = reportTask(t, this.jobStart);
    if (row.waitMs !== null) this.waits.push(row.waitMs);
    if (row.durationMs !== null) {
      this.durations.push(row.durationMs);
      this.ended.push(t);
      this.slowest.add(row.durationMs, t.taskId, row);
    }
    if (row.cpuMs !== null && row.peakMemoryBytes !== null) {
      this.cpu.push(row.cpuMs);
      this.memory.push(row.peakMemoryBytes);
      this.topCpu.add(row.cpuMs, t.taskId, row);
      this.topMemory.add(row.peakMemoryBytes, t.taskId, row);
    }
  }

  /** The first handler start among the ended tasks read (a job without a start time), else `now`. */
  private earliestStart(now: number): number {
    let first = now;
    for (const t of this.ended) first = Math.min(first, ms(t.startedAt) as number);
    return first;
  }

  section(failures: ReportSection['failures'], now: number): ReportSection {
    const { job } = this;
    const start = this.jobStart;
    const end = ms(job.endedAt) ?? now;
    const bins = this.limits.histogramBins;
    return {
      title: job.stage ? stageTitle(job) : job.name,
      stage: job.stage?.name ?? null,
      jobId: job.jobId,
      status: job.status,
      tasks: { ...job.tasks },
      records: { ...job.records },
      startedAt: job.startedAt,
      endedAt: job.endedAt,
      wallMs: start === null ? null : Math.max(0, end - start),
      attempts: this.attempts,
      tasksRead: this.read,
      capped: this.read < job.tasks.total,
      timeline: timeline(this.ended, start ?? this.earliestStart(now), this.limits.timelineBars),
      durations: histogram(this.durations, bins),
      queueWait: histogram(this.waits, bins),
      cpu: histogram(this.cpu, bins),
      memory: histogram(this.memory, bins),
      slowest: this.slowest.values(),
      topCpu: this.topCpu.values(),
      topMemory: this.topMemory.values(),
      usage: { measured: this.cpu.length, cpuMsTotal: this.cpu.reduce((a, b) => a + b, 0), peakMemoryMax: this.memory.length ? Math.max(...this.memory) : null },
      failures,
    };
  }
}

function reportTask(t: TaskRecord, jobStart: number | null): ReportTask {
  const started = ms(t.startedAt);
  const ended = ms(t.endedAt);
  const claimed = ms(t.claimedAt);
  return {
    taskId: t.taskId,
    status: t.status,
    attempts: t.attempts,
    worker: t.worker,
    durationMs: started !== null && ended !== null && t.attempts > 0 ? Math.max(0, ended - started) : null,
    waitMs: claimed !== null && jobStart !== null ? Math.max(0, claimed - jobStart) : null,
    cpuMs: t.usage?.cpuMs ?? null,
    peakMemoryBytes: t.usage?.peakMemoryBytes ?? null,
    usageScope: t.usage?.scope ?? null,
    error: t.error,
  };
}

/** Latest attempts that ended, one lane per worker; every k-th one beyond `maxBars`. */
function timeline(ended: readonly TaskRecord[], startMs: number, maxBars: number): ReportSection['timeline'] {
  const stride = Math.max(1, Math.ceil(ended.length / maxBars));
  const lanes = new Map<string, number>();
  const bars: TimelineBar[] = [];
  let span = 0;
  for (let i = 0; i < ended.length; i += stride) {
    const t = ended[i] as TaskRecord;
    const worker = t.worker ?? '(unknown)';
    if (!lanes.has(worker)) lanes.set(worker, lanes.size);
    const start = Math.max(0, (ms(t.startedAt) as number) - startMs);
    const end = Math.max(start, (ms(t.endedAt) as number) - startMs);
    span = Math.max(span, end);
    bars.push({ taskId: t.taskId, lane: lanes.get(worker) as number, start, end, status: t.status });
  }
  return { startMs, spanMs: span, workers: [...lanes.keys()], bars, sampled: stride > 1, attemptsEnded: ended.length };
}

function stageTitle(job: JobRecord): string {
  const stage = job.stage as NonNullable<JobRecord['stage']>;
  const point = stage.point ? ` (${Object.entries(stage.point).map(([k, v]) => `${k}=${String(v)}`).join(', ')})` : '';
  return `stage ${stage.name}${point}`;
}
