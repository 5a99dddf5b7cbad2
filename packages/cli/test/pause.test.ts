/**
 * `djc pause` / `djc resume` (issue 11): a paused job starts no new attempt,
 * lets the running ones finish, and its workers are released; resumed, it
 * runs to the end with no attempt lost or repeated and every record there.
 * Under `djc run` (the run waits, showing PAUSED) and under the daemon.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { djc, djcStart, sandboxPerTest, sleep, waitFor, workerPids } from './helpers.js';

const box = sandboxPerTest();
const opts = () => ({ cwd: box.dir, home: box.home });

interface Doc { jobId: string; status: string; error: string | null; reason: string | null; tasks: Record<string, number> }
interface TaskDoc { taskId: number; status: string; attempts: number }

const TASKS = 12;

/** A job of TASKS one-record tasks ({"n": i}) that take a second each, on 2 workers (6 s in all: time to pause it midway, even on a loaded machine). */
function job(name: string, rest = '', tasks = TASKS): string {
  writeFileSync(join(box.dir, `${name}.jsonl`), Array.from({ length: tasks }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(box.dir, `${name}.yaml`), [
    `name: ${name}`, `input: { path: ${name}.jsonl, batch: { records: 1 } }`,
    'handler: { command: "sleep 1; cat" }', 'compute: { workers: 2 }', rest, '',
  ].join('\n'));
  return `${name}.yaml`;
}

async function status(ref: string): Promise<Doc> {
  const r = await djc(['status', ref, '--json'], opts());
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Doc;
}

/** Pauses `ref` once some of its tasks have succeeded; returns the job once its workers are released. */
async function pauseMidway(ref: string): Promise<Doc> {
  await waitFor('a task done', async () => ((await status(ref).catch(() => null))?.tasks.succeeded ?? 0) >= 1);
  const p = await djc(['pause', ref, '--json'], opts());
  expect(p.code, p.stderr).toBe(0);
  expect(JSON.parse(p.stdout)).toMatchObject({ status: 'PAUSED' });
  const paused = await waitFor('the workers released', async () => {
    const d = await status(ref);
    return d.tasks.running + d.tasks.claimed === 0 && workerPids(box.home).length === 0 ? d : null;
  });
  expect(paused.status).toBe('PAUSED');
  expect(paused.tasks.pending).toBeGreaterThan(0);
  // Nothing starts while it is paused.
  await sleep(1500);
  const later = await status(ref);
  expect(later).toMatchObject({ status: 'PAUSED', tasks: paused.tasks });
  expect(workerPids(box.home)).toEqual([]);
  const human = await djc(['status', ref], opts());
  expect(human.stdout).toMatch(/^status {3}PAUSED /m);
  expect(human.stdout).toMatch(/^paused {3}paused \(djc pause\) at \S+; djc resume \S+ queues it again$/m);
  return paused;
}

/** Every task ran exactly once (attempt 1), and the result holds every record once. */
async function expectAllOnce(jobId: string): Promise<void> {
  const tasks = (JSON.parse((await djc(['tasks', jobId, '--json'], opts())).stdout) as { tasks: TaskDoc[] }).tasks;
  expect(tasks).toHaveLength(TASKS);
  for (const t of tasks) expect(t).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  const res = await djc(['results', jobId], opts());
  const ns = res.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { n: number }).n);
  expect(ns).toEqual(Array.from({ length: TASKS }, (_, i) => i));
}

describe('djc pause / djc resume', () => {
  it('under djc run: the run waits while paused, then runs to the end once resumed; no attempt lost or repeated', async () => {
    const run = djcStart(['run', job('pausable')], opts());
    try {
      await pauseMidway('pausable');
      const r = await djc(['resume', 'pausable', '--json'], opts());
      expect(r.code, r.stderr).toBe(0);
      expect(['QUEUED', 'RUNNING']).toContain((JSON.parse(r.stdout) as Doc).status);
      const done = await run.done;
      expect(done.code, done.stderr).toBe(0);
      // Its progress lines (stderr, not a terminal) showed it paused, then running again.
      expect(done.stderr).toMatch(/^pausable-\S+: paused \d+% /m);
      expect(done.stderr.slice(done.stderr.search(/: paused /))).toMatch(/^pausable-\S+: (queued|running) /m);
      expect(done.stdout).toMatch(/^pausable-\S+ SUCCEEDED in /);
      const doc = await status('pausable');
      expect(doc).toMatchObject({ status: 'SUCCEEDED', tasks: { total: TASKS, succeeded: TASKS, cancelled: 0 } });
      await expectAllOnce(doc.jobId);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('under the daemon: paused, its workers are given back; resumed, the daemon runs it to the end', async () => {
    const daemon = djcStart(['coordinator'], opts());
    try {
      const sub = await djc(['submit', job('served')], opts());
      expect(sub.code, sub.stderr).toBe(0);
      const jobId = sub.stdout.trim();
      await pauseMidway(jobId);
      const r = await djc(['resume', jobId], opts());
      expect(r).toMatchObject({ code: 0, stdout: `${jobId} QUEUED\n` });
      const w = await djc(['wait', jobId, '--json'], opts());
      expect(w.code, w.stderr).toBe(0);
      expect(JSON.parse(w.stdout)).toMatchObject({ status: 'SUCCEEDED', tasks: { succeeded: TASKS } });
      await expectAllOnce(jobId);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.done;
    }
  });

  it('a submitted job paused before it started: the daemon leaves it alone; resumed, it is prepared and run', async () => {
    const sub = await djc(['submit', job('early')], opts());
    expect(sub.code, sub.stderr).toBe(0);
    const jobId = sub.stdout.trim();
    const p = await djc(['pause', jobId], opts());
    expect(p).toMatchObject({ code: 0, stdout: `${jobId} PAUSED\n` });
    const daemon = djcStart(['coordinator'], opts());
    try {
      await sleep(1500);
      expect(await status(jobId)).toMatchObject({ status: 'PAUSED', tasks: { total: 0 } });
      expect(workerPids(box.home)).toEqual([]);
      expect((await djc(['resume', jobId], opts())).code).toBe(0);
      const w = await djc(['wait', jobId, '--json'], opts());
      expect(w.code, w.stderr).toBe(0);
      await expectAllOnce(jobId);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.done;
    }
  });

  it('a paused job still times out: its deadline passes while paused, djc run exits 1 with TIMEOUT', async () => {
    // 20 s of work and 8 s to pause it in: on a loaded machine the pause can take seconds to come.
    const run = djcStart(['run', job('late', 'deadline: 8s', 40), '--json'], opts());
    try {
      await waitFor('running', async () => (await status('late').catch(() => null))?.status === 'RUNNING');
      expect((await djc(['pause', 'late'], opts())).code).toBe(0);
      const done = await run.done;
      expect(done.code).toBe(1);
      const doc = JSON.parse(done.stdout) as Doc;
      expect(doc.status).toBe('TIMEOUT');
      expect(doc.error).toMatch(/^deadline 8s passed: .*; it was stopped PAUSED$/);
      expect(doc.tasks.pending + doc.tasks.running + doc.tasks.claimed).toBe(0);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('a pipeline: pause pauses its running stage run, resume resumes it, and the pipeline runs to the end', async () => {
    writeFileSync(join(box.dir, 'numbers.jsonl'), Array.from({ length: 6 }, (_, n) => JSON.stringify({ n })).join('\n') + '\n');
    writeFileSync(join(box.dir, 'h.mjs'), [
      'export async function slow(records) { await new Promise((r) => setTimeout(r, 500)); return records; }',
      'export const inc = (records) => records.map((r) => ({ n: r.n + 1 }));', '',
    ].join('\n'));
    writeFileSync(join(box.dir, 'pp.yaml'), [
      'name: pp', 'stages:',
      '  up: { input: { path: numbers.jsonl, batch: { records: 1 } }, handler: { module: ./h.mjs#slow }, compute: { workers: 1 } }',
      '  down: { needs: [up], input: { from: up }, handler: { module: ./h.mjs#inc }, compute: { workers: 1 } }', '',
    ].join('\n'));
    const run = djcStart(['run', 'pp.yaml'], opts());
    try {
      await waitFor('a task of up done', async () => ((await status('pp.up').catch(() => null))?.tasks.succeeded ?? 0) >= 1);
      const p = await djc(['pause', 'pp', '--json'], opts());
      expect(p.code, p.stderr).toBe(0);
      const doc = JSON.parse(p.stdout) as Doc & { runs: { jobId: string; status: string }[] };
      expect(doc.status).toBe('RUNNING');
      expect(doc.runs).toEqual([{ jobId: expect.stringMatching(/^pp\.up-/), status: 'PAUSED' }]);
      const up = await waitFor('up released', async () => {
        const d = await status('pp.up');
        return d.tasks.running + d.tasks.claimed === 0 && workerPids(box.home).length === 0 ? d : null;
      });
      expect(up.status).toBe('PAUSED');
      expect(up.tasks.pending).toBeGreaterThan(0);
      expect((await status('pp.down')).status).toBe('WAITING');
      const view = await djc(['status', 'pp'], opts());
      expect(view.stdout).toMatch(/^up\s+PAUSED\s/m);
      const r = await djc(['resume', 'pp'], opts());
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^pp-\S+ RUNNING\n {2}pp\.up-\S+ QUEUED\n$/);
      const done = await run.done;
      expect(done.code, done.stderr).toBe(0);
      const res = await djc(['results', 'pp.down'], opts());
      expect(res.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { n: number }).n)).toEqual([1, 2, 3, 4, 5, 6]);
      const tasks = (JSON.parse((await djc(['tasks', 'pp.up', '--json'], opts())).stdout) as { tasks: TaskDoc[] }).tasks;
      for (const t of tasks) expect(t).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('pausing or resuming a job that has ended exits 2 and says why; --json gives the error as JSON', async () => {
    const r = await djc(['run', job('ended')], opts());
    expect(r.code, r.stderr).toBe(0);
    const p = await djc(['pause', 'ended'], opts());
    expect(p.code).toBe(2);
    expect(p.stdout).toBe('');
    expect(p.stderr).toMatch(/job ended-\S+ has ended \(SUCCEEDED\) and cannot be paused/);
    const j = await djc(['resume', 'ended', '--json'], opts());
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stderr)).toMatchObject({ error: { code: 'USAGE', message: expect.stringContaining('cannot be resumed') } });
    expect((await djc(['pause', 'no-such-job'], opts())).code).toBe(4);
  });
});
