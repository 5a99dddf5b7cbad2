import { closeSync, fstatSync, openSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countHalf } from './half-count.js';
import { startTailThread } from './tail-thread.js';
import { chance, int, partitionAll, pick, prng, tempDir, type Rand, type TempDir } from './testing.js';
import type { PartitionOptions } from './types.js';

// A local jsonl/text file split by records on two threads (the second half
// counted on another thread, its cuts found from that count) must cut
// exactly the batches one thread cuts: same records, blank lines, CRLF,
// final line without LF, long lines.

function randomLines(r: Rand, n: number): string {
  const crlf = chance(r, 0.3);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const kind = int(r, 0, 20);
    if (kind === 0) parts.push('');
    else if (kind === 1) parts.push(pick(r, [' ', '\t', ' \r', '\r']));
    else if (kind === 2) parts.push(`{"long":"${'y'.repeat(int(r, 1000, 30_000))}"}`);
    else parts.push(`${pick(r, ['', ' '])}{"i":${i},"s":"${'x'.repeat(int(r, 0, 200))}"}`);
  }
  const text = parts.join(crlf ? '\r\n' : '\n');
  return chance(r, 0.5) ? text : `${text}\n`;
}

let tmp: TempDir;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.remove();
});

describe('splitting a local file on two threads', () => {
  it('cuts the same batches as one thread (jsonl and text, any batch size)', async () => {
    const r = prng(1415);
    for (let t = 0; t < 300; t++) {
      const file = await tmp.file(`f${t}.jsonl`, `${chance(r, 0.2) ? '\ufeff' : ''}${randomLines(r, int(r, 0, 3000))}`);
      const opts: PartitionOptions = {
        format: pick(r, ['jsonl', 'text'] as const),
        csv: { delimiter: ',', header: false, quote: '"' },
        batchRecords: pick(r, [1, 3, 64, 65, 97, 1000, 100_000]),
        readBufferSize: pick(r, [1024, 4096, 128 << 10]),
      };
      const one = await partitionAll([file], { ...opts, splitThreadsFrom: Number.POSITIVE_INFINITY });
      // The second half counted on this thread (the test hook): the same count and cut-point logic, without a thread's start per case.
      const two = await partitionAll([file], { ...opts, splitThreadsFrom: -1 });
      expect(two, `case ${t}: ${opts.format}, batches of ${opts.batchRecords}`).toEqual(one);
    }
    // 300 files: ~3 s on a quiet machine, 21 s at load 42 (2 cores).
  }, 120_000);

  it('cuts the same batches with the second half counted on a thread', async () => {
    const r = prng(99);
    for (const format of ['jsonl', 'text'] as const) {
      const file = await tmp.file(`t-${format}.jsonl`, randomLines(r, 4000));
      const opts: PartitionOptions = { format, csv: { delimiter: ',', header: false, quote: '"' }, batchRecords: 97, readBufferSize: 4096 };
      const one = await partitionAll([file], { ...opts, splitThreadsFrom: Number.POSITIVE_INFINITY });
      expect(await partitionAll([file], { ...opts, splitThreadsFrom: 1 })).toEqual(one);
      expect(one.batches.length).toBeGreaterThan(20);
    }
  }, 120_000);

  it('counts the second half on a thread, as many records as one thread finds there', async () => {
    const r = prng(7);
    const file = await tmp.file('half.jsonl', randomLines(r, 5000));
    const fd = openSync(file, 'r');
    try {
      const st = fstatSync(fd);
      const tail = startTailThread(fd, file, st, { start: 0, skipBlank: true, bufferSize: 4096, minSize: 1 });
      expect(tail).not.toBeNull();
      const count = await tail?.result;
      expect(count).not.toBeNull();
      const here = countHalf(fd, tail?.from ?? 0, st.size, true, 4096);
      expect(count?.records).toBe(here.records);
      expect(count?.records).toBeGreaterThan(1000);
      expect(count?.read).toBe(st.size);
    } finally {
      closeSync(fd);
    }
  }, 60_000);

  it('an abort ends the counting thread: no count, so the caller reads on and meets the abort', async () => {
    const file = await tmp.file('aborted.jsonl', randomLines(prng(8), 3000));
    const fd = openSync(file, 'r');
    try {
      const ac = new AbortController();
      const tail = startTailThread(fd, file, fstatSync(fd), { start: 0, skipBlank: true, bufferSize: 4096, minSize: 1, signal: ac.signal });
      expect(tail).not.toBeNull();
      ac.abort();
      expect(await tail?.result).toBeNull();
    } finally {
      closeSync(fd);
    }
  }, 60_000);
});
