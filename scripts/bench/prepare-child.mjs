/**
 * One prepare of a job on the local backend, in its own process (for the
 * sqlite-drivers benchmark): submit the job file, then `prepareJob` (split
 * the input, write one task per batch, enqueue them, write the manifest),
 * timed, with the time spent inside the SQLite writes (putTasks and
 * queue.send) summed apart, by wall clock and by this process's CPU time
 * (the writes are synchronous underneath, so nothing else runs meanwhile).
 * The driver comes from DJC_SQLITE_DRIVER.
 * Usage: node prepare-child.mjs JOB.yaml HOME   (prints one JSON line)
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib.mjs';

const dist = (p) => import(pathToFileURL(join(ROOT, p)).href);
const [jobFile, home] = process.argv.slice(2);
const { createLogger, loadJobFile } = await dist('packages/core/dist/index.js');
const { chooseDriver, createLocalBackend } = await dist('packages/core/dist/backends/local/index.js');
const { prepareJob, submitJob } = await dist('packages/coordinator/dist/index.js');

const backend = createLocalBackend({ home });
let sqliteMs = 0;
let sqliteCpuMs = 0;
for (const [obj, name] of [[backend.state, 'putTasks'], [backend.queue, 'send']]) {
  const original = obj[name].bind(obj);
  obj[name] = async (...args) => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    try {
      return await original(...args);
    } finally {
      sqliteMs += performance.now() - t0;
      const c = process.cpuUsage(c0);
      sqliteCpuMs += (c.user + c.system) / 1000;
    }
  };
}
const job = await submitJob(backend, await loadJobFile(jobFile), 'daemon');
const t0 = performance.now();
const ready = await prepareJob(backend, job, createLogger({ name: 'bench', level: 'silent' }));
const ms = performance.now() - t0;
await backend.close();
process.stdout.write(`${JSON.stringify({ driver: chooseDriver(), tasks: ready.tasks.total, ms, sqliteMs, sqliteCpuMs })}\n`);
