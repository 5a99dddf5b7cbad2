/**
 * The worker's SQLite hot path alone, in one process (for the sqlite-drivers
 * benchmark): a job of N tasks with a message each, then, 10 at a time as a
 * worker does, receive → claimTasks → completeTasks (an inline output) →
 * deleteBatch, until every task SUCCEEDED. Timed by wall clock and by this
 * process's CPU time (process.cpuUsage), which other load on the machine
 * moves far less than wall time. The driver comes from DJC_SQLITE_DRIVER.
 * Usage: node hot-path-child.mjs HOME N   (prints one JSON line)
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib.mjs';

const dist = (p) => import(pathToFileURL(join(ROOT, p)).href);
const [home, n = '20000'] = process.argv.slice(2);
const N = Number(n);
const { chooseDriver, createLocalBackend } = await dist('packages/core/dist/backends/local/index.js');

const backend = createLocalBackend({ home });
const jobId = 'hot-path';
await backend.state.createJob({ jobId, name: 'hot-path', backend: 'local', config: {}, configPath: '/dev/null', mode: 'run' });
await backend.state.transitionJob(jobId, ['SUBMITTED'], 'PREPARING');
const batches = Array.from({ length: N }, (_, index) => ({ index, file: '/in.jsonl', start: index, end: index + 1, firstRecord: index, records: 1 }));
for (let i = 0; i < N; i += 2000) await backend.state.putTasks(jobId, batches.slice(i, i + 2000));
for (let i = 0; i < N; i += 2000) await backend.queue.send(batches.slice(i, i + 2000).map((b) => ({ v: 1, jobId, taskId: b.index })));
await backend.state.transitionJob(jobId, ['PREPARING'], 'RUNNING');

const output = new TextEncoder().encode('{"i":1}\n');
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let done = 0;
for (;;) {
  const msgs = await backend.queue.receive({ max: 10, visibilityMs: 60_000, jobId });
  if (msgs.length === 0) break;
  const ids = msgs.map((m) => m.message.taskId);
  const claimed = await backend.state.claimTasks(jobId, ids, { owner: 'w', leaseMs: 60_000, maxAttempts: 3 });
  const completions = claimed.map((t, i) => ({
    taskId: ids[i], lease: { owner: 'w', attempt: t.attempts },
    outcome: { status: 'SUCCEEDED', inlineOutput: output, outputKind: 'json-lines', records: 1 },
  }));
  done += (await backend.state.completeTasks(jobId, completions)).filter((r) => r.status === 'SUCCEEDED').length;
  await backend.queue.deleteBatch(msgs.map((m) => m.receipt));
}
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
await backend.close();
if (done !== N) throw new Error(`${done} of ${N} tasks SUCCEEDED`);
process.stdout.write(`${JSON.stringify({ driver: chooseDriver(), tasks: N, ms, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
