/**
 * One BullMQ worker process of the bullmq benchmark:
 * `node bullmq-worker.mjs QUEUE PORT CONCURRENCY [WAIT_MS]`. A `Worker` with the
 * given `concurrency` and a processor that returns the job's data (after
 * awaiting a WAIT_MS timer, when given: a task that waits on I/O)
 * (BullMQ stores it as the job's return value, as djc stores a no-op
 * handler's output); BullMQ's defaults otherwise (completed jobs are kept,
 * as djc keeps its task records). Prints `ready` once connected; closes
 * (letting active jobs finish) and exits when its stdin ends, so it also
 * ends when the benchmark dies.
 */
import { Worker } from 'bullmq';

const [queue, port, concurrency, waitMs = '0'] = process.argv.slice(2);
const wait = Number(waitMs);
const worker = new Worker(queue, async (job) => {
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  return job.data;
}, {
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
