import { existsSync } from 'node:fs';
import { createLogger, homeModes, settleHomeMode } from '@djc/core/read';
import type { Backend, Logger } from '@djc/core';
import type { JobService } from './job-service.js';
// The light half: a remote read (DJC_URL) never loads the backends (withBackend imports them).
import { describeHome, homeReason, resolveBackendSettings, type ResolvedHome } from '@djc/core/backends/home';

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
 * Opens the backend, runs `fn`, and always closes it, as exiting: the
 * command's process exits right after (main.ts), and a local home's SQLite
 * connection is left to that exit, without the checkpoint its close would
 * run (Backend CloseOptions). Only commands that
 * start jobs (run, submit) or serve them (coordinator) pass `create: true`;
 * for every other command a missing local home reads as an empty one and
 * nothing is created on disk.
 */
export async function withBackend<T>(cli: Cli, fn: (backend: Backend) => Promise<T>, o: { create?: boolean; createsHome?: boolean } = {}): Promise<T> {
  // Say where state goes when djc, not the user, chose the place.
  const isNew = o.create === true && (o.createsHome ?? createsHome(cli));
  const { explainLockedWrite, openBackend } = await import('@djc/core/backends');
  const backend = await openBackend(cli.opts, process.env, { create: o.create === true });
  if (isNew && backend.name === 'local') cli.err(`djc: created the home ${describeHome(cli.resolvedHome)}`);
  if (o.create === true) settleHome(cli, backend);
  try {
    return await fn(backend);
  } catch (e) {
    // A write that waited out a stuck lock holder names it, as an open does.
    throw backend.name === 'local' ? explainLockedWrite(e, cli.home) : e;
  } finally {
    await backend.close({ exiting: true });
  }
}

/**
 * Whether opening the backend to write creates the per-user home (djc chose
 * the place): then the command says where. A caller that writes into the
 * home before it opens the backend (djc run's early workers' logs) asks
 * first and passes the answer to withBackend (`createsHome`).
 */
export function createsHome(cli: Cli): boolean {
  return cli.resolvedHome.source === 'user' && !existsSync(cli.home);
}

/**
 * A command that writes brings the local home's directory mode to what
 * DJC_HOME_SHARING asks (util/home-modes.ts), and says so when it changed it.
 */
export function settleHome(cli: Cli, backend: Backend): void {
  if (backend.name !== 'local') return;
  const note = settleHomeMode(cli.home, homeModes());
  if (note) cli.err(note);
}

/**
 * Runs `fn` with the jobs: over the API of the coordinator named by DJC_URL
 * (with DJC_TOKEN), or else in the backend this CLI opens (on first use;
 * `create` as in withBackend); always closed after.
 */
export async function withJobs<T>(cli: Cli, fn: (jobs: JobService) => Promise<T>, o: { create?: boolean } = {}): Promise<T> {
  const { remoteTarget } = await import('./remote/remote-target.js');
  const target = remoteTarget();
  const jobs: JobService = target
    ? new (await import('./remote/remote-job-service.js')).RemoteJobService(target, cli.log)
    : new (await import('./local-job-service.js')).LocalJobService(cli, o.create === true);
  try {
    return await fn(jobs);
  } finally {
    await jobs.close();
  }
}
