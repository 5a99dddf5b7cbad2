import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type JobRecord } from '@djc/core';
import { JobConfigSchema } from '@djc/core/schemas';
import { createSlurmDispatcher } from './slurm-dispatcher.js';
import type { ArrayTaskState, SlurmCli } from './slurm-cli.js';

const log = createLogger({ name: 'test', level: 'silent' });
let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A Slurm CLI whose calls not given answer as an idle cluster would. */
function fakeSlurm(calls: Partial<SlurmCli>): SlurmCli {
  return { accounting: async () => null, cancel: async () => undefined, maxArraySize: async () => 1001, findByName: async () => [], submit: async () => '100', queue: async () => [], ...calls };
}

/** A Slurm whose sbatch answers only when told to, and whose squeue lists what was submitted as pending. */
function slowSbatch() {
  const submitted: string[] = [];
  const answers: (() => void)[] = [];
  const cli = fakeSlurm({
    submit: () => new Promise((resolve) => {
      answers.push(() => {
        const id = String(100 + submitted.length);
        submitted.push(id);
        resolve(id);
      });
    }),
    queue: async (ids) => ids.map((id): ArrayTaskState => ({ arrayJobId: id, taskIndex: '0', state: 'PENDING', reason: 'Resources', exitCode: null, signal: null, node: null })),
  });
  return { cli, submitted, answerAll: () => answers.splice(0).forEach((a) => a()) };
}

function runningJob(): JobRecord {
  const config = JobConfigSchema.parse({ name: 's', input: { path: '/tmp/in.jsonl' }, handler: { command: 'cat' }, compute: { dispatcher: 'slurm', workers: 1 } });
  const tasks = { total: 2, pending: 2, claimed: 0, running: 0, retrying: 0, succeeded: 0, failed: 0, cancelled: 0 };
  return { jobId: 's-1', name: 's', status: 'RUNNING', config, tasks, workers: null } as unknown as JobRecord;
}

describe('the Slurm dispatcher', () => {
  it('a poll while a grown grant is still with sbatch does not submit its workers again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'djc-slurm-disp-'));
    const slurm = slowSbatch();
    const d = createSlurmDispatcher({ workerCommand: ['djc-worker'], env: {}, logDir: dir, log, cli: slurm.cli, pollMs: 0 });
    const job = runningJob();
    // djc run starts the job with no workers; the scheduler's grant then grows it by one.
    await d.start(job, { workers: [] });
    const binding = { cpus: 1, memoryBytes: 0, gpus: 0, cpuIds: [], gpuIds: [] };
    const grown = d.grow(job.jobId, [binding]);
    await new Promise((r) => setTimeout(r, 10));
    // The monitor polls while sbatch has not answered yet: the worker is in flight, not missing.
    const polled = d.poll(job);
    await new Promise((r) => setTimeout(r, 10));
    slurm.answerAll();
    await Promise.all([grown, polled]);
    slurm.answerAll();
    await d.poll(job);
    slurm.answerAll();
    expect(slurm.submitted).toEqual(['100']);
  });
});

describe('the Slurm dispatcher replacing workers', () => {
  it('workers that ended cleanly are replaced only when the next poll still sees work for them (counters read before squeue answered lag behind)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'djc-slurm-disp-'));
    const submitted: string[] = [];
    const cli = fakeSlurm({
      submit: async () => {
        submitted.push(String(100 + submitted.length));
        return submitted.at(-1) as string;
      },
      // Every worker has exited cleanly: it found no work left.
      queue: async (ids) => ids.map((id): ArrayTaskState => ({ arrayJobId: id, taskIndex: '0', state: 'COMPLETED', reason: null, exitCode: 0, signal: null, node: null })),
    });
    const d = createSlurmDispatcher({ workerCommand: ['djc-worker'], env: {}, logDir: dir, log, cli, pollMs: 0 });
    const job = runningJob();
    await d.start(job);
    // The record the monitor read before squeue answered still shows the last tasks pending: no new array yet.
    await d.poll(job);
    expect(submitted).toEqual(['100']);
    const done = { ...job, tasks: { ...job.tasks, pending: 0, succeeded: 2 } };
    await d.poll(done);
    expect(submitted).toEqual(['100']);
    // Work shows in two polls in a row (a retry came due after the workers left): a worker is started for it.
    await d.poll(job);
    await d.poll(job);
    expect(submitted).toEqual(['100', '101']);
  });
});

/** A Slurm whose squeue answers only when released, and whose scancel of pending tasks marks them CANCELLED (as the real one does). */
function heldSqueue() {
  const submitted: string[] = [];
  const states = new Map<string, ArrayTaskState['state']>();
  let release: (() => void) | null = null;
  let held: Promise<void> | null = null;
  const cli = fakeSlurm({
    submit: async () => {
      const id = String(100 + submitted.length);
      submitted.push(id);
      states.set(id, 'PENDING');
      return id;
    },
    queue: async (ids) => {
      if (held) await held;
      return ids.map((id): ArrayTaskState => ({ arrayJobId: id, taskIndex: '0', state: states.get(id) ?? 'PENDING', reason: 'JobArrayTaskLimit', exitCode: 0, signal: null, node: null }));
    },
    cancel: async (ids) => {
      for (const id of ids) states.set(id, 'CANCELLED');
    },
  });
  return {
    cli, submitted,
    hold: () => { held = new Promise((r) => { release = r; }); },
    release: () => { held = null; release?.(); },
  };
}

describe('the Slurm dispatcher stopping a job', () => {
  it('a poll reading squeue when the job stopped replaces none of the pending workers stop() cancelled, and they are not workers that ended badly', async () => {
    dir = mkdtempSync(join(tmpdir(), 'djc-slurm-disp-'));
    const slurm = heldSqueue();
    const d = createSlurmDispatcher({ workerCommand: ['djc-worker'], env: {}, logDir: dir, log, cli: slurm.cli, pollMs: 0 });
    const job = runningJob();
    await d.start(job);
    expect(slurm.submitted).toEqual(['100']);
    // The monitor polls; squeue is slow to answer. Meanwhile the job is cancelled: stop() scancels the pending array task.
    slurm.hold();
    const polled = d.poll(job);
    await new Promise((r) => setTimeout(r, 10));
    const stopped = d.stop(job.jobId, { graceMs: 0 });
    await new Promise((r) => setTimeout(r, 10));
    slurm.release();
    const [, record] = await Promise.all([polled, stopped]);
    // The poll sees the task CANCELLED, with the job record it was given still RUNNING: no new array.
    expect(slurm.submitted).toEqual(['100']);
    // stop() cancelled it: listed as cancelled, not as a failure.
    expect(record?.groups).toEqual([{ state: 'CANCELLED', reason: 'JobArrayTaskLimit', count: 1 }]);
    expect(record?.failures).toEqual([]);
  });
});
