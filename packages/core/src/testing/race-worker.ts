/**
 * A child process for the local backend's multi-process test: receives
 * messages of one job, claims, writes an output blob, completes, deletes the
 * message, until the job's queue is empty. Prints one JSON line of counts
 * (and the SQLite driver it used: DJC_SQLITE_DRIVER).
 * Usage: node --import tsx race-worker.ts <home> <jobId> <workerId>
 */
import { ConflictError } from '../errors.js';
import { chooseDriver, createLocalBackend } from '../backends/local/index.js';

async function main(): Promise<void> {
  const [home, jobId, workerId] = process.argv.slice(2);
  if (!home || !jobId || !workerId) throw new Error('usage: race-worker <home> <jobId> <workerId>');
  const backend = createLocalBackend({ home });
  const counts = { driver: chooseDriver(), succeeded: 0, dropped: 0, errors: [] as string[] };
  try {
    for (;;) {
      const msgs = await backend.queue.receive({ max: 8, visibilityMs: 30_000, waitMs: 100, jobId });
      if (msgs.length === 0) {
        const d = await backend.queue.depth(jobId);
        if (d.visible + d.inFlight + d.delayed === 0) break;
        continue;
      }
      for (const m of msgs) {
        const { taskId } = m.message;
        try {
          const t = await backend.state.claimTask(jobId, taskId, { owner: workerId, leaseMs: 30_000, maxAttempts: 3 });
          const key = `jobs/${jobId}/outputs/${taskId}/${t.attempts}`;
          await backend.blobs.put(key, `${taskId}\n`);
          await backend.state.completeTask(jobId, taskId, { owner: workerId, attempt: t.attempts }, {
            status: 'SUCCEEDED', outputKey: key, outputKind: 'raw', records: 1,
          });
          counts.succeeded++;
        } catch (e) {
          if (e instanceof ConflictError) counts.dropped++;
          else counts.errors.push(String((e as { code?: string }).code ?? e));
        }
        await backend.queue.delete(m.receipt);
      }
    }
  } finally {
    await backend.close();
  }
  process.stdout.write(`${JSON.stringify(counts)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${String((e as Error).stack ?? e)}\n`);
  process.exitCode = 1;
});
