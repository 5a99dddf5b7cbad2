/** `GET /v1/jobs/{job}/failures`: the failed tasks grouped by error (djc failures --json); the remote `djc status` and `djc failures` read it. */
import { z } from 'zod';
import { failureReport } from '../../failure-report.js';
import { resolveJob } from '../../resolve-job.js';
import { anyDocument, errors, jobParams, queryBool } from '../schemas.js';
import type { ServiceContext } from '../create-service.js';
import type { TypedApp } from './types.js';

export function failureRoutes(app: TypedApp, { backend }: ServiceContext): void {
  app.get('/v1/jobs/:job/failures', {
    config: { scope: 'read' },
    schema: {
      summary: 'the failed tasks grouped by error, largest group first (djc failures --json)', tags: ['jobs'], params: jobParams,
      querystring: z.object({
        max_tasks: z.coerce.number().int().min(1).optional().describe('read at most this many failed tasks (default: all)'),
        max_groups: z.coerce.number().int().min(1).optional().describe('keep at most this many groups (default: all)'),
        last_lines: queryBool.optional().describe('read the last log line of each group\'s first task (default true)'),
      }),
      response: { 200: anyDocument, ...errors },
    },
  }, async (req) => {
    const job = await resolveJob(backend, req.params.job);
    const { max_tasks: maxTasks, max_groups: maxGroups, last_lines: lastLines } = req.query;
    return await failureReport(backend, job, { maxTasks, maxGroups, lastLines }) as never;
  });
}
