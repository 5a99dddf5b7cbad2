import { readSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker as WorkerThread, WorkerOptions } from 'node:worker_threads';
import { countHalf, type HalfCount } from './half-count.js';
import type { HalfCountJob } from './half-count-worker.js';
import { coreIdle } from './idle-core.js';

/**
 * Smallest local file split by records on two threads. A worker thread
 * posts its first message ~40-60 ms after `new Worker` (40-57 ms of CPU,
 * Node 24; docs/benchmarks.md §3), in which one thread reads and counts
 * ~300 MB (the whole process does ~6.8 GB/s in-process on a quiet
 * machine). With two equal cores the two threads take (T + start) / 2
 * against T for one: even at 256 MiB (T ~40 ms) they finish later; at
 * 512 MiB they win ~15 ms at best.
 */
export const TWO_THREADS_FROM = 512 << 20;

/** Bytes the first thread takes more than the second: about what it splits while the second starts (at most a quarter of the file). */
const START_LAG = 256 << 20;

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
 * thread, or returns null (a small file, one core, no idle core now
 * (idle-core.ts: a second thread on a busy core costs CPU and buys no wall
 * time), no LF near the cut, no thread). The idle-core check is skipped when `minSize`
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
  let worker: WorkerThread;
  try {
    const entry = threadEntry();
    // Loaded here, not at import: most splits never start a thread (node:worker_threads costs ~6-10 ms to load).
    const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
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
