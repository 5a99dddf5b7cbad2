/**
 * `@djc/core/submit`: what writing a job needs (`djc submit`, the
 * coordinator's submit path): everything `@djc/core/read` has, plus the
 * job/pipeline file loader, job ids, the pipeline's stage runs and tracing.
 * Not the package's index: that evaluates the zod config schema, the
 * partitioners and the rest of core (~60-70 ms of CPU for zod alone, issue
 * 14). The loader checks a valid job config by hand (config/fast-check.ts)
 * and imports the zod schema only to explain an invalid one.
 */
export * from './read-api.js';
export { configInvalid, formatIssue, loadJobFile, validateJobFile, type ConfigIssue, type LoadedJob, type LoadOptions } from './config/load.js';
export { loadWorkflowFile, validateWorkflowFile, type LoadedWorkflow, type WorkflowValidation } from './pipeline/load-workflow.js';
export { pipelineJobs } from './pipeline/pipeline-jobs.js';
export { initTracing } from './tracing/tracing.js';
