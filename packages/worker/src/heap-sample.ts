import type { Logger } from '@djc/core';

/**
 * When DJC_WORKER_HEAP_SAMPLE_MS is set (a diagnostic, used by the
 * worker-soak benchmark): every that many ms, a full collection (when the
 * process runs with --expose-gc, e.g. NODE_OPTIONS=--expose-gc) and one
 * `worker heap` log line with the live heap and the tasks handled so far,
 * so a log shows whether memory grows with the number of tasks. Returns the
 * function that stops it.
 */
export function startHeapSamples(log: Logger, tasks: () => number, env = process.env): () => void {
  const ms = Number(env.DJC_WORKER_HEAP_SAMPLE_MS ?? '');
  if (!Number.isFinite(ms) || ms <= 0) return () => undefined;
  const gc = (globalThis as { gc?: () => void }).gc;
  const sample = () => {
    gc?.();
    const m = process.memoryUsage();
    log.info({ heapUsed: m.heapUsed, rss: m.rss, tasks: tasks(), gc: gc !== undefined }, 'worker heap');
  };
  const timer = setInterval(sample, ms);
  timer.unref();
  sample();
  return () => {
    clearInterval(timer);
    sample();
  };
}
