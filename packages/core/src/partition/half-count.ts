import { readSync } from 'node:fs';
import { IndexedLineScanner } from './indexed-line-scanner.js';
import { LineScanner } from './line-scanner.js';
import { NewlineIndex } from './newline-wasm.js';
import type { RecordScanner } from './record-scanner.js';

/**
 * The records of a line-format file's tail, from just past an LF to the end
 * of the file, counted by another thread while the first thread splits the
 * head: batch cut points in the tail depend on the head's count, so the
 * count keeps the end of every `stride`-th record (at most MAX_ENDS of them:
 * the stride doubles when the list is full), and a cut is found by
 * rescanning fewer than `stride` records from the nearest kept end.
 */
export interface HalfCount {
  records: number;
  /** Start of the first record (-1 when none). */
  firstStart: number;
  /** Just past the last record (its LF, or the end of the file). */
  lastEnd: number;
  stride: number;
  /** ends[i]: just past record (i + 1) * stride of the tail. */
  ends: Float64Array;
  /** Where reading stopped: the end of the file as the counting thread saw it. */
  read: number;
}

const MAX_ENDS = 1 << 15;
const FIRST_STRIDE = 64;
const RESCAN_BUFFER = 16 << 10;

function lineScanner(bufferSize: number, skipBlank: boolean, from: number): { buf: Buffer; scanner: RecordScanner } {
  const index = NewlineIndex.create(bufferSize);
  if (index === null) return { buf: Buffer.allocUnsafe(bufferSize), scanner: new LineScanner(skipBlank, from) };
  return { buf: index.buf, scanner: new IndexedLineScanner(index, skipBlank, from) };
}

/** Counts the records of fd's bytes [from, to), `from` just past an LF (or the file's content start), `to` the end of the file. */
export function countHalf(fd: number, from: number, to: number, skipBlank: boolean, bufferSize: number): HalfCount {
  const { buf, scanner } = lineScanner(bufferSize, skipBlank, from);
  let ends = new Float64Array(MAX_ENDS);
  let kept = 0;
  let stride = FIRST_STRIDE;
  let records = 0;
  let firstStart = -1;
  const took = (n: number) => {
    if (records === 0) firstStart = scanner.lastStart;
    records += n;
    if (records % stride !== 0) return;
    if (kept === MAX_ENDS) {
      const half = new Float64Array(MAX_ENDS);
      for (let i = 1; i < MAX_ENDS; i += 2) half[i >> 1] = ends[i] as number;
      ends = half;
      kept = MAX_ENDS / 2;
      stride *= 2;
      if (records % stride !== 0) return;
    }
    ends[kept++] = scanner.lastEnd;
  };
  let pos = from;
  while (pos < to) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, to - pos), pos);
    if (n === 0) break;
    const view = buf.subarray(0, n);
    for (let p = 0; p < n;) {
      p = scanner.scan(view, p, pos, records === 0 ? 1 : stride - (records % stride));
      if (scanner.found > 0) took(scanner.found);
    }
    pos += n;
  }
  let lastEnd = scanner.lastEnd;
  if (scanner.finish(pos)) {
    took(1);
    lastEnd = pos;
  }
  return { records, firstStart, lastEnd: records === 0 ? from : lastEnd, stride, ends: ends.subarray(0, kept), read: pos };
}

/** Just past the j-th record (1-based) of a counted tail that starts at `from`, rescanning from the nearest kept end. */
export function endOfRecord(fd: number, count: HalfCount, from: number, j: number, skipBlank: boolean): number {
  if (j === count.records) return count.lastEnd;
  const kept = Math.floor(j / count.stride);
  let pos = kept === 0 ? from : (count.ends[kept - 1] as number);
  let left = j - kept * count.stride;
  if (left === 0) return pos;
  // Fewer than `stride` records: a small buffer and Buffer.indexOf per line.
  const buf = Buffer.allocUnsafe(RESCAN_BUFFER);
  const scanner = new LineScanner(skipBlank, pos);
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n === 0) throw new Error(`record ${j} of the tail from ${from} not found again`);
    const view = buf.subarray(0, n);
    for (let p = 0; p < n;) {
      p = scanner.scan(view, p, pos, left);
      if ((left -= scanner.found) === 0) return scanner.lastEnd;
    }
    pos += n;
  }
}
