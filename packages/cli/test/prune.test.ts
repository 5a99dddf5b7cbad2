/**
 * `djc prune --older-than D [--status S…] [--dry-run]` on the local backend
 * (issue 13, "Operations"): jobs that ended before now − D go with their
 * rows (tasks and attempts, queue, cache entries), blobs and worker logs; a
 * job that has not ended is never pruned; --dry-run removes nothing.
 *
 * Jobs are made "old" by moving their end (and creation) time back in the
 * SQLite file, so the test does not depend on how fast the machine is.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite } from '@djc/core/backends/local';
import { describe, expect, it } from 'vitest';
import { sandboxPerTest } from './helpers.js';

const box = sandboxPerTest('djc-prune-');
const LONG_AGO = '2025-01-02T03:04:05.000Z';

function writeJobs(): void {
  writeFileSync(join(box.dir, 'in.txt'), 'a\nb\n');
  writeFileSync(join(box.dir, 'ok.yaml'), 'name: ok\ninput: { path: in.txt, format: text, batch: { records: 1 } }\nhandler: { command: "echo log >&2; cat" }\ncompute: { workers: 1 }\n');
  writeFileSync(join(box.dir, 'bad.yaml'), 'name: bad\ninput: { path: in.txt, format: text, batch: { records: 1 } }\nhandler: { command: "exit 3" }\ncompute: { workers: 1 }\nretry: { max_attempts: 1 }\n');
  writeFileSync(join(box.dir, 'pipe.yaml'), [
    'name: pipe', 'defaults:', '  compute: { workers: 1 }', 'stages:',
    '  a:', '    input: { path: in.txt, format: text, batch: { records: 1 } }', '    handler: { command: "cat" }',
    '  b:', '    needs: [a]', '    input: { from: a, batch: { records: 100 } }', '    handler: { command: "wc -l" }', '',
  ].join('\n'));
}

async function runJob(file: string, expectCode = 0): Promise<string> {
  const r = await box.run(['run', file, '--json']);
  expect(r.stderr).not.toContain('internal error');
  expect(r.code).toBe(expectCode);
  return (JSON.parse(r.stdout) as { jobId: string }).jobId;
}

/** Moves the job's (and its stage runs') creation and end back to LONG_AGO. */
function age(jobId: string): void {
  const { db } = openSqlite(join(box.home, 'djc.sqlite'));
  try {
    db.prepare('UPDATE jobs SET created_at = ?, ended_at = CASE WHEN ended_at IS NULL THEN NULL ELSE ? END WHERE job_id = ? OR parent_id = ?')
      .run(LONG_AGO, LONG_AGO, jobId, jobId);
  } finally {
    db.close();
  }
}

/** Rows the home keeps for these jobs (jobs, tasks, queue). */
function rowsOf(ids: string[]): number {
  const { db } = openSqlite(join(box.home, 'djc.sqlite'), { readonly: true });
  try {
    const marks = ids.map(() => '?').join(', ');
    return ['jobs', 'tasks', 'queue'].reduce((n, t) => n + (db.prepare(`SELECT count(*) FROM ${t} WHERE job_id IN (${marks})`).pluck().get(...ids) as number), 0);
  } finally {
    db.close();
  }
}

function stageRunIds(pipelineId: string): string[] {
  const { db } = openSqlite(join(box.home, 'djc.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT job_id FROM jobs WHERE parent_id = ? ORDER BY job_id').pluck().all(pipelineId) as string[];
  } finally {
    db.close();
  }
}

const onDisk = (id: string) => existsSync(join(box.home, 'blobs', 'jobs', id)) || existsSync(join(box.home, 'workers', id));

interface PruneJson {
  endedBefore: string;
  dryRun: boolean;
  jobs: { jobId: string; status: string; kind: string; stageRuns: number; bytes: number }[];
  bytes: number;
}

describe('djc prune', () => {
  it('removes old ended jobs (rows, blobs, worker logs) by age and status; never a job that has not ended', async () => {
    writeJobs();
    const ok = await runJob('ok.yaml');
    const bad = await runJob('bad.yaml', 1);
    const recent = await runJob('ok.yaml');
    const waiting = await box.run(['submit', 'ok.yaml', '--json']); // no daemon: it stays unfinished
    expect(waiting.code).toBe(0);
    const pending = (JSON.parse(waiting.stdout) as { jobId: string }).jobId;
    for (const id of [ok, bad, pending]) age(id);
    expect(onDisk(ok) && onDisk(bad)).toBe(true);
    const okRows = rowsOf([ok]);
    expect(okRows).toBeGreaterThan(2);

    const dry = await box.run(['prune', '--older-than', '30d', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout) as PruneJson;
    expect(plan.dryRun).toBe(true);
    expect(plan.jobs.map((j) => [j.jobId, j.status])).toEqual([[bad, 'FAILED'], [ok, 'SUCCEEDED']].sort((x, y) => (x[0]! < y[0]! ? -1 : 1)));
    expect(plan.jobs.every((j) => j.bytes > 0)).toBe(true);
    expect(plan.bytes).toBe(plan.jobs.reduce((n, j) => n + j.bytes, 0));
    expect(rowsOf([ok])).toBe(okRows);
    expect(onDisk(ok) && onDisk(bad)).toBe(true);

    const failedOnly = await box.run(['prune', '--older-than', '30d', '--status', 'failed']);
    expect(failedOnly.code).toBe(0);
    expect(failedOnly.stdout).toMatch(new RegExp(`^JOB +STATUS +ENDED +SIZE\\n${bad} +FAILED +${LONG_AGO} +\\S+\\n$`));
    expect(failedOnly.stderr).toMatch(new RegExp(`^djc: removed 1 job that ended before \\S+ \\(\\S+ of blobs and worker logs\\) from ${box.home}\\n$`));
    expect(rowsOf([bad])).toBe(0);
    expect(onDisk(bad)).toBe(false);
    expect((await box.run(['status', bad])).code).toBe(4);
    expect(onDisk(ok)).toBe(true);

    const rest = await box.run(['prune', '--older-than', '30d', '--json']);
    expect(rest.code).toBe(0);
    expect((JSON.parse(rest.stdout) as PruneJson).jobs.map((j) => j.jobId)).toEqual([ok]);
    expect(rowsOf([ok])).toBe(0);
    expect(onDisk(ok)).toBe(false);

    // The recent job and the unfinished (but old) one are still there, and still work.
    const list = await box.run(['list', '--json']);
    expect((JSON.parse(list.stdout) as { jobs: { jobId: string }[] }).jobs.map((j) => j.jobId).sort()).toEqual([recent, pending].sort());
    expect((await box.run(['results', recent])).stdout).toBe('a\nb\n');
    const again = await box.run(['prune', '--older-than', '0s']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(recent);
    expect(again.stdout).not.toContain(pending);
    expect(rowsOf([pending])).toBeGreaterThan(0);
  });

  it('removes a pipeline with its stage runs', async () => {
    writeJobs();
    const pipe = await runJob('pipe.yaml');
    const runs = stageRunIds(pipe);
    expect(runs).toHaveLength(2);
    age(pipe);
    const r = await box.run(['prune', '--older-than', '1d']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^JOB +STATUS +ENDED +SIZE +STAGE RUNS\\n${pipe} +SUCCEEDED +${LONG_AGO} +\\S+ +2\\n$`));
    expect(rowsOf([pipe, ...runs])).toBe(0);
    for (const id of runs) expect(onDisk(id)).toBe(false);
  });

  it('refuses what it cannot do with a usage error (exit 2) and the fix', async () => {
    const none = await box.run(['prune']);
    expect(none).toMatchObject({ code: 2, stdout: '' });
    expect(none.stderr).toContain('djc prune needs --older-than');
    const running = await box.run(['prune', '--older-than', '30d', '--status', 'running']);
    expect(running).toMatchObject({ code: 2, stdout: '' });
    expect(running.stderr).toContain('djc: --status running: djc prune removes only jobs that have ended');
    expect(running.stderr).toContain('hint: use one or more of succeeded, failed, cancelled');
    const empty = await box.run(['prune', '--older-than', '30d']);
    expect(empty).toMatchObject({ code: 0, stdout: '' });
    expect(empty.stderr).toContain('djc: no ended jobs older than 30d');
  });
});
