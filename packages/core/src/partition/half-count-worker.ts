/**
 * Thread entry: counts the records of a file's tail (half-count.ts) and
 * posts the HalfCount, or null when the file it opened is not the one the
 * caller has open (then the caller scans the tail itself).
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { countHalf } from './half-count.js';
import { INPUT_OPEN_FLAGS } from './open-errors.js';

export interface HalfCountJob {
  file: string;
  dev: number;
  ino: number;
  from: number;
  to: number;
  skipBlank: boolean;
  bufferSize: number;
}

const job = workerData as HalfCountJob;
const fd = openSync(job.file, INPUT_OPEN_FLAGS);
try {
  const st = fstatSync(fd);
  const same = st.dev === job.dev && st.ino === job.ino && st.size >= job.to;
  const count = same ? countHalf(fd, job.from, job.to, job.skipBlank, job.bufferSize) : null;
  parentPort?.postMessage(count, count === null ? [] : [count.ends.buffer as ArrayBuffer]);
} finally {
  closeSync(fd);
}
