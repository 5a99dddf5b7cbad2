/**
 * Speculative copies of stragglers (compute.speculate): a task whose first
 * attempt runs far longer than its peers gets a copy on another worker; the
 * copy commits first, the slow attempt is stopped and its output discarded,
 * and the result has each record once.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl, sandboxPerTest, waitFor } from './helpers.js';

const box = sandboxPerTest();

interface TaskDoc { taskId: number; status: string; attempts: number; worker: string | null; speculation: string | null }

/** 10 tasks of 2 records; task 3's first attempt hangs until it is stopped (then it says so in a file). */
function slowFirstAttemptJob(speculate: string): void {
  writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: 20 }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(box.dir, 'h.mjs'), `import { writeFileSync } from 'node:fs';
export async function handle(records, ctx) {
  if (ctx.taskId === 3 && ctx.attempt === 1) {
    writeFileSync(new URL('./slow-started', import.meta.url), ctx.workerId ?? '');
    await new Promise((resolve) => {
      const t = setTimeout(resolve, 600_000);
      ctx.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
    });
    writeFileSync(new URL('./slow-stopped', import.meta.url), String(ctx.signal.reason?.message ?? ctx.signal.reason));
    return [{ slow: true }];
  }
  return records;
}
`);
  writeFileSync(join(box.dir, 'job.yaml'), `name: stragglers
input: { path: in.jsonl, batch: { records: 2 } }
handler: { module: ./h.mjs#handle }
compute: { workers: 3, lease: 3s, timeout: 20m, speculate: ${speculate} }
retry: { max_attempts: 1 }
output: { path: out.jsonl }
`);
}

describe('speculative copies of stragglers', () => {
  it('a copy of a slow first attempt wins; the slow one is stopped and the result has each record once', async () => {
    slowFirstAttemptJob('{ after: p95x2, min_peers: 3 }');
    const r = await box.run(['run', 'job.yaml', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const status = JSON.parse(r.stdout) as { jobId: string; status: string; speculation?: { copies: number; won: number } };
    expect(status.status).toBe('SUCCEEDED');
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual(Array.from({ length: 20 }, (_, n) => ({ n })));
    expect(existsSync(join(box.dir, 'slow-started'))).toBe(true);
    // The slow attempt was stopped (its lease lost, or its worker stopped at the end), not left to run its 10 minutes.
    await waitFor('the slow attempt to be stopped', async () => existsSync(join(box.dir, 'slow-stopped')));

    const tasks = await box.run(['tasks', status.jobId, '--json']);
    expect(tasks.code, tasks.stderr).toBe(0);
    const docs = (JSON.parse(tasks.stdout) as { tasks: TaskDoc[] }).tasks;
    const t3 = docs.find((t) => t.taskId === 3);
    // max_attempts 1, and yet two attempts: the copy costs no retry budget.
    expect(t3).toMatchObject({ status: 'SUCCEEDED', attempts: 2, speculation: 'won' });
    expect(docs.filter((t) => t.taskId !== 3).every((t) => t.status === 'SUCCEEDED' && t.attempts === 1 && t.speculation === null)).toBe(true);

    const s = await box.run(['status', status.jobId, '--json']);
    expect(JSON.parse(s.stdout)).toMatchObject({ speculation: { copies: 1, won: 1 } });
    const text = await box.run(['status', status.jobId]);
    expect(text.stdout).toMatch(/copies\s+1 speculative copy of stragglers, 1 won/);
  });

  it('a fixed threshold copies the slow attempt too', async () => {
    slowFirstAttemptJob('{ after: 2s }');
    const r = await box.run(['run', 'job.yaml', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const status = JSON.parse(r.stdout) as { jobId: string; speculation?: { copies: number; won: number } };
    expect(status.speculation).toEqual({ copies: 1, won: 1 });
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual(Array.from({ length: 20 }, (_, n) => ({ n })));
  });

  it('refuses a threshold it cannot read, naming the YAML path and the forms it takes', async () => {
    slowFirstAttemptJob('{ after: p95 }');
    const r = await box.run(['validate', 'job.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('compute.speculate.after');
    expect(r.stderr).toContain('"p95x2"');
    expect(r.stdout).toBe('');
  });
});
