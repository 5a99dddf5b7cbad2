export { submitJob } from './submit.js';
export { prepareJob, enqueuePending } from './prepare.js';
export { coordinateJob, mustGetJob, type CoordinateOptions } from './coordinate-job.js';
export { finalizeJob, toleratedFailures } from './finalize.js';
export { aggregateOutputs, decodeOutput, encodeResult } from './aggregate.js';
export { cancelJob, reopenFailedTasks } from './job-actions.js';
export { runDaemon, coordinatorAlive, type DaemonOptions } from './daemon.js';
export type { Dispatcher, WorkerLoss } from './dispatch/dispatcher.js';
export { createLocalDispatcher, type LocalDispatcherOptions } from './dispatch/local-dispatcher.js';
