import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, loadJobFile, type Backend } from '@djc/core';
import type { Dispatcher, HeldWorker, StartOptions, WorkerBinding } from '../dispatch/dispatcher.js';
import { localPool, settings } from '../scheduler/snapshot-fixture.js';
import { submitJob } from '../submit.js';
import { createGrantLoop } from './grant-loop.js';
import { useLocalHomes } from '../testing/local-home.js';

const log = createLogger({ name: 'test', level: 'silent' });
let dir: string;
let backend: Backend;
const openHome = useLocalHomes('djc-grants-');

/** A dispatcher that starts nothing and records what it was asked: the grant loop is what is tested. */
function recordingDispatcher() {
  const held = new Map<string, HeldWorker[]>();
  const asked: string[] = [];
  const hold = (jobId: string, workers: readonly WorkerBinding[]) => {
    held.set(jobId, [...(held.get(jobId) ?? []), ...workers.map((binding) => ({ workerId: null, binding, stopping: false }))]);
  };
  const dispatcher: Dispatcher = {
    async start(job, opts: StartOptions = {}) {
      asked.push(`start ${job.name} ${opts.workers?.length ?? 0}`);
      hold(job.jobId, opts.workers ?? []);
    },
    async grow(jobId, workers) {
      asked.push(`grow ${workers.length}`);
      hold(jobId, workers);
    },
    shrink: async () => 0,
    held: (jobId) => held.get(jobId) ?? [],
    onRelease: () => undefined,
    poll: async () => [],
    stuckReason: () => null,
    describe: () => null,
    stop: async () => null,
  };
  return { dispatcher, asked };
}

describe('the grant loop', () => {
  it('a job granted again before its coordinator took the first grant is handed out once, with every worker', async () => {
    ({ dir, backend } = openHome());
    writeFileSync(join(dir, 'in.jsonl'), '{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n');
    writeFileSync(join(dir, 'job.yaml'), 'name: two\ninput: { path: in.jsonl, batch: { records: 1 } }\nhandler: { command: cat }\ncompute: { workers: 2, resources: { cpus: 2 } }\n');
    const job = await submitJob(backend, await loadJobFile(join(dir, 'job.yaml')), 'daemon');
    const pool = localPool({ cpus: 2 });
    const inner = recordingDispatcher();
    const loop = createGrantLoop({ backend, dispatcher: inner.dispatcher, pools: [pool], settings: settings(), ownerLabel: null, log });

    const first = await loop.tick([job]);
    expect(first.granted.map((j) => j.jobId)).toEqual([job.jobId]);
    // Capacity frees before the job's coordinator called start(): the next tick grants its second worker.
    pool.cpus = 4;
    const second = await loop.tick([]);
    expect(second.granted).toEqual([]);
    await loop.dispatcher.start(first.granted[0]!);
    expect(inner.asked).toEqual(['start two 2']);
    expect(loop.dispatcher.held(job.jobId)).toHaveLength(2);
  });
});
