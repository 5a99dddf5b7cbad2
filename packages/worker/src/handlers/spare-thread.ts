/**
 * One handler thread started before its pool exists: a warm worker
 * (warm-main.ts) starts it while it waits for a job, so the thread's start
 * (module-thread.ts importing @djc/core: ~100-350 ms of CPU) is paid while
 * idle, not between the attempt's start and the handler's call (issue 14).
 * The first PooledThread of the same heap limit adopts it (pooled-thread.ts);
 * one of another limit, or a job with no module handler, drops it.
 *
 * A Worker copies `process.env` when it is constructed: the warm worker drops
 * the spare when its binding sets any variable (DJC_WORKER_MEMORY,
 * CUDA_VISIBLE_DEVICES), so a handler never sees an environment the job's
 * binding would have changed.
 */
import type { Worker } from 'node:worker_threads';

interface Spare {
  worker: Worker;
  limitMb: number;
  ready: boolean;
  exited: boolean;
  readonly onMessage: (msg: { type?: string }) => void;
  readonly onError: () => void;
  readonly onExit: () => void;
}

let spare: Spare | null = null;

/**
 * Holds `worker` (a handler thread just constructed with `limitMb`) as the
 * spare; resolves true once it listens, false if it ended first. Unref'd: it
 * never keeps the process alive.
 */
export function holdSpareThread(worker: Worker, limitMb: number, ready = false): Promise<boolean> {
  dropSpareThread();
  return new Promise((resolve) => {
    if (ready) resolve(true);
    const s: Spare = {
      worker, limitMb, ready, exited: false,
      onMessage: (msg) => {
        if (msg?.type !== 'ready') return;
        s.ready = true;
        resolve(true);
      },
      // An error ends the thread ('exit' follows); the pool would start another.
      onError: () => undefined,
      onExit: () => {
        s.exited = true;
        if (spare === s) spare = null;
        resolve(false);
      },
    };
    worker.on('message', s.onMessage);
    worker.on('error', s.onError);
    worker.on('exit', s.onExit);
    worker.unref();
    spare = s;
  });
}

/** The spare's Worker, if it has this heap limit and still runs (its listeners removed; `ready`: it listens already); else null, and a spare of another limit is dropped. */
export function takeSpareThread(limitMb: number): { worker: Worker; ready: boolean } | null {
  const s = spare;
  if (s === null) return null;
  if (s.exited || s.limitMb !== limitMb) {
    dropSpareThread();
    return null;
  }
  spare = null;
  s.worker.off('message', s.onMessage);
  s.worker.off('error', s.onError);
  s.worker.off('exit', s.onExit);
  return { worker: s.worker, ready: s.ready };
}

/** Ends the spare, if any (not adopted: the job needs none, or not this one). */
export function dropSpareThread(): void {
  const s = spare;
  spare = null;
  if (s !== null && !s.exited) void s.worker.terminate();
}

/** Is a spare held (tests)? */
export function hasSpareThread(): boolean {
  return spare !== null;
}

/** A spare bin.ts started before the worker's modules loaded (it says what it left on globalThis). */
interface EarlySpare {
  worker: Worker;
  limitMb: number;
  ready: boolean;
  exited: boolean;
  /** Removes bin.ts's listeners. */
  stop: () => void;
}

const EARLY_SPARE = Symbol.for('djc.worker.earlySpare');

/**
 * The handler thread bin.ts started early, for holdSpareThread: its Worker
 * and whether it listens already; null if there is none, or it ended. One of
 * another heap limit than `limitMb` is ended. Taken once.
 */
export function takeEarlySpare(limitMb: number): { worker: Worker; ready: boolean } | null {
  const slot = globalThis as Record<symbol, EarlySpare | undefined>;
  const early = slot[EARLY_SPARE];
  if (early === undefined) return null;
  delete slot[EARLY_SPARE];
  early.stop();
  if (early.exited) return null;
  if (early.limitMb !== limitMb) {
    void early.worker.terminate();
    return null;
  }
  return { worker: early.worker, ready: early.ready };
}
