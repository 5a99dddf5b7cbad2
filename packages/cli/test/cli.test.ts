import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { djc, djcStart, leakedProcesses, makeSandbox, ROOT } from './helpers.js';

let box: ReturnType<typeof makeSandbox>;
beforeEach(() => { box = makeSandbox(); });
afterEach(async () => {
  expect(await leakedProcesses(box.home)).toEqual([]);
  box.cleanup();
});

const run = (args: string[], env?: Record<string, string>) => djc(args, { cwd: box.dir, home: box.home, env });

function setup(): string {
  writeFileSync(join(box.dir, 'in.txt'), 'alpha\nbeta\ngamma\ndelta\nepsilon\n');
  writeFileSync(join(box.dir, 'job.yaml'), `name: upper
input: { path: in.txt, format: text, batch: { records: 2 } }
handler: { command: "tr a-z A-Z" }
compute: { workers: 2 }
`);
  return join(box.dir, 'job.yaml');
}

const ISO = expect.stringMatching(/^\d{4}-\d\d-\d\dT/);
const COUNTS = { total: expect.any(Number), pending: expect.any(Number), claimed: expect.any(Number), running: expect.any(Number), retrying: expect.any(Number), succeeded: expect.any(Number), failed: expect.any(Number), cancelled: expect.any(Number) };

describe('config errors', () => {
  it('a config with three errors: exit 2, all three reported with YAML path and line', async () => {
    writeFileSync(join(box.dir, 'in.jsonl'), '{}\n');
    writeFileSync(join(box.dir, 'bad.yaml'), `name: bad
input:
  path: in.jsonl
  bach: { records: 10 }
handler:
  command: cat
compute:
  workers: four
retry:
  max_attempts: 0
`);
    for (const cmd of ['validate', 'run']) {
      const r = await run([cmd, 'bad.yaml']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/bad\.yaml:4:\d+: input\.bach: unknown key "bach" \(did you mean "batch"\?\)/);
      expect(r.stderr).toMatch(/bad\.yaml:8:\d+: compute\.workers: .*"four"/);
      expect(r.stderr).toMatch(/bad\.yaml:10:\d+: retry\.max_attempts: /);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
    }
    const j = await run(['validate', 'bad.yaml', '--json']);
    expect(j.code).toBe(2);
    const doc = JSON.parse(j.stdout) as { valid: boolean; issues: { path: string; line: number }[] };
    expect(doc.valid).toBe(false);
    expect(doc.issues.map((i) => i.path)).toEqual(['input.bach', 'compute.workers', 'retry.max_attempts']);
  });

  it('validate accepts a good file; a missing file is a usage error', async () => {
    const file = setup();
    const ok = await run(['validate', file]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('valid');
    const missing = await run(['run', 'nope.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml');
  });
});

describe('exit codes and errors', () => {
  it('unknown job → 4 with a hint; unknown command → 2; --json errors are JSON on stderr', async () => {
    const r = await run(['status', 'nosuch-job']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('no job nosuch-job');
    expect(r.stderr).toContain('djc list');
    const j = await run(['status', 'nosuch-job', '--json']);
    expect(j.code).toBe(4);
    expect(JSON.parse(j.stderr)).toMatchObject({ error: { code: 'NOT_FOUND', message: `no job nosuch-job in ${box.home}` } });
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run(['tasks', 'x', '--status', 'weird'])).code).toBe(2);
  });
});

describe('submit, coordinator, wait, and the documented --json shapes', () => {
  it('submit warns when no coordinator runs; the daemon picks the job up; wait exits 0', async () => {
    const file = setup();
    const sub = await run(['submit', file, '--json']);
    expect(sub.code).toBe(0);
    const { jobId, status } = JSON.parse(sub.stdout) as { jobId: string; status: string };
    expect(status).toBe('SUBMITTED');
    expect(sub.stderr).toContain('no coordinator is running');
    expect(sub.stderr).toContain('djc coordinator');

    const daemon = djcStart(['coordinator'], { cwd: box.dir, home: box.home });
    try {
      const w = await run(['wait', jobId, '--json']);
      expect(w.code).toBe(0);
      const doc = JSON.parse(w.stdout) as Record<string, unknown>;
      expect(Object.keys(doc).sort()).toEqual([
        'backend', 'coordinator', 'createdAt', 'endedAt', 'error', 'jobId', 'kind', 'name', 'output', 'owner', 'parentId', 'priority', 'reason', 'records', 'retries', 'stage', 'startedAt', 'status', 'tasks', 'workers',
      ]);
      expect(doc).toMatchObject({ kind: 'job', parentId: null, stage: null, reason: null });
      expect(doc.coordinator).toMatchObject({ owner: expect.stringMatching(/^djc coordinator on .* \(pid \d+\)$/) as unknown, orphaned: false });
      expect(doc.retries).toEqual([]);
      expect(doc.workers).toMatchObject({ dispatcher: 'local', slurmJobIds: [], failures: [] });
      expect(doc).toMatchObject({
        jobId, name: 'upper', status: 'SUCCEEDED', backend: 'local', createdAt: ISO, startedAt: ISO, endedAt: ISO,
        tasks: { ...COUNTS, total: 3, succeeded: 3 }, records: { total: 5, processed: 5, bad: 0 }, error: null,
      });
      const res = await run(['results', jobId]);
      expect(res.stdout).toBe('ALPHA\nBETA\nGAMMA\nDELTA\nEPSILON\n');

      const again = await run(['submit', file]);
      expect(again.stderr).not.toContain('no coordinator');
      expect((await run(['wait', again.stdout.trim()])).code).toBe(0);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.done;
    }
    const list = JSON.parse((await run(['list', '--json'])).stdout) as { jobs: Record<string, unknown>[] };
    expect(list.jobs).toHaveLength(2);
    for (const j of list.jobs) {
      expect(Object.keys(j).sort()).toEqual(['createdAt', 'jobId', 'kind', 'name', 'status', 'tasks']);
      expect(j).toMatchObject({ name: 'upper', status: 'SUCCEEDED', createdAt: ISO, tasks: COUNTS, kind: 'job' });
    }
    const tasks = JSON.parse((await run(['tasks', jobId, '--json'])).stdout) as { tasks: Record<string, unknown>[] };
    expect(tasks.tasks).toHaveLength(3);
    expect(Object.keys(tasks.tasks[0] as object).sort()).toEqual(['attempts', 'bad', 'claimedAt', 'endedAt', 'error', 'exitCode', 'records', 'reusedFrom', 'speculation', 'startedAt', 'status', 'taskId', 'usage', 'worker']);
    expect(tasks.tasks.map((t) => t.records)).toEqual([2, 2, 1]);
    const human = await run(['status', jobId]);
    expect(human.stdout).toContain('SUCCEEDED');
    expect(human.stdout).toContain('5 of 5 processed');
  });

  it('wait exits 1 for a failed job and says why', async () => {
    writeFileSync(join(box.dir, 'in.txt'), 'x\n');
    writeFileSync(join(box.dir, 'fail.yaml'), `name: fails
input: { path: in.txt, format: text }
handler: { command: "echo 'disk on fire' >&2; exit 7" }
retry: { max_attempts: 1 }
`);
    const r = await run(['run', 'fail.yaml', '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { jobId: string; status: string; error: string };
    expect(doc.status).toBe('FAILED');
    expect(doc.error).toContain('command exited with code 7');
    expect(doc.error).toContain('disk on fire');
    const w = await run(['wait', doc.jobId]);
    expect(w.code).toBe(1);
    expect(w.stdout).toContain('FAILED');
  });
});

describe('installed commands', () => {
  it('the djc package installs djc and djc-worker (npm link puts its bins on PATH), and both run', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(Object.keys(pkg.bin).sort()).toEqual(['djc', 'djc-worker']);
    const help = (bin: string) => execFileSync(process.execPath, [join(ROOT, 'packages/cli', bin), '--help'], { encoding: 'utf8' });
    expect(help(pkg.bin.djc as string)).toContain('Usage: djc [options] [command]');
    expect(help(pkg.bin['djc-worker'] as string)).toContain('usage: djc-worker [--job ID]');
  });
});
