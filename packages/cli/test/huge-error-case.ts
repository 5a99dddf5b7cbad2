/**
 * One case for every backend: a module handler that throws an Error with a
 * 1 MiB message. Stored task and job errors must stay bounded (DynamoDB
 * caps an item at 400 KB), and the job must end as any failed job does.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { MAX_ERROR_CHARS } from '../../core/src/util/cap-text.js';
import type { CliResult } from './helpers.js';

/** Writes in.jsonl (30 records, 3 batches), h.mjs and job.yaml into `dir`; batch 1 always throws. */
export function writeHugeErrorJob(dir: string): void {
  writeFileSync(join(dir, 'in.jsonl'), Array.from({ length: 30 }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(dir, 'h.mjs'), `export function handle(records) {
  if (records[0].n === 10) throw new Error('M'.repeat(1024 * 1024));
  return records;
}\n`);
  writeFileSync(join(dir, 'job.yaml'), `name: hugeerror
input: { path: in.jsonl, batch: { records: 10 } }
handler: { module: ./h.mjs#handle }
compute: { workers: 1 }
retry: { max_attempts: 2, backoff: { initial: 10ms } }
output: { path: out.jsonl }
`);
}

interface Status { jobId: string; status: string; error: string; tasks: { failed: number; succeeded: number } }
interface Tasks { tasks: { taskId: number; status: string; attempts: number; error: string | null }[] }

const MARKER = /M… \[\d+ more characters\]/;

/** Runs the job with `run` (a djc runner for the backend) and checks what a user would see. */
export async function expectHugeErrorStoredBounded(run: (args: string[]) => Promise<CliResult>): Promise<void> {
  const r = await run(['run', 'job.yaml', '--json']);
  expect(r.code, r.stderr).toBe(1);
  const s = JSON.parse(r.stdout) as Status;
  expect(s).toMatchObject({ status: 'FAILED', tasks: { failed: 1, succeeded: 2 } });
  expect(s.error.length).toBeLessThanOrEqual(MAX_ERROR_CHARS);
  expect(s.error).toMatch(/^1 of 3 tasks failed \(tolerated_failure allows 0\) — task 1: attempt 2: handler threw: Error: MMMM/);
  expect(s.error).toMatch(MARKER);

  const t = await run(['tasks', s.jobId, '--json']);
  expect(t.code, t.stderr).toBe(0);
  const tasks = (JSON.parse(t.stdout) as Tasks).tasks;
  expect(tasks.map((x) => x.status)).toEqual(['SUCCEEDED', 'FAILED', 'SUCCEEDED']);
  const failed = tasks[1];
  // Both attempts ran and failed as handler errors: the worker survived the message.
  expect(failed).toMatchObject({ taskId: 1, attempts: 2 });
  const error = failed?.error ?? '';
  expect(error.length).toBeLessThanOrEqual(MAX_ERROR_CHARS);
  expect(error.length).toBeGreaterThan(MAX_ERROR_CHARS / 2);
  expect(error).toMatch(/^attempt 2: handler threw: Error: MMMM/);
  // The message is cut, not the handler's frame after it.
  expect(error).toMatch(new RegExp(`${MARKER.source} \\(at h\\.mjs:2:\\d+\\)$`));
}
