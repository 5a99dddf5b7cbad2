/**
 * Diagnostic (not part of `pnpm bench`): the CPU a module attempt costs in
 * the handler runner alone, with no store, queue or worker loop: the
 * hand-off to a handler thread and back, the batch read in the thread, the
 * per-attempt clock and bookkeeping of module-runner.ts. N one-record JSONL
 * batches of a no-op handler (or a 200 ms sleep: BENCH_HANDLER=sleep) run
 * through createHandlerRunner at concurrency C, after 200 warm-up attempts.
 * Prints the process's CPU (every thread) and the main thread's per attempt,
 * in µs. On a loaded 2-core machine compare interleaved runs only.
 *
 * Usage: node scripts/bench/module-handoff.mjs [N=5000] [C=1]
 */
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main, round, ROOT, tempDir } from './lib.mjs';

const dist = (p) => import(pathToFileURL(join(ROOT, 'packages/worker/dist', p)).href);
const N = Number(process.argv[2] ?? 5000);
const C = Number(process.argv[3] ?? 1);
const WARM = 200;
const HANDLERS = {
  noop: 'export async function h(records) { return records; }\n',
  sleep: 'export async function h(records) { await new Promise((r) => setTimeout(r, 200)); return records; }\n',
};

main('module-handoff', async () => {
  const { createHandlerRunner } = await dist('handlers/index.js');
  const { LogBuffer } = await dist('handlers/log-buffer.js');
  const kind = process.env.BENCH_HANDLER ?? 'noop';
  const tmp = await tempDir('handoff');
  const runner = createHandlerRunner({ slots: C });
  try {
    const lines = Array.from({ length: N + WARM }, (_, i) => `{"i":${i}}\n`);
    const file = join(tmp.dir, 'in.jsonl');
    writeFileSync(file, lines.join(''));
    const mod = join(tmp.dir, 'h.mjs');
    writeFileSync(mod, HANDLERS[kind]);
    const { size, mtimeMs } = statSync(file);
    const starts = [0];
    for (const l of lines) starts.push((starts.at(-1) ?? 0) + l.length);
    const input = { format: 'jsonl', csv: { delimiter: ',', header: false, quote: '"', multiline: false, relaxQuotes: false }, onBadRecord: 'fail', compression: 'none' };
    const handler = { module: `${mod}#h` };
    runner.prewarm(handler);
    const attempt = async (i) => {
      const batch = { index: i, file, start: starts[i], end: starts[i + 1], firstRecord: i, records: 1, source: { size, mtimeMs } };
      const r = await runner.run({
        jobId: 'j', taskId: i, attempt: 1, batch, input, handler, baseDir: tmp.dir, timeoutMs: 60_000, tmpDir: tmp.dir,
        signal: new AbortController().signal, log: new LogBuffer(),
      });
      if (!r.ok) throw new Error(`attempt ${i}: ${r.error}`);
    };
    let next = 0;
    const drive = async (until) => {
      await Promise.all(Array.from({ length: C }, async () => {
        while (next < until) await attempt(next++);
      }));
    };
    await drive(WARM);
    const cpu0 = process.cpuUsage();
    const main0 = process.threadCpuUsage();
    const t0 = performance.now();
    await drive(WARM + N);
    const cpu = process.cpuUsage(cpu0);
    const mainCpu = process.threadCpuUsage(main0);
    return {
      handler: kind, attempts: N, concurrency: C,
      cpuUsPerAttempt: round((cpu.user + cpu.system) / N, 1),
      mainThreadUsPerAttempt: round((mainCpu.user + mainCpu.system) / N, 1),
      wallUsPerAttempt: round(((performance.now() - t0) * 1000) / N, 1),
    };
  } finally {
    await runner.close();
    await tmp.remove();
  }
});
