import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backend } from '@djc/core';
import { createLocalBackend } from '@djc/core/backends/local';
import { testBatches, testJob } from '../../../core/src/testing/fixtures.js';
import { renderReportHtml, scriptJson } from './report-html.js';
import { runReport } from './run-report.js';

let dir: string;
let backend: Backend;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'djc-report-'));
  backend = createLocalBackend({ home: join(dir, '.djc') });
});
afterEach(async () => {
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A job of `n` tasks; the first `ended` run once (task i uses i ms of CPU), one fails with an error that closes a script element. */
async function jobWith(n: number, ended: number): Promise<string> {
  const job = testJob({ name: 'big' });
  await backend.state.createJob(job);
  await backend.state.putTasks(job.jobId, testBatches(n));
  const lease = { owner: 'w-1', attempt: 1 };
  for (let i = 0; i < ended; i++) {
    await backend.state.claimTask(job.jobId, i, { owner: 'w-1', leaseMs: 60_000, maxAttempts: 3 });
    const usage = { cpuMs: i, peakMemoryBytes: 1000 * i, scope: 'process-group' as const };
    const outcome = i === 3
      ? { status: 'FAILED' as const, error: 'bad </script><script>alert(1)</script> record', kind: 'error' as const, usage }
      : { status: 'SUCCEEDED' as const, outputKey: `o/${i}`, outputKind: 'raw' as const, records: 10, usage };
    await backend.state.completeTask(job.jobId, i, lease, outcome);
  }
  return job.jobId;
}

describe('runReport', () => {
  it('reads at most limits.tasksRead tasks and draws at most limits.timelineBars attempts, and says so', async () => {
    const jobId = await jobWith(300, 150);
    const job = (await backend.state.getJob(jobId))!;
    const r = await runReport(backend, job, { limits: { tasksRead: 100, timelineBars: 10, slowest: 5, topUsage: 3 } });
    const s = r.sections[0]!;
    expect(r.sections).toHaveLength(1);
    expect(s.tasks.total).toBe(300);
    expect(s).toMatchObject({ tasksRead: 100, capped: true, attempts: 100 });
    expect(s.timeline).toMatchObject({ sampled: true, attemptsEnded: 100 });
    expect(s.timeline.bars).toHaveLength(10);
    expect(s.slowest).toHaveLength(5);
    expect(s.topCpu.map((t) => t.taskId)).toEqual([99, 98, 97]);
    expect(s.usage).toMatchObject({ measured: 100, cpuMsTotal: (99 * 100) / 2, peakMemoryMax: 99_000 });
    expect(s.cpu).toMatchObject({ count: 100, min: 0, max: 99 });
    expect(s.failures.groups.map((g) => g.count)).toEqual([1]);
  });

  it('a job whose tasks all fit is not capped', async () => {
    const jobId = await jobWith(20, 20);
    const r = await runReport(backend, (await backend.state.getJob(jobId))!);
    expect(r.sections[0]).toMatchObject({ tasksRead: 20, capped: false, attempts: 20 });
    expect(r.sections[0]!.timeline.sampled).toBe(false);
  });

  it('inlines the data so that no stored text can close the script element', async () => {
    const jobId = await jobWith(5, 5);
    const html = await renderReportHtml(await runReport(backend, (await backend.state.getJob(jobId))!));
    expect(html.match(/<\/script>/g)).toHaveLength(2); // the data's and the code's own
    expect(html).toContain('bad \\u003c/script\\u003e\\u003cscript\\u003ealert(1)');
    expect(html).not.toMatch(/\/\*DJC_(CSS|JS|DATA)\*\//);
    expect(JSON.parse(scriptJson({ a: '</script>\u2028' }))).toEqual({ a: '</script>\u2028' });
  });
});
