/**
 * `POST /v1/jobs`: a job, pipeline or sweep file as the body (YAML or
 * JSON), with the options of `djc submit` as query parameters;
 * `?dry_run=true` checks it and answers the plan, writing nothing.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { DjcError, loadWorkflowFile, planPipeline, type LoadedWorkflow } from '@djc/core';
import { parsePriority } from '../../scheduling/set-priority.js';
import { submitWorkflow } from '../../submit-workflow.js';
import { notifySubmitted } from '../../scheduling/submit-signal.js';
import { anyDocument, errors, queryBool, queryList, submitAnswerSchema } from '../schemas.js';
import type { ServiceContext } from '../create-service.js';
import { idempotent } from './idempotent.js';
import type { TypedApp } from './types.js';

const submitQuery = z.object({
  dry_run: queryBool.optional().describe('check the file and answer the plan (a pipeline: `djc plan --json`); write nothing'),
  set: queryList.optional().describe('KEY=VALUE overrides, as `djc submit --set` (repeat the parameter)'),
  after: z.string().optional().describe('comma-separated JOB refs this job waits for (`--after`)'),
  after_any: queryBool.optional().describe('with after: run once they ended, however they ended'),
  fresh: queryBool.optional().describe('pipelines: re-use nothing from the cache'),
  priority: z.string().optional().describe('low | normal | high | urgent, or an integer'),
  base_dir: z.string().optional().describe('absolute directory on the coordinator\'s host that relative paths in the file resolve against (default: where the coordinator was started)'),
});

export function submitRoutes(app: TypedApp, ctx: ServiceContext): void {
  app.post('/v1/jobs', {
    config: { scope: 'submit' },
    schema: {
      summary: 'submit a job, pipeline or sweep (djc submit); the body is the file, YAML (application/yaml) or JSON', tags: ['jobs'],
      querystring: submitQuery,
      consumes: ['application/yaml', 'application/json'],
      headers: z.looseObject({ 'idempotency-key': z.string().optional().describe('a retried POST with the same key gets the first answer and submits once') }),
      body: z.union([z.string(), z.looseObject({})]).describe('the job or pipeline file'),
      response: { 200: anyDocument, 201: submitAnswerSchema, ...errors },
    },
  }, async (req, reply) => idempotent(ctx, req, reply, async () => {
    const q = req.query;
    const priority = q.priority === undefined ? undefined : parsePriority(q.priority, 'priority');
    const workflow = await loadBody(ctx, req.body, q);
    if (q.dry_run) return { status: 200, body: await planOf(ctx, workflow, q.fresh === true) };
    const job = await submitWorkflow(ctx.backend, workflow, {
      after: q.after?.split(','), afterAny: q.after_any, fresh: q.fresh, priority, owner: req.principal?.name, log: ctx.log,
    });
    notifySubmitted(ctx.home);
    const warnings = (workflow.kind === 'pipeline' ? workflow.pipeline.warnings : workflow.job.warnings) ?? [];
    return { status: 201, body: { jobId: job.jobId, status: job.status, ...(job.reason ? { reason: job.reason } : {}), ...(warnings.length > 0 ? { warnings } : {}) } };
  }));
}

/** The body kept under the home (the job records where it came from), then loaded as `djc submit` loads a file. */
async function loadBody(ctx: ServiceContext, body: unknown, q: { set?: string[]; base_dir?: string }): Promise<LoadedWorkflow> {
  const text = typeof body === 'string' ? body : body === undefined || body === null ? '' : JSON.stringify(body, null, 2);
  if (text.trim() === '') throw new DjcError('USAGE', 'the request has no body: send the job or pipeline file', { hint: 'curl --data-binary @job.yaml -H "Content-Type: application/yaml" …' });
  if (q.base_dir !== undefined && !isAbsolute(q.base_dir)) {
    throw new DjcError('USAGE', `base_dir must be an absolute directory, not "${q.base_dir}"`, { hint: 'e.g. ?base_dir=/srv/jobs/wordcount' });
  }
  const dir = join(ctx.home, 'api', 'submissions');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${createHash('sha256').update(text).digest('hex').slice(0, 16)}.yaml`);
  await writeFile(file, text, { mode: 0o600 });
  return loadWorkflowFile(file, { set: q.set, checkHandlers: true, baseDir: q.base_dir ?? process.cwd() });
}

/** A pipeline: `djc plan --json`; a job: `djc validate --json` with the resolved config. */
async function planOf(ctx: ServiceContext, workflow: LoadedWorkflow, fresh: boolean): Promise<unknown> {
  if (workflow.kind === 'job') {
    return { valid: true, kind: 'job', issues: [], warnings: workflow.job.warnings, config: workflow.job.config };
  }
  const { pipeline } = workflow;
  const plan = await planPipeline(ctx.backend, pipeline.spec, { baseDir: pipeline.baseDir, fresh });
  return { valid: true, kind: 'pipeline', file: pipeline.configPath, warnings: pipeline.warnings, ...plan };
}
