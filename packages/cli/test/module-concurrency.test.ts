/**
 * compute.concurrency overlaps module handlers that wait: each attempt runs
 * alone on its handler thread, so N at once takes N threads, and the pool
 * (thread-pool.ts) must grow to them. It grew only when no thread came back
 * for 100 ms, so attempts of 20-100 ms (threads back every few tens of ms)
 * ran one at a time at concurrency 10; and attempts under 20 ms counted as
 * quick and queued on one thread, though they spent their time awaiting.
 * The handler records when each call ran; the calls must overlap.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { djc, readJsonl, sandboxPerTest } from './helpers.js';

const box = sandboxPerTest();

/** One worker at concurrency 5; `tasks` one-record tasks whose handler awaits a `ms` timer and returns when it ran. */
function job(tasks: number, ms: number): void {
  writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: tasks }, (_, n) => `{"n":${n}}\n`).join(''));
  writeFileSync(join(box.dir, 'h.mjs'), `export async function handle(records) {
  const start = performance.timeOrigin + performance.now();
  await new Promise((resolve) => setTimeout(resolve, ${ms}));
  return records.map((r) => ({ ...r, start, end: performance.timeOrigin + performance.now() }));
}
`);
  writeFileSync(join(box.dir, 'job.yaml'), `name: waits
input: { path: in.jsonl, batch: { records: 1 } }
handler: { module: ./h.mjs#handle }
compute: { workers: 1, concurrency: 5 }
output: { path: out.jsonl }
`);
}

/** The most calls that were in progress at one moment. */
function mostAtOnce(calls: { start: number; end: number }[]): number {
  const edges = calls.flatMap((c) => [[c.start, 1], [c.end, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (now += d));
  return most;
}

async function run(tasks: number): Promise<{ n: number; start: number; end: number }[]> {
  const r = await djc(['run', 'job.yaml', '--json'], { cwd: box.dir, home: box.home });
  expect(r.code, r.stderr).toBe(0);
  const out = readJsonl(join(box.dir, 'out.jsonl')) as { n: number; start: number; end: number }[];
  expect(out.map((o) => o.n).sort((a, b) => a - b)).toEqual(Array.from({ length: tasks }, (_, n) => n));
  return out;
}

describe('compute.concurrency with module handlers that wait', () => {
  it('attempts of 60 ms each run side by side on several threads', async () => {
    job(40, 60);
    const out = await run(40);
    expect(mostAtOnce(out)).toBeGreaterThanOrEqual(3);
  });

  it('attempts of 5 ms that spend them awaiting are not queued on one thread: they overlap too', async () => {
    job(200, 5);
    const out = await run(200);
    expect(mostAtOnce(out)).toBeGreaterThanOrEqual(3);
  });
});
