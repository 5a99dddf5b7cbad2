import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from './testing.js';

// An input several times larger than the partitioner's heap still
// partitions: a child node with --max-old-space-size=32 splits a generated
// ~200 MB JSONL (DJC_MEMORY_TEST_MB) by records and by bytes (then counts
// every byte batch, as command-handler workers do), and a CSV with quoted
// newlines by bytes (the quote-aware scan of the whole file).

const CHILD = fileURLToPath(new URL('../testing/partition-child.ts', import.meta.url));
const CORE = dirname(dirname(dirname(CHILD)));
const MB = Number(process.env.DJC_MEMORY_TEST_MB ?? 200);
const HEAP_MB = 32;
const run = promisify(execFile);

let tmp: TempDir;
let jsonl: { path: string; bytes: number; records: number };
let csv: { path: string; bytes: number; records: number };

/** Writes lines from `line(i)` in 8 MiB chunks until the file holds `mb` MB. */
async function generate(path: string, mb: number, head: string, line: (i: number) => string): Promise<{ path: string; bytes: number; records: number }> {
  const fh = await open(path, 'w');
  let bytes = 0;
  let records = 0;
  try {
    await fh.write(head);
    bytes += Buffer.byteLength(head);
    while (bytes < mb * 1e6) {
      const parts: string[] = [];
      let chunk = 0;
      while (chunk < 8 << 20) {
        const l = line(records++);
        parts.push(l);
        chunk += Buffer.byteLength(l);
      }
      await fh.write(parts.join(''));
      bytes += chunk;
    }
  } finally {
    await fh.close();
  }
  return { path, bytes, records };
}

async function partition(format: string, file: string, by: 'records' | 'bytes', n: number) {
  // A small young generation too, so the whole heap limit is about HEAP_MB.
  const flags = [`--max-old-space-size=${HEAP_MB}`, '--max-semi-space-size=1'];
  const { stdout } = await run(process.execPath, [...flags, '--import', 'tsx', CHILD, format, file, by, String(n)], {
    cwd: CORE,
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout) as { batches: number; records: number; covered: number; firstStart: number; lastEnd: number; size: number; heapLimitMiB: number };
}

beforeAll(async () => {
  tmp = await tempDir();
  const pad = 'lorem ipsum dolor sit amet '.repeat(8);
  jsonl = await generate(join(tmp.dir, 'big.jsonl'), MB, '', (i) => `{"i":${i},"text":"${pad.slice(0, 40 + (i % 150))}é"}\n`);
  csv = await generate(join(tmp.dir, 'big.csv'), Math.max(1, MB / 4), 'id,text\r\n', (i) =>
    i % 7 === 0 ? `${i},"two\r\nlines, ""quoted"""\r\n` : `${i},${pad.slice(0, 20 + (i % 60))}\r\n`);
}, 120_000);

afterAll(async () => {
  await tmp?.remove();
});

describe(`partitioning a ${MB} MB input with a ${HEAP_MB} MB heap`, () => {
  it('by records: every record in batches of 10,000', async () => {
    const r = await partition('jsonl', jsonl.path, 'records', 10_000);
    expect(r.heapLimitMiB).toBeLessThan(HEAP_MB + 8);
    expect(jsonl.bytes).toBeGreaterThan(4 * r.heapLimitMiB * 2 ** 20);
    expect(r).toMatchObject({ batches: Math.ceil(jsonl.records / 10_000), records: jsonl.records, firstStart: 0, lastEnd: jsonl.bytes, covered: jsonl.bytes });
  }, 120_000);

  it('by bytes: 4 MiB batches cover the file, and counting them finds every record', async () => {
    const B = 4 << 20;
    const r = await partition('jsonl', jsonl.path, 'bytes', B);
    expect(r).toMatchObject({ records: jsonl.records, firstStart: 0, lastEnd: jsonl.bytes, covered: jsonl.bytes, size: jsonl.bytes });
    expect(r.batches).toBe(Math.ceil(jsonl.bytes / B));
  }, 120_000);

  it('by bytes, CSV with quoted newlines (one quote-aware scan): every row, none split', async () => {
    const r = await partition('csv', csv.path, 'bytes', 1 << 20);
    const headerEnd = Buffer.byteLength('id,text\r\n');
    expect(r).toMatchObject({ records: csv.records, firstStart: headerEnd, lastEnd: csv.bytes, covered: csv.bytes - headerEnd });
    expect(r.batches).toBeGreaterThanOrEqual(Math.floor(csv.bytes / (1 << 20)));
  }, 120_000);
});
