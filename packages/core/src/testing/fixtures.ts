/** Small builders shared by the port contract suites and backend tests. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobConfigSchema, type JobConfig } from '../config/schema.js';
import type { NewJob } from '../model/job.js';
import type { BatchDescriptor } from '../model/batch.js';

/** A valid, fully defaulted job config. */
export function testJobConfig(name = 'contract'): JobConfig {
  return JobConfigSchema.parse({
    name,
    input: { path: '/data/in.jsonl', batch: { records: 10 } },
    handler: { module: '/work/handler.ts#run' },
  });
}

/** A NewJob with a unique id (`<name>-<random>`). */
export function testJob(overrides: Partial<NewJob> = {}): NewJob {
  const name = overrides.name ?? 'contract';
  return {
    jobId: `${name}-${randomBytes(4).toString('hex')}`,
    name,
    backend: 'local',
    config: testJobConfig(name),
    configPath: '/work/job.yaml',
    mode: 'run',
    ...overrides,
  };
}

/** `count` consecutive batches from index `from`, each holding `records` records. */
export function testBatches(count: number, from = 0, records = 10): BatchDescriptor[] {
  return Array.from({ length: count }, (_, i) => {
    const index = from + i;
    return { index, file: '/data/in.jsonl', start: index * 100, end: index * 100 + 100, firstRecord: index * records, records };
  });
}

/** A fresh temporary directory and a function that removes it. */
export async function tempDir(prefix = 'djc-test-'): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The error a promise rejects with (fails if it resolves). */
export async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
