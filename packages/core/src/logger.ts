import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs on stderr (stdout carries data). Level from DJC_LOG_LEVEL
 * (default "info" for daemons; the CLI passes "warn" unless --verbose).
 */
export function createLogger(opts: { name: string; level?: string } = { name: 'djc' }): Logger {
  return pino(
    {
      name: opts.name,
      level: opts.level ?? process.env.DJC_LOG_LEVEL ?? 'info',
      redact: { paths: ['*.secretAccessKey', '*.sessionToken', '*.password', '*.authorization'], censor: '[redacted]' },
      base: { pid: process.pid },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
