/**
 * `djc wait` on a job nobody coordinates (its `djc run` died, no daemon
 * runs): says so once on stderr while it waits, and gives up after a grace
 * (`--orphan-grace`, default 60 s; 0: never) with exit 3, instead of
 * waiting silently forever.
 */
import { DjcError, formatDuration, type Backend } from '@djc/core';
import { lastSeen, nobodyCoordinates } from './adopt-orphan.js';
import { pause } from '../watch-job.js';

export interface OrphanWatch {
  /** Aborted when the grace ran out. */
  signal: AbortSignal;
  /** The error to report once `signal` aborted. */
  error(): DjcError | null;
  stop(): void;
}

/** Watches the job every `everyMs` while `djc wait` waits; `say` gets the stderr line. */
export function watchForOrphan(backend: Backend, jobId: string, o: { everyMs: number; graceMs: number; say: (line: string) => void }): OrphanWatch {
  const ctl = new AbortController();
  const stopped = new AbortController();
  let error: DjcError | null = null;
  void (async () => {
    let since: number | null = null;
    while (!stopped.signal.aborted) {
      const job = await backend.state.getJob(jobId).catch(() => null);
      const nobody = job !== null && (await nobodyCoordinates(backend, job).catch(() => false));
      if (!nobody) since = null;
      else if (since === null) {
        since = Date.now();
        o.say(`djc: nobody coordinates ${jobId} (${lastSeen(job)}): start \`djc coordinator\` (it adopts the job), or \`djc retry ${jobId}\` coordinates it here`
          + (o.graceMs > 0 ? `; giving up in ${formatDuration(o.graceMs)}` : ''));
      } else if (o.graceMs > 0 && Date.now() - since >= o.graceMs) {
        error = new DjcError('BACKEND_UNAVAILABLE', `nobody has coordinated job ${jobId} for ${formatDuration(Date.now() - since)} (${lastSeen(job)}); stopped waiting`, {
          jobId, hint: `start \`djc coordinator\` (it adopts the job), or run \`djc retry ${jobId}\` to coordinate it here; --orphan-grace 0 waits anyway`,
        });
        ctl.abort();
        return;
      }
      await pause(o.everyMs, stopped.signal);
    }
  })();
  return { signal: ctl.signal, error: () => error, stop: () => stopped.abort() };
}
