/**
 * The run report of a job (`djc report`): its summary and, per job, the
 * figures of reportSection. A pipeline gets one section per stage run, in
 * the pipeline's order. Reads the backend only (no daemon needed), boundedly
 * (REPORT_LIMITS).
 */
import type { Backend, JobRecord } from '@djc/core';
import { REPORT_LIMITS, type ReportLimits } from './report-limits.js';
import { reportSection } from './report-section.js';
import type { RunReport } from './report-types.js';

/** `limits`: smaller (or larger) bounds than REPORT_LIMITS, e.g. in tests. */
export async function runReport(backend: Backend, job: JobRecord, opts: { now?: number; limits?: Partial<ReportLimits> } = {}): Promise<RunReport> {
  const now = opts.now ?? Date.now();
  const limits: ReportLimits = { ...REPORT_LIMITS, ...opts.limits };
  const jobs = job.kind === 'pipeline' ? await backend.state.listJobs({ parentId: job.jobId }) : [job];
  const sections = [];
  for (const j of jobs) sections.push(await reportSection(backend, j, now, limits));
  return {
    version: 1,
    generatedAt: new Date(now).toISOString(),
    job: {
      jobId: job.jobId, name: job.name, kind: job.kind, status: job.status,
      createdAt: job.createdAt, startedAt: job.startedAt, endedAt: job.endedAt, error: job.error,
    },
    limits,
    sections,
  };
}
