/**
 * A pipeline on the REAL local Slurm cluster (scripts/slurm/up.sh), handed
 * to `djc coordinator`: one Slurm array per stage run (each stage run is a
 * job), results checked against an independent computation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { djc, djcStart, sandboxPerTest, waitFor } from './helpers.js';
import { assertSlurmUp, liveSlurmJobsUnder, scancelQuietly, slurmJobsNamed } from './slurm-helpers.js';
import { expectedReport, writeDiamondYaml, writeHandlers, writeReviews } from './pipeline-helpers.js';

const POLL = { DJC_SLURM_POLL_MS: '500' };
const box = sandboxPerTest('djc-slurm-pipeline-');

beforeAll(async () => {
  await assertSlurmUp();
});
afterEach(async () => {
  await scancelQuietly(await liveSlurmJobsUnder(box.dir));
});

interface RunDoc { jobId: string; name: string; status: string; workers?: { dispatcher: string; slurmJobIds: string[] } }

describe('a pipeline on Slurm', () => {
  it('the diamond through the daemon: one array per stage run, the exact report', async () => {
    const reviews = writeReviews(box.dir, 200);
    writeHandlers(box.dir);
    writeDiamondYaml(box.dir, { slurm: true });
    // At info, the daemon's log says when and why it submits worker arrays (read if a run gets two).
    const daemon = djcStart(['coordinator'], { cwd: box.dir, home: box.home, env: { ...POLL, DJC_LOG_LEVEL: 'info' } });
    try {
      const sub = await djc(['submit', 'reviews.yaml'], { cwd: box.dir, home: box.home, env: POLL });
      expect(sub.code, sub.stderr).toBe(0);
      const id = sub.stdout.trim();
      const w = await djc(['wait', id], { cwd: box.dir, home: box.home, env: POLL, timeoutMs: 300_000 });
      expect(w.code, w.stdout + w.stderr).toBe(0);
      const doc = JSON.parse((await djc(['status', id, '--json'], { cwd: box.dir, home: box.home })).stdout) as { stages: { runs: RunDoc[] }[] };
      const runs = doc.stages.flatMap((s) => s.runs);
      expect(runs).toHaveLength(5);
      for (const r of runs) {
        expect(r.status).toBe('SUCCEEDED');
        expect(r.workers?.dispatcher).toBe('slurm');
        // A second array means the daemon submitted more workers: its log says why (seen once under CI load).
        expect(r.workers?.slurmJobIds, daemonLines(daemon.stderr(), r.jobId)).toHaveLength(1);
        expect(await slurmJobsNamed(`djc-${r.jobId}`)).toEqual(r.workers?.slurmJobIds);
      }
      expect(new Set(runs.map((r) => r.workers?.slurmJobIds[0])).size).toBe(5);
      expect(JSON.parse(readFileSync(join(box.dir, 'out/report.json'), 'utf8'))).toEqual(expectedReport(reviews, [1, 3]));
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.done;
    }
    await waitFor('no live arrays', async () => (await liveSlurmJobsUnder(box.dir)).length === 0, 30_000);
  });
});

/** The daemon's log lines about one stage run's Slurm workers (submitted, replaced, ended badly). */
function daemonLines(log: string, jobId: string): string {
  return log.split('\n').filter((l) => l.includes(jobId) && /slurm|array|worker/i.test(l)).join('\n');
}
