/**
 * One BullMQ worker process of the bullmq benchmark:
 * `node bullmq-worker.mjs QUEUE PORT CONCURRENCY`. A `Worker` with the
 * given `concurrency` and a no-op processor that returns the job's data
 * (BullMQ stores it as the job's return value, as djc stores a no-op
 * handler's output); BullMQ's defaults otherwise (completed jobs are kept,
 * as djc keeps its task records). Prints `ready` once connected; closes
 * (letting active jobs finish) and exits when its stdin ends, so it also
 * ends when the benchmark dies.
 */
import { Worker } from 'bullmq';

const [queue, port, concurrency] = process.argv.slice(2);
const worker = new Worker(queue, async (job) => job.data, {
  connection: { host: '127.0.0.1', port: Number(port) },
  concurrency: Number(concurrency),
});
worker.on('error', (e) => process.stderr.write(`bullmq worker: ${e.message}\n`));
await worker.waitUntilReady();
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', async () => {
  await worker.close();
  process.exit(0);
});
