import { open, readFile, writeFile } from 'node:fs/promises';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDjcError } from '../errors.js';
import { openBatchStream } from './batch-stream.js';
import type { BatchDescriptor } from '../model/batch.js';
import { partitionInput } from './partition-input.js';
import { readBatchRecords } from './read-batch.js';
import { CSV_DEFAULTS, partitionAll, readAll, tempDir, type TempDir } from './testing.js';
import type { PartitionEvent, PartitionOptions } from './types.js';

let tmp: TempDir;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.remove();
});

const opts = (batchRecords: number, format: PartitionOptions['format'] = 'jsonl'): PartitionOptions => ({
  format, csv: CSV_DEFAULTS, batchRecords,
});
const numbers = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('partitionInput over several files', () => {
  it('never spans files; index and firstRecord run on; each file ends with its file event', async () => {
    const a = await tmp.file('a.jsonl', numbers(0, 5).join('\n') + '\n');
    const empty = await tmp.file('b.jsonl', '');
    const c = await tmp.file('c.jsonl', numbers(5, 8).join('\n'));
    const events: PartitionEvent[] = [];
    for await (const ev of partitionInput([a, empty, c], opts(2))) events.push(ev);
    const summary = events.map((ev) =>
      ev.type === 'batch'
        ? `batch ${ev.batch.index} ${ev.batch.file.slice(-7)} first=${ev.batch.firstRecord} n=${ev.batch.records}`
        : `file ${ev.file.path.slice(-7)} records=${ev.file.records} size=${ev.file.size}`,
    );
    expect(summary).toEqual([
      'batch 0 a.jsonl first=0 n=2',
      'batch 1 a.jsonl first=2 n=2',
      'batch 2 a.jsonl first=4 n=1',
      'file a.jsonl records=5 size=10',
      'file b.jsonl records=0 size=0',
      'batch 3 c.jsonl first=5 n=2',
      'batch 4 c.jsonl first=7 n=1',
      'file c.jsonl records=3 size=5',
    ]);
    const batches = events.flatMap((ev) => (ev.type === 'batch' ? [ev.batch] : []));
    expect(await readAll(batches, opts(2))).toEqual(numbers(0, 8));
  });

  it('reports mtimeMs from the file', async () => {
    const a = await tmp.file('a.txt', 'x\n');
    const { files } = await partitionAll([a], opts(1, 'text'));
    const fh = await open(a);
    const st = await fh.stat();
    await fh.close();
    expect(files).toEqual([{ path: a, size: 2, mtimeMs: st.mtimeMs, records: 1 }]);
  });

  it('a missing file or a directory is INPUT_INVALID naming it', async () => {
    for (const p of [`${tmp.dir}/missing.jsonl`, tmp.dir]) {
      const err = await partitionAll([p], opts(1)).catch((e: unknown) => e);
      expect(isDjcError(err, 'INPUT_INVALID')).toBe(true);
      expect((err as Error).message).toContain(p);
    }
  });

  it('rejects a batch size that is not a positive integer', async () => {
    const a = await tmp.file('a.jsonl', '1\n');
    for (const n of [0, -1, 1.5, Number.NaN]) {
      const err = await partitionAll([a], opts(n)).catch((e: unknown) => e);
      expect(isDjcError(err, 'CONFIG_INVALID')).toBe(true);
    }
  });

  it('stops when the signal is aborted', async () => {
    const a = await tmp.file('a.jsonl', numbers(0, 100).join('\n'));
    const b = await tmp.file('b.jsonl', '1\n');
    const ac = new AbortController();
    const seen: PartitionEvent[] = [];
    const err = await (async () => {
      for await (const ev of partitionInput([a, b], { ...opts(10), signal: ac.signal, readBufferSize: 16 })) {
        seen.push(ev);
        ac.abort();
      }
    })().catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(seen.length).toBeLessThan(3);
  });

  it('a consumer may stop early: partitioning and reading end cleanly and close the file', async () => {
    const a = await tmp.file('a.jsonl', numbers(0, 1000).join('\n'));
    const small = { ...opts(10), readBufferSize: 64 };
    for await (const ev of partitionInput([a], small)) {
      expect(ev.type).toBe('batch');
      break;
    }
    const { batches } = await partitionAll([a], { ...small, batchRecords: 500 });
    const first: unknown[] = [];
    for await (const r of readBatchRecords(batches[0] as BatchDescriptor, small)) {
      first.push(r);
      if (first.length === 3) break;
    }
    expect(first).toEqual([0, 1, 2]);
    expect(await readAll(batches, small)).toEqual(numbers(0, 1000));
  });

  it('reading a batch of a file changed since partitioning fails with INPUT_INVALID', async () => {
    const a = await tmp.file('a.jsonl', '1\n2\n3\n4\n');
    const { batches } = await partitionAll([a], opts(2));
    await writeFile(a, '1\n\n3\n4\n');
    const err = await readAll(batches, opts(2)).catch((e: unknown) => e);
    expect(isDjcError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/changed/);
  });
});

describe('openBatchStream', () => {
  it('streams exactly the batch range; the streams of all batches cover the records in order', async () => {
    const content = '\n{"a":1}\r\n\n{"a":2}\n{"a":3}\n\n';
    const file = await tmp.file('s.jsonl', content);
    const bytes = await readFile(file);
    const { batches } = await partitionAll([file], opts(2));
    const streamed: Buffer[] = [];
    for (const b of batches) {
      const got = await buffer(openBatchStream(b, { ...opts(2), readBufferSize: 3 }));
      expect(got).toEqual(bytes.subarray(b.start, b.end));
      streamed.push(got);
    }
    expect(Buffer.concat(streamed).toString()).toBe('{"a":1}\r\n\n{"a":2}\n{"a":3}\n');
  });

  it('fails with INPUT_INVALID naming the file when it is gone', async () => {
    const file = `${tmp.dir}/gone.jsonl`;
    const stream = openBatchStream({ index: 0, file, start: 0, end: 4, firstRecord: 0, records: 1 }, opts(1));
    const err = await buffer(stream).catch((e: unknown) => e);
    expect(isDjcError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as Error).message).toContain(file);
  });
});

describe('memory', () => {
  it('partitioning a ~50 MB file keeps RSS growth small (bounded buffers, no accumulation)', async () => {
    const file = `${tmp.dir}/big.jsonl`;
    const fh = await open(file, 'w');
    const line = (i: number) => `{"id":${i},"name":"user-${i}","payload":"${'x'.repeat(80 + (i % 50))}"}\n`;
    let written = 0;
    for (let i = 0; written < 50 * 1024 * 1024; ) {
      let block = '';
      for (let k = 0; k < 5000; k++, i++) block += line(i);
      written += (await fh.write(block)).bytesWritten;
    }
    await fh.close();
    const before = process.memoryUsage().rss;
    let peak = before;
    let records = 0;
    for await (const ev of partitionInput([file], opts(100))) {
      if (ev.type === 'file') records = ev.file.records;
      else if (ev.batch.index % 64 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(records).toBeGreaterThan(300_000);
    // About 5 MB in practice; well under the file size, so holding the file
    // (or an array of its lines) in memory would fail this.
    expect(peak - before).toBeLessThan(30 * 1024 * 1024);
  });
});
