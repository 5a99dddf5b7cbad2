/**
 * The one entry point for `djc run`, `submit` and `validate`: a file with
 * `stages:` (after `extends`) is a pipeline, any other file a job, loaded
 * exactly as before.
 */
import { resolve } from 'node:path';
import type { ConfigIssue } from '../config/issues.js';
import { configInvalid, isPipelineData, validateJobData, type LoadedJob, type LoadOptions } from '../config/load.js';
// The pipeline loader (its zod schema, the planner) is imported only for a file with stages: a job's submit never loads it.
import type { LoadedPipeline, PipelineValidation } from './load-pipeline.js';
import { readWorkflowSource } from './read-file.js';

export type WorkflowKind = 'job' | 'pipeline';

export type LoadedWorkflow = { kind: 'job'; job: LoadedJob } | { kind: 'pipeline'; pipeline: LoadedPipeline };

export type WorkflowValidation =
  | { ok: true; workflow: LoadedWorkflow; warnings: ConfigIssue[] }
  /** kind: what the file is, as far as it could be read (an unreadable file counts as a job). */
  | { ok: false; kind: WorkflowKind; issues: ConfigIssue[]; warnings: ConfigIssue[] };

/** Validates a job or pipeline file; never throws for a bad file, returns every issue instead. */
export async function validateWorkflowFile(file: string, opts: LoadOptions = {}): Promise<WorkflowValidation> {
  const read = await readWorkflowSource(resolve(file), opts.baseDir);
  if (!read.ok) return { ok: false, kind: 'job', issues: read.issues, warnings: [] };
  if (isPipelineData(read.file.data)) {
    const { validatePipelineData } = await import('./load-pipeline.js');
    const res = await validatePipelineData(read.file, opts);
    return res.ok ? { ok: true, workflow: { kind: 'pipeline', pipeline: res.pipeline }, warnings: res.warnings } : { ...res, kind: 'pipeline' };
  }
  const res = await validateJobData(read.file, opts);
  return res.ok ? { ok: true, workflow: { kind: 'job', job: res.job }, warnings: res.warnings } : { ...res, kind: 'job' };
}

/** Same as `validateWorkflowFile`, but throws DjcError('CONFIG_INVALID') listing every issue. */
export async function loadWorkflowFile(file: string, opts: LoadOptions = {}): Promise<LoadedWorkflow> {
  const res = await validateWorkflowFile(file, opts);
  if (res.ok) return res.workflow;
  throw configInvalid(file, res.issues);
}

/** Validates a pipeline file (a job file is an issue: it has no stages). */
export async function validatePipelineFile(file: string, opts: LoadOptions = {}): Promise<PipelineValidation> {
  const res = await validateWorkflowFile(file, opts);
  if (res.ok) {
    if (res.workflow.kind === 'pipeline') return { ok: true, pipeline: res.workflow.pipeline, warnings: res.warnings };
    const issue = { file: res.workflow.job.configPath, path: '', message: 'this is a job file, not a pipeline: a pipeline has stages:' };
    return { ok: false, issues: [issue], warnings: res.warnings };
  }
  return { ok: false, issues: res.issues, warnings: res.warnings };
}

/** Same as `validatePipelineFile`, but throws DjcError('CONFIG_INVALID') listing every issue. */
export async function loadPipelineFile(file: string, opts: LoadOptions = {}): Promise<LoadedPipeline> {
  const res = await validatePipelineFile(file, opts);
  if (res.ok) return res.pipeline;
  throw configInvalid(file, res.issues);
}
