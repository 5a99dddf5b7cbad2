/**
 * The partitioner alone, as its own process (so its peak RSS is its own):
 * splits FILE into batches of RECORDS records, or of BYTES bytes, with the
 * built core API and counts the events. Prints
 * {"batches","records","bytes","ms","maxRssKiB"} (records: null by bytes,
 * where batches are counted only when they run).
 * Usage: node partition-file.mjs FILE [RECORDS]   or   node partition-file.mjs FILE bytes BYTES
 * BENCH_PARTITION_ROOT: the checkout whose built partitioner runs (default:
 * this one), to time another build in the same sitting.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib.mjs';

// The partition module alone: loading the rest of @djc/core (config schema, backends) is not partitioning.
const root = process.env.BENCH_PARTITION_ROOT || ROOT;
const { partitionInput } = await import(pathToFileURL(join(root, 'packages/core/dist/partition/index.js')).href);

const [file, mode = '10000', size] = process.argv.slice(2);
const byBytes = mode === 'bytes';
const t0 = performance.now();
let batches = 0;
let total = 0;
let bytes = 0;
const opts = {
  format: 'jsonl',
  csv: { delimiter: ',', header: true, quote: '"' },
  batchRecords: byBytes ? 1 : Number(mode),
  ...(byBytes ? { batchBytes: Number(size) } : {}),
};
for await (const ev of partitionInput([file], opts)) {
  if (ev.type === 'batch') batches += 1;
  else {
    total = ev.file.records === null || total === null ? null : total + ev.file.records;
    bytes += ev.file.size;
  }
}
const ms = performance.now() - t0;
process.stdout.write(`${JSON.stringify({ batches, records: total, bytes, ms, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
