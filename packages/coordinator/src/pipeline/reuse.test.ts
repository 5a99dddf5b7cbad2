import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blobKeys, UPSTREAM_SCHEME, type Backend, type StageRunSpec } from '@djc/core';
import { JobConfigSchema } from '@djc/core/schemas';
import { createLocalBackend } from '@djc/core/backends/local';
import { adoptResult, decideReuse, indexSucceededRun, ResultDigests } from './reuse.js';

let dir: string;
let backend: Backend;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'djc-reuse-'));
  backend = createLocalBackend({ home: join(dir, '.djc') });
  writeFileSync(join(dir, 'a.jsonl'), '{"i":1}\n{"i":2}\n');
  writeFileSync(join(dir, 'clean.ts'), 'export const clean = (r: unknown[]) => r;\n');
});
afterEach(async () => {
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A stage run as the loader builds it (an upstream-fed input holds upstream: placeholders). */
function run(stage: string, from: string[] | null): StageRunSpec {
  const config = JobConfigSchema.parse({
    name: stage, input: { path: join(dir, 'a.jsonl') }, handler: { module: `${join(dir, 'clean.ts')}#clean` },
  });
  if (from !== null) config.input = { ...config.input, path: from.map((f) => `${UPSTREAM_SCHEME}${f}`) };
  return {
    stage, point: null, displayName: stage, needs: from ?? [], onUpstreamFailure: 'skip', config,
    upstream: from === null ? null : { from, each: null, format: null }, paramsUsed: {},
  };
}

/** A stage run that ran and succeeded with this result, indexed as the runner does. */
async function succeeded(r: StageRunSpec, jobId: string, result: string, upstream = new Map<string, string[]>()) {
  const verdict = await decideReuse(backend, r, upstream);
  await backend.blobs.put(blobKeys.result(jobId), result);
  return indexSucceededRun(backend, { pipeline: 'reviews', run: r, jobId, key: verdict.key, components: verdict.components });
}

describe('re-use from the cache', () => {
  it('a run with no earlier run runs; once indexed, the same run re-uses it; --fresh runs anyway', async () => {
    const clean = run('clean', null);
    const first = await decideReuse(backend, clean, new Map());
    expect(first.decision).toBe('run');
    expect(first.key).toMatch(/^[0-9a-f]{64}$/);
    const entry = await succeeded(clean, 'job-clean-1', 'out\n');
    expect(entry).toMatchObject({ jobId: 'job-clean-1', pipeline: 'reviews', stage: 'clean', result: { blobKey: blobKeys.result('job-clean-1'), bytes: 4 } });
    expect((await decideReuse(backend, clean, new Map())).decision).toEqual({ reuse: 'job-clean-1' });
    expect((await decideReuse(backend, clean, new Map(), { fresh: true })).decision).toBe('run');
    expect(await backend.state.latestCacheEntry('reviews', 'clean')).toEqual(entry);
  });

  it('a downstream run keys on its upstream\'s result bytes: a new upstream run with the same output is re-used through, another output is not', async () => {
    const clean = run('clean', null);
    const stats = run('stats', ['clean']);
    await succeeded(clean, 'clean-1', 'same\n');
    await succeeded(stats, 'stats-1', 'count 1\n', new Map([['clean', ['clean-1']]]));
    await backend.blobs.put(blobKeys.result('clean-2'), 'same\n');
    expect((await decideReuse(backend, stats, new Map([['clean', ['clean-2']]]))).decision).toEqual({ reuse: 'stats-1' });
    await backend.blobs.put(blobKeys.result('clean-3'), 'different\n');
    expect((await decideReuse(backend, stats, new Map([['clean', ['clean-3']]]))).decision).toBe('run');
  });

  it('an upstream without a result (aggregate: none, or never run) leaves the run without a key: it runs and is not indexed', async () => {
    const stats = run('stats', ['clean']);
    const verdict = await decideReuse(backend, stats, new Map([['clean', ['clean-none']]]));
    expect(verdict).toMatchObject({ decision: 'run', key: null });
    expect(await indexSucceededRun(backend, { pipeline: 'reviews', run: stats, jobId: 'stats-x', key: null, components: verdict.components })).toBeNull();
  });

  it('an entry whose result blob is gone is not re-used, and is pruned from the index', async () => {
    const clean = run('clean', null);
    const entry = await succeeded(clean, 'clean-1', 'out\n');
    await backend.blobs.delete(blobKeys.result('clean-1'));
    expect((await decideReuse(backend, clean, new Map())).decision).toBe('run');
    expect(await backend.state.getCacheEntry(entry!.key)).toBeNull();
  });

  it('a run whose result blob is missing when it ends is not indexed', async () => {
    const clean = run('clean', null);
    const verdict = await decideReuse(backend, clean, new Map());
    expect(await indexSucceededRun(backend, { pipeline: 'reviews', run: clean, jobId: 'no-result', key: verdict.key, components: verdict.components })).toBeNull();
    expect(await backend.state.getCacheEntry(verdict.key!)).toBeNull();
  });

  it('adoptResult gives the re-using run the earlier result, byte for byte', async () => {
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    await backend.blobs.put(blobKeys.result('old'), bytes);
    expect(await adoptResult(backend, 'old', 'new')).toBe(true);
    expect(Buffer.compare((await backend.blobs.get(blobKeys.result('new')))!, bytes)).toBe(0);
    expect(await adoptResult(backend, 'missing', 'other')).toBe(false);
  });

  it('ResultDigests hashes each result once and combines a sweep\'s in order', async () => {
    await backend.blobs.put(blobKeys.result('p1'), 'a');
    await backend.blobs.put(blobKeys.result('p2'), 'b');
    const d = new ResultDigests(backend);
    const ab = await d.stage(['p1', 'p2']);
    expect(ab).toMatch(/^[0-9a-f]{64}$/);
    expect(await d.stage(['p2', 'p1'])).not.toBe(ab);
    expect(await d.stage(['p1'])).toBe((await d.of('p1'))?.sha256);
    expect(await d.stage(['p1', 'gone'])).toBeNull();
    // A result written after a look that found none is seen by the next look.
    await backend.blobs.put(blobKeys.result('gone'), 'late');
    expect(await d.stage(['p1', 'gone'])).toMatch(/^[0-9a-f]{64}$/);
  });
});
