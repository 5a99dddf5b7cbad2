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
 * Size of the one read buffer when splitting a local file by records: half
 * of this machine's L2 (1 MiB), so the kernel copies each read into a buffer
 * still in this core's cache, and the scanner reads it from there. Measured
 * on a 1 GiB JSONL (docs/benchmarks.md §3, round 5): the system time of the
 * reads is ~0.09 s from 64 KiB to 2 MiB into the same buffer (round 1's
 * 0.3–0.4 s above 256 KiB came from a new buffer per read); the splitter's
 * CPU 221 ms with 128 KiB reads, 202 with 512 KiB, 206 with 1 MiB (medians of
 * 15, in-process, at load ~15): fewer turns of the JS around each read.
 */
export const LOCAL_SPLIT_BUFFER = 512 << 10;

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
    // Without the shared index (csv): no bigger than the file, as a file set may hold many small files.
    const buf = index?.buf ?? Buffer.allocUnsafe(Math.max(1, Math.min(bufferSize, st.size)));
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
