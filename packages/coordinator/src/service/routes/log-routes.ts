/**
 * Attempt logs: one task's (`djc logs JOB --task N --json`; `?follow=true`:
 * the text as `djc logs -f --task N` prints it, streamed until the task
 * ends), and a page of the job's tasks' logs (`djc logs JOB --json`, a
 * page at a time: never every task at once).
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { DjcError, TERMINAL_JOB, type Backend, type TaskRecord } from '@djc/core';
import { mustGetJob } from '../../coordinate-job.js';
import { jsonSink, sectionSink } from '../../logs/log-sinks.js';
import { TaskLogReader } from '../../logs/task-logs.js';
import { resolveJob } from '../../resolve-job.js';
import { sleep } from '../sleep.js';
import { anyDocument, errors, jobParams, pageLimit, queryBool } from '../schemas.js';
import type { ServiceContext } from '../create-service.js';
import type { TypedApp } from './types.js';

const FOLLOW_EVERY_MS = 1000;

export function logRoutes(app: TypedApp, ctx: ServiceContext): void {
  const { backend } = ctx;
  app.get('/v1/jobs/:job/tasks/:task/logs', {
    config: { scope: 'read' },
    schema: {
      summary: 'every attempt\'s log of one task (djc logs --task N --json); ?follow=true: text/plain, streamed until the task ends', tags: ['logs'],
      params: jobParams.extend({ task: z.coerce.number().int().min(0) }),
      querystring: z.object({ follow: queryBool.optional() }),
      response: { 200: anyDocument, ...errors },
    },
  }, async (req, reply) => {
    const { jobId } = await resolveJob(backend, req.params.job);
    const first = await mustGetTask(backend, jobId, req.params.task);
    if (!req.query.follow) {
      const sink = jsonSink();
      await new TaskLogReader(backend, jobId, sink).read([first], false);
      return { jobId, taskId: first.taskId, attempts: sink.tasks()[0]?.attempts ?? [] };
    }
    return followTaskLog(ctx, req.raw, reply, jobId, first.taskId);
  });

  app.get('/v1/jobs/:job/logs', {
    config: { scope: 'read' },
    schema: {
      summary: 'the logs of a page of the job\'s tasks (djc logs JOB --json, a page at a time)', tags: ['logs'], params: jobParams,
      querystring: z.object({ limit: pageLimit(100, 1000), cursor: z.string().regex(/^\d+$/, 'a cursor is the nextCursor of the previous page').optional() }),
      response: { 200: anyDocument, ...errors },
    },
  }, async (req) => {
    const job = await resolveJob(backend, req.params.job);
    const { limit, cursor } = req.query;
    const tasks = await backend.state.listTasks(job.jobId, { limit: limit + 1, ...(cursor === undefined ? {} : { after: Number(cursor) }) });
    const page = tasks.slice(0, limit);
    const sink = jsonSink();
    await new TaskLogReader(backend, job.jobId, sink).read(page, TERMINAL_JOB.has(job.status));
    return { jobId: job.jobId, tasks: sink.tasks(), nextCursor: tasks.length > limit ? String(page.at(-1)!.taskId) : null };
  });
}

/** `djc logs -f --task N` over HTTP: text as the attempts write it, until the task ends, the client leaves or the service closes. */
async function followTaskLog(ctx: ServiceContext, raw: IncomingMessage, reply: FastifyReply, jobId: string, taskId: number): Promise<FastifyReply> {
  const { backend } = ctx;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    const gone = new AbortController();
    raw.on('close', () => gone.abort());
    const closed = { signal: AbortSignal.any([gone.signal, ctx.closing]) };
    const sink = sectionSink((t) => res.write(t));
    const reader = new TaskLogReader(backend, jobId, sink);
    while (!closed.signal.aborted) {
      const jobEnded = TERMINAL_JOB.has((await mustGetJob(backend, jobId)).status);
      const done = await reader.read([await mustGetTask(backend, jobId, taskId)], jobEnded);
      if (done) break;
      await sleep(FOLLOW_EVERY_MS, closed.signal);
    }
    sink.close();
    res.end();
    return reply;
  return reply;
}

async function mustGetTask(backend: Backend, jobId: string, taskId: number): Promise<TaskRecord> {
  const task = await backend.state.getTask(jobId, taskId);
  if (!task) throw new DjcError('NOT_FOUND', `job ${jobId} has no task ${taskId}`, { jobId, taskId, hint: `GET /v1/jobs/${jobId}/tasks lists its tasks` });
  return task;
}
