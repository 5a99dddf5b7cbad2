import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalBackend } from '../backends/local/index.js';
import type { Backend } from '../ports/backend.js';
import { tempDir } from '../testing/fixtures.js';
import { stageRun } from '../testing/stage-runs.js';
import { sha256Hex } from './cache-hash.js';
import { cacheComponents, cacheKey, combinedResult } from './cache-key.js';
import { planPipeline, type PipelinePlan } from './plan-pipeline.js';
import type { PipelineSpec, StageRunSpec } from './types.js';

let tmp: { dir: string; cleanup(): Promise<void> };
let backend: Backend;
const at = (f: string) => join(tmp.dir, f);

beforeEach(async () => {
  tmp = await tempDir('djc-plan-');
  backend = createLocalBackend({ home: at('home') });
  await writeFile(at('a.jsonl'), Array.from({ length: 250 }, (_, i) => `{"i":${i}}`).join('\n') + '\n');
  await writeFile(at('clean.ts'), 'export const clean = (r: unknown[]) => r;\n');
  await writeFile(at('stats.ts'), 'export const count = (r: unknown[]) => [r.length];\n');
  await writeFile(at('embed.py'), 'print(1)\n');
});
afterEach(async () => {
  await backend.close();
  await tmp.cleanup();
});

/** The diamond of the design, with a two-point sweep: clean → (stats → train[lr], embed) → report. */
function spec(lrs: number[] = [0.1, 0.01]): PipelineSpec {
  const fromUp = (stage: string, from: string[], handler: object, extra: Parameters<typeof stageRun>[1] = {}) =>
    stageRun({ input: { path: from.map((f) => `upstream:${f}`) }, handler } as Parameters<typeof stageRun>[0], { stage, upstream: { from, each: null }, ...extra });
  const runs: StageRunSpec[] = [
    stageRun({ input: { path: at('*.jsonl'), batch: { records: 100 } }, handler: { module: `${at('clean.ts')}#clean` } }, { stage: 'clean', paramsUsed: { min_len: 3 } }),
    fromUp('stats', ['clean'], { module: `${at('stats.ts')}#count` }),
    stageRun({ input: { path: 'upstream:clean' }, handler: { command: 'python3 embed.py' } }, { stage: 'embed', upstream: { from: ['clean'], each: 'batch' }, handlerFiles: [at('embed.py')] }),
    ...lrs.map((lr) => fromUp('train', ['stats'], { command: `python3 train.py --lr ${lr}` }, { point: { lr } })),
    fromUp('report', ['embed', 'train'], { command: 'cat' }),
  ];
  return {
    v: 1, name: 'reviews', labels: {}, parameters: { min_len: 3 }, order: ['clean', 'stats', 'embed', 'train', 'report'], runs,
    sweeps: [{ stage: 'train', maxParallel: 2, toleratedFailure: { count: 0 }, points: lrs.length }], sources: [],
  };
}

/** Records every run of `s` as a succeeded, indexed run (as the runner will), each with its own result; returns the job ids by run. */
async function runAll(s: PipelineSpec, tag = 'r1'): Promise<Map<string, string>> {
  const results = new Map<string, string>();
  const jobs = new Map<string, string>();
  for (const stage of s.order) {
    const shas: string[] = [];
    for (const run of s.runs.filter((r) => r.stage === stage)) {
      const { components } = await cacheComponents(run, (u) => results.get(u) ?? null);
      const key = cacheKey(components) as string;
      const jobId = `${tag}-${run.displayName}`;
      const body = `result of ${run.displayName}`;
      await backend.blobs.put(`jobs/${jobId}/result`, body);
      await backend.state.putCacheEntry({
        key, jobId, pipeline: s.name, stage: run.displayName, point: run.point, components,
        result: { blobKey: `jobs/${jobId}/result`, sha256: sha256Hex(body), bytes: Buffer.byteLength(body) }, createdAt: new Date().toISOString(),
      });
      jobs.set(run.displayName, jobId);
      shas.push(sha256Hex(body));
    }
    results.set(stage, combinedResult(shas) as string);
  }
  return jobs;
}

const plan = (s: PipelineSpec, fresh = false) => planPipeline(backend, s, { baseDir: tmp.dir, fresh });
const actions = (p: PipelinePlan) => p.runs.map((r) => [r.run, r.action === 'reuse' ? `reuse ${r.reusedFrom}` : 'run', ...r.reasons.map((x) => x.text)]);

describe('planPipeline', () => {
  it('with no earlier run: everything runs, with batch counts from a dry partition, and the sweep\'s points', async () => {
    const p = await plan(spec());
    expect(actions(p)).toEqual([
      ['clean', 'run', 'no earlier run'],
      ['stats', 'run', 'no earlier run'],
      ['embed', 'run', 'no earlier run'],
      ['train[lr=0.1]', 'run', 'no earlier run'],
      ['train[lr=0.01]', 'run', 'no earlier run'],
      ['report', 'run', 'no earlier run'],
    ]);
    expect(p.runs.map((r) => r.batches)).toEqual([
      { kind: 'counted', batches: 3, files: 1, bytes: expect.any(Number) },
      { kind: 'from-upstream', upstreams: ['clean'] },
      { kind: 'per-upstream-task', upstream: 'clean', batches: 3 },
      { kind: 'from-upstream', upstreams: ['stats'] },
      { kind: 'from-upstream', upstreams: ['stats'] },
      { kind: 'from-upstream', upstreams: ['embed', 'train'] },
    ]);
    expect(p.sweeps).toEqual([{ stage: 'train', maxParallel: 2, toleratedFailure: { count: 0 }, points: 2, runs: ['train[lr=0.1]', 'train[lr=0.01]'] }]);
    expect(p.summary).toEqual({ runs: 6, reuse: 0, run: 6 });
    expect(p.runs.find((r) => r.run === 'train[lr=0.1]')?.warnings).toEqual([expect.stringContaining('the command runs train.py, which is not in handler.files')]);
  });

  it('after a run of the same pipeline: every run is re-used, from the run that computed it', async () => {
    const jobs = await runAll(spec());
    const p = await plan(spec());
    expect(actions(p)).toEqual([...jobs].map(([run, jobId]) => [run, `reuse ${jobId}`]));
    expect(p.summary).toEqual({ runs: 6, reuse: 6, run: 0 });
  });

  it('a changed handler: that stage runs, naming the file, and its dependents run because it will; the rest is re-used', async () => {
    const jobs = await runAll(spec());
    await writeFile(at('stats.ts'), 'export const count = (r: unknown[]) => [r.length, 1];\n');
    expect(actions(await plan(spec()))).toEqual([
      ['clean', `reuse ${jobs.get('clean')}`],
      ['stats', 'run', expect.stringMatching(/^handler file stats\.ts changed \(sha [0-9a-f]{8} → [0-9a-f]{8}\)$/)],
      ['embed', `reuse ${jobs.get('embed')}`],
      ['train[lr=0.1]', 'run', 'upstream stats will run'],
      ['train[lr=0.01]', 'run', 'upstream stats will run'],
      ['report', 'run', 'upstream train will run'],
    ]);
  });

  it('a new sweep point runs alone: the other points and the one clean run are re-used', async () => {
    const jobs = await runAll(spec());
    expect(actions(await plan(spec([0.1, 0.01, 0.001]))).slice(0, 6)).toEqual([
      ['clean', `reuse ${jobs.get('clean')}`],
      ['stats', `reuse ${jobs.get('stats')}`],
      ['embed', `reuse ${jobs.get('embed')}`],
      ['train[lr=0.1]', `reuse ${jobs.get('train[lr=0.1]')}`],
      ['train[lr=0.01]', `reuse ${jobs.get('train[lr=0.01]')}`],
      ['train[lr=0.001]', 'run', 'no earlier run'],
    ]);
  });

  it('appended input: the first stage runs, saying which file changed and how', async () => {
    await runAll(spec());
    await appendFile(at('a.jsonl'), '{"i":250}\n');
    const p = await plan(spec());
    expect(actions(p)[0]).toEqual(['clean', 'run', expect.stringMatching(/^input a\.jsonl changed \(size \d+ → \d+ bytes\)$/)]);
    expect(p.summary).toEqual({ runs: 6, reuse: 0, run: 6 });
  });

  it('a matching run whose result is gone is not re-used, and plan says so', async () => {
    const jobs = await runAll(spec());
    await backend.blobs.delete(`jobs/${jobs.get('report')}/result`);
    expect(actions(await plan(spec())).at(-1)).toEqual(['report', 'run', `the result of the matching run ${jobs.get('report')} is gone (deleted or expired)`]);
  });

  it('--fresh: every run runs, whatever the cache holds', async () => {
    await runAll(spec());
    const p = await plan(spec(), true);
    expect(p.fresh).toBe(true);
    expect(new Set(actions(p).map((a) => a.slice(1).join(' ')))).toEqual(new Set(['run --fresh: the cache is ignored']));
  });

  it('an input that cannot be partitioned is reported in its run, not thrown', async () => {
    await writeFile(at('bad.parquet'), 'not a parquet file at all');
    const s = spec();
    s.runs = [stageRun({ input: { path: at('bad.parquet'), format: 'parquet' }, handler: { module: `${at('clean.ts')}#clean` } })];
    s.order = ['clean'];
    s.sweeps = [];
    const [run] = (await plan(s)).runs;
    expect(run?.batches).toEqual({ kind: 'error', message: expect.stringContaining('bad.parquet') });
  });
});
