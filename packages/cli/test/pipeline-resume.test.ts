/**
 * A pipeline handed to the daemon (`djc submit pipeline.yaml`), and one
 * whose coordinator is SIGKILLed mid-pipeline: the daemon adopts it and
 * resumes it from its records, and every stage's records are counted
 * exactly once (results checked against an independent computation).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { djc, djcStart, sandboxPerTest, waitFor } from './helpers.js';
import { expectedReport, writeDiamondYaml, writeHandlers, writeReviews } from './pipeline-helpers.js';

const box = sandboxPerTest('djc-pipeline-resume-');

interface StageDoc { name: string; status: string; runs: { name: string; status: string; records: { processed: number }; tasks: { total: number; succeeded: number } }[] }
interface PipelineDoc { jobId: string; status: string; stages: StageDoc[] }

async function doc(id: string, env?: Record<string, string>): Promise<PipelineDoc> {
  return JSON.parse((await djc(['status', id, '--json'], { cwd: box.dir, home: box.home, env })).stdout) as PipelineDoc;
}

/** Records each run processed, by run name. */
function processed(d: PipelineDoc): Record<string, number> {
  return Object.fromEntries(d.stages.flatMap((s) => s.runs.map((r) => [r.name, r.records.processed])));
}

function expectedProcessed(reviews: ReturnType<typeof writeReviews>): Record<string, number> {
  const kept = reviews.filter((r) => r.text.length >= 3).length;
  const statsTasks = Math.ceil(kept / 50);
  // clean reads every review; stats its kept ones; each train point one line per stats task; report the kept ones and 2 scores.
  return { 'reviews.clean': reviews.length, 'reviews.stats': kept, 'reviews.train[k=1]': statsTasks, 'reviews.train[k=3]': statsTasks, 'reviews.report': kept + 2 };
}

/**
 * `djc run` of the diamond (`n` reviews, stats tasks of 400 ms, 3 s leases),
 * SIGKILLed once its stats stage runs (and, with `afterOne`, has finished a
 * task). Returns the reviews, the pipeline id, and the env that makes the
 * dead coordinator count as gone after 2 s.
 */
async function runKilledInStats(n: number, afterOne: boolean) {
  const reviews = writeReviews(box.dir, n);
  writeHandlers(box.dir, { statsMs: 400 });
  writeDiamondYaml(box.dir, { lease: '3s' });
  const run = djcStart(['run', 'reviews.yaml'], { cwd: box.dir, home: box.home });
  const id = await waitFor('the pipeline listed', async () => {
    const r = await box.run(['list', '--json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as { jobs: { jobId: string }[] }).jobs[0]?.jobId : undefined;
  });
  await waitFor('stats running', async () => {
    const stats = (await doc(id)).stages.find((s) => s.name === 'stats');
    return stats?.runs[0]?.status === 'RUNNING' && (!afterOne || (stats.runs[0].tasks.succeeded ?? 0) > 0);
  });
  run.child.kill('SIGKILL');
  await run.done;
  return { reviews, id, stale: { DJC_COORDINATOR_STALE_SECONDS: '2' } };
}

describe('pipelines and the daemon', () => {
  it('djc submit pipeline.yaml: the daemon runs the whole pipeline', async () => {
    const reviews = writeReviews(box.dir, 200);
    writeHandlers(box.dir);
    writeDiamondYaml(box.dir);
    const sub = await box.run(['submit', 'reviews.yaml']);
    expect(sub.code).toBe(0);
    const id = sub.stdout.trim();
    expect(id).toMatch(/^reviews-\d{14}-[0-9a-f]{6}$/);
    const daemon = djcStart(['coordinator'], { cwd: box.dir, home: box.home });
    try {
      expect((await box.run(['wait', id])).code).toBe(0);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.done;
    }
    expect(JSON.parse(readFileSync(join(box.dir, 'out/report.json'), 'utf8'))).toEqual(expectedReport(reviews, [1, 3]));
    expect(processed(await doc(id))).toEqual(expectedProcessed(reviews));
  });

  it('djc submit --fresh: the daemon re-uses nothing from the cache (a plain submit of the same file re-uses every run)', async () => {
    const reviews = writeReviews(box.dir, 120);
    writeHandlers(box.dir);
    writeDiamondYaml(box.dir);
    const daemon = djcStart(['coordinator'], { cwd: box.dir, home: box.home });
    /** Submits, waits; each run's name → whether it ran (tasks) and whether it was re-used (its reason). */
    const submit = async (...extra: string[]) => {
      const sub = await box.run(['submit', 'reviews.yaml', ...extra]);
      expect(sub.code, sub.stderr).toBe(0);
      const id = sub.stdout.trim();
      expect((await box.run(['wait', id])).code).toBe(0);
      const d = JSON.parse((await box.run(['status', id, '--json'])).stdout) as { stages: { runs: { name: string; reason: string | null; tasks: { total: number } }[] }[] };
      return d.stages.flatMap((st) => st.runs).map((r) => ({ name: r.name, ran: r.tasks.total > 0, reused: /^re-used /.test(r.reason ?? '') }));
    };
    try {
      const first = await submit();
      expect(first.every((r) => r.ran && !r.reused)).toBe(true);
      const again = await submit();
      expect(again.map((r) => r.reused)).toEqual(first.map(() => true));
      const fresh = await submit('--fresh');
      expect(fresh).toEqual(first);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.done;
    }
    expect(JSON.parse(readFileSync(join(box.dir, 'out/report.json'), 'utf8'))).toEqual(expectedReport(reviews, [1, 3]));
  });

  it('djc run SIGKILLed mid-pipeline: the daemon adopts it and finishes it, every record exactly once in every stage', async () => {
    // Mid-pipeline: clean has ended, stats has run some of its tasks.
    const { reviews, id, stale } = await runKilledInStats(400, true);
    const before = await doc(id);
    expect(before.status).toBe('RUNNING');
    expect(before.stages.map((s) => s.status)).toEqual(['SUCCEEDED', 'RUNNING', 'WAITING', 'WAITING']);

    const daemon = djcStart(['coordinator'], { cwd: box.dir, home: box.home, env: stale });
    try {
      expect((await box.run(['wait', id])).code).toBe(0);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.done;
    }
    const after = await doc(id);
    expect(after.stages.map((s) => s.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(processed(after)).toEqual(expectedProcessed(reviews));
    expect(JSON.parse(readFileSync(join(box.dir, 'out/report.json'), 'utf8'))).toEqual(expectedReport(reviews, [1, 3]));
    // The clean stage's result (in the blob store: a stage run is named <pipeline>.<stage>): each kept review exactly once.
    const clean = await box.run(['results', 'reviews.clean']);
    const ids = clean.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: number }).id);
    expect(ids).toEqual(reviews.filter((r) => r.text.length >= 3).map((r) => r.id));
  });

  it('djc run SIGKILLed, then djc run again with the same file: it resumes that pipeline, every record exactly once', async () => {
    const { reviews, id, stale } = await runKilledInStats(300, false);
    const explained = await waitFor('status to say the pipeline is not moving', async () => {
      const r = await djc(['status', id], { cwd: box.dir, home: box.home, env: stale });
      return r.stdout.includes('not moving') ? r.stdout : undefined;
    }, 20_000);
    expect(explained).toMatch(/warning  this pipeline is not moving: .*djc run on/);
    const again = await djc(['run', 'reviews.yaml'], { cwd: box.dir, home: box.home, env: stale });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`djc: resuming pipeline ${id} (RUNNING): the same file, and its coordinator (djc run on`);
    const list = JSON.parse((await box.run(['list', '--json'])).stdout) as { jobs: { jobId: string }[] };
    expect(list.jobs.map((j) => j.jobId)).toEqual([id]);
    expect(processed(await doc(id))).toEqual(expectedProcessed(reviews));
    expect(JSON.parse(readFileSync(join(box.dir, 'out/report.json'), 'utf8'))).toEqual(expectedReport(reviews, [1, 3]));

    // A changed file is another pipeline: it starts anew.
    writeDiamondYaml(box.dir, { lease: '3s', ks: [1, 2] });
    const changed = await djc(['run', 'reviews.yaml'], { cwd: box.dir, home: box.home, env: stale });
    expect(changed.code).toBe(0);
    expect(changed.stderr).toMatch(/djc: pipeline reviews-\S+ submitted/);
  });
});
