import type { Backend, JobRecord } from '@djc/core';
import { progressBase, progressLine, type ProgressBase } from './progress-line.js';

/**
 * Shows a job's progress on stderr: on a terminal, one line redrawn in
 * place, fitted to the width (redrawn when the terminal is resized, and only
 * when the text changed); otherwise (a pipe, a CI log, TERM=dumb) a plain
 * line when something changed, at most every two seconds. Fed job records
 * (counters) only, never the tasks.
 *
 * The redraw is written here rather than with a library such as log-update:
 * the line is one row we fit to the width ourselves, so a carriage return and
 * an erase-to-end-of-line redraw it, while log-update hard-wraps what is too
 * wide (rows again) and erases by the row count it computed before a resize.
 */
export interface ProgressDisplay {
  update(job: JobRecord): void;
  /** The last line (ending the bar's row), then nothing more is drawn. */
  finish(job: JobRecord | null): void;
}

export interface DisplayOptions {
  quiet: boolean;
  stream?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
}

const PLAIN_EVERY_MS = 2000;

export function createProgressDisplay(o: DisplayOptions): ProgressDisplay {
  if (o.quiet) return { update: () => undefined, finish: () => undefined };
  const stream = o.stream ?? process.stderr;
  const env = o.env ?? process.env;
  const now = o.now ?? Date.now;
  return stream.isTTY === true && env.TERM !== 'dumb' ? barDisplay(stream, now) : plainDisplay(stream, now);
}

function barDisplay(stream: NodeJS.WriteStream, now: () => number): ProgressDisplay {
  let job: JobRecord | null = null;
  let base: ProgressBase | null = null;
  let drawn = '';
  let drawnCols = 0;
  let ended = false;
  const draw = () => {
    if (!job || !base) return;
    const cols = stream.columns || 80;
    const line = progressLine(job, base, { now: now(), width: Math.max(1, cols - 1) });
    if (line === drawn && cols === drawnCols) return;
    stream.write(`\r${line}\x1b[K`);
    drawn = line;
    drawnCols = cols;
  };
  stream.on('resize', draw);
  return {
    update(j) {
      if (ended) return;
      job = j;
      base ??= progressBase(j, now());
      draw();
    },
    finish(j) {
      if (ended) return;
      if (j) this.update(j);
      ended = true;
      stream.off('resize', draw);
      if (drawn !== '') stream.write('\n');
    },
  };
}

function plainDisplay(stream: NodeJS.WriteStream, now: () => number): ProgressDisplay {
  let base: ProgressBase | null = null;
  let last = '';
  let lastAt = -Infinity;
  let ended = false;
  const print = (job: JobRecord, always: boolean) => {
    base ??= progressBase(job, now());
    const line = progressLine(job, base, { now: now() });
    if (line === last || (!always && now() - lastAt < PLAIN_EVERY_MS)) return;
    stream.write(`${line}\n`);
    last = line;
    lastAt = now();
  };
  return {
    update(job) {
      if (!ended) print(job, false);
    },
    finish(job) {
      if (ended) return;
      if (job) print(job, true);
      ended = true;
    },
  };
}

/** Polls the job and feeds a display until `stop` (e.g. while `djc run` coordinates it in this process). */
export function startProgress(backend: Backend, jobId: string, opts: { quiet: boolean }): { stop(): Promise<void> } {
  const display = createProgressDisplay(opts);
  if (opts.quiet) return { stop: async () => undefined };
  const read = () => backend.state.getJob(jobId).catch(() => null);
  let busy = false;
  const tick = () => {
    if (busy) return;
    busy = true;
    void read().then((job) => {
      if (job) display.update(job);
    }).finally(() => { busy = false; });
  };
  // At once: rate and ETA count from here (a retry's earlier work is before it).
  tick();
  const timer = setInterval(tick, progressEveryMs(backend));
  return {
    async stop() {
      clearInterval(timer);
      display.finish(await read());
    },
  };
}

/** How often a display reads the job: a fifth of a second on a terminal, never faster than the backend's monitor. */
export function progressEveryMs(backend: Backend): number {
  return Math.max(process.stderr.isTTY ? 200 : 500, backend.monitorIntervalMs);
}
