/**
 * Counts the requests of the backend's SDK clients per job, by
 * "Service.Operation" (e.g. "DynamoDB.TransactWriteItems"): a middleware on
 * each client (like request-counter.ts, counted once per HTTP attempt, so
 * SDK retries count as AWS bills them) reads the job of the current call
 * chain (util/request-context.ts). Requests outside any job (setup, shared
 * long polls of a worker that serves every job, the flush of counts itself
 * when detached) go to `unattributed`, which is never persisted.
 */
import { currentJobId } from '../../util/request-context.js';
import type { RequestCountDelta } from '../../ports/state-store.js';
import type { CountableClient } from './request-counter.js';

export type AwsService = 'DynamoDB' | 'S3' | 'SQS';

export interface JobRequestCounter {
  /** Takes (and clears) the counts gathered per job since the last take. */
  take(): Map<string, RequestCountDelta>;
  /** Adds counts back (a flush that failed, or one put off). */
  putBack(jobId: string, delta: RequestCountDelta): void;
  /** Requests on behalf of no job, by operation; live. */
  readonly unattributed: Readonly<RequestCountDelta>;
  /** Every request since the counter started (jobs or not), by operation; live, never cleared (the metrics' counter). */
  readonly totals: Readonly<RequestCountDelta>;
  /** Removes the middlewares. */
  stop(): void;
}

let counters = 0;

/** Starts counting the requests of these clients per job. */
export function countJobRequests(clients: Readonly<Record<AwsService, CountableClient>>): JobRequestCounter {
  let pending = new Map<string, RequestCountDelta>();
  const unattributed: RequestCountDelta = {};
  const totals: RequestCountDelta = {};
  const add = (jobId: string | undefined, op: string, n: number) => {
    let bucket = unattributed;
    if (jobId !== undefined) {
      bucket = pending.get(jobId) ?? {};
      pending.set(jobId, bucket);
    }
    bucket[op] = (bucket[op] ?? 0) + n;
  };
  const name = `djcJobRequestCounter${++counters}`;
  for (const [service, client] of Object.entries(clients)) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const op = `${service}.${(context.commandName ?? 'Unknown').replace(/Command$/, '')}`;
        totals[op] = (totals[op] ?? 0) + 1;
        add(currentJobId(), op, 1);
        return next(args);
      },
      { step: 'deserialize', name, priority: 'low' },
    );
  }
  return {
    take: () => {
      const out = pending;
      pending = new Map();
      return out;
    },
    putBack: (jobId, delta) => {
      for (const [op, n] of Object.entries(delta)) add(jobId, op, n);
    },
    unattributed,
    totals,
    stop: () => {
      for (const client of Object.values(clients)) client.middlewareStack.remove(name);
    },
  };
}
