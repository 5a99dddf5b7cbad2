/**
 * A warm worker (`djc-worker --warm`): a worker process a daemon starts
 * before any job needs it (coordinator dispatch/warm-pool.ts). It loads its
 * modules and opens the backend, then waits for ONE assignment, a JSON line
 * on stdin: `{"jobId": "…", "env": {…}}`. From then on it is a worker of that
 * job exactly as one started for it (workerProcessMain with the same
 * options); `env` (the binding's DJC_WORKER_MEMORY, CUDA_VISIBLE_DEVICES) is
 * set before anything of the job runs, and its handler module and commands
 * start only then. One handler thread (the default heap limit) is started
 * before it says it is ready (spare-thread.ts): a module job with that limit
 * and no binding environment adopts it, any other job ends it. It serves
 * that one job and exits.
 *
 * stdin closing with no assignment (the daemon stopped, or shrank its pool),
 * or SIGTERM/SIGINT while it waits, ends it at once with code 0: a warm
 * worker never outlives its daemon idle.
 *
 * DJC_WARM_OPEN=bound: the backend is opened once bound, not before. `djc
 * run` starts its workers warm while it opens the home itself (it may not
 * exist yet: djc run creates it, and says so); such a worker then never
 * writes to a home before its job is in it.
 */
import { createLogger, EXIT, exitCodeFor, initTracing } from '@djc/core/worker';
import { openBackend } from '@djc/core/backends';
import { workerProcessMain, type WorkerProcessOptions } from './main.js';
import { DEFAULT_HEAP_BYTES } from './handlers/module-runner.js';
import { newThreadWorker } from './handlers/pooled-thread.js';
import { dropSpareThread, holdSpareThread, takeEarlySpare } from './handlers/spare-thread.js';

/** How long a warm worker waits for its spare handler thread to listen before it says it is ready (it is still adopted later). */
const SPARE_READY_WAIT_MS = 10_000;

/** What the daemon sends a warm worker to bind it to a job. */
export interface WarmAssignment {
  jobId: string;
  /** Set in this process's environment before the job's work starts. */
  env: Record<string, string>;
}

export async function warmWorkerMain(o: WorkerProcessOptions): Promise<number> {
  const log = createLogger({ name: 'djc-worker', level: o.verbose ? 'debug' : process.env.DJC_LOG_LEVEL ?? 'info' });
  const idle = () => process.exit(EXIT.OK);
  process.on('SIGTERM', idle);
  process.on('SIGINT', idle);
  const openLate = process.env.DJC_WARM_OPEN === 'bound';
  const spare = process.env.DJC_WARM_SPARE_THREAD !== '0';
  // How to wait, not part of the job's environment: its handler threads and commands never see them.
  delete process.env.DJC_WARM_OPEN;
  delete process.env.DJC_WARM_SPARE_THREAD;
  let backend;
  try {
    await initTracing('djc-worker');
    if (!openLate) backend = await openBackend(o);
  } catch (e) {
    log.error({ err: e }, (e as Error).message);
    return exitCodeFor(e);
  }
  // Listening for the job at once: one that comes while the spare thread starts is not held up by it.
  const assigned = readAssignment();
  await Promise.race([spare ? startSpareThread() : Promise.resolve(), assigned]);
  log.info({ workerId: o.workerId }, 'warm worker ready');
  const assignment = await assigned;
  process.off('SIGTERM', idle);
  process.off('SIGINT', idle);
  if (assignment === null) {
    await backend?.close();
    return EXIT.OK;
  }
  // A thread copies the environment when it starts: one the binding changes is the job's to start.
  if (Object.entries(assignment.env).some(([k, v]) => process.env[k] !== v)) dropSpareThread();
  Object.assign(process.env, assignment.env);
  log.info({ workerId: o.workerId, jobId: assignment.jobId }, 'warm worker bound to a job');
  return workerProcessMain({ ...o, jobId: assignment.jobId, ...(backend ? { opened: backend } : {}) });
}

/**
 * Starts the handler thread a module job with the default heap limit will
 * adopt (spare-thread.ts) and waits until it listens (at most
 * SPARE_READY_WAIT_MS): the daemon then counts this worker ready with its
 * thread's start already paid. DJC_WARM_SPARE_THREAD=0 turns it off.
 */
async function startSpareThread(): Promise<void> {
  // The limit of a job that sets no memory (module-runner.ts); a job with another one starts its own thread and this one is dropped.
  const limitMb = Math.ceil(DEFAULT_HEAP_BYTES / (1024 * 1024));
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, SPARE_READY_WAIT_MS);
    timer.unref();
  });
  // Started by bin.ts before this module loaded, when it could.
  const early = takeEarlySpare(limitMb);
  await Promise.race([holdSpareThread(early?.worker ?? newThreadWorker(limitMb), limitMb, early?.ready), waited]);
  clearTimeout(timer);
}

/** The first line on stdin as an assignment, or null when stdin ends without one (or it is not one). */
function readAssignment(): Promise<WarmAssignment | null> {
  return new Promise((resolve) => {
    let text = '';
    const done = (a: WarmAssignment | null) => {
      process.stdin.off('data', onData);
      process.stdin.off('end', onEnd);
      process.stdin.pause();
      process.stdin.unref?.();
      resolve(a);
    };
    const onData = (b: Buffer) => {
      text += b.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl >= 0) done(parseAssignment(text.slice(0, nl)));
    };
    const onEnd = () => done(null);
    process.stdin.on('data', onData);
    process.stdin.on('end', onEnd);
  });
}

function parseAssignment(line: string): WarmAssignment | null {
  try {
    const a = JSON.parse(line) as Partial<WarmAssignment>;
    if (typeof a.jobId !== 'string' || a.jobId === '') return null;
    const env = Object.fromEntries(Object.entries(a.env ?? {}).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    return { jobId: a.jobId, env };
  } catch {
    return null;
  }
}
