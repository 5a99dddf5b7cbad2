/**
 * What the run report reads and shows at most, so that a job of a million
 * tasks still gives a page a browser opens at once. The page says when a
 * limit cut something (`capped`, `sampled`).
 */
export const REPORT_LIMITS = {
  /** Tasks read per job (in task id order) for the figures below; the counts come from the job's counters. */
  tasksRead: 50_000,
  /** Attempts drawn on a job's timeline (every k-th task read, when there are more). */
  timelineBars: 2_000,
  /** Rows of the slowest-tasks table. */
  slowest: 20,
  /** Rows of the top CPU time and top peak memory tables. */
  topUsage: 10,
  /** FAILED tasks read to group failures. */
  failedRead: 10_000,
  /** Failure groups shown. */
  failureGroups: 20,
  /** Bars of each histogram. */
  histogramBins: 20,
} as const;

export type ReportLimits = { [K in keyof typeof REPORT_LIMITS]: number };
