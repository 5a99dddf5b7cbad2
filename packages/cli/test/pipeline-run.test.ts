/**
 * `djc run pipeline.yaml` end to end: the diamond of issue 10 with a small
 * matrix (a module stage, a command sweep, a join with a reducer), results
 * checked against an independent computation; an upstream failure skips
 * its dependents with the reason and the run exits 1.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxPerTest } from './helpers.js';
import { expectedReport, writeDiamondYaml, writeHandlers, writeReviews } from './pipeline-helpers.js';

const box = sandboxPerTest('djc-pipeline-run-');

describe('djc run pipeline.yaml', () => {
  it('runs the diamond with a 2-point sweep; each stage reads its upstreams through the blob store', async () => {
    const reviews = writeReviews(box.dir, 300);
    writeHandlers(box.dir);
    writeDiamondYaml(box.dir, { ks: [1, 3] });
    const r = await box.run(['run', 'reviews.yaml']);
    expect(r.stderr).toMatch(/djc: pipeline reviews-\d{14}-[0-9a-f]{6} submitted \(5 stage runs\)/);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(box.dir, 'out/report.json'), 'utf8'))).toEqual(expectedReport(reviews, [1, 3]));
    // Progress: a line per stage run as it changes, in dependency order.
    const events = r.stderr.split('\n').filter((l) => / SUCCEEDED \(/.test(l)).map((l) => l.split(' ')[1]);
    expect(events[0]).toBe('reviews.clean');
    expect(events[1]).toBe('reviews.stats');
    expect(events.slice(2, 4).sort()).toEqual(['reviews.train[k=1]', 'reviews.train[k=3]']);
    expect(events[4]).toBe('reviews.report');
    expect(r.stdout).toMatch(/^status\s+SUCCEEDED/m);
    expect(r.stdout).toMatch(/^train\s+SUCCEEDED\s+2\/2 points\s+stats/m);

    // The pipeline's own counts are the sums over its stage runs.
    type Counts = { tasks: { total: number; succeeded: number }; records: { processed: number } };
    const doc = JSON.parse((await box.run(['status', 'reviews', '--json'])).stdout) as Counts & { stages: { runs: Counts[] }[] };
    const runs = doc.stages.flatMap((s) => s.runs);
    expect(runs).toHaveLength(5);
    expect(doc.tasks.total).toBeGreaterThan(0);
    expect(doc.tasks.total).toBe(runs.reduce((sum, x) => sum + x.tasks.total, 0));
    expect(doc.tasks.succeeded).toBe(doc.tasks.total);
    expect(doc.records.processed).toBe(runs.reduce((sum, x) => sum + x.records.processed, 0));

    // djc results PIPELINE --stage X [--task N]
    const report = await box.run(['results', 'reviews', '--stage', 'report']);
    expect(report.code).toBe(0);
    expect(report.stdout).toBe(readFileSync(join(box.dir, 'out/report.json'), 'utf8'));
    const task0 = await box.run(['results', 'reviews', '--stage', 'stats', '--task', '0']);
    expect(JSON.parse(task0.stdout)).toEqual({ n: 50, words: expect.any(Number) });
    const sweep = await box.run(['results', 'reviews', '--stage', 'train']);
    expect(sweep.code).toBe(2);
    expect(sweep.stderr).toMatch(/stage train of reviews-\S+ has 2 points, each with its own result/);
    expect(sweep.stderr).toMatch(/djc results reviews\.train\.0-/);
    const unknown = await box.run(['results', 'reviews', '--stage', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('its stages: clean, stats, train, report');
    const whole = await box.run(['results', 'reviews']);
    expect(whole.code).toBe(2);
    expect(whole.stderr).toContain('--stage report');
  });

  it('an upstream failure: its dependents end SKIPPED with the reason, the other branch runs, exit 1', async () => {
    writeReviews(box.dir, 60);
    writeHandlers(box.dir, { failStats: true });
    writeDiamondYaml(box.dir, { ks: [1, 2] });
    const r = await box.run(['run', 'reviews.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('djc: reviews.stats FAILED');
    expect(r.stderr).toContain('djc: reviews.train[k=1] SKIPPED: upstream stats FAILED');
    expect(r.stderr).toContain('djc: reviews.report SKIPPED: upstream stats FAILED');
    expect(r.stdout).toMatch(/^status\s+FAILED/m);
    expect(r.stdout).toMatch(/^error\s+stats FAILED, train SKIPPED, report SKIPPED$/m);
    expect(r.stdout).toMatch(/^clean\s+SUCCEEDED/m);
    expect(r.stdout).toMatch(/^report\s+SKIPPED\s+0\/0 tasks\s+clean, train\s+upstream stats FAILED$/m);
    const json = JSON.parse((await box.run(['status', 'reviews', '--json'])).stdout) as { status: string; stages: { name: string; status: string }[] };
    expect(json.status).toBe('FAILED');
    expect(json.stages.map((s) => `${s.name}:${s.status}`)).toEqual(['clean:SUCCEEDED', 'stats:FAILED', 'train:SKIPPED', 'report:SKIPPED']);
  });

  it('djc retry PIPELINE re-runs the failed tasks of the failed stage, then the stages it skipped; the others are kept', async () => {
    const reviews = writeReviews(box.dir, 120);
    const marker = join(box.dir, 'stats-broken');
    writeFileSync(marker, '');
    writeHandlers(box.dir, { failStatsWhile: marker });
    writeDiamondYaml(box.dir, { ks: [1, 2] });
    expect((await box.run(['run', 'reviews.yaml'])).code).toBe(1);
    const cleanBefore = JSON.parse((await box.run(['status', 'reviews.clean', '--json'])).stdout) as { endedAt: string };
    type StatsTasks = { tasks: { taskId: string; attempts: number; status: string }[] };
    // How many stats tasks ran before fail-fast cancelled the rest depends on timing: each is retried once from where it was.
    const statsBefore = JSON.parse((await box.run(['tasks', 'reviews.stats', '--json'])).stdout) as StatsTasks;
    expect(statsBefore.tasks).toHaveLength(3);
    expect(statsBefore.tasks.some((t) => t.status === 'FAILED' && t.attempts === 1)).toBe(true);
    rmSync(marker);
    const r = await box.run(['retry', 'reviews']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/djc: re-running 3 failed tasks of reviews\.stats/);
    expect(r.stderr).toContain('djc: reviews.report runs again after its upstreams (was SKIPPED)');
    expect(JSON.parse(readFileSync(join(box.dir, 'out/report.json'), 'utf8'))).toEqual(expectedReport(reviews, [1, 2]));
    // clean was not run again: same end, every task on its first attempt.
    const cleanAfter = JSON.parse((await box.run(['status', 'reviews.clean', '--json'])).stdout) as { endedAt: string };
    expect(cleanAfter.endedAt).toBe(cleanBefore.endedAt);
    const cleanTasks = JSON.parse((await box.run(['tasks', 'reviews.clean', '--json'])).stdout) as { tasks: { attempts: number }[] };
    expect(cleanTasks.tasks.every((t) => t.attempts === 1)).toBe(true);
    const statsTasks = JSON.parse((await box.run(['tasks', 'reviews.stats', '--json'])).stdout) as StatsTasks;
    expect(statsTasks.tasks.map((t) => [t.taskId, t.status, t.attempts])).toEqual(statsBefore.tasks.map((t) => [t.taskId, 'SUCCEEDED', t.attempts + 1]));
    const doc = JSON.parse((await box.run(['status', 'reviews', '--json'])).stdout) as { status: string; error: string | null };
    expect(doc).toMatchObject({ status: 'SUCCEEDED', error: null });
  });
});
