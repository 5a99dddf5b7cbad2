/**
 * Resume with a cache, end to end through the CLI: a second `djc run` of an
 * unchanged pipeline re-uses every stage run; after an edit of one stage's
 * handler only that stage and what depends on it run (by tasks and
 * timestamps); a new sweep point runs alone; `--fresh` runs everything;
 * `djc plan` says beforehand what each run will do and why.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxPerTest } from './helpers.js';
import { expectedReport, writeDiamondYaml, writeHandlers, writeReviews } from './pipeline-helpers.js';

const box = sandboxPerTest('djc-pipeline-cache-');

interface RunDoc { jobId: string; name: string; status: string; reason: string | null; startedAt: string | null; tasks: { total: number; succeeded: number } }
interface PipelineDoc { jobId: string; status: string; endedAt: string; stages: { name: string; runs: RunDoc[] }[] }

/** `djc run reviews.yaml --json`: exit 0, its document, and each run by display name ("train[k=1]"). */
async function run(...extra: string[]): Promise<{ doc: PipelineDoc; runs: Map<string, RunDoc> }> {
  const r = await box.run(['run', 'reviews.yaml', '--json', ...extra]);
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout) as PipelineDoc;
  const runs = new Map(doc.stages.flatMap((s) => s.runs).map((x) => [x.name.replace(/^reviews\./, ''), x]));
  return { doc, runs };
}

const report = () => JSON.parse(readFileSync(join(box.dir, 'out/report.json'), 'utf8'));
const reusedFrom = (r: RunDoc | undefined) => /^re-used (\S+) \(same cache key\)$/.exec(r?.reason ?? '')?.[1] ?? null;

describe('djc run pipeline.yaml with the cache', () => {
  it('re-uses an unchanged pipeline; after a handler edit runs only that stage and its dependents; plan says so first', async () => {
    const reviews = writeReviews(box.dir, 200);
    writeHandlers(box.dir);
    writeDiamondYaml(box.dir, { ks: [1, 3] });
    const first = await run();
    expect(report()).toEqual(expectedReport(reviews, [1, 3]));
    for (const r of first.runs.values()) expect(r.tasks.total).toBeGreaterThan(0);

    const planned = await box.run(['plan', 'reviews.yaml']);
    expect(planned.stdout).toContain('reviews: 5 runs, 5 re-used, 0 to run');

    const second = await run();
    expect([...second.runs].map(([n, r]) => [n, r.status, r.tasks.total, reusedFrom(r)])).toEqual(
      [...first.runs].map(([n, r]) => [n, 'SUCCEEDED', 0, r.jobId]),
    );
    expect(report()).toEqual(expectedReport(reviews, [1, 3]));

    // stats now counts every word twice: stats, the train points and the report must run again; clean must not.
    writeFileSync(join(box.dir, 'stats.mjs'), readFileSync(join(box.dir, 'stats.mjs'), 'utf8').replace('r.words, 0)', 'r.words, 0) * 2'));
    const why = await box.run(['plan', 'reviews.yaml']);
    expect(why.stdout).toMatch(/^stats +run .*\n {2}why: handler file stats\.mjs changed \(sha [0-9a-f]{8} → [0-9a-f]{8}\)$/m);
    expect(why.stdout).toContain('reviews: 5 runs, 1 re-used, 4 to run');

    const third = await run();
    const after = Date.parse(second.doc.endedAt);
    expect(reusedFrom(third.runs.get('clean'))).toBe(first.runs.get('clean')?.jobId);
    expect(third.runs.get('clean')?.tasks.total).toBe(0);
    for (const name of ['stats', 'train[k=1]', 'train[k=3]', 'report']) {
      const r = third.runs.get(name);
      expect({ name, reused: reusedFrom(r), ran: (r?.tasks.total ?? 0) > 0 }).toEqual({ name, reused: null, ran: true });
      expect(Date.parse(r?.startedAt ?? '')).toBeGreaterThan(after);
    }
    const doubled = expectedReport(reviews, [1, 3]);
    expect(report()).toEqual({ ...doubled, scores: doubled.scores.map((s) => ({ ...s, score: s.score * 2 })) });
  });

  it('a new sweep point runs alone: one clean run (and the other points) serve it; --fresh runs everything', async () => {
    const reviews = writeReviews(box.dir, 120);
    writeHandlers(box.dir);
    writeDiamondYaml(box.dir, { ks: [1, 3] });
    const first = await run();
    writeDiamondYaml(box.dir, { ks: [1, 3, 5] });
    const wider = await run();
    expect([...wider.runs].map(([n, r]) => [n, reusedFrom(r)])).toEqual([
      ['clean', first.runs.get('clean')?.jobId], ['stats', first.runs.get('stats')?.jobId],
      ['train[k=1]', first.runs.get('train[k=1]')?.jobId], ['train[k=3]', first.runs.get('train[k=3]')?.jobId],
      ['train[k=5]', null], ['report', null],
    ]);
    expect(report()).toEqual(expectedReport(reviews, [1, 3, 5]));

    const fresh = await run('--fresh');
    for (const [n, r] of fresh.runs) expect({ n, reused: reusedFrom(r), ran: r.tasks.total > 0 }).toEqual({ n, reused: null, ran: true });
    // What --fresh ran is cached: the next run re-uses it.
    const next = await run();
    expect(reusedFrom(next.runs.get('report'))).toBe(fresh.runs.get('report')?.jobId);
  });
});
