/**
 * Splitting a jsonl, text or csv file by bytes (`batch.bytes: B`).
 *
 * The nominal boundaries are the multiples of B (file offsets). Hadoop's rule
 * decides which batch a record belongs to: the one where it starts. So each
 * boundary snaps forward to the start of the first record that begins at or
 * after it (a record straddling the boundary stays with the batch before),
 * and a batch is the exact, record-aligned range [start, end) between two
 * snapped boundaries: the batch readers run on it unchanged. Boundaries that
 * snap to the same place collapse (no empty batches; a record longer than B
 * makes a larger batch). The first batch starts at the file's first record
 * (after a UTF-8 byte order mark, and after the CSV header, which travels
 * with every batch as `headerEnd`); the last ends at the end of the file.
 * "Record start" means what the scanners mean: the start of a line, skipping
 * blank lines for jsonl and csv, every line for text.
 *
 * How boundaries are found:
 * - jsonl, text, and csv with `multiline: false`: locally. A window is read
 *   at each boundary (growing while no record start is in it), so preparing
 *   reads O(batches × window) bytes, not the file; on S3 each window is one
 *   small ranged GET.
 * - csv (the default `multiline: true`): a newline inside quotes is not a
 *   boundary, and which newlines are inside quotes cannot be told from a
 *   window. So the file is scanned once, start to end, by the same
 *   quote-aware scanner the partitioner and readers use (memchr-speed
 *   searches for newlines and quotes; two read buffers, bounded memory),
 *   cutting at the first record that starts at or after each boundary.
 *
 * Record counts are not known here: batches carry `records: null` and
 * `firstRecord: null`, and the file event `records: null`. Workers count
 * the records of each batch when they run it.
 */
import type { BatchDescriptor } from '../model/batch.js';
import { readChunks } from './chunk-reader.js';
import { createScanner } from './create-scanner.js';
import { csvBlankByte } from './csv-scanner.js';
import type { BatchCounters } from './file-splitter.js';
import type { InputSource } from './input-source.js';
import { fileChanged, fileStat, openInput, sameFile } from './open-input.js';
import { readBufferSize } from './options.js';
import { bomLength, isBlankByte, LF } from './record-scanner.js';
import type { PartitionEvent, PartitionOptions } from './types.js';

/** First window read at a boundary (grown by doubling, up to the read buffer size). */
export const SNAP_WINDOW = 64 << 10;

/**
 * The batches of one file split by `opts.batchBytes`, then its 'file' event.
 * Batch `index` runs on in `counters`; `firstRecord` and `records` are null.
 */
export async function* partitionFileByBytes(
  file: string,
  opts: PartitionOptions & { batchBytes: number },
  counters: BatchCounters,
): AsyncGenerator<PartitionEvent> {
  const scan = opts.format === 'csv' && opts.csv.multiline !== false;
  // The ranges about to be read, for an S3 source to size its GETs to.
  // Scanning: none (sequential reads of the whole object). Snapping: one
  // window at a time, rewritten before each read (see WindowReader); the
  // first covers the byte-order-mark probe and the first record's window.
  const plan: Array<[number, number]> = scan ? [] : [[0, 3 + Math.min(SNAP_WINDOW, readBufferSize(opts))]];
  const fh = await openInput(file, plan);
  const stat = fileStat(fh);
  try {
    const reader = new WindowReader(fh, plan, opts);
    const start = await reader.contentStart();
    const batches = scan ? cutByScan(fh, file, opts, start) : cutBySnapping(fh, reader, file, opts, start);
    for await (const batch of batches) {
      opts.signal?.throwIfAborted();
      batch.index = counters.index++;
      batch.source = stat;
      yield { type: 'batch', batch };
    }
    const after = await fh.stat();
    if (!sameFile(after, stat)) {
      throw fileChanged(file, `size ${stat.size} → ${after.size}`);
    }
    yield { type: 'file', file: { path: file, size: stat.size, mtimeMs: stat.mtimeMs, records: null } };
  } finally {
    await fh.close();
  }
}

/** The next nominal boundary after a record start `q`: boundaries at or before it collapse onto it. */
function nextBoundary(q: number, bytes: number): number {
  return (Math.floor(q / bytes) + 1) * bytes;
}

function batchOf(file: string, start: number, end: number, headerEnd: number | undefined): BatchDescriptor {
  const batch: BatchDescriptor = { index: -1, file, start, end, firstRecord: null, records: null };
  if (headerEnd !== undefined) batch.headerEnd = headerEnd;
  return batch;
}

/** Local snapping: a window read at each boundary. */
async function* cutBySnapping(
  fh: InputSource, reader: WindowReader, file: string, opts: PartitionOptions & { batchBytes: number }, contentStart: number,
): AsyncGenerator<BatchDescriptor> {
  const size = fh.size;
  let headerEnd: number | undefined;
  let first = contentStart;
  if (opts.format === 'csv' && opts.csv.header) {
    headerEnd = await reader.headerEnd(file, contentStart);
    if (headerEnd < 0) return;
    first = headerEnd;
  }
  const blank = opts.format === 'text' ? null : opts.format === 'csv' ? csvBlankByte(opts.csv.delimiter) : isBlankByte;
  const snap = (p: number) => reader.snap(p, contentStart, blank);
  let start = await snap(first);
  while (start < size) {
    const boundary = nextBoundary(start, opts.batchBytes);
    const end = boundary >= size ? size : await snap(boundary);
    yield batchOf(file, start, end, headerEnd);
    start = end;
  }
}

/** CSV with quoted newlines: one quote-aware pass over the whole file. */
async function* cutByScan(
  fh: InputSource, file: string, opts: PartitionOptions & { batchBytes: number }, contentStart: number,
): AsyncGenerator<BatchDescriptor> {
  const size = fh.size;
  const bytes = opts.batchBytes;
  const s = createScanner(opts, file, contentStart);
  let needHeader = opts.csv.header;
  let headerEnd: number | undefined;
  /** Start of the batch in progress; -1 before the first record. */
  let start = -1;
  let boundary = 0;
  const out: BatchDescriptor[] = [];
  /** A record starting at `q` was found. */
  const took = (q: number) => {
    if (start < 0) {
      start = q;
    } else if (q >= boundary) {
      out.push(batchOf(file, start, q, headerEnd));
      start = q;
    } else {
      return;
    }
    boundary = nextBoundary(start, bytes);
  };
  let read = contentStart;
  for await (const { view, base } of readChunks(fh, contentStart, undefined, readBufferSize(opts))) {
    opts.signal?.throwIfAborted();
    let pos = 0;
    while (pos < view.length) {
      if (needHeader) {
        pos = s.scan(view, pos, base, 1);
        if (s.found > 0) {
          needHeader = false;
          headerEnd = s.lastEnd;
        }
      } else if (start >= 0 && boundary - base > pos) {
        // No cut before the boundary: only the quote state matters up to it.
        const stop = Math.min(view.length, boundary - base);
        pos = s.scan(stop === view.length ? view : view.subarray(0, stop), pos, base, Infinity);
      } else {
        pos = s.scan(view, pos, base, 1);
        if (s.found > 0) took(s.lastStart);
      }
    }
    read = base + view.length;
    yield* out;
    out.length = 0;
  }
  if (read !== size) throw fileChanged(file, `size ${size} at open, read ${read} bytes`);
  if (s.finish(size)) {
    if (needHeader) headerEnd = size;
    else took(s.lastStart);
  }
  yield* out;
  if (start >= 0) yield batchOf(file, start, size, headerEnd);
}

/**
 * Positional reads of small windows into one reused buffer (at most the read
 * buffer size), each announced in `plan` first so that an S3 source asks for
 * just that range.
 */
class WindowReader {
  private readonly buf: Buffer;
  private readonly first: number;

  constructor(
    private readonly fh: InputSource,
    private readonly plan: Array<[number, number]>,
    private readonly opts: PartitionOptions,
  ) {
    const max = readBufferSize(opts);
    this.first = Math.min(SNAP_WINDOW, max);
    this.buf = Buffer.allocUnsafe(max);
  }

  /** Reads up to `length` bytes at `at` (fewer only at the end of the file). */
  private async read(at: number, length: number): Promise<Buffer> {
    const want = Math.min(length, this.buf.length, this.fh.size - at);
    if (want <= 0) return this.buf.subarray(0, 0);
    this.plan.length = 0;
    this.plan.push([at, at + want]);
    const { bytesRead } = await this.fh.read(this.buf, 0, want, at);
    if (bytesRead === 0) throw fileChanged(this.fh.name, `size ${this.fh.size} at open, but it ends before byte ${at}`);
    return this.buf.subarray(0, bytesRead);
  }

  /** Offset where content begins: 3 after a UTF-8 byte order mark, else 0. */
  async contentStart(): Promise<number> {
    const head = Buffer.alloc(3);
    const { bytesRead } = await this.fh.read(head, 0, Math.min(3, this.fh.size), 0);
    return bomLength(head.subarray(0, bytesRead));
  }

  /** End of the CSV header (the file's first record, found by the csv scanner), or -1 if the file has none. */
  async headerEnd(file: string, contentStart: number): Promise<number> {
    const s = createScanner(this.opts, file, contentStart);
    let want = this.first;
    for (let at = contentStart; at < this.fh.size; ) {
      const view = await this.read(at, want);
      s.scan(view, 0, at, 1);
      if (s.found > 0) return s.lastEnd;
      at += view.length;
      want *= 2;
    }
    return s.finish(this.fh.size) ? this.fh.size : -1;
  }

  /**
   * The start of the first record at or after `p`, or the file size if none:
   * the first line start q ≥ p (q is the content start or follows a LF);
   * with `blank` (jsonl, csv), the first such line holding a byte that is
   * not blank. Reads a window at p - 1 and grows it until found.
   */
  async snap(p: number, contentStart: number, blank: ((c: number) => boolean) | null): Promise<number> {
    const size = this.fh.size;
    const pos = Math.max(p, contentStart);
    if (pos >= size) return size;
    /** The line start being checked for content; -1 while looking for the next line start. */
    let q = pos === contentStart ? pos : -1;
    if (q >= 0 && blank === null) return q;
    let want = this.first;
    for (let at = q >= 0 ? pos : pos - 1; at < size; ) {
      const view = await this.read(at, want);
      let i = 0;
      while (i < view.length) {
        if (q < 0) {
          const nl = view.indexOf(LF, i);
          if (nl < 0) break;
          q = at + nl + 1;
          if (blank === null) return Math.min(q, size);
          i = nl + 1;
        } else if (view[i] === LF) {
          q = at + i + 1;
          i++;
        } else if (blank !== null && blank(view[i] as number)) {
          i++;
        } else {
          return q;
        }
      }
      at += view.length;
      want *= 2;
    }
    return size;
  }
}
