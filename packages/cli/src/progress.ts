import { formatDuration, recordsTotal, type Backend, type JobRecord } from '@djc/core';
import { taskSummary } from './format.js';

/**
 * Shows a job's progress on stderr while it runs: a redrawn bar on a TTY
 * (tasks and records done, rate, ETA, failures), plain lines every few
 * seconds otherwise. Reads only the job record (counters), never the tasks.
 */
export function startProgress(backend: Backend, jobId: string, opts: { tty: boolean; quiet: boolean }): { stop(): Promise<void> } {
  if (opts.quiet) return { stop: async () => undefined };
  const t0 = Date.now();
  let last = '';
  let lastPlainAt = 0;
  let busy = false;
  const draw = async (final: boolean) => {
    if (busy && !final) return;
    busy = true;
    try {
      const job = await backend.state.getJob(jobId);
      if (!job) return;
      const line = progressLine(job, Date.now() - t0, opts.tty);
      if (opts.tty) {
        process.stderr.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
      } else if (final || (line !== last && Date.now() - lastPlainAt >= 2000)) {
        process.stderr.write(`${line}\n`);
        lastPlainAt = Date.now();
      }
      last = line;
    } finally {
      busy = false;
    }
  };
  const every = Math.max(opts.tty ? 200 : 500, backend.monitorIntervalMs);
  const timer = setInterval(() => void draw(false).catch(() => undefined), every);
  return {
    async stop() {
      clearInterval(timer);
      await draw(true).catch(() => undefined);
    },
  };
}

export function progressLine(job: JobRecord, elapsedMs: number, tty: boolean): string {
  const t = job.tasks;
  const r = job.records;
  if (job.status === 'SUBMITTED' || job.status === 'PREPARING') return `${job.jobId}: ${job.status.toLowerCase()} (${t.total} tasks so far)`;
  const done = t.succeeded + t.failed + t.cancelled;
  const frac = t.total > 0 ? done / t.total : 0;
  const rate = elapsedMs > 0 ? (r.processed * 1000) / elapsedMs : 0;
  const eta = frac > 0 && frac < 1 ? formatDuration((elapsedMs * (1 - frac)) / frac) : '-';
  const bar = tty ? `[${'#'.repeat(Math.round(frac * 24)).padEnd(24, '-')}] ` : '';
  const fails = t.failed ? ` · ${t.failed} failed` : '';
  const retry = t.retrying ? ` · ${t.retrying} retrying` : '';
  // Tasks held by a worker ahead of a free slot are not running yet: counted apart.
  const held = t.claimed ? ` · ${t.running} running, ${t.claimed} claimed` : '';
  // Split by bytes, the record total is known only once every task has run.
  const total = recordsTotal(job);
  const records = total.known ? `${r.processed.toLocaleString('en-US')}/${total.total.toLocaleString('en-US')}` : r.processed.toLocaleString('en-US');
  const bad = r.bad ? ` (${r.bad.toLocaleString('en-US')} bad)` : '';
  const head = `${bar}${Math.floor(frac * 100)}% ${done}/${t.total} tasks · ${records} records${bad}`;
  return tty
    ? `${head} · ${Math.round(rate).toLocaleString('en-US')} rec/s · ETA ${eta}${fails}${retry}${held}`
    : `${job.jobId}: ${job.status.toLowerCase()} ${head} · ${taskSummary(t)} · ${Math.round(rate)} rec/s · ETA ${eta}`;
}
