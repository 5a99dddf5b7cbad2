/**
 * `djc run` starts its job's workers as soon as the job file is found valid
 * and fits this machine (dispatch-context.ts runWarmPool): they start while
 * djc run opens the home, submits and claims the job, wait for it, and run
 * its tasks exactly once. A job file that is refused starts none and says
 * why as before; a run that fails after they started leaves none behind.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { djc, djcStart, idleWarmWorkerPids, processesUsing, readJsonl, sandboxPerTest, waitFor } from './helpers.js';

const box = sandboxPerTest('djc-early-');
const opts = () => ({ cwd: box.dir, home: box.home });

/** A command job of `records` one-record tasks on 2 workers; its output lines are the records. */
function writeJob(file: string, records: number, compute = 'workers: 2'): void {
  writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: records }, (_, i) => `{"i":${i}}\n`).join(''));
  writeFileSync(join(box.dir, file), [
    'name: early', 'input: { path: in.jsonl, batch: { records: 1 } }', 'handler: { command: "cat" }',
    `compute: { ${compute} }`, 'output: { path: out.jsonl }', '',
  ].join('\n'));
}

/** Holds the home database's write lock (another connection's open write transaction) until release(). */
function holdWriteLock(): { release(): void } {
  const db = new DatabaseSync(join(box.home, 'djc.sqlite'));
  db.exec('BEGIN IMMEDIATE');
  return {
    release() {
      db.exec('COMMIT');
      db.close();
    },
  };
}

describe('djc run: workers started before the job is submitted', () => {
  it('its workers are running while it still waits to submit the job, then run every task once', async () => {
    writeJob('job.yaml', 20);
    // The home exists (a first run made it): the second run opens it at once, then waits for the lock to submit.
    const first = await djc(['run', 'job.yaml'], opts());
    expect(first.code, first.stderr).toBe(0);
    const lock = holdWriteLock();
    let released = false;
    try {
      const run = djcStart(['run', 'job.yaml', '--json'], opts());
      // No job can be submitted while the lock is held: two worker processes, started for it and waiting.
      const early = await waitFor('2 workers of djc run while the lock is held', async () => {
        const pids = idleWarmWorkerPids(box.home);
        return pids.length === 2 ? pids : null;
      }, 4_000);
      expect(early).toHaveLength(2);
      expect(run.child.exitCode).toBeNull();
      lock.release();
      released = true;
      const r = await run.done;
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as { jobId: string; status: string; tasks: { total: number; succeeded: number }; workers?: { started?: number } };
      expect(doc.status).toBe('SUCCEEDED');
      expect(doc.tasks).toMatchObject({ total: 20, succeeded: 20 });
      // Exactly once: each record in the output once.
      const out = readJsonl(join(box.dir, 'out.jsonl')) as { i: number }[];
      expect(out.map((o) => o.i).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      // Those two were the job's workers: their logs moved to the job's, and no other was started.
      expect(readdirSync(join(box.home, 'workers', doc.jobId)).sort()).toHaveLength(2);
      expect(readdirSync(join(box.home, 'workers', 'warm'))).toEqual([]);
    } finally {
      if (!released) lock.release();
    }
  }, 60_000);

  it('the job\'s commands see the environment of a worker started for it: no DJC_WARM_ variable', async () => {
    writeFileSync(join(box.dir, 'in.jsonl'), '{"i":0}\n{"i":1}\n');
    writeFileSync(join(box.dir, 'env.yaml'), [
      'name: env', 'input: { path: in.jsonl, batch: { records: 1 } }',
      'handler:', `  command: printf '{"warm":%s}\\n' "$(env | grep -c ^DJC_WARM_)"`, 'compute: { workers: 2 }', 'output: { path: out.jsonl }', '',
    ].join('\n'));
    const r = await djc(['run', 'env.yaml'], opts());
    expect(r.code, r.stderr).toBe(0);
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual([{ warm: 0 }, { warm: 0 }]);
  });

  it('the job\'s module handler sees no DJC_WARM_ variable either (its thread starts before the worker\'s modules load)', async () => {
    writeFileSync(join(box.dir, 'in.jsonl'), '{"i":0}\n{"i":1}\n');
    writeFileSync(join(box.dir, 'env.mjs'), 'export function env() { return [{ warm: Object.keys(process.env).filter((k) => k.startsWith("DJC_WARM_")) }]; }\n');
    writeFileSync(join(box.dir, 'env.yaml'), [
      'name: env', 'input: { path: in.jsonl, batch: { records: 1 } }',
      'handler: { module: ./env.mjs#env }', 'compute: { workers: 2 }', 'output: { path: out.jsonl }', '',
    ].join('\n'));
    const r = await djc(['run', 'env.yaml'], opts());
    expect(r.code, r.stderr).toBe(0);
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual([{ warm: [] }, { warm: [] }]);
  });

  it('a run that fails after its workers started (the home stays locked) leaves none behind', async () => {
    writeJob('job.yaml', 3);
    const first = await djc(['run', 'job.yaml'], opts());
    expect(first.code, first.stderr).toBe(0);
    const lock = holdWriteLock();
    try {
      const run = djcStart(['run', 'job.yaml'], opts());
      await waitFor('the workers of djc run', async () => idleWarmWorkerPids(box.home).length === 2, 4_000);
      // Its submit waits out the lock (LOCK_WAIT_MS) and fails, naming it.
      const r = await run.done;
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/lock/i);
      expect(processesUsing(box.home)).toEqual([]);
    } finally {
      lock.release();
    }
  }, 60_000);
});

describe('djc run: a refused job file starts no worker', () => {
  it('an unknown key: exit 2, the same message, no worker, no home', async () => {
    writeJob('job.yaml', 1, 'workers: 2, wrokers: 3');
    const r = await djc(['run', 'job.yaml'], opts());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('djc: job.yaml:4:24: compute.wrokers: unknown key "wrokers" (did you mean "workers"?)');
    expect(existsSync(box.home)).toBe(false);
    expect(processesUsing(box.home)).toEqual([]);
  });

  it('a worker bigger than this machine: exit 2, the same message, no worker, no home', async () => {
    writeJob('job.yaml', 1, 'workers: 2, resources: { cpus: 4096 }');
    const r = await djc(['run', 'job.yaml'], opts());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^djc: early: one worker can never start: compute\.resources\.cpus 4096 > \d+ cpus of this machine$/m);
    expect(existsSync(box.home)).toBe(false);
    expect(processesUsing(box.home)).toEqual([]);
  });
});
