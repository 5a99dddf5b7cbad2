import type { FileStat } from '../model/batch.js';
import { drainBatches } from './drain-batches.js';
import { FileSplitter, type BatchCounters } from './file-splitter.js';
import { IndexedLineScanner } from './indexed-line-scanner.js';
import { NewlineIndex } from './newline-wasm.js';
import { fileChanged, sameFile } from './open-input.js';
import { cannotOpen, INPUT_OPEN_FLAGS, notRegularFile } from './open-errors.js';
import { bomLength } from './record-scanner.js';
import type { PartitionEvent, PartitionOptions } from './types.js';

// Not `import … from 'node:fs'`: an ESM import builds fs's namespace, whose getters load
// fs/promises, readline and Node's streams (~5 ms of a short process); see partition-input.ts.
const { closeSync, fstatSync, openSync, readSync } = process.getBuiltinModule('node:fs');
const { setImmediate: nextTurn } = process.getBuiltinModule('node:timers/promises');

/**
 * Size of the one read buffer when splitting a local file by records. Small
 * on purpose: the kernel copies each read into a buffer still in this core's
 * L2 cache, and the scanner reads it from there. Measured on a 1 GiB JSONL
 * (docs/benchmarks.md §3): reads of 64–128 KiB cost ~0.09 s of system time,
 * reads of 256 KiB–4 MiB ~0.3–0.4 s, for the same bytes.
 */
export const LOCAL_SPLIT_BUFFER = 128 << 10;

/**
 * Bytes read and scanned between two turns of the event loop (a few ms of
 * work): the reads are blocking system calls on this thread, which skips
 * libuv's thread pool (a hand-off per read, and the copy landing in another
 * core's cache), yet a daemon that prepares a job keeps serving.
 */
const BURST_BYTES = 8 << 20;

/**
 * Splits a local file into batches of `batchRecords` records: one buffer,
 * blocking reads in short bursts, the same FileSplitter (so the same cut
 * points, counts, blank-line, CRLF and header handling) as any other source.
 * One thread: a second one counting the tail (issue 14 rounds 1-3) gained
 * 2-3% of wall time on a quiet machine for ~40% more CPU and a second isolate
 * (~20 MiB), so it was removed (docs/benchmarks.md §3).
 */
export async function* splitLocalFile(
  file: string,
  opts: PartitionOptions,
  counters: BatchCounters,
): AsyncGenerator<PartitionEvent> {
  const fd = openLocal(file);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notRegularFile(file, st);
    const stat: FileStat = { size: st.size, mtimeMs: st.mtimeMs };
    const bufferSize = opts.readBufferSize ?? LOCAL_SPLIT_BUFFER;
    const skipBlank = opts.format === 'jsonl';
    const index = skipBlank || opts.format === 'text' ? NewlineIndex.create(bufferSize) : null;
    const buf = index?.buf ?? Buffer.allocUnsafe(bufferSize);
    const head = Buffer.alloc(3);
    const start = bomLength(head.subarray(0, readSync(fd, head, 0, 3, 0)));
    const scanner = index === null ? undefined : new IndexedLineScanner(index, skipBlank, start);
    const splitter = new FileSplitter(file, opts, counters, start, stat, scanner);
    const size = yield* readAndSplit(fd, buf, splitter, start, opts);
    splitter.end(size);
    yield* drainBatches(splitter.out, opts.groupBatches);
    const after = fstatSync(fd);
    if (after.size !== size || !sameFile(after, stat)) {
      throw fileChanged(file, `size ${stat.size} → ${after.size}, read ${size} bytes`);
    }
    yield { type: 'file', file: { path: file, size, mtimeMs: stat.mtimeMs, records: splitter.records } };
  } finally {
    closeSync(fd);
  }
}

/** Reads from `from` to the end of the file into `buf` and pushes it to `splitter`, yielding its batches; returns where reading stopped. */
async function* readAndSplit(
  fd: number,
  buf: Buffer,
  splitter: FileSplitter,
  from: number,
  { signal, groupBatches }: PartitionOptions,
): AsyncGenerator<PartitionEvent, number> {
  let size = from;
  let sinceTurn = 0;
  for (;;) {
    signal?.throwIfAborted();
    const n = readSync(fd, buf, 0, buf.length, size);
    if (n === 0) break;
    // A new view per read: scanners tell chunks apart by their view (csv-scanner.ts caches by it).
    splitter.push(buf.subarray(0, n), size);
    size += n;
    if (splitter.out.length > 0) yield* drainBatches(splitter.out, groupBatches);
    if ((sinceTurn += n) >= BURST_BYTES) {
      sinceTurn = 0;
      await nextTurn();
    }
  }
  return size;
}

function openLocal(file: string): number {
  try {
    return openSync(file, INPUT_OPEN_FLAGS);
  } catch (e) {
    throw cannotOpen(file, e);
  }
}
