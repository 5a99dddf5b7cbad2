/**
 * A child process for the partitioner's memory test: partitions FILE by
 * records or by bytes with the heap limit the test gave node, and prints one
 * JSON line: batches, records (split by bytes: counted batch by batch, as
 * command-handler workers count them), the byte range covered, peak RSS.
 * Usage: node --max-old-space-size=32 --import tsx partition-child.ts FORMAT FILE records|bytes N
 */
import { getHeapStatistics } from 'node:v8';
import { partitionInput } from '../partition/partition-input.js';
import { tallyBatch } from '../partition/batch-stream.js';
import type { InputFormat, PartitionOptions } from '../partition/types.js';

async function main(): Promise<void> {
  const [format, file, by, n] = process.argv.slice(2);
  if (!format || !file || (by !== 'records' && by !== 'bytes') || !n) throw new Error('usage: partition-child FORMAT FILE records|bytes N');
  const opts: PartitionOptions = {
    format: format as InputFormat,
    csv: { delimiter: ',', header: true, quote: '"', multiline: true },
    batchRecords: by === 'records' ? Number(n) : 1,
    ...(by === 'bytes' ? { batchBytes: Number(n) } : {}),
  };
  let batches = 0;
  let records = 0;
  let covered = 0;
  let firstStart = -1;
  let lastEnd = -1;
  let size = 0;
  for await (const ev of partitionInput([file], opts)) {
    if (ev.type === 'file') {
      size = ev.file.size;
      if (ev.file.records !== null && ev.file.records !== records) throw new Error(`file records ${ev.file.records} ≠ batch sum ${records}`);
      continue;
    }
    const b = ev.batch;
    if (firstStart < 0) firstStart = b.start;
    else if (b.start !== lastEnd) throw new Error(`batch ${b.index} starts at ${b.start}, the previous ended at ${lastEnd}`);
    lastEnd = b.end;
    covered += b.end - b.start;
    batches += 1;
    records += b.records ?? (await tallyBatch(b, opts)).records;
  }
  const heapLimitMiB = Math.round(getHeapStatistics().heap_size_limit / (1 << 20));
  process.stdout.write(`${JSON.stringify({ batches, records, covered, firstStart, lastEnd, size, heapLimitMiB, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
