import { join } from 'node:path';
import { createLogger, type Backend, type Logger } from '@djc/core';
import { openBackend, resolveBackendSettings } from '@djc/core/backends';
import { createLocalDispatcher, type Dispatcher } from '@djc/coordinator';
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
  /** Data for the user: stdout. */
  out(text: string): void;
  /** Messages and progress: stderr. */
  err(text: string): void;
  json(doc: unknown): void;
}

export function makeCli(opts: GlobalOptions): Cli {
  const { home } = resolveBackendSettings(opts);
  return {
    opts,
    home,
    log: createLogger({ name: 'djc', level: opts.verbose ? 'debug' : process.env.DJC_LOG_LEVEL ?? 'warn' }),
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    json: (doc) => process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`),
  };
}

/** Opens the backend, runs `fn`, and always closes it. */
export async function withBackend<T>(cli: Cli, fn: (backend: Backend) => Promise<T>): Promise<T> {
  const backend = await openBackend(cli.opts);
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

/** Workers as child processes running djc-worker with this backend's settings. */
export function localDispatcher(cli: Cli, backend: Backend): Dispatcher {
  return createLocalDispatcher({
    workerCommand: [process.execPath, WORKER_BIN],
    env: { ...backend.workerEnv(), ...(cli.opts.verbose ? { DJC_LOG_LEVEL: 'debug' } : {}) },
    logDir: join(cli.home, 'workers'),
    log: cli.log,
  });
}
