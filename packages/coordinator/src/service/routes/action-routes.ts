/** Acting on a job: cancel, retry, pause, resume, priority; the same functions as the CLI's commands. */
import { z } from 'zod';
import { DjcError, parseTaskRanges, type JobRecord } from '@djc/core';
import { pauseDocument, priorityDocument, retryDocument } from '../../documents/action-documents.js';
import { statusDocument } from '../../documents/status-document.js';
import { cancelJob } from '../../job-actions.js';
import { pauseJob, resumeJob } from '../../pause-job.js';
import { cancelPipeline } from '../../pipeline/cancel-pipeline.js';
import { retryPipeline } from '../../pipeline/retry-pipeline.js';
import { resolveJob } from '../../resolve-job.js';
import { retryJob } from '../../retry-job.js';
import { parsePriority, setPriority } from '../../scheduling/set-priority.js';
import { anyDocument, errors, jobParams } from '../schemas.js';
import type { ServiceContext } from '../create-service.js';
import { idempotent } from './idempotent.js';
import type { TypedApp } from './types.js';

const submit = { scope: 'submit' as const };
const key = z.looseObject({ 'idempotency-key': z.string().optional() });

const retryBody = z.strictObject({
  set: z.array(z.string()).optional().describe('KEY=VALUE changes for the re-run (compute.*, retry.*, tolerated_failure, fail_fast, output.*, notification.*)'),
  task: z.string().optional().describe('only these tasks: ids and ranges, e.g. "3,7-9"'),
  error: z.string().optional().describe('only tasks whose last error matches this regular expression'),
  keepGoing: z.boolean().optional().describe('run every task even once the job can no longer succeed (set fail_fast=false)'),
}).describe('the options of `djc retry`; the re-run is left to the coordinator (as --detach)');

export function actionRoutes(app: TypedApp, ctx: ServiceContext): void {
  const { backend } = ctx;
  const act = (action: string, summary: string, run: (job: JobRecord) => Promise<unknown>) => app.post(`/v1/jobs/:job/${action}`, {
    config: submit,
    schema: { summary, tags: ['actions'], params: jobParams, headers: key, response: { 200: anyDocument, ...errors } },
  }, async (req, reply) => idempotent(ctx, req, reply, async () => ({ status: 200, body: await run(await resolveJob(backend, req.params.job)) })));

  act('cancel', 'cancel the job (a pipeline: with its unfinished stage runs); djc cancel --json', async (target) => statusDocument(
    target.kind === 'pipeline' ? await cancelPipeline(backend, target.jobId, ctx.log) : await cancelJob(backend, target.jobId, ctx.log)));
  act('pause', 'pause it: no new attempt starts, running ones finish, its workers are released', async (target) => pauseDocument(await pauseJob(backend, target.jobId)));
  act('resume', 'resume a paused job: QUEUED again', async (target) => pauseDocument(await resumeJob(backend, target.jobId)));

  app.post('/v1/jobs/:job/retry', {
    config: submit,
    schema: { summary: 're-run the failed and cancelled tasks of a finished job (djc retry --detach --json)', tags: ['actions'], params: jobParams, headers: key, body: retryBody.optional(), response: { 200: anyDocument, ...errors } },
  }, async (req, reply) => idempotent(ctx, req, reply, async () => {
    const o = req.body ?? {};
    const taskIds = o.task === undefined ? undefined : parseTaskRanges(o.task);
    const set = [...(o.set ?? []), ...(o.keepGoing ? ['fail_fast=false'] : [])];
    const target = await resolveJob(backend, req.params.job);
    if (target.kind === 'pipeline') {
      if (taskIds !== undefined || o.error !== undefined) throw new DjcError('USAGE', 'task and error choose tasks of one job; a pipeline retries the failed tasks of every failed stage', { hint: 'retry the pipeline, or one stage run with task' });
      const r = await retryPipeline(backend, target.jobId, { set });
      if (target.mode !== 'daemon') await backend.state.updateJob(target.jobId, { mode: 'daemon' });
      return { status: 200, body: retryDocument(r.pipeline) };
    }
    const { job } = await retryJob(backend, target.jobId, { set, taskIds, taskSpec: o.task, errorPattern: o.error });
    if (job.mode !== 'daemon') await backend.state.updateJob(job.jobId, { mode: 'daemon' });
    return { status: 200, body: retryDocument(job) };
  }));

  app.post('/v1/jobs/:job/priority', {
    config: submit,
    schema: {
      summary: 'change the priority (a pipeline: with its unfinished runs); djc priority --json', tags: ['actions'], params: jobParams, headers: key,
      body: z.strictObject({ priority: z.union([z.string(), z.number().int()]).describe('low | normal | high | urgent, or an integer') }),
      response: { 200: anyDocument, ...errors },
    },
  }, async (req, reply) => idempotent(ctx, req, reply, async () => {
    const priority = parsePriority(String(req.body.priority), 'priority');
    const target = await resolveJob(backend, req.params.job);
    return { status: 200, body: priorityDocument(await setPriority(backend, target.jobId, priority)) };
  }));
}
