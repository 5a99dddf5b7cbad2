/**
 * `GET /v1/events`: Server-Sent Events of job changes (`event: job`, the
 * `djc status --json` document) and, with `?job=`, of that job's task
 * changes (`event: task`, a `djc tasks --json` entry with its jobId).
 * A comment line every 15 s keeps proxies from closing a quiet stream.
 */
import { z } from 'zod';
import { TERMINAL_JOB, type JobStatus } from '@djc/core';
import { resolveJob } from '../../resolve-job.js';
import { sleep } from '../sleep.js';
import { errors } from '../schemas.js';
import type { ServiceContext } from '../create-service.js';
import { JobWatch } from '../job-watch.js';
import type { TypedApp } from './types.js';

const KEEPALIVE_MS = 15_000;

export function eventRoutes(app: TypedApp, ctx: ServiceContext): void {
  app.get('/v1/events', {
    config: { scope: 'read' },
    schema: {
      summary: 'live job (and, with ?job=, task) changes as Server-Sent Events (text/event-stream)', tags: ['events'],
      querystring: z.object({ job: z.string().optional().describe('follow this job and its tasks; the stream ends after the job ends') }),
      response: { 200: z.string().describe('text/event-stream: `event: job` and `event: task` with JSON data'), ...errors },
    },
  }, async (req, reply) => {
    const jobId = req.query.job === undefined ? null : (await resolveJob(ctx.backend, req.query.job)).jobId;
    const watch = new JobWatch(ctx.backend, jobId);
    const gone = new AbortController();
    req.raw.on('close', () => gone.abort());
    const closed = { signal: AbortSignal.any([gone.signal, ctx.closing]) };
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': djc events\n\n');
    let id = 0;
    let quietMs = 0;
    while (!closed.signal.aborted) {
      try {
        const events = await watch.changes();
        for (const e of events) res.write(`id: ${++id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
        if (events.length > 0) quietMs = 0;
        const done = jobId !== null && events.some((e) => e.type === 'job' && TERMINAL_JOB.has(e.data.status as JobStatus));
        if (done) break;
      } catch (e) {
        ctx.log.warn({ err: e }, 'event stream: reading the backend failed; trying again');
      }
      await sleep(ctx.eventsEveryMs, closed.signal);
      quietMs += ctx.eventsEveryMs;
      if (quietMs >= KEEPALIVE_MS && !closed.signal.aborted) {
        res.write(': keep-alive\n\n');
        quietMs = 0;
      }
    }
    res.end();
  });
}
