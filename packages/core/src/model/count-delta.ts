import { TASK_COUNT_KEY, type TaskCounts } from './job.js';
import type { TaskStatus } from './status.js';

/** Signed changes to a job's task counters (and records processed or found bad), applied with each task change. */
export type CountDelta = Partial<TaskCounts> & { processed?: number; bad?: number };

/** Adds "n tasks went from → to" to a delta. */
export function addMove(delta: CountDelta, from: TaskStatus, to: TaskStatus, n = 1): CountDelta {
  const f = TASK_COUNT_KEY[from];
  const t = TASK_COUNT_KEY[to];
  delta[f] = (delta[f] ?? 0) - n;
  delta[t] = (delta[t] ?? 0) + n;
  return delta;
}
