/**
 * The partitioner alone, as its own process (so its peak RSS is its own):
 * splits FILE into batches of RECORDS records, or of BYTES bytes, with the
 * built core API and counts the events. Prints
 * {"batches","records","bytes","ms","cpuMs","mainCpuMs","maxRssKiB"}
 * (records: null by bytes, where batches are counted only when they run;
 * cpuMs: the whole process's CPU during the split, mainCpuMs: this thread's).
 * Usage: node partition-file.mjs FILE [RECORDS]   or   node partition-file.mjs FILE bytes BYTES
 * BENCH_PARTITION_ROOT: the checkout whose built partitioner runs (default:
 * this one), to time another build in the same sitting.
 *
 * Loads what the product's entry points load before partitioning and no
 * more (built-ins through process.getBuiltinModule, as the partitioner does): Node's compile cache on (as bin.js does), and only the partition
 * module (partition-input.js: not the rest of @djc/core, not the bench's
 * lib.mjs and its child_process).
 */
import * as nodeModule from 'node:module';

// A namespace import: Node 20 has no enableCompileCache, and a named import of it fails to link.
nodeModule.enableCompileCache?.();

const root = process.env.BENCH_PARTITION_ROOT ? process.getBuiltinModule('node:url').pathToFileURL(`${process.env.BENCH_PARTITION_ROOT}/`) : new URL('../../', import.meta.url);
const dist = new URL('packages/core/dist/partition/', root);
const { partitionInput } = await import(new URL('partition-input.js', dist).href);

const [file, mode = '10000', size] = process.argv.slice(2);
const byBytes = mode === 'bytes';
// process.hrtime, not performance.now: the global `performance` loads perf_hooks (~1.3 ms) on first use.
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const main0 = process.threadCpuUsage?.();
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
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const cpuMs = (u) => (u ? (u.user + u.system) / 1000 : null);
const out = {
  batches, records: total, bytes, ms,
  cpuMs: cpuMs(process.cpuUsage(cpu0)), mainCpuMs: main0 ? cpuMs(process.threadCpuUsage(main0)) : null,
  maxRssKiB: process.resourceUsage().maxRSS,
};
// fs.writeSync, not process.stdout: its getter builds a stream (net or a SyncWriteStream, with Node's streams).
process.getBuiltinModule('node:fs').writeSync(1, `${JSON.stringify(out)}\n`);
