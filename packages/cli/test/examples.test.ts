import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyExample, djc, generate, leakedProcesses, makeSandbox, readJsonl } from './helpers.js';

let box: ReturnType<typeof makeSandbox>;
beforeEach(() => { box = makeSandbox(); });
afterEach(async () => {
  expect(await leakedProcesses(box.home)).toEqual([]);
  box.cleanup();
});

describe('the examples produce the exact expected results', () => {
  it('wordcount: 100,000 JSONL reviews, a TypeScript handler and reducer', async () => {
    const ex = copyExample('wordcount', box.dir);
    await generate(ex, 100_000);
    const r = await djc(['run', join(ex, 'job.yaml')], { cwd: box.dir, home: box.home });
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/SUCCEEDED/);
    expect(r.stdout).toContain('100,000 records');

    // Independent computation: count the words of the whole file in one pass.
    const expected = new Map<string, number>();
    for (const line of readFileSync(join(ex, 'data/reviews.jsonl'), 'utf8').split('\n')) {
      if (!line) continue;
      for (const w of (JSON.parse(line) as { text: string }).text.toLowerCase().split(/\s+/)) {
        if (w) expected.set(w, (expected.get(w) ?? 0) + 1);
      }
    }
    const got = readJsonl(join(ex, 'out/wordcount.jsonl')) as { word: string; count: number }[];
    expect(new Map(got.map((g) => [g.word, g.count]))).toEqual(expected);
    const counts = got.map((g) => g.count);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
  });

  it('csv-command: quoted multi-line CSV fields through a python3 command handler', async () => {
    const ex = copyExample('csv-command', box.dir);
    await generate(ex, 5_000);
    const r = await djc(['run', join(ex, 'job.yaml'), '--set', 'params.min_cents=50000'], { cwd: box.dir, home: box.home });
    expect(r.code).toBe(0);
    // Independent computation: the same script over the whole file in one process.
    const whole = execFileSync('python3', ['to_cents.py', '50000'], { cwd: ex, input: readFileSync(join(ex, 'data/orders.csv')) }).toString();
    const got = readFileSync(join(ex, 'out/orders.jsonl'), 'utf8');
    expect(got).toBe(whole);
    const rows = readJsonl(join(ex, 'out/orders.jsonl')) as { id: number; note_lines: number }[];
    expect(rows.length).toBeGreaterThan(1000);
    expect(rows.some((x) => x.note_lines === 2)).toBe(true); // multi-line notes survived the batch split
    expect(new Set(rows.map((x) => x.id)).size).toBe(rows.length);
  });

  it('flaky: tasks that fail twice succeed on the third attempt, and `tasks --json` shows it', async () => {
    const ex = copyExample('flaky', box.dir);
    await generate(ex, 1000);
    const r = await djc(['run', join(ex, 'job.yaml'), '--json'], { cwd: box.dir, home: box.home });
    expect(r.code).toBe(0);
    const status = JSON.parse(r.stdout) as { jobId: string; status: string; tasks: { total: number; succeeded: number } };
    expect(status.status).toBe('SUCCEEDED');
    expect(status.tasks).toMatchObject({ total: 10, succeeded: 10 });
    const doubled = readJsonl(join(ex, 'out/doubled.jsonl'));
    expect(doubled).toEqual(Array.from({ length: 1000 }, (_, i) => (i + 1) * 2));

    const t = await djc(['tasks', status.jobId, '--json'], { cwd: box.dir, home: box.home });
    expect(t.code).toBe(0);
    const tasks = (JSON.parse(t.stdout) as { tasks: { taskId: number; attempts: number; status: string }[] }).tasks;
    for (const task of tasks) {
      expect(task.status).toBe('SUCCEEDED');
      expect(task.attempts).toBe(task.taskId % 3 === 0 ? 3 : 1);
    }
    const logs = await djc(['logs', status.jobId, '--task', '3'], { cwd: box.dir, home: box.home });
    expect(logs.stdout).toContain('=== task 3 attempt 1 ===');
    expect(logs.stdout).toContain('=== task 3 attempt 3 ===');
    expect(logs.stdout).toContain('simulated failure of task 3, attempt 1');
  });

  it('pipeline: an ETL over 30,000 CSV orders (a TypeScript stage, a Python N-to-N stage, a report with a reducer)', async () => {
    const ex = copyExample('pipeline', box.dir);
    await generate(ex, 30_000);
    const r = await djc(['run', join(ex, 'pipeline.yaml')], { cwd: box.dir, home: box.home });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^status\s+SUCCEEDED/m);
    // Independent computation: read the CSV in one pass.
    const by = new Map<string, { region: string; cents: number; orders: number }>();
    for (const line of readFileSync(join(ex, 'data/orders.csv'), 'utf8').trim().split('\n').slice(1)) {
      const [, region, , qty, price, status] = line.split(',') as [string, string, string, string, string, string];
      if (status !== 'paid') continue;
      const t = by.get(region) ?? { region, cents: 0, orders: 0 };
      t.cents += Number(qty) * Number(price);
      t.orders += 1;
      by.set(region, t);
    }
    const regions = [...by.values()].sort((a, b) => b.cents - a.cents);
    const expected = { regions, cents: regions.reduce((n, x) => n + x.cents, 0), orders: regions.reduce((n, x) => n + x.orders, 0) };
    expect(JSON.parse(readFileSync(join(ex, 'out/report.json'), 'utf8'))).toEqual(expected);

    // Run again, nothing changed: every stage is re-used, clean with its
    // tasks (by_region reads them one by one), and the report is whole again.
    const plan = await djc(['plan', join(ex, 'pipeline.yaml')], { cwd: box.dir, home: box.home });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/^clean\s+reuse\b/m);
    const again = await djc(['run', join(ex, 'pipeline.yaml')], { cwd: box.dir, home: box.home });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(ex, 'out/report.json'), 'utf8'))).toEqual(expected);
  });

  it('sweep: five thresholds, at most two points at once, the best one picked', async () => {
    const ex = copyExample('sweep', box.dir);
    await generate(ex, 20_000);
    const r = await djc(['run', join(ex, 'sweep.yaml'), '--json'], { cwd: box.dir, home: box.home });
    expect(r.code, r.stderr).toBe(0);
    const samples = readJsonl(join(ex, 'data/samples.jsonl')) as { x: number; label: number }[];
    const all = [0.3, 0.4, 0.5, 0.6, 0.7].map((threshold) => {
      const correct = samples.filter((s) => (s.x > threshold ? 1 : 0) === s.label).length;
      return { threshold, correct, total: samples.length, accuracy: correct / samples.length };
    });
    const best = all.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
    expect(JSON.parse(readFileSync(join(ex, 'out/best.json'), 'utf8'))).toEqual({ best, all });
    // max_parallel: 2: at no time were more than two points running.
    const doc = JSON.parse(r.stdout) as { stages: { name: string; runs: { startedAt: string; endedAt: string }[] }[] };
    const points = doc.stages.find((s) => s.name === 'score')!.runs.map((p) => [Date.parse(p.startedAt), Date.parse(p.endedAt)] as const);
    expect(points).toHaveLength(5);
    for (const [start] of points) expect(points.filter(([s, e]) => s <= start && start < e).length).toBeLessThanOrEqual(2);
  });
});
