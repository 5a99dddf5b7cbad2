import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, type Backend, type Logger } from '@djc/core';
import { describeHome, homeReason, openBackend, resolveBackendSettings, type ResolvedHome } from '@djc/core/backends';
import {
  createExternalDispatcher, createLocalDispatcher, createRoutingDispatcher, createSlurmDispatcher, type Dispatcher,
} from '@djc/coordinator';
import { WORKER_BIN } from '@djc/worker';

/** Options every command accepts (commander's optsWithGlobals). */
export interface GlobalOptions {
  backend?: string;
  home?: string;
  table?: string;
  bucket?: string;
  queue?: string;
  json?: boolean;
  verbose?: boolean;
}

export interface Cli {
  opts: GlobalOptions;
  log: Logger;
  /** Absolute DJC_HOME (local state; worker logs of local dispatch). */
  home: string;
  /** How the home was found (flag, DJC_HOME, nearest .djc, per-user home). */
  resolvedHome: ResolvedHome;
  /** Data for the user: stdout. */
  out(text: string): void;
  /** Messages and progress: stderr. */
  err(text: string): void;
  json(doc: unknown): void;
}

export function makeCli(opts: GlobalOptions): Cli {
  const { backend, home, resolvedHome } = resolveBackendSettings(opts);
  const log = createLogger({
    name: 'djc',
    level: opts.verbose ? 'debug' : process.env.DJC_LOG_LEVEL ?? 'warn',
    format: opts.verbose ? 'json' : 'human',
    stacks: opts.verbose === true,
  });
  log.debug({ backend, home, why: homeReason(resolvedHome) }, 'state home');
  return {
    opts,
    home,
    resolvedHome,
    log,
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    json: (doc) => process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`),
  };
}

/**
 * Opens the backend, runs `fn`, and always closes it. Only commands that
 * start jobs (run, submit) or serve them (coordinator) pass `create: true`;
 * for every other command a missing local home reads as an empty one and
 * nothing is created on disk.
 */
export async function withBackend<T>(cli: Cli, fn: (backend: Backend) => Promise<T>, o: { create?: boolean } = {}): Promise<T> {
  // Say where state goes when djc, not the user, chose the place.
  const isNew = o.create === true && cli.resolvedHome.source === 'user' && !existsSync(cli.home);
  const backend = await openBackend(cli.opts, process.env, { create: o.create === true });
  if (isNew && backend.name === 'local') cli.err(`djc: created the home ${describeHome(cli.resolvedHome)}`);
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

/** argv that starts a worker of this installation: node + djc-worker's absolute path. */
export const WORKER_COMMAND: readonly string[] = [process.execPath, WORKER_BIN];

/** What a worker needs in its environment to reach this backend. */
export function workerEnvOf(cli: Cli, backend: Backend): Record<string, string> {
  return { ...backend.workerEnv(), ...(cli.opts.verbose ? { DJC_LOG_LEVEL: 'debug' } : {}) };
}

/**
 * Workers of each job where its compute.dispatcher says: child processes,
 * a Slurm job array, or none (external). Worker logs go under
 * $DJC_HOME/workers/<job>/, where `djc logs --workers` reads them.
 */
export function dispatcherFor(cli: Cli, backend: Backend): Dispatcher {
  const common = { workerCommand: WORKER_COMMAND, env: workerEnvOf(cli, backend), log: cli.log };
  const logDir = join(cli.home, 'workers');
  return createRoutingDispatcher({
    local: createLocalDispatcher({ ...common, logDir }),
    slurm: createSlurmDispatcher({ ...common, logDir }),
    external: createExternalDispatcher(common),
  });
}
