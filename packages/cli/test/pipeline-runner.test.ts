/**
 * The pipeline runner in-process through the public API (coordinatePipeline,
 * real local workers, the SQLite backend): whole-output hand-off through the
 * blob store, a diamond with a small matrix checked against an independent
 * computation, and an upstream failure that skips its dependents.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blobKeys, createLogger, type Backend } from '@djc/core';
import { createLocalBackend } from '@djc/core/backends/local';
import { coordinatePipeline, createLocalDispatcher, submitPipeline } from '@djc/coordinator';
import { WORKER_BIN } from '@djc/worker';
import { makeSandbox } from './helpers.js';
import { diamondSpec, expectedReport, writeHandlers, writeReviews } from './pipeline-helpers.js';

const log = createLogger({ name: 'test', level: 'silent' });
let box: ReturnType<typeof makeSandbox>;
let backend: Backend;

beforeEach(() => {
  box = makeSandbox('djc-pipeline-');
  backend = createLocalBackend({ home: box.home });
});
afterEach(async () => {
  await backend.close();
  box.cleanup();
});

function dispatcher() {
  return createLocalDispatcher({ workerCommand: [process.execPath, WORKER_BIN], env: backend.workerEnv(), log, logDir: join(box.home, 'workers') });
}

describe('coordinatePipeline', () => {
  it('runs the diamond: each stage reads its upstreams\' results from the blob store, in the order listed', async () => {
    const reviews = writeReviews(box.dir, 300);
    writeHandlers(box.dir);
    const spec = diamondSpec(box.dir, { ks: [1, 3] });
    const submitted = await submitPipeline(backend, spec, join(box.dir, 'reviews.yaml'), 'run');
    const end = await coordinatePipeline(backend, submitted.jobId, { dispatcher: dispatcher(), log });
    expect(end.status).toBe('SUCCEEDED');
    const runs = await backend.state.listJobs({ parentId: end.jobId });
    expect(runs.map((r) => [r.name, r.status])).toEqual([
      ['reviews.clean', 'SUCCEEDED'], ['reviews.stats', 'SUCCEEDED'], ['reviews.train[k=1]', 'SUCCEEDED'],
      ['reviews.train[k=3]', 'SUCCEEDED'], ['reviews.report', 'SUCCEEDED'],
    ]);
    expect(JSON.parse(readFileSync(join(box.dir, 'out/report.json'), 'utf8'))).toEqual(expectedReport(reviews, [1, 3]));
    // Every stage's result is in the blob store too; the report's input named them in needs order.
    for (const r of runs) expect(await backend.blobs.size(blobKeys.result(r.jobId))).not.toBeNull();
    const report = runs[4]!;
    expect(report.config.input.path).toEqual([runs[0]!, runs[2]!, runs[3]!].map((r) => backend.blobs.locate(blobKeys.result(r.jobId))));
    expect(report.config.input.format).toBe('jsonl');
    // Dependencies are respected: no stage started before its upstreams ended.
    const at = (i: number, k: 'startedAt' | 'endedAt') => Date.parse(runs[i]![k]!);
    expect(at(1, 'startedAt')).toBeGreaterThanOrEqual(at(0, 'endedAt'));
    expect(at(2, 'startedAt')).toBeGreaterThanOrEqual(at(1, 'endedAt'));
    expect(at(4, 'startedAt')).toBeGreaterThanOrEqual(Math.max(at(2, 'endedAt'), at(3, 'endedAt')));
  });

  it('an upstream failure skips its dependents with the reason; the pipeline ends FAILED', async () => {
    writeReviews(box.dir, 60);
    writeHandlers(box.dir, { failStats: true });
    const submitted = await submitPipeline(backend, diamondSpec(box.dir, { ks: [1, 2] }), join(box.dir, 'reviews.yaml'), 'run');
    const end = await coordinatePipeline(backend, submitted.jobId, { dispatcher: dispatcher(), log });
    expect(end).toMatchObject({ status: 'FAILED', error: 'stats FAILED, train SKIPPED, report SKIPPED' });
    const runs = await backend.state.listJobs({ parentId: end.jobId });
    expect(runs.map((r) => [r.stage?.name, r.status, r.reason])).toEqual([
      ['clean', 'SUCCEEDED', null], ['stats', 'FAILED', null],
      ['train', 'SKIPPED', 'upstream stats FAILED'], ['train', 'SKIPPED', 'upstream stats FAILED'],
      ['report', 'SKIPPED', 'upstream stats FAILED'],
    ]);
    for (const r of runs.slice(2)) expect(r.tasks.total).toBe(0);
  });
});
