import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { lazyLogger } from './lazy-logger.js';

type Pino = typeof import('pino');
let pinoModule: Pino | undefined;
/**
 * pino (and its ~20 files, ~35 ms of CPU at start) loads when a logger first
 * logs: a read command that logs nothing never pays for it. `pnpm build`
 * bundles it into one file beside this module (scripts/bundle-cli.mjs): ~10
 * ms of CPU less for every process that logs (every worker). Without that
 * file (`tsc -b` alone, tests from source) it loads from node_modules.
 */
function loadPino(): Pino {
  if (pinoModule) return pinoModule;
  const require = createRequire(import.meta.url);
  const bundled = fileURLToPath(new URL('./pino-bundle.cjs', import.meta.url));
  try {
    return (pinoModule = require(bundled) as Pino);
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code !== 'MODULE_NOT_FOUND' || !String(err.message).includes(bundled)) throw e;
  }
  return (pinoModule = require('pino') as Pino);
}

export type { Logger };

export interface LoggerOptions {
  name: string;
  /** Default DJC_LOG_LEVEL, else "info". */
  level?: string;
  /**
   * json (default): one JSON object per line, for daemons and workers.
   * human: `djc: warning: worker died (job …, worker …): reason`, for the
   * CLI's own messages next to its progress output.
   */
  format?: 'json' | 'human';
  /** Stack traces of logged errors (default true); the CLI keeps them for --verbose. */
  stacks?: boolean;
}

/**
 * What no log line may show: AWS credentials, passwords, and API tokens
 * (issue 12) wherever an HTTP layer may put them: an Authorization or Cookie
 * header (top level, in `headers`, or in `req.headers`), or a field named
 * `token` / `cookieToken`. Paths are pino's (fast-redact); each level of
 * nesting needs its own path.
 */
export const LOG_REDACTION = {
  paths: [
    '*.secretAccessKey', '*.sessionToken', '*.password',
    'authorization', '*.authorization', 'cookie', '*.cookie', 'token', '*.token', 'cookieToken', '*.cookieToken',
    'headers.authorization', 'headers.cookie', '*.headers.authorization', '*.headers.cookie', '*.*.headers.authorization', '*.*.headers.cookie',
  ],
  censor: '[redacted]',
};

/** Logs on stderr (stdout carries data). */
export function createLogger(opts: LoggerOptions = { name: 'djc' }): Logger {
  const level = opts.level ?? process.env.DJC_LOG_LEVEL ?? 'info';
  return lazyLogger(level, () => {
    const { pino } = loadPino();
    const options = {
      name: opts.name,
      level,
      redact: LOG_REDACTION,
      base: { pid: process.pid },
      serializers: opts.stacks ?? true ? undefined : { err: briefError },
    };
    if (opts.format === 'human') return pino(options, { write: (line: string) => void process.stderr.write(humanLine(line)) });
    return pino(options, pino.destination({ fd: 2, sync: true }));
  });
}

function briefError(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const { stack: _stack, ...rest } = loadPino().stdSerializers.err(e);
  return rest;
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };
const CONTEXT = ['jobId', 'taskId', 'workerId', 'slurmJobId'] as const;

/** One pino JSON line as `djc: warning: message (job x, worker y): error message`. */
export function humanLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const ctx = CONTEXT.filter((k) => o[k] !== undefined).map((k) => `${k.replace(/Id$/, '')} ${String(o[k])}`);
  const err = (o.err as { message?: string } | undefined)?.message ?? (typeof o.error === 'string' ? o.error : undefined);
  const level = LEVELS[o.level as number] ?? 'log';
  return `${String(o.name ?? 'djc')}: ${level}: ${String(o.msg ?? '')}${ctx.length > 0 ? ` (${ctx.join(', ')})` : ''}${err ? `: ${err}` : ''}\n`;
}
