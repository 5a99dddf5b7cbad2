/** The read side: list jobs, one job, its tasks (paginated), its result, the queue. */
import { z } from 'zod';
import { DjcError, JOB_STATUSES, TASK_STATUSES } from '@djc/core';
import { jobDocument, jobListDocument, taskListDocument } from '../../documents/job-documents.js';
import { resolveJob } from '../../resolve-job.js';
import { locateResult } from '../../results/locate-result.js';
import { readQueueDocument, queueJson, QUEUE_STALE_MS } from '../../scheduler/queue-store.js';
import { anyDocument, errors, jobListSchema, jobParams, jobStatusSchema, pageLimit, taskPageSchema } from '../schemas.js';
import type { ServiceContext } from '../create-service.js';
import { jobPage } from './job-page.js';
import type { TypedApp } from './types.js';

const read = { scope: 'read' as const };

/** The CLI's documents are interfaces (no index signature); the response schemas let their fields through. */
const loose = <T>(doc: T) => doc as never;

export function readRoutes(app: TypedApp, ctx: ServiceContext): void {
  jobRoutes(app, ctx);
  resultRoutes(app, ctx);
}

function jobRoutes(app: TypedApp, { backend }: ServiceContext): void {
  app.get('/v1/jobs', {
    config: read,
    schema: {
      summary: 'jobs, newest first (djc list)', tags: ['jobs'],
      querystring: z.object({ status: z.enum(JOB_STATUSES).optional(), limit: pageLimit(50, 500), cursor: z.string().optional() }),
      response: { 200: jobListSchema, ...errors },
    },
  }, async (req) => {
    const { jobs, nextCursor } = await jobPage(backend, req.query);
    return { ...(await jobListDocument(backend, jobs)), nextCursor };
  });

  app.get('/v1/jobs/:job', {
    config: read,
    schema: { summary: 'one job or pipeline (djc status JOB --json)', tags: ['jobs'], params: jobParams, response: { 200: jobStatusSchema, ...errors } },
  }, async (req) => loose(await jobDocument(backend, await resolveJob(backend, req.params.job))));

  app.get('/v1/jobs/:job/tasks', {
    config: read,
    schema: {
      summary: 'a page of the job\'s tasks in task id order (djc tasks --json); never the whole table', tags: ['jobs'], params: jobParams,
      querystring: z.object({ status: z.enum(TASK_STATUSES).optional(), limit: pageLimit(100, 1000), cursor: z.string().regex(/^\d+$/, 'a cursor is the nextCursor of the previous page').optional() }),
      response: { 200: taskPageSchema, ...errors },
    },
  }, async (req) => {
    const { jobId } = await resolveJob(backend, req.params.job);
    const { status, limit, cursor } = req.query;
    const tasks = await backend.state.listTasks(jobId, { status, limit: limit + 1, ...(cursor === undefined ? {} : { after: Number(cursor) }) });
    const page = tasks.slice(0, limit);
    return loose({ ...taskListDocument(page), nextCursor: tasks.length > limit ? String(page.at(-1)!.taskId) : null });
  });
}

function resultRoutes(app: TypedApp, { backend }: ServiceContext): void {
  app.get('/v1/jobs/:job/results', {
    config: read,
    schema: {
      summary: 'where the result is (djc results --json); ?content=true: the result itself', tags: ['jobs'], params: jobParams,
      querystring: z.object({ task: z.coerce.number().int().min(0).optional(), stage: z.string().optional(), content: z.enum(['true', 'false']).optional() }),
      response: { 200: z.union([anyDocument, z.any()]), ...errors },
    },
  }, async (req, reply) => {
    const { job, path, taskId, inline } = await locateResult(backend, await resolveJob(backend, req.params.job), req.query);
    if (req.query.content !== 'true') return { jobId: job.jobId, ...(taskId === undefined ? {} : { taskId }), status: job.status, output: { path } };
    if (inline) return reply.type('application/octet-stream').send(Buffer.from(inline));
    if (!path.startsWith('blob:')) {
      throw new DjcError('NOT_FOUND', `the result of ${job.jobId} is a file of the coordinator's host (${path}), not in the blob store`, { hint: 'read it on that host' });
    }
    const stream = await backend.blobs.getStream(path.slice(5));
    if (!stream) throw new DjcError('NOT_FOUND', `${path} is missing from the blob store`, { jobId: job.jobId });
    return reply.type('application/octet-stream').send(stream);
  });

  app.get('/v1/queue', {
    config: read,
    schema: { summary: 'the scheduler\'s queue as the coordinator last decided it (djc queue --json)', tags: ['queue'], response: { 200: anyDocument, ...errors } },
  }, async () => {
    const doc = await readQueueDocument(backend);
    const ageMs = doc ? Math.max(0, Date.now() - Date.parse(doc.at)) : null;
    // queueJson writes the stored form (Infinity as null), as `djc queue --json` prints it.
    return JSON.parse(queueJson({ queue: doc, ageMs, stale: ageMs !== null && ageMs > QUEUE_STALE_MS })) as Record<string, unknown>;
  });
}
