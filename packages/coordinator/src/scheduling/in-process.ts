import type { Backend, Logger } from '@djc/core';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { PoolCapacity, SchedulerSettings } from '../scheduler/types.js';
import { createGrantLoop } from './grant-loop.js';
import { createWake } from './wake.js';

export interface InProcessScheduling {
  /** Coordinate the job (or pipeline) with this: its workers come from the scheduler's grants. */
  dispatcher: Dispatcher;
  /** Ends the loop (after the job is coordinated). */
  stop(): Promise<void>;
}

/**
 * `djc run`: the daemon's scheduler, in this process, for the jobs coordinated
 * here (one job, or a pipeline's runs): it never starts more workers than
 * fit the pools. Ticks when a job starts or a worker exits, and every
 * `pollMs` (work found by a monitor tick: a job that wants more workers).
 */
export function runInProcessScheduling(
  backend: Backend, o: { dispatcher: Dispatcher; pools: PoolCapacity[]; settings: SchedulerSettings; log: Logger; pollMs?: number },
): InProcessScheduling {
  const loop = createGrantLoop({ backend, dispatcher: o.dispatcher, pools: o.pools, settings: o.settings, ownerLabel: null, log: o.log });
  const wake = createWake();
  const stopping = new AbortController();
  loop.onWake(wake.now);
  const running = (async () => {
    while (!stopping.signal.aborted) {
      await loop.tick([]).catch((e: unknown) => o.log.warn({ err: e }, 'a scheduling tick failed'));
      await wake.sleep(o.pollMs ?? 250, stopping.signal);
    }
  })();
  return {
    dispatcher: loop.dispatcher,
    async stop() {
      stopping.abort();
      await running;
    },
  };
}
