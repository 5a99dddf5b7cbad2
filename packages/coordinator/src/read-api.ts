/**
 * `@djc/coordinator/read`: what reading a job needs (resolve a JOB ref, the
 * status and list documents, failure groups, liveness, the queue document,
 * why a task waits), without the daemon, the dispatchers, the worker or
 * prepare. `djc status`, `djc tasks` and `djc list` import this instead of
 * the package's index, whose modules cost ~165 ms of CPU to load (measured,
 * issue 14). These modules take their values from `@djc/core/read`, not the
 * core index (~95 ms more: the job-file loader, the config schema, the
 * partitioners); keep anything heavy out of what they import.
 */
export { resolveJob, LAST_JOB } from './resolve-job.js';
export { coordinatorName, coordinatorStaleMs, isOrphaned, lastCoordinated } from './liveness.js';
export { failureReport, type FailureGroupReport, type FailureReport, type FailureReportOptions } from './failure-report.js';
export { statusDocument } from './documents/status-document.js';
export { observedWorkers, workerProcessAlive, type WorkerProbe } from './documents/observed-workers.js';
export { pipelineDocument, stageStatus, runsOf, type PipelineStatusDocument, type PipelineStageDocument } from './documents/pipeline-document.js';
export { jobDocument, jobListDocument, jobListEntry, queuedReason, taskListDocument, type JobDocument } from './documents/job-documents.js';
export { parseQueueDocument, readQueueDocument, QUEUE_STALE_MS } from './scheduler/queue-store.js';
export { whyDocument, type WhyDocument } from './why/why-report.js';
export { jobWhy, taskWhy, type JobWhy, type TaskWhy, type WhyCode } from './why/task-why.js';
