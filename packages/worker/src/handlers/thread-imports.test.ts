import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { threadEntry } from './pooled-thread.js';

// A handler thread's start loads core's thread entry (@djc/core/thread), not
// core's index: the index loads zod, yaml, pino, the backends and the
// planner, ~290 modules and ~200 ms of CPU per thread (issue 14).

/** Every module URL a handler thread loads before it says 'ready'. */
async function loadedByThread(): Promise<string[]> {
  const entry = threadEntry();
  const run = entry.options.eval === true
    ? entry.filename as string
    : `import(${JSON.stringify(String(entry.filename))});`;
  // A module-load hook in the thread itself, set before its entry loads; it answers the list when asked.
  const code = `
    const { registerHooks } = process.getBuiltinModule('node:module');
    const { parentPort } = process.getBuiltinModule('node:worker_threads');
    const urls = [];
    registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });
    parentPort.on('message', (m) => { if (m === 'loaded?') parentPort.postMessage({ type: 'loaded', urls }); });
    ${run}`;
  const worker = new Worker(code, { eval: true });
  try {
    return await new Promise<string[]>((resolve, reject) => {
      worker.on('error', reject);
      worker.on('message', (m: { type: string; urls?: string[] }) => {
        if (m.type === 'ready') worker.postMessage('loaded?');
        else if (m.type === 'loaded') resolve(m.urls ?? []);
      });
    });
  } finally {
    await worker.terminate();
  }
}

describe('a handler thread\'s start', { timeout: 120_000 }, () => {
  it('loads core\'s thread entry, not its index, zod, yaml or pino', async () => {
    const urls = await loadedByThread();
    expect(urls.some((u) => /\/core\/(src|dist)\/thread-api\.[jt]s$/.test(u)), urls.join('\n')).toBe(true);
    const heavy = urls.filter((u) => /\/core\/(src|dist)\/index\.[jt]s$/.test(u) || /\/node_modules\/(\.pnpm\/)?(zod|yaml|pino)[@/]/.test(u));
    expect(heavy).toEqual([]);
  });
});
