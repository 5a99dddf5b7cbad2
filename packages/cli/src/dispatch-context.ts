/**
 * What starts workers for this installation: the worker command, the
 * environment that reaches this backend, and the routing dispatcher. Apart
 * from context.ts so that commands that only read never load the
 * dispatchers (Slurm, local processes) or the worker package.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Backend } from '@djc/core';
import {
  createExternalDispatcher, createLocalDispatcher, createWarmPool, LOCAL_WORKER_GRACE_S, createRoutingDispatcher, createSlurmDispatcher, poolsOf, runInProcessScheduling,
  schedulerSettingsOf, workerNodeFlags, type Dispatcher, type LocalCapacity, type WarmPool,
} from '@djc/coordinator';
import { runCapacity } from './scheduling-context.js';
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
 */
export function scheduledDispatcherFor(cli: Cli, backend: Backend): { dispatcher: Dispatcher; stop(): Promise<void> } {
  const { capacity, settings } = runCapacity();
  return runInProcessScheduling(backend, {
    // Not pinned to CPUs: this process does not own the machine (other runs, a daemon, may share it, and
    // every run would pin its first worker to the same CPU); GPU ids and memory limits still apply.
    dispatcher: dispatcherFor(cli, backend, { ...capacity, cpuIds: [] }), pools: poolsOf(capacity, settings), settings: schedulerSettingsOf(settings), log: cli.log,
  });
}
