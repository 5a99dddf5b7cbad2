/**
 * `@djc/coordinator/submit`: what `djc submit` calls to write a job, without
 * the coordinator's index (the daemon, the dispatchers and execa through the
 * Slurm one, the worker): ~40-60 ms of CPU a submit spent evaluating modules
 * it never ran (issue 14). The modules behind it must not import the index,
 * daemon.ts or coordinate-job.ts (mustGetJob and coordinatorAlive live in
 * resolve-job.ts and liveness.ts for that).
 */
export { submitWorkflow, applyPriority, type SubmitWorkflowOptions } from './submit-workflow.js';
export { coordinatorAlive } from './liveness.js';
export { notifySubmitted } from './scheduling/submit-signal.js';
export { parsePriority, type Priority } from './scheduling/set-priority.js';
