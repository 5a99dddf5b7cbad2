/**
 * What starts workers for this installation: the worker command, the
 * environment that reaches this backend, and the routing dispatcher. Apart
 * from context.ts so that commands that only read never load the
 * dispatchers (Slurm, local processes) or the worker package.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Backend, JobConfig } from '@djc/core';
import { resolveBackendSettings } from '@djc/core/backends/home';
import {
  createExternalDispatcher, createLocalDispatcher, createWarmPool, LOCAL_WORKER_GRACE_S, createRoutingDispatcher, createSlurmDispatcher, poolsOf, runInProcessScheduling,
  schedulerSettingsOf, workerNodeFlags, type Dispatcher, type LocalCapacity, type WarmPool,
} from '@djc/coordinator';
import { runCapacity, workersThatFit } from './scheduling-context.js';
import type { Cli } from './context.js';

/**
 * djc-worker's absolute path (the worker package's `./bin` export), found
 * without importing the worker package: its index loads the worker, its
 * handlers and the command spawner, which `djc run` never runs itself
 * (~144 KB of modules at every start). The same path as its WORKER_BIN.
 */
const WORKER_BIN = pathToFileURL(createRequire(import.meta.url).resolve('@djc/worker/bin')).pathname;

/** argv that starts a worker of this installation: node, its young-generation cap, djc-worker's absolute path. */
export const WORKER_COMMAND: readonly string[] = [process.execPath, ...workerNodeFlags(), WORKER_BIN];

/** What a worker needs in its environment to reach this backend. */
export function workerEnvOf(cli: Cli, backend: Backend): Record<string, string> {
  return { ...backend.workerEnv(), ...(cli.opts.verbose ? { DJC_LOG_LEVEL: 'debug' } : {}) };
}

/**
 * Workers of each job where its compute.dispatcher says: child processes,
 * a Slurm job array, or none (external). Worker logs go under
 * $DJC_HOME/workers/<job>/, where `djc logs --workers` reads them.
 */
export function dispatcherFor(cli: Cli, backend: Backend, pool?: LocalCapacity, warm?: WarmPool): Dispatcher {
  const common = { workerCommand: WORKER_COMMAND, env: workerEnvOf(cli, backend), log: cli.log };
  const logDir = join(cli.home, 'workers');
  return createRoutingDispatcher({
    local: createLocalDispatcher({ ...common, logDir, ...(pool ? { pool } : {}), ...(warm ? { warm } : {}) }),
    slurm: createSlurmDispatcher({ ...common, logDir }),
    external: createExternalDispatcher(common),
  });
}

/** The daemon's warm local workers (settings warm_workers), started when it leads (dispatch/warm-pool.ts). */
export function warmPoolFor(cli: Cli, backend: Backend, size: number): WarmPool {
  return createWarmPool({ workerCommand: WORKER_COMMAND, env: workerEnvOf(cli, backend), logDir: join(cli.home, 'workers'), log: cli.log, size, graceS: LOCAL_WORKER_GRACE_S });
}

/**
 * `djc run` (and a retry coordinated here): the routing dispatcher behind
 * the scheduler, in this process, against this machine's capacity, so the
 * job never starts more workers than fit. stop() it once coordinated.
 * `warm`: the run's early workers (runWarmPool), taken before any is started.
 */
export function scheduledDispatcherFor(cli: Cli, backend: Backend, warm?: WarmPool): { dispatcher: Dispatcher; stop(): Promise<void> } {
  const { capacity, settings } = runCapacity();
  return runInProcessScheduling(backend, {
    // Not pinned to CPUs: this process does not own the machine (other runs, a daemon, may share it, and
    // every run would pin its first worker to the same CPU); GPU ids and memory limits still apply.
    dispatcher: dispatcherFor(cli, backend, { ...capacity, cpuIds: [] }, warm), pools: poolsOf(capacity, settings), settings: schedulerSettingsOf(settings), log: cli.log,
  });
}

/** `djc run`'s early workers: the pool, and the worker environment they were started with. */
export interface RunWarmPool {
  pool: WarmPool;
  env: Record<string, string>;
}

/**
 * `djc run`'s workers, started as soon as its job file is found valid and
 * fits this machine: a warm pool (dispatch/warm-pool.ts) of as many workers
 * as the scheduler will start, never refilled. Their process start (~50-100
 * ms of a core each) then overlaps what djc run still does before the job
 * can have workers: open the home, submit, claim, the scheduler's grant.
 * They wait for their job on stdin and open the home only once bound to it
 * (DJC_WARM_OPEN=bound: djc run creates the home and says so); a command
 * job's workers start no spare handler thread. A job's worker is one of
 * them only if its environment is the backend's worker environment
 * (warmPoolFits). Null when the job's workers are not local processes of
 * the local backend, or the home cannot be written (djc run then fails
 * with its own message, and no worker was started).
 */
export function runWarmPool(cli: Cli, config: JobConfig, capacity: LocalCapacity): RunWarmPool | null {
  if (config.compute.dispatcher !== 'local' || resolveBackendSettings(cli.opts).backend !== 'local' || !writable(cli.home)) return null;
  const size = workersThatFit(config, capacity) ?? 0;
  if (size <= 0) return null;
  const env: Record<string, string> = {
    DJC_BACKEND: 'local', DJC_HOME: cli.home, ...(cli.opts.verbose ? { DJC_LOG_LEVEL: 'debug' } : {}),
    DJC_WARM_OPEN: 'bound', ...(config.handler.command === undefined ? {} : { DJC_WARM_SPARE_THREAD: '0' }),
  };
  const pool = createWarmPool({ workerCommand: WORKER_COMMAND, env, logDir: join(cli.home, 'workers'), log: cli.log, size, graceS: LOCAL_WORKER_GRACE_S,
    // For the job this process is about to prepare: started now, whatever prepares.
    refill: false, deferRefill: () => false,
  });
  pool.start();
  return { pool, env };
}

/** Whether the run's warm workers are as the backend's own would be: every variable of its worker environment the same. */
export function warmPoolFits(cli: Cli, backend: Backend, warm: RunWarmPool): boolean {
  return Object.entries(workerEnvOf(cli, backend)).every(([k, v]) => warm.env[k] === v);
}

/** The home, or the nearest directory above it that exists, can be written (its database and logs created). */
function writable(home: string): boolean {
  let dir = home;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
