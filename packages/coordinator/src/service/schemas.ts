/**
 * The zod schemas of the API's parameters and answers: they validate
 * requests and generate /v1/openapi.json. Answers are the CLI's `--json`
 * documents (docs/cli.md); their schemas name the main fields and let the
 * rest through, so the CLI document stays the one definition.
 */
import { z } from 'zod';
import { JOB_STATUSES, TASK_STATUSES } from '@djc/core';

export const errorSchema = z.object({
  error: z.object({
    code: z.string().describe('stable code: USAGE, CONFIG_INVALID, NOT_FOUND, CONFLICT, AUTH_REQUIRED, AUTH_INVALID, AUTH_FORBIDDEN, AUTH_RATE_LIMITED, BACKEND_UNAVAILABLE, INTERNAL, …'),
    message: z.string(),
    hint: z.string().optional().describe('what to do about it'),
    details: z.unknown().optional().describe('for CONFIG_INVALID: every issue with its file, YAML path, line and column'),
  }),
}).meta({ id: 'Error', description: 'every error answer' });

export const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema, 429: errorSchema, 500: errorSchema, 503: errorSchema };

export const jobParams = z.object({
  job: z.string().min(1).describe('a job id, a unique prefix of one, a job name (its newest run), or "last"'),
});

const counts = z.looseObject({ total: z.number(), pending: z.number(), running: z.number(), succeeded: z.number(), failed: z.number() });

export const jobStatusSchema = z.looseObject({
  jobId: z.string(), name: z.string(), status: z.string().describe(JOB_STATUSES.join(' | ')), kind: z.string().optional(), tasks: counts,
}).describe('the `djc status JOB --json` document (docs/cli.md); a pipeline adds `stages`, a QUEUED job `queueReason`');

export const jobListSchema = z.object({
  jobs: z.array(z.looseObject({ jobId: z.string(), name: z.string(), status: z.string().describe(JOB_STATUSES.join(' | ')), createdAt: z.string(), kind: z.string() })),
  nextCursor: z.string().nullable().describe('pass as ?cursor= for the next page; null on the last page'),
}).describe('`djc list --json`, one page');

export const taskPageSchema = z.object({
  tasks: z.array(z.looseObject({ taskId: z.number(), status: z.string().describe(TASK_STATUSES.join(' | ')), attempts: z.number() })),
  nextCursor: z.string().nullable().describe('pass as ?cursor= for the next page; null on the last page'),
}).describe('`djc tasks --json`, one page in task id order');

export const submitAnswerSchema = z.looseObject({
  jobId: z.string(), status: z.string().describe(JOB_STATUSES.join(' | ')), reason: z.string().optional(),
  warnings: z.array(z.looseObject({})).optional().describe('what `djc validate` warns about the file (as its `warnings`); absent when none'),
}).describe('`djc submit --json`');

export const anyDocument = z.looseObject({});

/** Query booleans: ?dry_run=true|false|1|0. */
export const queryBool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** `?set=a=1&set=b=2` arrives as a string or a list. */
export const queryList = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

export const pageLimit = (dflt: number, max: number) => z.coerce.number().int().min(1).max(max).default(dflt).describe(`at most this many (default ${dflt}, at most ${max})`);
