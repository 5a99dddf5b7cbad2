import type { BackendName } from '../model/job.js';
import type { BlobStore } from './blob-store.js';
import type { StateStore } from './state-store.js';
import type { TaskQueue } from './task-queue.js';

/** The three ports of one backend, built together by an entry point. */
export interface Backend {
  name: BackendName;
  state: StateStore;
  blobs: BlobStore;
  queue: TaskQueue;
  /** Environment a worker process needs to reach the same backend. */
  workerEnv(): Record<string, string>;
  close(): Promise<void>;
}
