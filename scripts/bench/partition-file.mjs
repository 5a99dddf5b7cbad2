/**
 * The partitioner alone, as its own process (so its peak RSS is its own):
 * splits FILE into batches of RECORDS records with the built core API and
 * counts the events. Prints {"batches","records","bytes","ms","maxRssKiB"}.
 * Usage: node partition-file.mjs FILE [RECORDS]
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib.mjs';

const { partitionInput } = await import(pathToFileURL(join(ROOT, 'packages/core/dist/index.js')).href);

const [file, records = '10000'] = process.argv.slice(2);
const t0 = performance.now();
let batches = 0;
let total = 0;
let bytes = 0;
const opts = { format: 'jsonl', csv: { delimiter: ',', header: true, quote: '"' }, batchRecords: Number(records) };
for await (const ev of partitionInput([file], opts)) {
  if (ev.type === 'batch') batches += 1;
  else {
    total += ev.file.records;
    bytes += ev.file.size;
  }
}
const ms = performance.now() - t0;
process.stdout.write(`${JSON.stringify({ batches, records: total, bytes, ms, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
