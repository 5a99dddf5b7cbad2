import { createLogger, exitCodeFor, EXIT, initTracing, keepOldGenerationSmall, shutdownTracing, type Backend, type Logger } from '@djc/core/worker';
import { openBackend, type BackendSettings } from '@djc/core/backends';
import { workerMemoryFromEnv } from './memory-limit.js';
import { runWorker } from './worker.js';

export interface WorkerProcessOptions extends BackendSettings {
  jobId?: string;
  workerId?: string;
  concurrency?: number;
  graceMs?: number;
  idleExitMs?: number;
  verbose?: boolean;
  /** A backend this process opened already (a warm worker, warm-main.ts): used instead of opening one; closed at the end. */
  opened?: Backend;
}

/**
 * Runs a worker in this process until it is done or signalled, and returns
 * the exit code. SIGTERM/SIGINT: stop taking tasks, let running attempts
 * finish within the grace period, give the rest back, exit 0. A second signal
 * exits at once (130); leases then expire and the coordinator re-runs the tasks.
 */
export async function workerProcessMain(o: WorkerProcessOptions): Promise<number> {
  const log: Logger = createLogger({ name: 'djc-worker', level: o.verbose ? 'debug' : process.env.DJC_LOG_LEVEL ?? 'info' });
  const stop = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) process.exit(EXIT.INTERRUPTED);
    log.info({ signal: sig }, 'stopping: finishing running attempts');
    stop.abort(new Error(`received ${sig}`));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    // Attempt spans (OTEL_EXPORTER_OTLP_ENDPOINT set only; the SDK is not even loaded otherwise).
    await initTracing('djc-worker');
    const backend = o.opened ?? await openBackend(o);
    try {
      // The old generation's growth is limited once the worker's start is over (a V8 flag set earlier would make
      // Node compile its own modules from source: keepOldGenerationSmall).
      await runWorker({ ...o, backend, log, signal: stop.signal, ...memoryOption(), onStarted: keepOldGenerationSmall });
    } finally {
      await backend.close();
    }
    // A graceful stop (running attempts finished or given back) is a clean exit.
    return EXIT.OK;
  } catch (e) {
    log.error({ err: e }, (e as Error).message);
    return exitCodeFor(e);
  } finally {
    // Sends the spans still queued; a collector that is down costs the export timeout, never the exit code.
    await shutdownTracing().catch((e: unknown) => log.warn({ err: e }, 'sending the last trace spans failed'));
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

/** The worker's memory limit from DJC_WORKER_MEMORY (set by the local dispatcher's binding). */
function memoryOption(): { memoryBytes?: number } {
  const memoryBytes = workerMemoryFromEnv();
  return memoryBytes === undefined ? {} : { memoryBytes };
}
