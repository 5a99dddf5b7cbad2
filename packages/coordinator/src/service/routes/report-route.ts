/**
 * `GET /v1/jobs/{job}/report`: the run report's figures as JSON (`djc report`'s
 * data: timeline of attempts per worker, duration histograms, failures
 * grouped), for the dashboard's job page. Bounded like the report, with
 * smaller caps (DASHBOARD_LIMITS), so that a job of a million tasks answers
 * at once; the answer says when a cap cut something (`capped`, `sampled`).
 */
import { runReport } from '../../report/run-report.js';
import type { ReportLimits } from '../../report/report-limits.js';
import { resolveJob } from '../../resolve-job.js';
import { anyDocument, errors, jobParams } from '../schemas.js';
import type { ServiceContext } from '../create-service.js';
import type { TypedApp } from './types.js';

/** What one dashboard request reads at most: tasks in id order, FAILED tasks for the groups. */
export const DASHBOARD_LIMITS: Partial<ReportLimits> = { tasksRead: 5_000, timelineBars: 1_000, failedRead: 2_000, slowest: 10, topUsage: 5 };

export function reportRoute(app: TypedApp, { backend }: ServiceContext): void {
  app.get('/v1/jobs/:job/report', {
    config: { scope: 'read' },
    schema: {
      summary: 'the run report\'s figures (djc report\'s data), read boundedly: at most 5000 tasks in id order and 2000 failed ones', tags: ['jobs'],
      params: jobParams, response: { 200: anyDocument, ...errors },
    },
  }, async (req) => {
    const job = await resolveJob(backend, req.params.job);
    return (await runReport(backend, job, { limits: DASHBOARD_LIMITS })) as never;
  });
}
