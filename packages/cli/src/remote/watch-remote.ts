/**
 * `djc wait` and `status --watch` over the API: the job's event stream
 * (`GET /v1/events?job=`), which sends the job's document when it changes
 * and ends after the job ends. A stream that ends early, or a coordinator
 * that cannot be reached for a while (restarting), is tried again every
 * `everyMs`; unreachable for RECONNECT_MS in a row, it is an error (exit 3).
 */
import { DjcError, TERMINAL_JOB } from '@djc/core/read';
import type { JobRecord, JobStatusDocument } from '@djc/core';
import type { WatchEnd } from '../watch-job.js';
import { pause } from '../watch-job.js';
import type { ApiClient } from './http-client.js';
import { jobView } from './job-view.js';
import { sseEvents } from './sse.js';

const RECONNECT_MS = 60_000;

export async function watchRemote(
  api: ApiClient, jobId: string, o: { everyMs: number; timeoutMs?: number; signal?: AbortSignal; onJob?: (job: JobRecord) => void },
): Promise<WatchEnd> {
  const timeout = o.timeoutMs ? AbortSignal.timeout(o.timeoutMs) : null;
  const stop = AbortSignal.any([o.signal, timeout].filter((s): s is AbortSignal => s !== null && s !== undefined));
  let last: JobRecord = jobView(await api.json<JobStatusDocument>('GET', `/v1/jobs/${encodeURIComponent(jobId)}`));
  o.onJob?.(last);
  const end = (): WatchEnd | null => {
    if (TERMINAL_JOB.has(last.status)) return { how: 'ended', job: last };
    if (o.signal?.aborted) return { how: 'interrupted', job: last };
    if (timeout?.aborted) return { how: 'timed-out', job: last };
    return null;
  };
  let failingSince: number | null = null;
  for (;;) {
    const done = end();
    if (done) return done;
    try {
      const res = await api.send('GET', '/v1/events', { query: { job: jobId }, headers: { accept: 'text/event-stream' }, signal: stop });
      for await (const e of sseEvents(res)) {
        if (e.event !== 'job') continue;
        last = jobView(JSON.parse(e.data) as JobStatusDocument);
        o.onJob?.(last);
        if (TERMINAL_JOB.has(last.status)) return { how: 'ended', job: last };
      }
      failingSince = null;
    } catch (e) {
      if (stop.aborted) continue;
      // A coordinator restarting (its stream cut, its port closed a moment) is waited out, up to RECONNECT_MS.
      if (!cutOff(e)) throw e;
      failingSince ??= Date.now();
      if (Date.now() - failingSince > RECONNECT_MS) throw e;
    }
    const stopped = end();
    if (stopped) return stopped;
    await pause(o.everyMs, stop);
  }
}

/** The coordinator went away: unreachable, or the stream cut (reset, closed early). */
function cutOff(e: unknown): boolean {
  if (e instanceof DjcError) return e.code === 'BACKEND_UNAVAILABLE';
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return ['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE'].includes(code ?? '') || (e as Error | null)?.message === 'aborted';
}
