/**
 * `djc report`: a real job (a task that burns CPU, one that allocates, ones
 * that sleep, two that fail), its report opened in headless Chromium with
 * the network off, and the figures on the page checked against
 * `djc status --json`, `djc tasks --json` and `djc failures --json`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openOffline, screenshot } from './browser.js';
import { sandboxPerTest } from './helpers.js';
import { failureGroups, figure, LINES, tableRows, writeUsageJob as writeJob } from './report-helpers.js';

interface TaskDoc {
  taskId: number; status: string; attempts: number; startedAt: string | null; endedAt: string | null; worker: string | null;
  usage: { cpuMs: number; peakMemoryBytes: number; scope: string } | null;
}

const sb = sandboxPerTest('djc-report-');
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

async function json<T>(args: string[]): Promise<T> {
  const r = await sb.run([...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

const durationOf = (t: TaskDoc) => Date.parse(t.endedAt as string) - Date.parse(t.startedAt as string);

describe('djc report', () => {
  it('writes one HTML file whose figures, read in Chromium with the network off, are those of djc status / tasks / failures', async () => {
    writeJob(sb.dir);
    const run = await sb.run(['run', 'job.yaml']);
    expect(run.code, run.stderr).toBe(0);
    const report = await sb.run(['report', '-o', 'report.html']);
    expect(report.code, report.stderr).toBe(0);
    const file = join(sb.dir, 'report.html');
    expect(report.stdout.trim()).toBe(file);
    expect(existsSync(file)).toBe(true);
    // Self-contained: no external reference at all.
    expect(readFileSync(file, 'utf8')).not.toMatch(/<(?:link|img|script)[^>]+(?:href|src)=/i);

    const status = await json<{ jobId: string; tasks: Record<string, number> }>(['status']);
    const { tasks } = await json<{ tasks: TaskDoc[] }>(['tasks']);
    const failures = await json<{ groups: { count: number; example: string }[] }>(['failures']);
    expect(tasks).toHaveLength(LINES.length);

    const view = await openOffline(browser, file);
    try {
      const { page } = view;
      const s = `section.job-section[data-job-id="${status.jobId}"]`;
      expect(await page.locator('section.job-section').count()).toBe(1);
      for (const k of ['total', 'succeeded', 'failed', 'cancelled']) expect(await figure(page, s, `tasks.${k}`), k).toBe(status.tasks[k]);
      expect(status.tasks).toMatchObject({ total: 6, succeeded: 4, failed: 2 });
      expect(await figure(page, s, 'attempts')).toBe(tasks.reduce((n, t) => n + t.attempts, 0));

      // The slowest task: the longest latest attempt (ties: the smaller id first).
      const slowest = [...tasks].sort((a, b) => durationOf(b) - durationOf(a) || a.taskId - b.taskId)[0] as TaskDoc;
      const slowRows = await tableRows(page, s, 'slowest');
      expect(slowRows).toHaveLength(LINES.length);
      expect(slowRows[0]).toMatchObject({ taskId: slowest.taskId, durationMs: durationOf(slowest) });

      // Failures grouped as djc failures groups them: one error, two tasks.
      const groups = await failureGroups(page, s);
      expect(groups).toEqual(failures.groups.map((g) => ({ count: g.count, example: g.example })));
      expect(groups.map((g) => g.count)).toEqual([2]);

      // CPU and memory per attempt: the page shows what djc tasks --json says, and the burner stands out.
      const usage = (line: string) => tasks[LINES.indexOf(line)] as TaskDoc;
      const cpuRows = await tableRows(page, s, 'topCpu');
      const byId = new Map(cpuRows.map((r) => [r.taskId, r]));
      for (const t of tasks) expect(byId.get(t.taskId)?.cpuMs, `task ${t.taskId}`).toBe(t.usage?.cpuMs);
      expect(cpuRows[0]?.taskId).toBe(usage('burn').taskId);
      const sleeping = usage('sleep').usage?.cpuMs ?? 0;
      expect(usage('burn').usage?.cpuMs).toBeGreaterThan(10 * Math.max(sleeping, 10));
      const memRows = await tableRows(page, s, 'topMemory');
      expect(memRows[0]).toMatchObject({ taskId: usage('alloc').taskId, peakMemoryBytes: usage('alloc').usage?.peakMemoryBytes });
      expect(usage('alloc').usage?.peakMemoryBytes).toBeGreaterThan(150 * 1024 * 1024);

      // The timeline: one bar per task's latest attempt, one lane per worker.
      expect(await page.locator(`${s} [data-figure="timeline"] rect[data-task-id]`).count()).toBe(LINES.length);
      expect(await page.locator(`${s} [data-field="capped"]`).count()).toBe(0);

      expect(view.requests).toEqual([]);
      expect(existsSync(await screenshot(page, 'report-job'))).toBe(true);
    } finally {
      await view.close();
    }
  }, 180_000);

  it('a pipeline gets one section per stage run, each with that run\'s counts', async () => {
    writeFileSync(join(sb.dir, 'in.txt'), 'a\nb\nc\nd\n');
    writeFileSync(join(sb.dir, 'pipeline.yaml'), `name: twostage
defaults:
  compute: { workers: 2 }
stages:
  first:
    input: { path: in.txt, format: text, batch: { records: 1 } }
    handler: { command: cat }
  second:
    needs: [first]
    input: { from: first, format: text, batch: { records: 2 } }
    handler: { command: "tr a-z A-Z" }
`);
    const run = await sb.run(['run', 'pipeline.yaml']);
    expect(run.code, run.stderr).toBe(0);
    const status = await json<{ jobId: string; stages: { name: string; runs: { jobId: string; tasks: Record<string, number> }[] }[] }>(['status']);
    const report = await sb.run(['report', status.jobId, '-o', 'pipeline.html']);
    expect(report.code, report.stderr).toBe(0);
    const view = await openOffline(browser, join(sb.dir, 'pipeline.html'));
    try {
      const { page } = view;
      const sections = await page.locator('section.job-section').evaluateAll((els) => els.map((e) => e.getAttribute('data-stage')));
      expect(sections).toEqual(['first', 'second']);
      for (const stage of status.stages) {
        const stageRun = stage.runs[0] as { jobId: string; tasks: Record<string, number> };
        const s = `section.job-section[data-job-id="${stageRun.jobId}"]`;
        expect(await figure(page, s, 'tasks.total'), stage.name).toBe(stageRun.tasks.total);
        expect(await figure(page, s, 'tasks.succeeded'), stage.name).toBe(stageRun.tasks.succeeded);
      }
      expect(view.requests).toEqual([]);
      await screenshot(page, 'report-pipeline');
    } finally {
      await view.close();
    }
  }, 180_000);

  it('--max-tasks caps the tasks read: the counts stay exact and the page says the figures are from the first N', async () => {
    writeJob(sb.dir);
    expect((await sb.run(['run', 'job.yaml'])).code).toBe(0);
    const report = await sb.run(['report', '-o', 'capped.html', '--max-tasks', '2']);
    expect(report.code, report.stderr).toBe(0);
    const view = await openOffline(browser, join(sb.dir, 'capped.html'));
    try {
      const { page } = view;
      const s = 'section.job-section';
      expect(await figure(page, s, 'tasks.total')).toBe(LINES.length);
      expect(await page.locator(`${s} [data-field="capped"]`).first().textContent()).toMatch(/first 2 of 6 tasks/);
      expect((await tableRows(page, s, 'slowest')).map((r) => r.taskId).sort()).toEqual([0, 1]);
      expect(await page.locator(`${s} [data-figure="timeline"] rect[data-task-id]`).count()).toBe(2);
    } finally {
      await view.close();
    }
    const bad = await sb.run(['report', '--max-tasks', '0']);
    expect(bad.code).toBe(2);
  }, 180_000);

  it('names a missing job (exit 4) and an unwritable output (exit 2)', async () => {
    const missing = await sb.run(['report', 'nosuchjob-20260101000000-abcdef']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/nosuchjob/);
    writeJob(sb.dir);
    expect((await sb.run(['run', 'job.yaml'])).code).toBe(0);
    const bad = await sb.run(['report', '-o', join(sb.dir, 'no/such/dir/r.html')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cannot write the report to .*no\/such\/dir\/r\.html: ENOENT/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  }, 180_000);
});
