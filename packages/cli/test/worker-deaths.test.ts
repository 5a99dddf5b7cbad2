/**
 * compute.max_worker_deaths is a RATE: deaths spread over a job's life never
 * add up to a failure, a crash loop fails the job naming the limit, and the
 * death times are kept on the job record for the next coordinator.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalBackend } from '@djc/core/backends/local';
import { readJsonl, sandboxPerTest } from './helpers.js';

const box = sandboxPerTest('djc-deaths-');

function setUp(handler: string, compute: string, records: number): string {
  writeFileSync(join(box.dir, 'numbers.jsonl'), Array.from({ length: records }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(box.dir, 'h.mjs'), handler);
  const file = join(box.dir, 'job.yaml');
  writeFileSync(file, `name: deaths
input: { path: numbers.jsonl, batch: { records: 1 } }
handler: { module: ./h.mjs#run }
compute: ${compute}
retry: { max_attempts: 50, backoff: { initial: 0s, max: 0s } }
output: { path: out.jsonl }
`);
  return file;
}

async function storedJob(jobId: string) {
  const backend = createLocalBackend({ home: box.home });
  try {
    return await backend.state.getJob(jobId);
  } finally {
    await backend.close();
  }
}

describe('compute.max_worker_deaths', () => {
  it('deaths spread over the job (each attempt lives 1.5 s) never exceed 2 per 1s: 7 deaths in all and the job succeeds', async () => {
    // The first attempt of tasks 0-6 kills its own worker after 1.5 s: 7 deaths, more than the old
    // whole-life budget (2 × 1 + 3 = 5), but at most one in any 1 s with one worker.
    const file = setUp(`export async function run(records, ctx) {
  if (ctx.taskId < 7 && ctx.attempt === 1) {
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(process.pid, 'SIGKILL');
  }
  return records;
}
`, '{ workers: 1, max_worker_deaths: { count: 2, per: 1s } }', 10);
    const r = await box.run(['run', file, '--json']);
    expect(r.stderr).not.toContain('keep dying');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { jobId: string; status: string };
    expect(doc.status).toBe('SUCCEEDED');
    expect((readJsonl(join(box.dir, 'out.jsonl')) as { n: number }[]).map((x) => x.n)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    const job = await storedJob(doc.jobId);
    expect(job?.workers?.groups).toContainEqual({ state: 'FAILED', reason: null, count: 7 });
  }, 120_000);

  it('a crash loop fails the job naming the limit, with the deaths kept on the job record', async () => {
    const file = setUp(`export async function run() { process.kill(process.pid, 'SIGKILL'); }
`, '{ workers: 1, max_worker_deaths: { count: 3, per: 1m } }', 5);
    const r = await box.run(['run', file, '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { jobId: string; status: string; error: string };
    expect(doc.status).toBe('FAILED');
    expect(doc.error).toContain('workers keep dying: 4 worker deaths within 1m, more than compute.max_worker_deaths allows (3 per 1m)');
    const job = await storedJob(doc.jobId);
    expect(job?.coordination?.workerDeaths).toHaveLength(4);
    const [first, last] = [job?.coordination?.workerDeaths[0] ?? 0, job?.coordination?.workerDeaths[3] ?? 0];
    expect(last).toBeGreaterThanOrEqual(first);
    expect(Date.parse(job?.endedAt ?? '')).toBeGreaterThanOrEqual(last);
  }, 120_000);

  it('a crash loop slower than the rate still ends: workers that crash while no task finishes', async () => {
    // Each worker dies of SIGSEGV (as a native crash would) 1.2 s into its task: never 2 within 1s, but no task ever finishes.
    const file = setUp(`export async function run() {
  await new Promise((r) => setTimeout(r, 1200));
  process.kill(process.pid, 'SIGSEGV');
}
`, '{ workers: 1, max_worker_deaths: { count: 2, per: 1s } }', 5);
    const r = await box.run(['run', file, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as { jobId: string; status: string; error: string };
    expect(doc.error).toContain('workers keep dying: 3 workers crashed while no task finished, more than compute.max_worker_deaths allows (2)');
    const job = await storedJob(doc.jobId);
    expect(job?.coordination?.workerCrashes).toHaveLength(3);
  }, 120_000);
});
