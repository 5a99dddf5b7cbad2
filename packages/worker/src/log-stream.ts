/**
 * Writes a running attempt's log to the blob store while it grows, so
 * `djc logs -f` can follow it: the whole capped text (LogBuffer, at most
 * ~1 MiB) is rewritten under the attempt's log key, at most once per
 * interval and only when something was appended since the last write. No
 * request is made while the log is quiet; the attempt's commit writes the
 * final text as before.
 *
 * Cost on S3: at most one PutObject per second of an attempt whose log keeps
 * growing (60 per attempt-minute, $0.0003 at $0.005 per 1,000), none while it
 * is quiet. A big log is rewritten less often (one write per 64 KiB of log per
 * second, at most every 10 s), so the upload stays under ~100 KiB/s per attempt.
 * DJC_LOG_FLUSH_MS sets the interval (default 1000); 0 turns streaming off.
 */
import type { BlobStore, Logger } from '@djc/core';
import type { LogBuffer } from './handlers/log-buffer.js';

const DEFAULT_INTERVAL_MS = 1000;
/** A log this big is written once a second at most; twice as big, every 2 s; and so on up to 10 intervals. */
const BYTES_PER_INTERVAL = 64 * 1024;

export interface LogStream {
  /** Stops writing and waits for a write in flight. Resolves to the text last written ('' if none). */
  stop(): Promise<string>;
}

export function flushIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.DJC_LOG_FLUSH_MS;
  const ms = raw === undefined || raw === '' ? DEFAULT_INTERVAL_MS : Number(raw);
  return Number.isFinite(ms) && ms >= 0 ? ms : DEFAULT_INTERVAL_MS;
}

/** flushIntervalMs of this process's environment, read at the first attempt (process.env is a getenv per read). */
let processInterval: number | undefined;

export function startLogStream(opts: { blobs: BlobStore; key: string; log: LogBuffer; logger: Logger; intervalMs?: number }): LogStream {
  const interval = opts.intervalMs ?? (processInterval ??= flushIntervalMs());
  if (interval === 0) return { stop: async () => '' };
  let written = '';
  let writtenAt = 0;
  let inFlight: Promise<void> | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  const tick = () => {
    if (stopped) return;
    if (opts.log.changes === writtenAt) return schedule(interval);
    writtenAt = opts.log.changes;
    const text = opts.log.toString();
    inFlight = opts.blobs.put(opts.key, text).then(
      () => { written = text; },
      (e: unknown) => {
        writtenAt = -1;
        opts.logger.warn({ err: e, key: opts.key }, 'writing the running attempt\'s log failed; trying again later');
      },
    ).finally(() => {
      inFlight = null;
      schedule(Math.min(10 * interval, Math.max(interval, (text.length / BYTES_PER_INTERVAL) * interval)));
    });
  };
  schedule(interval);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
      return written;
    },
  };
}
