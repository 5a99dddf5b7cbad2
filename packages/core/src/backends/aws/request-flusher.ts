/**
 * Writes the per-job request counts of this process to the state store
 * (StateStore.addRequestCounts): every `everyMs` (default 5 s) and on
 * `stop()`. Flushes never overlap. A job's flush runs on behalf of that job,
 * so its own UpdateItem is counted into the job's next delta; a delta made
 * only of those (DynamoDB.UpdateItem after a flush of the job) is held back
 * until the job has other requests or the final flush, so an idle job does
 * not cause a write every tick forever. The final flush's own request is not
 * persisted. A failed periodic flush keeps its counts for the next one; a
 * failed final flush loses them (counts are bookkeeping: they never fail a
 * job or a shutdown).
 */
import type { StateStore } from '../../ports/state-store.js';
import { withJob } from '../../util/request-context.js';
import type { JobRequestCounter } from './job-request-counter.js';

export interface RequestFlusher {
  /** Flushes now (after any flush in progress). */
  flush(): Promise<void>;
  /** Stops the timer and flushes everything. */
  stop(): Promise<void>;
}

const OWN_OP = 'DynamoDB.UpdateItem';

export function startRequestFlusher(counter: JobRequestCounter, state: StateStore, everyMs = 5_000): RequestFlusher {
  const flushedOnce = new Set<string>();
  let chain: Promise<void> = Promise.resolve();
  const run = (final: boolean) => {
    chain = chain.then(() => flushAll(final));
    return chain;
  };
  const flushAll = async (final: boolean) => {
    for (const [jobId, delta] of counter.take()) {
      const ops = Object.keys(delta);
      if (!final && flushedOnce.has(jobId) && ops.length === 1 && ops[0] === OWN_OP) {
        counter.putBack(jobId, delta);
        continue;
      }
      try {
        await withJob(jobId, () => state.addRequestCounts(jobId, delta));
        flushedOnce.add(jobId);
      } catch {
        if (!final) counter.putBack(jobId, delta);
      }
    }
  };
  const timer = setInterval(() => void run(false), everyMs);
  timer.unref();
  return {
    flush: () => run(false),
    stop: () => {
      clearInterval(timer);
      return run(true);
    },
  };
}
