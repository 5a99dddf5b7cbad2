/**
 * `djc plan` through the CLI: what each stage run would do, why, and its
 * batches, before anything runs. Earlier runs are recorded in the sandbox's
 * home through the index API (plan-helpers.ts); pipeline-cache.test.ts
 * plans after real runs.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalBackend } from '../../core/src/backends/local/index.js';
import { sandboxPerTest } from './helpers.js';
import { recordRun as recordIn, writePipeline as writeIn } from './plan-helpers.js';

const box = sandboxPerTest('djc-plan-');
const writePipeline = (text?: string) => writeIn(box.dir, text);

async function recordRun(file: string): Promise<Map<string, string>> {
  const backend = createLocalBackend({ home: box.home });
  try {
    return await recordIn(backend, box.dir, file);
  } finally {
    await backend.close();
  }
}

describe('djc plan', () => {
  it('before any run: every stage runs (no earlier run), with its batches and the sweep points; nothing is written', async () => {
    const r = await box.run(['plan', writePipeline()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l !== '')).toEqual([
      'RUN             ACTION  BATCHES',
      'clean           run     4 (2 files, 2.3 KiB)',
      '  why: no earlier run',
      'embed           run     one per clean task (4)',
      '  why: no earlier run',
      'train[lr=0.1]   run     from the output of clean',
      '  why: no earlier run',
      'train[lr=0.01]  run     from the output of clean',
      '  why: no earlier run',
      'sweep train: 2 points (at most 1 at once, 0 failed tolerated): lr=0.1 · lr=0.01',
      'reviews: 4 runs, 0 re-used, 4 to run',
    ]);
    expect(existsSync(box.home)).toBe(false);
  });

  it('after a run: re-uses every stage; after an edit of an imported file, names it and runs only what depends on it', async () => {
    const file = writePipeline();
    const jobs = await recordRun(file);
    const same = await box.run(['plan', file]);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain(`clean           reuse ${jobs.get('clean')}`);
    expect(same.stdout).toContain('reviews: 4 runs, 4 re-used, 0 to run');

    writeFileSync(join(box.dir, 'lib/trim.ts'), 'export const trim = (r: unknown) => ({ r });\n');
    const r = await box.run(['plan', file]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[1]).toMatch(/^clean +run +4 /);
    expect(lines[2]).toMatch(/^ {2}why: handler file lib\/trim\.ts changed \(sha [0-9a-f]{8} → [0-9a-f]{8}\)$/);
    expect(r.stdout).toContain('  why: upstream clean will run');
    expect(r.stdout).toContain('reviews: 4 runs, 0 re-used, 4 to run');
  });

  it('a changed parameter re-runs only the stage that uses it', async () => {
    const file = writePipeline();
    const jobs = await recordRun(file);
    const r = await box.run(['plan', file, '--set', 'params.min_len=4']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`clean           reuse ${jobs.get('clean')}`);
    expect(r.stdout).toContain('embed           run');
    expect(r.stdout).toContain('  why: parameter min_len 3 → 4');
    expect(r.stdout).toContain(`train[lr=0.1]   reuse ${jobs.get('train[lr=0.1]')}`);
    expect(r.stdout).toContain('reviews: 4 runs, 3 re-used, 1 to run');
  });

  it('--json prints the documented shape on stdout', async () => {
    const file = writePipeline();
    const jobs = await recordRun(file);
    writeFileSync(join(box.dir, 'embed.py'), 'print(2)\n');
    const r = await box.run(['plan', file, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ file: join(box.dir, 'p.yaml'), pipeline: 'reviews', fresh: false, summary: { runs: 4, reuse: 3, run: 1 } });
    expect(doc.runs.map((x: { run: string; action: string; reusedFrom: string | null }) => [x.run, x.action, x.reusedFrom])).toEqual([
      ['clean', 'reuse', jobs.get('clean')], ['embed', 'run', null], ['train[lr=0.1]', 'reuse', jobs.get('train[lr=0.1]')], ['train[lr=0.01]', 'reuse', jobs.get('train[lr=0.01]')],
    ]);
    expect(doc.runs[1]).toMatchObject({
      stage: 'embed', point: null, key: expect.stringMatching(/^[0-9a-f]{64}$/),
      reasons: [{ kind: 'handler', text: expect.stringMatching(/^handler file embed\.py changed/) }],
      batches: { kind: 'per-upstream-task', upstream: 'clean', batches: 4 }, warnings: [],
    });
    expect(doc.sweeps).toEqual([{ stage: 'train', maxParallel: 1, toleratedFailure: { count: 0 }, points: 2, runs: ['train[lr=0.1]', 'train[lr=0.01]'] }]);
  });

  it('--fresh plans every run, whatever the cache holds', async () => {
    const file = writePipeline();
    await recordRun(file);
    const r = await box.run(['plan', file, '--fresh']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('reviews: 4 runs, 0 re-used, 4 to run (--fresh: the cache is ignored)');
  });

  it('an invalid pipeline is exit 2, naming the cycle and the YAML path; a job file is exit 2 too', async () => {
    const file = writePipeline([
      'name: loop',
      'stages:',
      '  a: { needs: [b], input: { from: b }, handler: { command: cat } }',
      '  b: { needs: [a], input: { from: a }, handler: { command: cat } }',
    ].join('\n'));
    const r = await box.run(['plan', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/a → b → a|b → a → b/);
    expect(r.stderr).toContain('p.yaml');

    writeFileSync(join(box.dir, 'job.yaml'), 'name: j\ninput: { path: data/a.jsonl }\nhandler: { command: cat }\n');
    const job = await box.run(['plan', 'job.yaml']);
    expect(job.code).toBe(2);
    expect(job.stderr).toContain('not a pipeline');
  });
});
