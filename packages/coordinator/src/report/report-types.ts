/** The data of a run report (`djc report`): what report.js draws. Versioned with the page. */
import type { TaskCounts } from '@djc/core';
import type { FailureReport } from '../failure-report.js';
import type { Histogram } from './histogram.js';
import type { ReportLimits } from './report-limits.js';

export interface RunReport {
  version: 1;
  generatedAt: string;
  /** The job asked for: a job, a stage run, or a pipeline. */
  job: { jobId: string; name: string; kind: string; status: string; createdAt: string; startedAt: string | null; endedAt: string | null; error: string | null };
  limits: ReportLimits;
  /** One per job: the job itself, or each stage run of a pipeline (in the pipeline's order). */
  sections: ReportSection[];
}

/** One task's latest attempt, as the tables show it. Times in ms; usage null when not measured. */
export interface ReportTask {
  taskId: number;
  status: string;
  attempts: number;
  worker: string | null;
  durationMs: number | null;
  waitMs: number | null;
  cpuMs: number | null;
  peakMemoryBytes: number | null;
  usageScope: string | null;
  error: string | null;
}

/** One attempt on the timeline: ms from the section's start. */
export interface TimelineBar {
  taskId: number;
  /** Index into `timeline.workers`. */
  lane: number;
  start: number;
  end: number;
  status: string;
}

export interface ReportSection {
  title: string;
  /** The stage's name, for a pipeline's stage run. */
  stage: string | null;
  jobId: string;
  status: string;
  tasks: TaskCounts;
  records: { total: number; processed: number; bad: number };
  startedAt: string | null;
  endedAt: string | null;
  /** From the job's start to its end (or to now while it runs); null before it started. */
  wallMs: number | null;
  /** Attempts started, summed over the tasks read. */
  attempts: number;
  /** Tasks read for the figures below (all of them unless `capped`). */
  tasksRead: number;
  capped: boolean;
  timeline: { startMs: number; spanMs: number; workers: string[]; bars: TimelineBar[]; sampled: boolean; attemptsEnded: number };
  durations: Histogram;
  queueWait: Histogram;
  cpu: Histogram;
  memory: Histogram;
  slowest: ReportTask[];
  topCpu: ReportTask[];
  topMemory: ReportTask[];
  usage: { measured: number; cpuMsTotal: number; peakMemoryMax: number | null };
  failures: FailureReport;
}
