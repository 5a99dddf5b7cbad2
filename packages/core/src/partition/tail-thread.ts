import { readSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { countHalf, type HalfCount } from './half-count.js';
import type { HalfCountJob } from './half-count-worker.js';

/**
 * Smallest local file split by records on two threads: a worker thread's
 * start takes ~25-50 ms of CPU (process.threadCpuUsage at its first line,
 * Node 24, loaded machine), in which one thread reads and counts ~200-350
 * MB (~145 ms of CPU per GiB); below this size the second thread would
 * finish after one thread alone.
 */
export const TWO_THREADS_FROM = 256 << 20;

/** Bytes the first thread takes more than the second, for the second's start (at most a quarter of the file). */
const START_LAG = 128 << 20;

/** How far past the first thread's share an LF is looked for; a file with longer lines is split on one thread. */
const LF_SEARCH = 1 << 20;

export interface TailThread {
  /** Where the tail starts: just past the first LF at or after the first thread's share. */
  readonly from: number;
  /** The tail's count, or null if the thread failed (the caller then scans the tail itself). */
  readonly result: Promise<HalfCount | null>;
  stop(): void;
}

/**
 * Starts counting the second half of a local line-format file on another
 * thread, or returns null (a small file, one core, no idle core, no LF
 * near the cut, no thread). The idle-core check is skipped when `minSize`
 * is given (a test hook). A negative `minSize` (a test hook): -minSize, and the count
 * runs on this thread, with the same cut-point logic. `signal` ends the
 * thread (the result is then null).
 */
export function startTailThread(
  fd: number,
  file: string,
  st: Stats,
  at: { start: number; skipBlank: boolean; bufferSize: number; minSize?: number | undefined; signal?: AbortSignal | undefined },
): TailThread | null {
  const { start, skipBlank, bufferSize, signal, minSize = TWO_THREADS_FROM } = at;
  const here = minSize < 0;
  if (st.size - start < Math.abs(minSize) || (!here && availableParallelism() < 2)) return null;
  if (at.minSize === undefined && !coreIdle()) return null;
  const length = st.size - start;
  const from = afterLf(fd, start + Math.floor((length + Math.min(START_LAG, length / 4)) / 2), st.size);
  if (from === null || from >= st.size) return null;
  if (here) return { from, result: Promise.resolve(countHalf(fd, from, st.size, skipBlank, bufferSize)), stop: () => {} };
  const job: HalfCountJob = { file, dev: st.dev, ino: st.ino, from, to: st.size, skipBlank, bufferSize };
  let worker: Worker;
  try {
    const entry = threadEntry();
    worker = new Worker(entry.filename, { ...entry.options, workerData: job });
  } catch {
    return null;
  }
  // An abort ends the thread at once; the caller's next read then throws the abort.
  const stop = () => {
    signal?.removeEventListener('abort', stop);
    void worker.terminate();
  };
  signal?.addEventListener('abort', stop, { once: true });
  const result = new Promise<HalfCount | null>((resolve) => {
    worker.once('message', (count: HalfCount | null) => resolve(count));
    worker.once('error', () => resolve(null));
    worker.once('exit', () => resolve(null));
  });
  return { from, result, stop };
}

/**
 * True when a core is likely idle (1-minute load average below the cores
 * but one). On a busy machine a second thread bought no wall time and cost
 * CPU: 1 GiB at load ~10, CPU medians of 5 interleaved, 0.63 s on two
 * threads against 0.46 s on one (docs/benchmarks.md §3).
 */
function coreIdle(): boolean {
  return (loadavg()[0] ?? 0) < availableParallelism() - 1;
}

/** Just past the first LF in [pos, pos + LF_SEARCH), or null. */
function afterLf(fd: number, pos: number, size: number): number | null {
  const buf = Buffer.allocUnsafe(64 << 10);
  for (const end = Math.min(size, pos + LF_SEARCH); pos < end;) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos);
    if (n === 0) return null;
    const i = buf.indexOf(10);
    if (i >= 0 && i < n) return pos + i + 1;
    pos += n;
  }
  return null;
}

/** Built: half-count-worker.js next to this file; from TypeScript sources (vitest), the .ts through tsx. */
function threadEntry(): { filename: string | URL; options: WorkerOptions } {
  if (!import.meta.url.endsWith('.ts')) return { filename: new URL('./half-count-worker.js', import.meta.url), options: {} };
  const require = createRequire(import.meta.url);
  const tsx = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./half-count-worker.ts', import.meta.url).href;
  return { filename: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, options: { eval: true } };
}
