import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndexedLineScanner } from './indexed-line-scanner.js';
import { LineScanner } from './line-scanner.js';
import { NewlineIndex } from './newline-wasm.js';
import type { RecordScanner } from './record-scanner.js';
import { partitionInput } from './partition-input.js';
import { chance, int, partitionAll, pick, prng, tempDir, type Rand, type TempDir } from './testing.js';
import type { PartitionEvent, PartitionOptions } from './types.js';

// The WebAssembly newline finder and the scanner built on it against the
// plain ones (Buffer.indexOf, LineScanner) on random input: they must agree
// on every LF, and on every record, cut and blank line, whatever the chunk
// boundaries and limits.

const BYTES = [0x0a, 0x0a, 0x0d, 0x20, 0x09, 0x61, 0x7b, 0x7d, 0xe6, 0x97, 0xa5, 0x00, 0xff];

function randomBytes(r: Rand, n: number): Buffer {
  const lfShare = pick(r, [0, 0.01, 0.1, 0.5, 1]);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = chance(r, lfShare) ? 0x0a : pick(r, BYTES);
  return out;
}

/**
 * Lines of 0-300 bytes, most starting with a byte > 0x20 (so that whole blocks are counted), a few (0.5%) with
 * one that may start a blank line (0x20 itself, 0x00, tab, CR) or empty; UTF-8 and 0xff inside.
 */
function recordBytes(r: Rand, n: number): Buffer {
  const out = Buffer.alloc(n);
  const inside = BYTES.filter((b) => b !== 0x0a);
  for (let i = 0; i < n;) {
    const odd = chance(r, 0.005);
    const len = odd && chance(r, 0.2) ? 0 : int(r, 1, 300);
    const first = odd ? pick(r, [0x20, 0x00, 0x09, 0x0d]) : pick(r, [0x7b, 0xe6, 0xff, 0x21, 0x80]);
    for (let j = 0; j < len && i < n; j++) out[i++] = j === 0 ? first : pick(r, inside);
    if (i < n) out[i++] = 0x0a;
  }
  return out;
}

describe('NewlineIndex', () => {
  it('is available here (WebAssembly SIMD)', () => {
    expect(NewlineIndex.create(1024)).not.toBeNull();
  });

  it('passes the same LFs as Buffer.indexOf, stopping at k or past an LF before a byte <= 0x20, for any range', () => {
    const r = prng(14);
    const index = NewlineIndex.create(40_000) as NewlineIndex;
    for (let t = 0; t < 1200; t++) {
      // Sizes around the 128-byte steps and the 2,048-byte blocks (counted whole when they hold fewer than k LFs, no blank line).
      const n = pick(r, [0, 1, 15, 16, 17, 63, 64, 65, 66, 129, 200, 2048, 2049, 2050, 4097, 6200, int(r, 0, 40_000)]);
      (chance(r, 0.5) ? randomBytes(r, n) : recordBytes(r, n)).copy(index.buf);
      const view = index.buf.subarray(0, n);
      const from = int(r, 0, n);
      const k = pick(r, [1, 2, 3, 31, 32, 33, 64, 100, 255, 256, 257, 1000, int(r, 1, 3000), 0x7fffffff]);
      const blank = chance(r, 0.5);
      let want = n;
      let count = 0;
      for (let p = view.indexOf(0x0a, from); p >= 0; p = view.indexOf(0x0a, p + 1)) {
        count++;
        if (count === k || (blank && p + 1 < n && (view[p + 1] as number) <= 0x20)) {
          want = p + 1;
          break;
        }
      }
      const got = index.skip(from, n, k, blank);
      expect({ end: got, count: index.count }, `case ${t}: ${n} bytes from ${from}, k ${k}, blank ${blank}`).toEqual({ end: want, count });
    }
  });

  it('counts dense LFs exactly (every byte, or every 16th: one lane of the block counters each time)', () => {
    const index = NewlineIndex.create(40_000) as NewlineIndex;
    for (const every of [1, 16, 128]) {
      index.buf.fill(0x61);
      for (let p = 3; p < 40_000; p += every) index.buf[p] = 0x0a;
      const lfs = index.buf.subarray(3).filter((b) => b === 0x0a).length;
      expect(index.skip(0, 40_000, 0x7fffffff, false), `an LF every ${every} bytes`).toBe(40_000);
      expect(index.count, `an LF every ${every} bytes`).toBe(lfs);
    }
  });
});

interface Trace {
  pos: number;
  found: number;
  lastStart: number;
  lastEnd: number;
  recordStart: number;
}

/** Feeds `bytes` in chunks of the given sizes, scanning each with random limits; every scan's result and state, then finish's. */
function trace(scanner: RecordScanner, bytes: Buffer, chunks: number[], limits: number[], viewOf: (chunk: Buffer) => Buffer): Trace[] {
  const out: Trace[] = [];
  let base = 0;
  let l = 0;
  for (const size of chunks) {
    const view = viewOf(bytes.subarray(base, base + size));
    let pos = 0;
    do {
      pos = scanner.scan(view, pos, base, limits[l++ % limits.length] as number);
      out.push({ pos, found: scanner.found, lastStart: scanner.lastStart, lastEnd: scanner.lastEnd, recordStart: scanner.recordStart });
    } while (pos < view.length);
    base += size;
  }
  const last = scanner.finish(base);
  out.push({ pos: last ? 1 : 0, found: -1, lastStart: scanner.lastStart, lastEnd: scanner.lastEnd, recordStart: scanner.recordStart });
  return out;
}

describe('IndexedLineScanner', () => {
  it('finds the same records as LineScanner (jsonl and text), chunk by chunk, limit by limit', () => {
    const r = prng(1414);
    for (let t = 0; t < 600; t++) {
      const chunkSize = pick(r, [1, 3, 16, 64, 100, 4096, 20_000]);
      const bytes = randomBytes(r, int(r, 0, pick(r, chunkSize < 64 ? [50, 500] : [50, 500, 20_000])));
      const chunks: number[] = [];
      for (let left = bytes.length; left > 0; left -= chunkSize) chunks.push(Math.min(chunkSize, left));
      const limits = Array.from({ length: 5 }, () => pick(r, [1, 2, 7, 1000, 100_000]));
      const skipBlank = chance(r, 0.5);
      const start = 0;
      const index = NewlineIndex.create(chunkSize) as NewlineIndex;
      const intoIndex = (chunk: Buffer) => index.buf.subarray(0, chunk.copy(index.buf));
      const want = trace(new LineScanner(skipBlank, start), bytes, chunks, limits, (c) => c);
      const got = trace(new IndexedLineScanner(index, skipBlank, start), bytes, chunks, limits, intoIndex);
      expect(got, `case ${t}: ${bytes.length} bytes, chunks of ${chunkSize}, limits ${limits.join(',')}, skipBlank ${skipBlank}`).toEqual(want);
    }
  });

  it('scans a view that is not its index buffer as LineScanner does', () => {
    const index = NewlineIndex.create(64) as NewlineIndex;
    const bytes = Buffer.from('{"a":1}\n\n  \r\n{"b":2}\r\n{"c":3}');
    const want = trace(new LineScanner(true, 0), bytes, [bytes.length], [1], (c) => c);
    expect(trace(new IndexedLineScanner(index, true, 0), bytes, [bytes.length], [1], (c) => c)).toEqual(want);
  });
});

describe('partitioning local files with the shared index', () => {
  let tmp: TempDir;
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => {
    await tmp.remove();
  });

  it('two partitions run at once (steps interleaved) cut the same batches as each alone', async () => {
    const r = prng(77);
    const lines = (n: number) => Array.from({ length: n }, (_, i) => (chance(r, 0.05) ? ' \r' : JSON.stringify({ i, s: 'x'.repeat(int(r, 0, 300)) }))).join(pick(r, ['\n', '\r\n']));
    const a = await tmp.file('a.jsonl', lines(4000));
    const b = await tmp.file('b.jsonl', lines(3000));
    const opts: PartitionOptions = { format: 'jsonl', csv: { delimiter: ',', header: false, quote: '"' }, batchRecords: 97 };
    const alone = [await partitionAll([a], opts), await partitionAll([b], opts)];
    const ga = partitionInput([a], opts);
    const gb = partitionInput([b], opts);
    const seen: PartitionEvent[][] = [[], []];
    for (let done = [false, false]; !done[0] || !done[1];) {
      for (const [i, g] of [ga, gb].entries()) {
        if (done[i]) continue;
        const next = await g.next();
        if (next.done) done[i] = true;
        else seen[i]?.push(next.value);
      }
    }
    for (const i of [0, 1]) {
      const batches = seen[i]?.flatMap((ev) => (ev.type === 'batch' ? [ev.batch] : []));
      expect(batches).toEqual(alone[i]?.batches);
      expect((alone[i]?.batches.length ?? 0) > 10).toBe(true);
    }
  });
});
