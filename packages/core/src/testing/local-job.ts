import { afterEach, beforeEach } from 'vitest';
import type { Backend } from '../ports/backend.js';
import { createLocalBackend } from '../backends/local/index.js';
import type { SqliteDriverName } from '../backends/local/sqlite-driver.js';
import { tempDir, testBatches, testJob } from './fixtures.js';

/** What `useLocalJob` gives each test: a fresh local backend holding one job of `tasks` pending tasks. */
export interface LocalJob {
  readonly backend: Backend;
  readonly jobId: string;
  readonly dir: string;
}

/**
 * Registers a beforeEach/afterEach pair: each test gets a local backend in a
 * temp home (`driver`: the SQLite driver, default the backend's) with one
 * test job and `tasks` tasks (testBatches), closed and removed after it.
 */
export function useLocalJob(prefix: string, tasks: number, driver?: SqliteDriverName): LocalJob {
  let tmp: Awaited<ReturnType<typeof tempDir>> | undefined;
  let backend: Backend | undefined;
  let jobId = '';
  beforeEach(async () => {
    tmp = await tempDir(prefix);
    backend = createLocalBackend({ home: tmp.dir, ...(driver === undefined ? {} : { driver }) });
    const job = testJob();
    await backend.state.createJob(job);
    await backend.state.putTasks(job.jobId, testBatches(tasks));
    jobId = job.jobId;
  });
  afterEach(async () => {
    await backend?.close();
    await tmp?.cleanup();
  });
  return {
    get backend() { return backend as Backend; },
    get jobId() { return jobId; },
    get dir() { return (tmp as { dir: string }).dir; },
  };
}
