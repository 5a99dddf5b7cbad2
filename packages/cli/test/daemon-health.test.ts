/**
 * The daemon's own health in its log (stderr, JSON lines): one `job state`
 * line per job state change and a periodic `coordinator health` summary
 * (jobs by status, workers, RSS, event-loop lag).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCoordinator } from './api-helpers.js';
import { sandboxPerTest, waitFor } from './helpers.js';

const box = sandboxPerTest();

interface LogLine { msg: string; jobId?: string; from?: string | null; to?: string; [k: string]: unknown }

function logLines(stderr: string): LogLine[] {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
}

function jobFile(): string {
  writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: 6 }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(box.dir, 'h.mjs'), 'export async function handle(records) { return records; }\n');
  writeFileSync(join(box.dir, 'job.yaml'), `name: healthy
input: { path: in.jsonl, batch: { records: 2 } }
handler: { module: ./h.mjs#handle }
compute: { workers: 2 }
output: { path: out.jsonl }
`);
  return 'job.yaml';
}

const ORDER = ['SUBMITTED', 'QUEUED', 'PREPARING', 'RUNNING', 'FINALIZING', 'SUCCEEDED'];

describe('djc coordinator health', () => {
  it('logs each state change of a job, in order, and a summary line', async () => {
    const co = await startCoordinator({ cwd: box.dir, home: box.home }, ['--summary-every', '1s']);
    try {
      const sub = await box.run(['submit', jobFile(), '--json']);
      expect(sub.code, sub.stderr).toBe(0);
      const { jobId } = JSON.parse(sub.stdout) as { jobId: string };
      const w = await box.run(['wait', jobId]);
      expect(w.code, w.stderr).toBe(0);
      const changes = await waitFor('the line of the job ending', async () => {
        const mine = logLines(co.stderr()).filter((l) => l.msg === 'job state' && l.jobId === jobId);
        return mine.at(-1)?.to === 'SUCCEEDED' ? mine : undefined;
      });
      // Each line goes on from where the previous one left the job, forward in its life.
      expect(changes[0]?.from).toBeNull();
      for (let i = 1; i < changes.length; i++) {
        expect(changes[i]?.from).toBe(changes[i - 1]?.to);
        expect(ORDER.indexOf(changes[i]?.to ?? '')).toBeGreaterThan(ORDER.indexOf(changes[i - 1]?.to ?? ''));
      }
      expect(changes.at(-1)).toMatchObject({ name: 'healthy', to: 'SUCCEEDED' });
      const summary = await waitFor('a summary counting the ended job', async () => logLines(co.stderr())
        .find((l) => l.msg === 'coordinator health' && (l.ended as Record<string, number>).SUCCEEDED === 1));
      expect(summary).toMatchObject({ jobs: {}, workers: expect.any(Object), heapUsedBytes: expect.any(Number) });
      expect(summary.rssBytes as number).toBeGreaterThan(1024 * 1024);
      const lag = summary.eventLoopLagMs as { p99: number; max: number };
      expect(lag.max).toBeGreaterThanOrEqual(lag.p99);
    } finally {
      await co.stop();
    }
  });

  it('writes no summary with --summary-every 0, and refuses a period it cannot read', async () => {
    const co = await startCoordinator({ cwd: box.dir, home: box.home }, ['--summary-every', '0']);
    const sub = await box.run(['submit', jobFile(), '--json']);
    const { jobId } = JSON.parse(sub.stdout) as { jobId: string };
    expect((await box.run(['wait', jobId])).code).toBe(0);
    await waitFor('the job end in the log', async () => logLines(co.stderr()).some((l) => l.jobId === jobId && l.to === 'SUCCEEDED'));
    await co.stop();
    expect(logLines(co.stderr()).filter((l) => l.msg === 'coordinator health')).toEqual([]);
    const bad = await box.run(['coordinator', '--summary-every', 'often']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--summary-every');
  });
});
