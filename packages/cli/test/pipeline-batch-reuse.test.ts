/**
 * Per-batch re-use, end to end through the CLI: after records are appended
 * to a stage's input, `djc run` again runs only the batches whose content
 * changed or is new; the others are SUCCEEDED tasks that never ran, with
 * the earlier output (attempts 0, `reusedFrom`), and the result is exact.
 * `--fresh` runs every batch.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxPerTest } from './helpers.js';
import { expectedReport, writeDiamondYaml, writeHandlers, writeReviews, type Review } from './pipeline-helpers.js';

const box = sandboxPerTest('djc-pipeline-batch-reuse-');

interface RunDoc { jobId: string; name: string; status: string; reason: string | null; tasks: { total: number; succeeded: number }; records: { processed: number } }
interface TaskDoc { taskId: number; status: string; attempts: number; records: number | null; reusedFrom: { jobId: string; taskId: number } | null }

async function run(...extra: string[]): Promise<Map<string, RunDoc>> {
  const r = await box.run(['run', 'reviews.yaml', '--json', ...extra]);
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout) as { stages: { runs: RunDoc[] }[] };
  return new Map(doc.stages.flatMap((s) => s.runs).map((x) => [x.name.replace(/^reviews\./, ''), x]));
}

async function tasks(jobId: string): Promise<TaskDoc[]> {
  const r = await box.run(['tasks', jobId, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { tasks: TaskDoc[] }).tasks;
}

/** Reviews `from`..`to`-1 as writeReviews makes them (so the appended lines follow the same rule). */
function reviewsBetween(from: number, to: number): Review[] {
  const words = ['good', 'bad', 'fine', 'slow', 'fast', 'great'];
  return Array.from({ length: to - from }, (_, i) => {
    const id = from + i;
    return { id, text: id % 7 === 0 ? 'ok' : Array.from({ length: 2 + (id % 5) }, (_, k) => words[(id + k) % words.length]).join(' ') };
  });
}

const report = () => JSON.parse(readFileSync(join(box.dir, 'out/report.json'), 'utf8'));

describe('djc run pipeline.yaml after an append: per-batch re-use', () => {
  it('runs only the new and changed batches, re-uses the leading ones, and gives the exact result; --fresh runs all', async () => {
    // clean splits by 40 records: 190 records are batches 0-3 (40 each) and 4 (30).
    const first190 = writeReviews(box.dir, 190);
    writeHandlers(box.dir);
    writeDiamondYaml(box.dir, { ks: [1, 3] });
    const first = await run();
    const clean1 = first.get('clean')!;
    expect(clean1.tasks.total).toBe(5);
    expect(report()).toEqual(expectedReport(first190, [1, 3]));

    // 50 more: batch 4 now holds 40 records (changed), batch 5 is new; 0-3 are the same bytes.
    const added = reviewsBetween(190, 240);
    appendFileSync(join(box.dir, 'reviews.jsonl'), added.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const second = await run();
    const clean2 = second.get('clean')!;
    expect(clean2.reason ?? '').not.toMatch(/^re-used/);
    expect(clean2).toMatchObject({ status: 'SUCCEEDED', tasks: { total: 6, succeeded: 6 }, records: { processed: 240 } });
    const t2 = await tasks(clean2.jobId);
    expect(t2.map((t) => [t.taskId, t.status, t.attempts, t.reusedFrom])).toEqual([
      [0, 'SUCCEEDED', 0, { jobId: clean1.jobId, taskId: 0 }],
      [1, 'SUCCEEDED', 0, { jobId: clean1.jobId, taskId: 1 }],
      [2, 'SUCCEEDED', 0, { jobId: clean1.jobId, taskId: 2 }],
      [3, 'SUCCEEDED', 0, { jobId: clean1.jobId, taskId: 3 }],
      [4, 'SUCCEEDED', 1, null],
      [5, 'SUCCEEDED', 1, null],
    ]);
    expect(t2.map((t) => t.records)).toEqual([40, 40, 40, 40, 40, 40]);
    // stats splits clean's output again: its leading batches are the same records, so some are re-used too, not all.
    const stats = await tasks(second.get('stats')!.jobId);
    const statsReused = stats.filter((t) => t.reusedFrom !== null).length;
    expect(statsReused).toBeGreaterThan(0);
    expect(statsReused).toBeLessThan(stats.length);
    expect(report()).toEqual(expectedReport([...first190, ...added], [1, 3]));

    const shown = await box.run(['tasks', clean2.jobId]);
    expect(shown.stdout).toMatch(new RegExp(`^0 +SUCCEEDED +0 +40 .*REUSED from ${clean1.jobId} task 0$`, 'm'));

    // --fresh: nothing is re-used, every batch runs, same result.
    appendFileSync(join(box.dir, 'reviews.jsonl'), reviewsBetween(240, 250).map((r) => JSON.stringify(r)).join('\n') + '\n');
    const fresh = await run('--fresh');
    const t3 = await tasks(fresh.get('clean')!.jobId);
    expect(t3.map((t) => [t.attempts, t.reusedFrom])).toEqual(t3.map(() => [1, null]));
    expect(report()).toEqual(expectedReport([...first190, ...added, ...reviewsBetween(240, 250)], [1, 3]));
  });
});
