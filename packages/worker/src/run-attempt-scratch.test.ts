import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, type Backend } from '@djc/core';
import { JobConfigSchema } from '@djc/core/schemas';
import { createLocalBackend } from '@djc/core/backends/local';
import { tempDir, testBatches, testJob } from '../../core/src/testing/fixtures.js';
import type { AttemptSpec, HandlerRunner } from './handlers/index.js';
import { JobCache } from './job-cache.js';
import { handleMessage, type AttemptDeps } from './run-attempt.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let backend: Backend;
let jobId: string;
let scratch: string;

beforeEach(async () => {
  tmp = await tempDir('djc-scratch-');
  scratch = join(tmp.dir, 'scratch');
  mkdirSync(scratch);
  backend = createLocalBackend({ home: join(tmp.dir, 'home') });
  const config = JobConfigSchema.parse({ name: 'scratch', input: { path: '/data/in.jsonl', batch: { records: 10 } }, handler: { command: 'true' } });
  const job = testJob({ name: 'scratch', config });
  await backend.state.createJob(job);
  await backend.state.transitionJob(job.jobId, ['SUBMITTED'], 'PREPARING');
  await backend.state.transitionJob(job.jobId, ['PREPARING'], 'RUNNING');
  await backend.state.putTasks(job.jobId, testBatches(2));
  await backend.queue.send([0, 1].map((taskId) => ({ v: 1 as const, jobId: job.jobId, taskId })));
  jobId = job.jobId;
});
afterEach(async () => {
  await backend.close();
  await tmp.cleanup();
});

/** A runner that writes into the attempt's scratch directory (as a large stdout or io: file would), or not. */
function runner(write: (spec: AttemptSpec) => boolean): HandlerRunner & { dirs: string[] } {
  const dirs: string[] = [];
  return {
    dirs,
    async run(spec) {
      dirs.push(spec.tmpDir);
      if (write(spec)) {
        mkdirSync(spec.tmpDir, { recursive: true });
        writeFileSync(join(spec.tmpDir, 'output'), 'x'.repeat(5000));
      }
      return { ok: true, kind: 'raw', output: { type: 'buffer', data: Buffer.from('ok\n') }, records: 10, bad: 0, deadLetters: null, log: '' };
    },
    prewarm: () => undefined,
    close: async () => undefined,
  } as HandlerRunner & { dirs: string[] };
}

describe('an attempt\'s scratch directory', () => {
  it('is removed when the attempt created it, and left alone (never made) when it did not', async () => {
    const r = runner((spec) => spec.taskId === 0);
    const deps: AttemptDeps = {
      backend, jobs: new JobCache(backend.state), workerId: 'w-1', log: createLogger({ name: 'test', level: 'silent' }),
      runner: r, tmpRoot: scratch, shutdown: new AbortController().signal, ack: () => undefined,
      complete: (id, taskId, lease, outcome) => backend.state.completeTask(id, taskId, lease, outcome),
    } as AttemptDeps;
    const msgs = await backend.queue.receive({ max: 10, visibilityMs: 30_000 });
    expect(msgs).toHaveLength(2);
    for (const m of msgs) expect(await handleMessage(deps, m)).toBe('succeeded');
    expect(r.dirs).toHaveLength(2);
    expect(r.dirs.every((d) => d.startsWith(`${scratch}/`))).toBe(true);
    expect(readdirSync(scratch)).toEqual([]);
    expect((await backend.state.getJob(jobId))?.tasks).toMatchObject({ succeeded: 2 });
  });
});
