/**
 * `djc report` on the AWS backend (DynamoDB Local + fauxqs): the usage each
 * worker measured is stored as DynamoDB attributes and the page, read in
 * Chromium with the network off, shows what djc status / tasks --json say.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAwsBackend } from './aws-backend.js';
import { launchBrowser, openOffline, screenshot } from './browser.js';
import { failureGroups, figure, LINES, tableRows, writeUsageJob } from './report-helpers.js';

const aws = useAwsBackend('djc-aws-report-');
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe('djc report (aws)', () => {
  it('reports the job from DynamoDB and S3 alone, with the CPU and memory each attempt used', async () => {
    writeUsageJob(aws.box.dir);
    const run = await aws.run(['run', 'job.yaml']);
    expect(run.code, run.stderr).toBe(0);
    const status = JSON.parse((await aws.run(['status', '--json'])).stdout) as { jobId: string; tasks: Record<string, number> };
    const { tasks } = JSON.parse((await aws.run(['tasks', '--json'])).stdout) as {
      tasks: { taskId: number; attempts: number; usage: { cpuMs: number; peakMemoryBytes: number; scope: string } | null }[];
    };
    const report = await aws.run(['report', '-o', 'aws.html']);
    expect(report.code, report.stderr).toBe(0);
    const burn = tasks[LINES.indexOf('burn')]!;
    const sleep = tasks[LINES.indexOf('sleep')]!;
    expect(burn.usage?.scope).toBe('process-group');
    expect(burn.usage!.cpuMs).toBeGreaterThan(10 * Math.max(sleep.usage?.cpuMs ?? 0, 10));

    const view = await openOffline(browser, join(aws.box.dir, 'aws.html'));
    try {
      const { page } = view;
      const s = `section.job-section[data-job-id="${status.jobId}"]`;
      for (const k of ['total', 'succeeded', 'failed']) expect(await figure(page, s, `tasks.${k}`), k).toBe(status.tasks[k]);
      expect(await figure(page, s, 'attempts')).toBe(tasks.reduce((n, t) => n + t.attempts, 0));
      expect((await tableRows(page, s, 'topCpu'))[0]).toMatchObject({ taskId: burn.taskId, cpuMs: burn.usage!.cpuMs });
      expect((await failureGroups(page, s)).map((g) => g.count)).toEqual([2]);
      expect(view.requests).toEqual([]);
      await screenshot(page, 'report-aws');
    } finally {
      await view.close();
    }
  }, 240_000);
});
