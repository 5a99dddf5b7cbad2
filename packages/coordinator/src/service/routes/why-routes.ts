/** `GET /v1/jobs/{job}/why`: why each unfinished task is not running now (djc tasks JOB --why --json); the remote `--why` reads it. */
import { z } from 'zod';
import { resolveJob } from '../../resolve-job.js';
import { whyDocument } from '../../why/why-report.js';
import { anyDocument, errors, jobParams } from '../schemas.js';
import type { ServiceContext } from '../create-service.js';
import type { TypedApp } from './types.js';

export function whyRoutes(app: TypedApp, { backend }: ServiceContext): void {
  app.get('/v1/jobs/:job/why', {
    config: { scope: 'read' },
    schema: {
      summary: 'why each unfinished task is not running now: backoff, lease, held in a worker, Slurm pending, the job\'s queue reason (djc tasks JOB --why --json)',
      tags: ['jobs'], params: jobParams,
      querystring: z.object({ limit: z.coerce.number().int().min(1).optional().describe('list at most this many tasks, in id order (default 1000)') }),
      response: { 200: anyDocument, ...errors },
    },
  }, async (req) => {
    const job = await resolveJob(backend, req.params.job);
    return await whyDocument(backend, job, { limit: req.query.limit }) as never;
  });
}
