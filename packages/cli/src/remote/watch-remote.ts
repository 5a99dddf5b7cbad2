/**
 * `djc wait` and `status --watch` over the API: the job's event stream
 * (`GET /v1/events?job=`), which sends the job's document when it changes
 * and ends after the job ends. A stream that ends early (the daemon
 * restarting) is opened again after `everyMs`.
 */
import { TERMINAL_JOB, type JobRecord, type JobStatusDocument } from '@djc/core';
import type { WatchEnd } from '../watch-job.js';
import { pause } from '../watch-job.js';
import type { ApiClient } from './http-client.js';
import { jobView } from './job-view.js';
import { sseEvents } from './sse.js';

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
    } catch (e) {
      if (!stop.aborted) throw e;
    }
    const stopped = end();
    if (stopped) return stopped;
    await pause(o.everyMs, stop);
  }
}
